#include "engine/memtable/skiplist.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace laser {
namespace {

struct U64Cmp {
  int operator()(uint64_t a, uint64_t b) const { return a < b ? -1 : (a > b ? 1 : 0); }
};
using List = SkipList<uint64_t, U64Cmp>;

TEST_CASE("skip list iterates inserted keys in order") {
  Arena arena;
  List list(U64Cmp{}, &arena);
  std::set<uint64_t> model;
  std::mt19937_64 rng(7);
  while (model.size() < 5000) {
    const uint64_t k = rng() % 100000 + 1;
    if (model.insert(k).second) list.Insert(k);
  }
  CHECK(list.size() == model.size());
  List::Iterator it(&list);
  it.SeekToFirst();
  for (uint64_t k : model) {
    REQUIRE(it.Valid());
    CHECK(it.key() == k);
    it.Next();
  }
  CHECK_FALSE(it.Valid());
  for (uint64_t k : model) CHECK(list.Contains(k));
  CHECK_FALSE(list.Contains(0));
  CHECK_FALSE(list.Contains(100001));
}

TEST_CASE("skip list seek, last and prev") {
  Arena arena;
  List list(U64Cmp{}, &arena);
  List::Iterator it(&list);
  it.SeekToFirst();
  CHECK_FALSE(it.Valid());
  it.SeekToLast();
  CHECK_FALSE(it.Valid());
  it.Seek(5);
  CHECK_FALSE(it.Valid());

  for (uint64_t k = 10; k <= 1000; k += 10) list.Insert(k);
  it.Seek(0);
  REQUIRE(it.Valid());
  CHECK(it.key() == 10);
  it.Seek(10);
  CHECK(it.key() == 10);
  it.Seek(11);
  CHECK(it.key() == 20);
  it.Seek(995);
  CHECK(it.key() == 1000);
  it.Seek(1001);
  CHECK_FALSE(it.Valid());
  it.SeekToLast();
  REQUIRE(it.Valid());
  CHECK(it.key() == 1000);
  it.Prev();
  CHECK(it.key() == 990);
  it.Seek(10);
  it.Prev();
  CHECK_FALSE(it.Valid());
}

// Appends take the no-search path, later smaller keys the searching one; the
// two must interleave correctly, also with a low height cap (tall lists).
TEST_CASE("skip list mixes appends and out-of-order inserts") {
  Arena arena;
  SkipList<uint64_t, U64Cmp, 2> list(U64Cmp{}, &arena);
  std::set<uint64_t> model;
  std::mt19937_64 rng(19);
  uint64_t top = 0;
  for (int i = 0; i < 6000; ++i) {
    if (i % 3 != 0) {
      top += rng() % 5 + 1;
      list.Append(top);
      model.insert(top);
    } else {
      const uint64_t k = rng() % (top + 100) + 1;
      if (model.insert(k).second) {
        list.Insert(k);
        top = std::max(top, k);
      }
    }
  }
  CHECK(list.size() == model.size());
  SkipList<uint64_t, U64Cmp, 2>::Iterator it(&list);
  it.SeekToFirst();
  for (uint64_t k : model) {
    REQUIRE(it.Valid());
    CHECK(it.key() == k);
    it.Next();
  }
  CHECK_FALSE(it.Valid());
  it.SeekToLast();
  REQUIRE(it.Valid());
  CHECK(it.key() == *model.rbegin());
  for (uint64_t k : model) CHECK(list.Contains(k));
}

// One writer inserts while readers iterate: every pass must be strictly
// sorted and contain every key whose Insert finished before the pass began.
TEST_CASE("skip list readers see a sorted superset of finished inserts during writes") {
  constexpr size_t kKeys = 20000;
  constexpr int kReaders = 3;
  Arena arena;
  List list(U64Cmp{}, &arena);
  std::vector<uint64_t> order(kKeys);
  for (size_t i = 0; i < kKeys; ++i) order[i] = i * 7919 % 1000003 + 1;  // distinct
  std::shuffle(order.begin(), order.end(), std::mt19937_64(3));
  // The second half ascends past every earlier key: those take the append path.
  std::sort(order.begin() + kKeys / 2, order.end());
  for (size_t i = kKeys / 2; i < kKeys; ++i) order[i] += 2000000;
  std::atomic<size_t> published{0};
  std::atomic<bool> failed{false};
  std::atomic<size_t> passes{0};

  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      std::vector<uint64_t> seen;
      while (true) {
        const size_t before = published.load(std::memory_order_acquire);
        seen.clear();
        List::Iterator it(&list);
        for (it.SeekToFirst(); it.Valid(); it.Next()) {
          if (!seen.empty() && seen.back() >= it.key()) failed = true;
          seen.push_back(it.key());
        }
        for (size_t i = 0; i < before; i += 97) {
          if (!std::binary_search(seen.begin(), seen.end(), order[i])) failed = true;
        }
        if (before > 0 && !std::binary_search(seen.begin(), seen.end(), order[before - 1])) {
          failed = true;
        }
        passes.fetch_add(1);
        if (before == kKeys) break;
      }
    });
  }
  for (size_t i = 0; i < kKeys; ++i) {
    if (i % 2 == 0 && i >= kKeys / 2) {
      list.Append(order[i]);
    } else {
      list.Insert(order[i]);
    }
    published.store(i + 1, std::memory_order_release);
  }
  for (auto& t : readers) t.join();
  CHECK_FALSE(failed.load());
  CHECK(passes.load() >= static_cast<size_t>(kReaders));
  CHECK(list.size() == kKeys);
}

}  // namespace
}  // namespace laser
