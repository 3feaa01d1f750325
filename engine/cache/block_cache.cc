#include "engine/cache/block_cache.hpp"

#include <atomic>
#include <cassert>
#include <cstdint>
#include <mutex>
#include <vector>

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

// One shard: an open-addressing table (linear probing, at most half full,
// backward-shift deletion) whose slots are the entries themselves, linked in
// LRU order by slot index. A hit is then one probe of a flat array and a
// relink of three slots, with no node per block and no indirection: a warm
// read pays a cache miss per step it chases, and a read that meets three
// frames does three lookups.
struct BlockCache::Shard {
  static constexpr uint32_t kNone = UINT32_MAX;

  struct Slot {
    Key key;
    CachedBlock block;  // null iff the slot is empty
    uint32_t hash;      // low bits of Mix(key): the slot's home without rehashing
    uint32_t dropped;   // rows the block lacks at its front (Insert)
    uint32_t prev;      // towards the most recently used; kNone at the head
    uint32_t next;      // towards the least recently used; kNone at the tail
  };

  explicit Shard(size_t cap) : capacity(cap), slots(kInitialSlots) { Publish(); }

  // Lets Prefetch find the slots without the lock. REQUIRES: mu held, or
  // the shard not yet shared.
  void Publish() {
    slots_addr.store(reinterpret_cast<uintptr_t>(slots.data()), std::memory_order_relaxed);
    slots_mask.store(Mask(), std::memory_order_relaxed);
  }

  size_t Mask() const { return slots.size() - 1; }

  // REQUIRES: mu held. Returns the slot holding `key`, or the empty slot
  // where it would go.
  uint32_t Probe(const Key& key, uint32_t hash) const {
    size_t i = hash & Mask();
    while (slots[i].block != nullptr && !(slots[i].hash == hash && slots[i].key == key)) {
      i = (i + 1) & Mask();
    }
    return static_cast<uint32_t>(i);
  }

  // REQUIRES: mu held. Returns the slot of `key`, or kNone.
  uint32_t Find(const Key& key, uint32_t hash) const {
    const uint32_t i = Probe(key, hash);
    return slots[i].block != nullptr ? i : kNone;
  }

  void Unlink(uint32_t e) {
    Slot& x = slots[e];
    (x.prev == kNone ? head : slots[x.prev].next) = x.next;
    (x.next == kNone ? tail : slots[x.next].prev) = x.prev;
  }
  void PushFront(uint32_t e) {
    Slot& x = slots[e];
    x.prev = kNone;
    x.next = head;
    (head == kNone ? tail : slots[head].prev) = e;
    head = e;
  }
  void Touch(uint32_t e) {
    if (e == head) return;
    Unlink(e);
    PushFront(e);
  }

  // REQUIRES: mu held; `key` absent. Adds it as the most recently used.
  void Add(const Key& key, uint32_t hash, CachedBlock block, uint32_t dropped) {
    if ((live + 1) * 2 > slots.size()) Grow();
    assert(slots.size() < kNone);
    const uint32_t e = Probe(key, hash);
    usage += block.size();
    Slot& x = slots[e];
    x.key = key;
    x.block = std::move(block);
    x.hash = hash;
    x.dropped = dropped;
    PushFront(e);
    ++live;
  }

  // REQUIRES: mu held; slot e live. Empties it, handing its block to
  // `released` so that it is freed after the lock.
  void Remove(uint32_t e, std::vector<CachedBlock>* released) {
    Unlink(e);
    usage -= slots[e].block.size();
    released->push_back(std::move(slots[e].block));
    slots[e].block = nullptr;
    --live;
    CloseGap(e);
  }

  // REQUIRES: mu held. Evicts from the least recently used end until the
  // shard holds at most `bytes`.
  void EvictTo(size_t bytes, std::vector<CachedBlock>* released) {
    while (usage > bytes) {
      Remove(tail, released);
      ++evictions;
    }
  }

  // Slot i was just emptied: shifts later members of its probe run back, so
  // that every key stays reachable from its home without tombstones, and
  // relinks each moved slot's LRU neighbours to its new place.
  void CloseGap(uint32_t i) {
    uint32_t j = i;
    for (;;) {
      j = static_cast<uint32_t>((j + 1) & Mask());
      if (slots[j].block == nullptr) break;
      const size_t home = slots[j].hash & Mask();
      // slots[j] may move to i iff its home is not cyclically in (i, j].
      const bool home_in = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (!home_in) {
        Slot& to = slots[i];
        to = std::move(slots[j]);
        slots[j].block = nullptr;
        (to.prev == kNone ? head : slots[to.prev].next) = i;
        (to.next == kNone ? tail : slots[to.next].prev) = i;
        i = j;
      }
    }
  }

  // Doubles the table, keeping the LRU order: the old slots go in from the
  // least recently used, each to the front.
  void Grow() {
    std::vector<Slot> old(slots.size() * 2);
    old.swap(slots);
    Publish();
    const uint32_t lru = tail;
    head = tail = kNone;
    for (uint32_t e = lru; e != kNone; e = old[e].prev) {
      const uint32_t n = Probe(old[e].key, old[e].hash);
      slots[n].key = old[e].key;
      slots[n].block = std::move(old[e].block);
      slots[n].hash = old[e].hash;
      slots[n].dropped = old[e].dropped;
      PushFront(n);
    }
  }

  static constexpr size_t kInitialSlots = 64;

