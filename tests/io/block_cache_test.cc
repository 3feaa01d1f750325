#include "engine/cache/block_cache.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <random>
#include <thread>

namespace laser {
namespace {

CachedBlock Block(size_t n, uint8_t fill) {
  return std::make_shared<const std::vector<uint8_t>>(n, fill);
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
  CHECK(b->size() == 100);
  CHECK((*b)[99] == 0xAB);
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

TEST_CASE("BlockCache: a peek finds a block without counting it or refreshing it") {
  BlockCache cache(300, 0);
  REQUIRE(cache.Insert(1, 0, Block(100, 'a')));
  REQUIRE(cache.Insert(1, 100, Block(100, 'b')));
  REQUIRE(cache.Insert(1, 200, Block(100, 'c')));
  CachedBlock a = cache.Peek(1, 0);
  REQUIRE(a != nullptr);
  CHECK((*a)[0] == 'a');
  CHECK(cache.Peek(1, 300) == nullptr);
  CHECK(cache.stats().hits == 0);
  CHECK(cache.stats().misses == 0);
  // a is still the least recently used: the next insert evicts it.
  REQUIRE(cache.Insert(2, 0, Block(100, 'd')));
  CHECK(cache.Peek(1, 0) == nullptr);
  CHECK(cache.Peek(1, 100) != nullptr);
  CHECK((*a)[0] == 'a');  // the evicted block stays valid for its holder
  BlockCache off(0);
  CHECK(off.Peek(1, 0) == nullptr);
}

TEST_CASE("BlockCache budget accounting: replacement, oversize blocks, erase") {
  BlockCache cache(1000, 0);
  REQUIRE(cache.Insert(1, 0, Block(400, 1)));
  REQUIRE(cache.Insert(1, 0, Block(250, 2)));  // replaces, not adds
  CHECK(cache.stats().bytes == 250);
  CHECK(cache.stats().entries == 1);
  CHECK((*cache.Lookup(1, 0))[0] == 2);
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
  CHECK(held->size() == 100);
  CHECK((*held)[50] == 9);
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
            CachedBlock b = cache.Lookup(file, off);
            if (b &&
                (b->size() != 64 + off * 8 || (*b)[0] != static_cast<uint8_t>(file * 64 + off))) {
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
