// BlockCache: the hot-user half of the hybrid DRAM/SSD layout. A sharded LRU
// map from (file id, offset) to an immutable block, bounded by a byte budget.
// Each shard is a flat open-addressing table over entries linked in LRU order
// (no allocation per entry), so that a hit costs one probe and a relink.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/cache/shared_bytes.hpp"

namespace laser {

// An immutable cached block. A block evicted or erased while a reader still
// holds it stays valid for that reader.
using CachedBlock = SharedBytes;

struct BlockCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t inserts = 0;    // successful Insert calls
  uint64_t evictions = 0;  // entries dropped to make room (not Erase/EraseFile)
  uint64_t bytes = 0;      // sum of the sizes of the cached blocks
  uint64_t entries = 0;
  uint64_t capacity = 0;  // the byte budget
};

// Thread-safe. The budget is split evenly over 2^shard_bits shards, each an
// LRU list under its own mutex; an entry is charged its block's size().
class BlockCache {
 public:
  // capacity_bytes == 0 disables the cache: Insert caches nothing and every
  // Lookup misses. shard_bits < 0 picks up to 16 shards of at least 1 MiB.
  // REQUIRES: shard_bits <= 10.
  explicit BlockCache(size_t capacity_bytes, int shard_bits = -1);
  ~BlockCache();
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  bool enabled() const { return capacity_ > 0; }

  // Caches `block` as the most recently used entry of (file_id, offset),
  // replacing any previous one, and evicts least recently used entries of
  // its shard until the shard is within budget. `dropped` > 0 marks a
  // trimmed block: it stands for the stored one without its first `dropped`
  // rows (the cache does not look inside; the engine does). Returns true iff
  // cached; false iff the cache is disabled or block->size() exceeds a
  // shard's budget (capacity / shards). REQUIRES: block is non-null.
  bool Insert(uint64_t file_id, uint64_t offset, CachedBlock block, uint32_t dropped = 0);

  // As Insert, but evicts nothing: the shard may exceed its budget until
  // EvictOverBudget. For the engine's upkeep, which caches a read user's new
  // frames before it drops the old ones they replace: evicting first would
  // push out other users' blocks for room the old ones are about to free.
  // Returns false iff Insert would.
  bool InsertDeferred(uint64_t file_id, uint64_t offset, CachedBlock block, uint32_t dropped = 0);

  // Evicts least recently used entries of every shard over its budget until
  // it is within it; returns how many.
  size_t EvictOverBudget();

  // Returns the block of (file_id, offset) and makes it the most recently
  // used iff it is cached with at most `max_dropped` rows dropped; then
  // *dropped (if given) is its count. Otherwise returns null, leaving any
  // entry where it is. Counts a hit or a miss accordingly.
  CachedBlock Lookup(uint64_t file_id, uint64_t offset, uint32_t max_dropped = 0,
                     uint32_t* dropped = nullptr);

  // As Lookup, but counts neither a hit nor a miss and leaves the LRU order
  // alone: a read for the engine's own upkeep (a merge reading what it will
  // rewrite, which needs the whole block: max_dropped 0).
  CachedBlock Peek(uint64_t file_id, uint64_t offset, uint32_t max_dropped = 0,
                   uint32_t* dropped = nullptr) const;
  // Returns true iff (file_id, offset) is cached, whole or trimmed; then
  // *dropped (if given) is its count of dropped rows. Counts neither a hit
  // nor a miss and leaves the LRU order alone: a probe for the engine's own
  // upkeep (is this user's data hot?), not a read. Unlike Peek it does not
  // pin the block, so it does not touch the block's memory.
  bool Contains(uint64_t file_id, uint64_t offset, uint32_t* dropped = nullptr) const;

  // Starts loading the slot a Lookup of (file_id, offset) probes first, so
  // that its latency overlaps the caller's other work. A hint: no effect on
  // any result or counter, and no lock taken.
  void Prefetch(uint64_t file_id, uint64_t offset) const;

  // Drops (file_id, offset); returns true iff it was cached.
  bool Erase(uint64_t file_id, uint64_t offset);

  // Drops every block of file_id (a reclaimed segment); returns how many.
  size_t EraseFile(uint64_t file_id);

  BlockCacheStats stats() const;
  size_t shard_count() const { return shards_.size(); }

 private:
  struct Shard;
  Shard& ShardFor(uint64_t file_id, uint64_t offset) const;
  bool Add(uint64_t file_id, uint64_t offset, CachedBlock block, uint32_t dropped, bool evict);

  size_t capacity_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace laser
