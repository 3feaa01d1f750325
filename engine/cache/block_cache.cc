#include "engine/cache/block_cache.hpp"

#include <cassert>
#include <list>
#include <mutex>
#include <unordered_map>

namespace laser {
namespace {

struct Key {
  uint64_t file_id;
  uint64_t offset;
  bool operator==(const Key&) const = default;
};

uint64_t Mix(uint64_t file_id, uint64_t offset) {
  uint64_t x = file_id * 0x9E3779B97F4A7C15ull ^ offset;
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 29;
  return x;
}

struct KeyHash {
  size_t operator()(const Key& k) const { return static_cast<size_t>(Mix(k.file_id, k.offset)); }
};

}  // namespace

struct BlockCache::Shard {
  struct Entry {
    Key key;
    CachedBlock block;
  };

  explicit Shard(size_t cap) : capacity(cap) {}

  // REQUIRES: mu held. Unlinks `it`, keeping usage in step.
  void Remove(std::list<Entry>::iterator it) {
    usage -= it->block->size();
    index.erase(it->key);
    lru.erase(it);
  }

  std::mutex mu;
  const size_t capacity;
  size_t usage = 0;
  std::list<Entry> lru;  // front = most recently used
  std::unordered_map<Key, std::list<Entry>::iterator, KeyHash> index;
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t inserts = 0;
  uint64_t evictions = 0;
};

BlockCache::BlockCache(size_t capacity_bytes, int shard_bits) : capacity_(capacity_bytes) {
  assert(shard_bits <= 10);
  if (shard_bits < 0) {
    shard_bits = 0;
    while (shard_bits < 4 && (capacity_bytes >> (shard_bits + 1)) >= (size_t{1} << 20)) {
      ++shard_bits;
    }
  }
  size_t n = size_t{1} << shard_bits;
  for (size_t i = 0; i < n; ++i) shards_.push_back(std::make_unique<Shard>(capacity_bytes / n));
}

BlockCache::~BlockCache() = default;

BlockCache::Shard& BlockCache::ShardFor(uint64_t file_id, uint64_t offset) const {
  // The top bits pick the shard; the map inside uses the whole hash.
  uint64_t h = Mix(file_id, offset);
  return *shards_[static_cast<size_t>((h >> 32) & (shards_.size() - 1))];
}

bool BlockCache::Insert(uint64_t file_id, uint64_t offset, CachedBlock block) {
  assert(block != nullptr);
  if (!enabled()) return false;
  Shard& s = ShardFor(file_id, offset);
  const size_t charge = block->size();
  if (charge > s.capacity) return false;
  // Evicted blocks are released after the lock is dropped.
  std::vector<CachedBlock> dropped;
  std::lock_guard<std::mutex> l(s.mu);
  Key key{file_id, offset};
  auto found = s.index.find(key);
  if (found != s.index.end()) {
    dropped.push_back(found->second->block);
    s.Remove(found->second);
  }
  while (s.usage + charge > s.capacity) {
    auto victim = std::prev(s.lru.end());
    dropped.push_back(victim->block);
    s.Remove(victim);
    ++s.evictions;
  }
  s.lru.push_front(Shard::Entry{key, std::move(block)});
  s.index.emplace(key, s.lru.begin());
  s.usage += charge;
  ++s.inserts;
  return true;
}

CachedBlock BlockCache::Lookup(uint64_t file_id, uint64_t offset) {
  Shard& s = ShardFor(file_id, offset);
  std::lock_guard<std::mutex> l(s.mu);
  auto found = s.index.find(Key{file_id, offset});
  if (found == s.index.end()) {
    ++s.misses;
    return nullptr;
  }
  ++s.hits;
  s.lru.splice(s.lru.begin(), s.lru, found->second);
  return found->second->block;
}

CachedBlock BlockCache::Peek(uint64_t file_id, uint64_t offset) const {
  if (!enabled()) return nullptr;
  Shard& s = ShardFor(file_id, offset);
  std::lock_guard<std::mutex> l(s.mu);
  auto found = s.index.find(Key{file_id, offset});
  return found == s.index.end() ? nullptr : found->second->block;
}

bool BlockCache::Contains(uint64_t file_id, uint64_t offset) const {
  return Peek(file_id, offset) != nullptr;
}

bool BlockCache::Erase(uint64_t file_id, uint64_t offset) {
  Shard& s = ShardFor(file_id, offset);
  CachedBlock dropped;
  std::lock_guard<std::mutex> l(s.mu);
  auto found = s.index.find(Key{file_id, offset});
  if (found == s.index.end()) return false;
  dropped = found->second->block;
  s.Remove(found->second);
  return true;
}

size_t BlockCache::EraseFile(uint64_t file_id) {
  size_t erased = 0;
  for (auto& sp : shards_) {
    Shard& s = *sp;
    std::vector<CachedBlock> dropped;
    std::lock_guard<std::mutex> l(s.mu);
    for (auto it = s.lru.begin(); it != s.lru.end();) {
      auto next = std::next(it);
      if (it->key.file_id == file_id) {
        dropped.push_back(it->block);
        s.Remove(it);
        ++erased;
      }
      it = next;
    }
  }
  return erased;
}

BlockCacheStats BlockCache::stats() const {
  BlockCacheStats st;
  st.capacity = capacity_;
  for (const auto& sp : shards_) {
    std::lock_guard<std::mutex> l(sp->mu);
    st.hits += sp->hits;
    st.misses += sp->misses;
    st.inserts += sp->inserts;
    st.evictions += sp->evictions;
    st.bytes += sp->usage;
    st.entries += sp->lru.size();
  }
  return st;
}

}  // namespace laser
