#include "engine/cache/block_cache.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <list>
#include <random>
#include <thread>

namespace laser {
namespace {

CachedBlock Block(size_t n, uint8_t fill) {
  const std::vector<uint8_t> bytes(n, fill);
  return SharedBytes::Copy(bytes);
}

TEST_CASE("BlockCache: a zero budget disables the cache") {
  BlockCache cache(0);
  CHECK(!cache.enabled());
  CHECK(!cache.Insert(1, 0, Block(10, 1)));
  CHECK(cache.Lookup(1, 0) == nullptr);
  BlockCacheStats st = cache.stats();
  CHECK(st.entries == 0);
  CHECK(st.bytes == 0);
  CHECK(st.misses == 1);
  CHECK(st.inserts == 0);
}

TEST_CASE("BlockCache: lookups hit what was inserted and count hits and misses") {
  BlockCache cache(1 << 20);
  CHECK(cache.enabled());
  REQUIRE(cache.Insert(7, 4096, Block(100, 0xAB)));
  CachedBlock b = cache.Lookup(7, 4096);
  REQUIRE(b != nullptr);
  CHECK(b.size() == 100);
  CHECK(b.data()[99] == 0xAB);
  CHECK(cache.Lookup(7, 0) == nullptr);
  CHECK(cache.Lookup(8, 4096) == nullptr);
  BlockCacheStats st = cache.stats();
  CHECK(st.hits == 1);
  CHECK(st.misses == 2);
  CHECK(st.inserts == 1);
  CHECK(st.bytes == 100);
  CHECK(st.entries == 1);
  CHECK(st.capacity == (1 << 20));
}

TEST_CASE("BlockCache evicts the least recently used block first") {
  BlockCache cache(300, 0);
  REQUIRE(cache.shard_count() == 1);
  REQUIRE(cache.Insert(1, 0, Block(100, 'a')));
  REQUIRE(cache.Insert(1, 100, Block(100, 'b')));
  REQUIRE(cache.Insert(1, 200, Block(100, 'c')));
  CHECK(cache.stats().bytes == 300);
  // Touching a makes b the least recently used.
  REQUIRE(cache.Lookup(1, 0) != nullptr);
  REQUIRE(cache.Insert(2, 0, Block(100, 'd')));
  CHECK(cache.Lookup(1, 100) == nullptr);
  CHECK(cache.Lookup(1, 0) != nullptr);
  CHECK(cache.Lookup(1, 200) != nullptr);
  CHECK(cache.Lookup(2, 0) != nullptr);
  CHECK(cache.stats().evictions == 1);
  // The lookups above left the order a, c, d (least recent first), so a
  // 150-byte block evicts a and c.
  REQUIRE(cache.Insert(3, 0, Block(150, 'e')));
  CHECK(cache.Lookup(1, 0) == nullptr);
  CHECK(cache.Lookup(1, 200) == nullptr);
  CHECK(cache.Lookup(2, 0) != nullptr);
  CHECK(cache.Lookup(3, 0) != nullptr);
  BlockCacheStats st = cache.stats();
  CHECK(st.evictions == 3);
  CHECK(st.bytes == 250);
  CHECK(st.entries == 2);
}

TEST_CASE("BlockCache: a deferred insert evicts nothing until EvictOverBudget") {
  BlockCache cache(300, 0);
  REQUIRE(cache.Insert(1, 0, Block(100, 'a')));
  REQUIRE(cache.Insert(1, 100, Block(100, 'b')));
  REQUIRE(cache.Insert(1, 200, Block(100, 'c')));
  // The new frame of b comes in first and b leaves after, as a merge does:
  // neither a nor c is evicted for the room b frees.
  REQUIRE(cache.InsertDeferred(2, 0, Block(100, 'B'), 7));
  CHECK(cache.stats().bytes == 400);
  CHECK(cache.stats().evictions == 0);
  CHECK(cache.Erase(1, 100));
  CHECK(cache.EvictOverBudget() == 0);
  CHECK(cache.Lookup(1, 0) != nullptr);
  CHECK(cache.Lookup(1, 200) != nullptr);
  uint32_t dropped = 0;
  CHECK(cache.Lookup(2, 0, 7, &dropped) != nullptr);
  CHECK(dropped == 7);
  // Over budget with nothing freed: EvictOverBudget evicts the least
  // recently used (the lookups left a, c, B), as Insert would have.
  REQUIRE(cache.InsertDeferred(3, 0, Block(150, 'd')));
  REQUIRE(cache.InsertDeferred(3, 200, Block(50, 'e')));
  CHECK(cache.stats().bytes == 500);
  CHECK(cache.Lookup(1, 0) != nullptr);  // order c, B, d, e, a
  CHECK(cache.EvictOverBudget() == 2);
  CHECK(cache.Lookup(1, 200) == nullptr);
  CHECK(cache.Lookup(2, 0, 7) == nullptr);
  CHECK(cache.Lookup(1, 0) != nullptr);
  CHECK(cache.Lookup(3, 0) != nullptr);
  CHECK(cache.Lookup(3, 200) != nullptr);
  const BlockCacheStats st = cache.stats();
  CHECK(st.bytes == 300);
  CHECK(st.evictions == 2);
  CHECK(st.inserts == 6);
  // A deferred insert still refuses a block larger than a shard's budget.
  CHECK(!cache.InsertDeferred(4, 0, Block(301, 'f')));
  CHECK(cache.stats().bytes == 300);
}

TEST_CASE("BlockCache: a peek finds a block without counting it or refreshing it") {
  BlockCache cache(300, 0);
  REQUIRE(cache.Insert(1, 0, Block(100, 'a')));
  REQUIRE(cache.Insert(1, 100, Block(100, 'b')));
  REQUIRE(cache.Insert(1, 200, Block(100, 'c')));
  CachedBlock a = cache.Peek(1, 0);
  REQUIRE(a != nullptr);
  CHECK(a.data()[0] == 'a');
  CHECK(cache.Peek(1, 300) == nullptr);
  CHECK(cache.stats().hits == 0);
  CHECK(cache.stats().misses == 0);
  // a is still the least recently used: the next insert evicts it.
  REQUIRE(cache.Insert(2, 0, Block(100, 'd')));
  CHECK(cache.Peek(1, 0) == nullptr);
  CHECK(cache.Peek(1, 100) != nullptr);
  CHECK(a.data()[0] == 'a');  // the evicted block stays valid for its holder
  BlockCache off(0);
  CHECK(off.Peek(1, 0) == nullptr);
}

TEST_CASE("BlockCache: a prefetch counts nothing and leaves the LRU order alone") {
  BlockCache cache(300, 0);
  REQUIRE(cache.Insert(1, 0, Block(100, 'a')));
  REQUIRE(cache.Insert(1, 100, Block(100, 'b')));
  REQUIRE(cache.Insert(1, 200, Block(100, 'c')));
  cache.Prefetch(1, 0);    // cached
  cache.Prefetch(7, 700);  // absent
  CHECK(cache.stats().hits == 0);
  CHECK(cache.stats().misses == 0);
  // (1, 0) is still the least recently used.
  REQUIRE(cache.Insert(2, 0, Block(100, 'd')));
  CHECK(cache.Peek(1, 0) == nullptr);
  CHECK(cache.Peek(1, 100) != nullptr);
  BlockCache off(0);
  off.Prefetch(1, 0);
  CHECK(off.stats().misses == 0);
}

TEST_CASE("BlockCache: a trimmed block serves only lookups that accept its dropped rows") {
  BlockCache cache(300, 0);
  REQUIRE(cache.Insert(1, 0, Block(100, 'a')));
  REQUIRE(cache.Insert(1, 100, Block(60, 't'), /*dropped=*/40));
  REQUIRE(cache.Insert(1, 200, Block(100, 'c')));
  uint32_t dropped = 99;
  // A lookup that needs rows the trimmed block lacks misses, and leaves it
  // least recently used.
  CHECK(cache.Lookup(1, 100) == nullptr);
  CHECK(cache.Lookup(1, 100, 39) == nullptr);
  CHECK(cache.stats().misses == 2);
  CHECK(cache.stats().hits == 0);
  CachedBlock t = cache.Lookup(1, 100, 40, &dropped);
  REQUIRE(t != nullptr);
  CHECK(dropped == 40);
  CHECK(t.data()[0] == 't');
  CHECK(cache.stats().hits == 1);
  // An untrimmed block reports 0 dropped rows to any lookup.
  dropped = 99;
  REQUIRE(cache.Lookup(1, 0, 1000, &dropped) != nullptr);
  CHECK(dropped == 0);
  // Upkeep never sees a trimmed block as the stored one; a probe does.
  CHECK(cache.Peek(1, 100) == nullptr);
  CHECK(cache.Peek(1, 200) != nullptr);
  CHECK(cache.Contains(1, 100));
  CHECK(cache.Contains(1, 200));
  CHECK(!cache.Contains(1, 300));
  dropped = 99;
  CHECK(cache.Contains(1, 100, &dropped));
  CHECK(dropped == 40);
  CHECK(cache.Contains(1, 200, &dropped));
  CHECK(dropped == 0);
  const BlockCacheStats probed = cache.stats();
  CHECK(probed.hits == 2);
  CHECK(probed.misses == 2);
  // Upkeep that takes a trimmed block learns how many rows it dropped.
  dropped = 99;
  REQUIRE(cache.Peek(1, 100, UINT32_MAX, &dropped) != nullptr);
  CHECK(dropped == 40);
  REQUIRE(cache.Peek(1, 200, UINT32_MAX, &dropped) != nullptr);
  CHECK(dropped == 0);
  // The whole block read back from disk replaces the trimmed one.
  REQUIRE(cache.Insert(1, 100, Block(100, 'b')));
  CachedBlock b = cache.Lookup(1, 100, 0, &dropped);
  REQUIRE(b != nullptr);
  CHECK(dropped == 0);
  CHECK(b.data()[0] == 'b');
  CHECK(cache.stats().bytes == 300);
}

TEST_CASE("BlockCache budget accounting: replacement, oversize blocks, erase") {
  BlockCache cache(1000, 0);
  REQUIRE(cache.Insert(1, 0, Block(400, 1)));
  REQUIRE(cache.Insert(1, 0, Block(250, 2)));  // replaces, not adds
  CHECK(cache.stats().bytes == 250);
  CHECK(cache.stats().entries == 1);
  CHECK(cache.Lookup(1, 0).data()[0] == 2);
  // Larger than the whole budget: refused, nothing evicted.
  CHECK(!cache.Insert(1, 1, Block(1001, 3)));
  CHECK(cache.stats().bytes == 250);
  CHECK(cache.Lookup(1, 0) != nullptr);
  REQUIRE(cache.Insert(1, 500, Block(300, 4)));
  REQUIRE(cache.Insert(2, 0, Block(100, 5)));
  REQUIRE(cache.Insert(2, 100, Block(100, 6)));
  CHECK(cache.stats().bytes == 750);
  CHECK(cache.Erase(1, 500));
  CHECK(!cache.Erase(1, 500));
  CHECK(cache.stats().bytes == 450);
  CHECK(cache.EraseFile(2) == 2);
  CHECK(cache.EraseFile(2) == 0);
  CHECK(cache.Lookup(2, 0) == nullptr);
  CHECK(cache.Lookup(1, 0) != nullptr);
  BlockCacheStats st = cache.stats();
  CHECK(st.bytes == 250);
  CHECK(st.entries == 1);
  CHECK(st.evictions == 0);
}

TEST_CASE("BlockCache: a block evicted while held stays valid for its holder") {
  BlockCache cache(100, 0);
  REQUIRE(cache.Insert(1, 0, Block(100, 9)));
  CachedBlock held = cache.Lookup(1, 0);
  REQUIRE(cache.Insert(1, 1, Block(100, 8)));
  CHECK(cache.Lookup(1, 0) == nullptr);
  CHECK(held.size() == 100);
  CHECK(held.data()[50] == 9);
}

TEST_CASE("BlockCache: auto sharding keeps the whole cache within its budget") {
  const size_t cap = 8u << 20;
  BlockCache cache(cap);
  CHECK(cache.shard_count() == 8);
  for (uint64_t i = 0; i < 5000; ++i) cache.Insert(i % 7, i * 4096, Block(4096, 0));
  BlockCacheStats st = cache.stats();
  CHECK(st.bytes <= cap);
  CHECK(st.bytes == st.entries * 4096);
  CHECK(st.inserts == 5000);
  CHECK(st.evictions == 5000 - st.entries);
  CHECK(BlockCache(512u << 10).shard_count() == 1);
  CHECK(BlockCache(256u << 20).shard_count() == 16);
}

// A reference LRU with a byte budget: a list, most recent first.
class ModelLru {
 public:
  explicit ModelLru(size_t cap) : cap_(cap) {}
  bool Insert(uint64_t f, uint64_t o, size_t size, uint8_t fill) {
    if (size > cap_) return false;
    Erase(f, o);
    while (used_ + size > cap_) {
      used_ -= list_.back().size;
      list_.pop_back();
      ++evictions;
    }
    list_.push_front(E{f, o, size, fill});
    used_ += size;
    return true;
  }
  // Returns the fill byte, or -1 iff absent.
  int Lookup(uint64_t f, uint64_t o) {
    for (auto it = list_.begin(); it != list_.end(); ++it) {
      if (it->f == f && it->o == o) {
        list_.splice(list_.begin(), list_, it);
        return list_.front().fill;
      }
    }
    return -1;
  }
  bool Erase(uint64_t f, uint64_t o) {
    for (auto it = list_.begin(); it != list_.end(); ++it) {
      if (it->f == f && it->o == o) {
        used_ -= it->size;
        list_.erase(it);
        return true;
      }
    }
    return false;
  }
  size_t EraseFile(uint64_t f) {
    size_t n = 0;
    for (auto it = list_.begin(); it != list_.end();) {
      if (it->f == f) {
        used_ -= it->size;
        it = list_.erase(it);
        ++n;
      } else {
        ++it;
      }
    }
    return n;
  }
  size_t used() const { return used_; }
  size_t entries() const { return list_.size(); }
  uint64_t evictions = 0;

