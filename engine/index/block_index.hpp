// The DRAM block index of one sequence table: user -> that user's block
// handles in write order (the order the blocks were flushed or merged, which
// is also arrival order: a later block holds later-arriving events).
//
// Layout, chosen for density (the index must hold ~100 M users per server):
// a B+-tree-like two-level sorted array. The leaf level is a list of leaves of
// up to kLeafCapacity (user, pointer) pairs sorted by user; a top array holds
// each leaf's smallest user for the binary search. A user's handles live in
// one exactly-sized heap array (a 4-byte count and 36-byte packed handles).
// That is ~16 B per user in the leaves plus 8 + 36 B per block, against ~60 B
// per user for a pointer-based skip list or tree with the same payload.
//
// Thread safety: none inside. The owner (engine/db) guards every TableIndex
// with a reader/writer lock: lookups and scans shared, updates exclusive.
// Updates are batched per flush or merge, so writers hold it briefly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace laser {

// Where one block frame lives, and what it covers. 36 bytes, packed.
struct BlockHandle {
  int64_t first_key;
  int64_t last_key;
  uint64_t offset;   // of the frame header in the segment file
  uint32_t segment;  // segment file id
  uint32_t length;   // frame header + payload
  // Events in the block; 0 only for a retiring frame (length 72, keys
  // INT64_MAX), which is kept so its bytes count as live: see
  // docs/format/segment.md.
  uint32_t count;

  bool operator==(const BlockHandle& o) const = default;
} __attribute__((packed, aligned(4)));
static_assert(sizeof(BlockHandle) == 36);

class TableIndex {
 public:
  TableIndex();
  ~TableIndex();
  TableIndex(const TableIndex&) = delete;
  TableIndex& operator=(const TableIndex&) = delete;

  // The handles of `user` in write order (empty iff unknown).
  std::vector<BlockHandle> Get(uint64_t user) const;
  // Get into *out, reusing its capacity.
  void Get(uint64_t user, std::vector<BlockHandle>* out) const;
  bool Contains(uint64_t user) const;
  // The user's last handle in write order; nullopt iff the user is unknown.
  std::optional<BlockHandle> Last(uint64_t user) const;
  // Appends `handles` after the user's existing ones (creating the user).
  void Append(uint64_t user, std::span<const BlockHandle> handles);
  // Replaces the user's handles; an empty span removes the user.
  void Set(uint64_t user, std::span<const BlockHandle> handles);

  // Up to `limit` users > *after (when given), ascending.
  std::vector<uint64_t> Users(std::optional<uint64_t> after, size_t limit) const;
  // Calls fn(user, handles) for every user in ascending order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const auto& leaf : leaves_) {
      for (uint32_t i = 0; i < leaf->n; ++i) {
        const Blocks* b = leaf->vals[i];
        fn(leaf->keys[i], std::span<const BlockHandle>(b->h, b->n));
      }
    }
  }

  uint64_t users() const { return users_; }
  uint64_t entries() const { return entries_; }  // block handles held
  uint64_t events() const { return events_; }    // sum of handle counts
  // Heap bytes held, measured with malloc_usable_size.
  uint64_t bytes() const;

  static constexpr uint32_t kLeafCapacity = 128;

 private:
  struct Blocks {
    uint32_t n;
    BlockHandle h[];
  };
  struct Leaf {
    uint32_t n = 0;
    uint64_t keys[kLeafCapacity];
    Blocks* vals[kLeafCapacity];
  };
  // Index of the leaf that holds (or would hold) user; leaves_ non-empty.
  size_t LeafFor(uint64_t user) const;
  // Returns the slot of user in its leaf, or nullptr.
  Blocks* const* Find(uint64_t user) const;
  Blocks* NewBlocks(std::span<const BlockHandle> a, std::span<const BlockHandle> b);
  void FreeBlocks(Blocks* b);
  void InsertNew(uint64_t user, Blocks* b);
  void Erase(uint64_t user);
  void Account(const Blocks* b, int sign);

  std::vector<std::unique_ptr<Leaf>> leaves_;
  std::vector<uint64_t> mins_;  // mins_[i] = leaves_[i]->keys[0]
  uint64_t users_ = 0;
  uint64_t entries_ = 0;
  uint64_t events_ = 0;
  uint64_t block_bytes_ = 0;  // malloc_usable_size of every Blocks array
};

}  // namespace laser