  std::mutex mu;
  const size_t capacity;
  size_t usage = 0;
  size_t live = 0;
  std::vector<Slot> slots;  // size a power of two
  // Where slots are, for Prefetch: a pair read without the lock may be
  // torn or stale, which at worst prefetches a useless line; kept as
  // integers because the address may outlive the array.
  std::atomic<uintptr_t> slots_addr{0};
  std::atomic<size_t> slots_mask{0};
  uint32_t head = kNone;  // most recently used
  uint32_t tail = kNone;  // least recently used
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

bool BlockCache::Insert(uint64_t file_id, uint64_t offset, CachedBlock block, uint32_t dropped) {
  return Add(file_id, offset, std::move(block), dropped, /*evict=*/true);
}

bool BlockCache::InsertDeferred(uint64_t file_id, uint64_t offset, CachedBlock block,
                                uint32_t dropped) {
  return Add(file_id, offset, std::move(block), dropped, /*evict=*/false);
}

bool BlockCache::Add(uint64_t file_id, uint64_t offset, CachedBlock block, uint32_t dropped,
                     bool evict) {
  assert(block != nullptr);
  if (!enabled()) return false;
  Shard& s = ShardFor(file_id, offset);
  const size_t charge = block.size();
  if (charge > s.capacity) return false;
  const Key key{file_id, offset};
  const uint32_t hash = static_cast<uint32_t>(Mix(file_id, offset));
  // Evicted blocks are released after the lock is dropped.
  std::vector<CachedBlock> released;
  std::lock_guard<std::mutex> l(s.mu);
  if (uint32_t e = s.Find(key, hash); e != Shard::kNone) s.Remove(e, &released);
  if (evict) s.EvictTo(s.capacity - charge, &released);
  s.Add(key, hash, std::move(block), dropped);
  ++s.inserts;
  return true;
}

size_t BlockCache::EvictOverBudget() {
  size_t evicted = 0;
  for (auto& sp : shards_) {
    Shard& s = *sp;
    std::vector<CachedBlock> released;
    std::lock_guard<std::mutex> l(s.mu);
    const uint64_t before = s.evictions;
    s.EvictTo(s.capacity, &released);
    evicted += s.evictions - before;
  }
  return evicted;
}

CachedBlock BlockCache::Lookup(uint64_t file_id, uint64_t offset, uint32_t max_dropped,
                               uint32_t* dropped) {
  Shard& s = ShardFor(file_id, offset);
  const uint32_t hash = static_cast<uint32_t>(Mix(file_id, offset));
  std::lock_guard<std::mutex> l(s.mu);
  const uint32_t e = s.Find(Key{file_id, offset}, hash);
  if (e == Shard::kNone || s.slots[e].dropped > max_dropped) {
    ++s.misses;
    return nullptr;
  }
  ++s.hits;
  s.Touch(e);
  if (dropped != nullptr) *dropped = s.slots[e].dropped;
  return s.slots[e].block;
}

CachedBlock BlockCache::Peek(uint64_t file_id, uint64_t offset, uint32_t max_dropped,
                             uint32_t* dropped) const {
  if (!enabled()) return nullptr;
  Shard& s = ShardFor(file_id, offset);
  const uint32_t hash = static_cast<uint32_t>(Mix(file_id, offset));
  std::lock_guard<std::mutex> l(s.mu);
  const uint32_t e = s.Find(Key{file_id, offset}, hash);
  if (e == Shard::kNone || s.slots[e].dropped > max_dropped) return nullptr;
  if (dropped != nullptr) *dropped = s.slots[e].dropped;
  return s.slots[e].block;
}

bool BlockCache::Contains(uint64_t file_id, uint64_t offset, uint32_t* dropped) const {
  if (!enabled()) return false;
  Shard& s = ShardFor(file_id, offset);
  const uint32_t hash = static_cast<uint32_t>(Mix(file_id, offset));
  std::lock_guard<std::mutex> l(s.mu);
  const uint32_t e = s.Find(Key{file_id, offset}, hash);
  if (e == Shard::kNone) return false;
  if (dropped != nullptr) *dropped = s.slots[e].dropped;
  return true;
}

void BlockCache::Prefetch(uint64_t file_id, uint64_t offset) const {
  if (!enabled()) return;
  const Shard& s = ShardFor(file_id, offset);
  const uint32_t hash = static_cast<uint32_t>(Mix(file_id, offset));
  const uintptr_t base = s.slots_addr.load(std::memory_order_relaxed);
  const size_t mask = s.slots_mask.load(std::memory_order_relaxed);
  // A prefetch of any address is harmless: it never faults.
  __builtin_prefetch(reinterpret_cast<const void*>(base + (hash & mask) * sizeof(Shard::Slot)));
}

bool BlockCache::Erase(uint64_t file_id, uint64_t offset) {
  Shard& s = ShardFor(file_id, offset);
  const uint32_t hash = static_cast<uint32_t>(Mix(file_id, offset));
  std::vector<CachedBlock> dropped;
  std::lock_guard<std::mutex> l(s.mu);
  const uint32_t e = s.Find(Key{file_id, offset}, hash);
  if (e == Shard::kNone) return false;
  s.Remove(e, &dropped);
  return true;
}

size_t BlockCache::EraseFile(uint64_t file_id) {
  size_t erased = 0;
  for (auto& sp : shards_) {
    Shard& s = *sp;
    std::vector<CachedBlock> dropped;
    std::lock_guard<std::mutex> l(s.mu);
    // Removing shifts later slots back, so the keys are gathered first.
    std::vector<std::pair<Key, uint32_t>> doomed;
    for (const Shard::Slot& x : s.slots) {
      if (x.block != nullptr && x.key.file_id == file_id) doomed.emplace_back(x.key, x.hash);
    }
    for (const auto& [key, hash] : doomed) s.Remove(s.Find(key, hash), &dropped);
    erased += doomed.size();
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
    st.entries += sp->live;
  }
  return st;
}

}  // namespace laser
