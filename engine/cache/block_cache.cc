#include "engine/cache/block_cache.hpp"

#include <cassert>
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
// backward-shift deletion) from key to a slot of `entries`, which are linked
// in LRU order by index. A hit is then one probe of a flat array and a relink
// of three entries, with no node allocation per block and no bucket chain to
// chase: the std::unordered_map plus std::list this replaces cost a warm read
// about a tenth of its CPU.
struct BlockCache::Shard {
  static constexpr uint32_t kNone = UINT32_MAX;

  struct Entry {
    Key key;
    CachedBlock block;  // null iff the entry is free
    uint32_t dropped;   // rows the block lacks at its front (Insert)
    uint32_t prev;      // towards the most recently used; kNone at the head
    uint32_t next;      // towards the least recently used; the free list's link
  };
  struct Slot {
    Key key;
    uint32_t hash;   // low bits of Mix(key): the slot's home without rehashing
    uint32_t entry;  // kNone iff the slot is empty
  };

  explicit Shard(size_t cap) : capacity(cap), slots(kInitialSlots, EmptySlot()) {}

  static Slot EmptySlot() { return Slot{Key{0, 0}, 0, kNone}; }
  size_t Mask() const { return slots.size() - 1; }

  // REQUIRES: mu held. Returns the slot holding `key`, or the empty slot
  // where it would go.
  size_t Probe(const Key& key, uint32_t hash) const {
    size_t i = hash & Mask();
    while (slots[i].entry != kNone && !(slots[i].hash == hash && slots[i].key == key)) {
      i = (i + 1) & Mask();
    }
    return i;
  }

  // REQUIRES: mu held. Returns the entry of `key`, or kNone.
  uint32_t Find(const Key& key, uint32_t hash) const { return slots[Probe(key, hash)].entry; }

  void Unlink(uint32_t e) {
    Entry& x = entries[e];
    (x.prev == kNone ? head : entries[x.prev].next) = x.next;
    (x.next == kNone ? tail : entries[x.next].prev) = x.prev;
  }
  void PushFront(uint32_t e) {
    Entry& x = entries[e];
    x.prev = kNone;
    x.next = head;
    (head == kNone ? tail : entries[head].prev) = e;
    head = e;
  }
  void Touch(uint32_t e) {
    if (e == head) return;
    Unlink(e);
    PushFront(e);
  }

  // REQUIRES: mu held; `key` absent. Returns the new entry, linked as the
  // most recently used.
  uint32_t Add(const Key& key, uint32_t hash, CachedBlock block, uint32_t dropped) {
    if ((live + 1) * 2 > slots.size()) Grow();
    uint32_t e;
    if (free_head != kNone) {
      e = free_head;
      free_head = entries[e].next;
    } else {
      assert(entries.size() < kNone);
      e = static_cast<uint32_t>(entries.size());
      entries.emplace_back();
    }
    usage += block->size();
    entries[e].key = key;
    entries[e].block = std::move(block);
    entries[e].dropped = dropped;
    PushFront(e);
    slots[Probe(key, hash)] = Slot{key, hash, e};
    ++live;
    return e;
  }

  // REQUIRES: mu held; e live. Unlinks and frees e, handing its block to
  // `dropped` so that it is released after the lock.
  void Remove(uint32_t e, std::vector<CachedBlock>* dropped) {
    Entry& x = entries[e];
    const uint32_t hash = static_cast<uint32_t>(Mix(x.key.file_id, x.key.offset));
    EraseSlot(Probe(x.key, hash));
    Unlink(e);
    usage -= x.block->size();
    dropped->push_back(std::move(x.block));
    x.block = nullptr;
    x.next = free_head;
    free_head = e;
    --live;
  }

  // Empties slot i and shifts later members of its probe run back, so that
  // every key stays reachable from its home without tombstones.
  void EraseSlot(size_t i) {
    size_t j = i;
    for (;;) {
      j = (j + 1) & Mask();
      if (slots[j].entry == kNone) break;
      const size_t home = slots[j].hash & Mask();
      // slots[j] may move to i iff its home is not cyclically in (i, j].
      const bool home_in = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (!home_in) {
        slots[i] = slots[j];
        i = j;
      }
    }
    slots[i] = EmptySlot();
  }

  void Grow() {
    std::vector<Slot> old(slots.size() * 2, EmptySlot());
    old.swap(slots);
    for (const Slot& s : old) {
      if (s.entry != kNone) slots[Probe(s.key, s.hash)] = s;
    }
  }

  static constexpr size_t kInitialSlots = 64;

  std::mutex mu;
  const size_t capacity;
  size_t usage = 0;
  size_t live = 0;
  std::vector<Entry> entries;
  std::vector<Slot> slots;  // size a power of two
  uint32_t head = kNone;    // most recently used
  uint32_t tail = kNone;    // least recently used
  uint32_t free_head = kNone;
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
  assert(block != nullptr);
  if (!enabled()) return false;
  Shard& s = ShardFor(file_id, offset);
  const size_t charge = block->size();
  if (charge > s.capacity) return false;
  const Key key{file_id, offset};
  const uint32_t hash = static_cast<uint32_t>(Mix(file_id, offset));
  // Evicted blocks are released after the lock is dropped.
  std::vector<CachedBlock> released;
  std::lock_guard<std::mutex> l(s.mu);
  if (uint32_t e = s.Find(key, hash); e != Shard::kNone) s.Remove(e, &released);
  while (s.usage + charge > s.capacity) {
    s.Remove(s.tail, &released);
    ++s.evictions;
  }
  s.Add(key, hash, std::move(block), dropped);
  ++s.inserts;
  return true;
}

CachedBlock BlockCache::Lookup(uint64_t file_id, uint64_t offset, uint32_t max_dropped,
                               uint32_t* dropped) {
  Shard& s = ShardFor(file_id, offset);
  const uint32_t hash = static_cast<uint32_t>(Mix(file_id, offset));
  std::lock_guard<std::mutex> l(s.mu);
  const uint32_t e = s.Find(Key{file_id, offset}, hash);
  if (e == Shard::kNone || s.entries[e].dropped > max_dropped) {
    ++s.misses;
    return nullptr;
  }
  ++s.hits;
  s.Touch(e);
  if (dropped != nullptr) *dropped = s.entries[e].dropped;
  return s.entries[e].block;
}

CachedBlock BlockCache::Peek(uint64_t file_id, uint64_t offset, uint32_t max_dropped,
                             uint32_t* dropped) const {
  if (!enabled()) return nullptr;
  Shard& s = ShardFor(file_id, offset);
  const uint32_t hash = static_cast<uint32_t>(Mix(file_id, offset));
  std::lock_guard<std::mutex> l(s.mu);
  const uint32_t e = s.Find(Key{file_id, offset}, hash);
  if (e == Shard::kNone || s.entries[e].dropped > max_dropped) return nullptr;
  if (dropped != nullptr) *dropped = s.entries[e].dropped;
  return s.entries[e].block;
}

bool BlockCache::Contains(uint64_t file_id, uint64_t offset) const {
  return Peek(file_id, offset, UINT32_MAX) != nullptr;
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
    for (uint32_t e = 0; e < s.entries.size(); ++e) {
      if (s.entries[e].block != nullptr && s.entries[e].key.file_id == file_id) {
        s.Remove(e, &dropped);
        ++erased;
      }
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
    st.entries += sp->live;
  }
  return st;
}

}  // namespace laser