 private:
  struct E {
    uint64_t f, o;
    size_t size;
    uint8_t fill;
  };
  size_t cap_;
  size_t used_ = 0;
  std::list<E> list_;
};

TEST_CASE("BlockCache matches a reference LRU over a long random run") {
  // Many small blocks in one shard: the table grows several times, and
  // erases and evictions exercise every shape of probe run. Offsets come
  // from a small range so that keys repeat and collide.
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    CAPTURE(seed);
    const size_t cap = 60000;
    BlockCache cache(cap, 0);
    ModelLru model(cap);
    std::mt19937_64 rng(seed);
    int mismatches = 0;
    uint64_t peak = 0;
    for (int i = 0; i < 60000; ++i) {
      if (i % 1000 == 0) peak = std::max(peak, cache.stats().entries);
      const uint64_t f = rng() % 3;
      const uint64_t o = (rng() % 1500) * 4096;
      switch (rng() % 16) {
        case 0:
          CHECK(cache.Erase(f, o) == model.Erase(f, o));
          break;
        case 1:
          if (rng() % 50 == 0) CHECK(cache.EraseFile(f) == model.EraseFile(f));
          break;
        case 2:
        case 3:
        case 4:
        case 5:
        case 6: {
          const size_t size = 1 + rng() % 80;
          const uint8_t fill = static_cast<uint8_t>(rng());
          CHECK(cache.Insert(f, o, Block(size, fill)) == model.Insert(f, o, size, fill));
          break;
        }
        default: {
          CachedBlock b = cache.Lookup(f, o);
          const int want = model.Lookup(f, o);
          if ((b == nullptr) != (want < 0) || (b != nullptr && b.data()[0] != want)) ++mismatches;
        }
      }
    }
    CHECK(mismatches == 0);
    const BlockCacheStats st = cache.stats();
    CHECK(st.bytes == model.used());
    CHECK(st.entries == model.entries());
    CHECK(st.evictions == model.evictions);
    CHECK(peak > 520);  // enough live keys at once that the table grew 5 times
  }
}

TEST_CASE("BlockCache is safe under concurrent inserts, lookups and erases") {
  BlockCache cache(64 << 10, 2);
  std::atomic<uint64_t> lookups{0};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      for (int i = 0; i < 20000; ++i) {
        uint64_t file = rng() % 4;
        uint64_t off = rng() % 64;
        switch (rng() % 8) {
          case 0:
            cache.EraseFile(file);
            break;
          case 1:
          case 2:
            cache.Insert(file, off, Block(64 + off * 8, static_cast<uint8_t>(file * 64 + off)));
            break;
          default: {
            ++lookups;
            // Beside inserts that regrow the shard's table, without its lock.
            cache.Prefetch(file, off);
            CachedBlock b = cache.Lookup(file, off);
            if (b && (b.size() != 64 + off * 8 ||
                      b.data()[0] != static_cast<uint8_t>(file * 64 + off))) {
              ++wrong;
            }
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(wrong.load() == 0);
  BlockCacheStats st = cache.stats();
  CHECK(st.hits + st.misses == lookups.load());
  CHECK(st.bytes <= st.capacity);
}

}  // namespace
}  // namespace laser
