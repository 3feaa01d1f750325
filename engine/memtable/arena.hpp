// Arena: bump allocation for memtable nodes and entries. Memory is freed only
// when the arena is destroyed, which is what lets skip-list readers follow
// pointers without locks: a node, once published, never moves or dies before
// the memtable does.
#pragma once

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace laser {

class Arena {
 public:
  // A cache line: the largest alignment Allocate gives.
  static constexpr size_t kMaxAlign = 64;

  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena();

  // Returns `bytes` bytes aligned to `align` (a power of two, at most
  // kMaxAlign). REQUIRES bytes > 0; a single writer (not thread-safe with
  // itself).
  char* Allocate(size_t bytes, size_t align = alignof(std::max_align_t));

  // Bytes reserved from the system so far. Safe to call from any thread.
  size_t MemoryUsage() const { return usage_.load(std::memory_order_relaxed); }

 private:
  // The first blocks are small, so that a small memtable stays small. Once
  // the arena holds kHugeAfter bytes it takes whole huge pages: readers of a
  // large memtable jump between users' chunks all over it, and with 4 KiB
  // pages nearly every such jump also misses the TLB.
  static constexpr size_t kBlockSize = 64 * 1024;
  static constexpr size_t kHugeBlockSize = 2 * 1024 * 1024;
  static constexpr size_t kHugeAfter = 4 * 1024 * 1024;

  struct Block {
    char* data;
    size_t size;
    bool mapped;  // from mmap, else from aligned operator new[]
  };

  // Returns a new block of at least `bytes` bytes (exactly `bytes` unless it
  // is a huge block) starting on a cache line; *size gets its size.
  char* NewBlock(size_t bytes, size_t* size);

  char* ptr_ = nullptr;
  size_t remaining_ = 0;
  std::vector<Block> blocks_;
  std::atomic<size_t> usage_{0};
};

inline char* Arena::Allocate(size_t bytes, size_t align) {
  assert(bytes > 0 && (align & (align - 1)) == 0 && align <= kMaxAlign);
  size_t pad = (0 - reinterpret_cast<uintptr_t>(ptr_)) & (align - 1);
  if (bytes + pad > remaining_) {
    // Large requests get their own block so the current one is not wasted.
    size_t size = 0;
    if (bytes > kBlockSize / 4) return NewBlock(bytes, &size);
    const size_t want = MemoryUsage() >= kHugeAfter ? kHugeBlockSize : kBlockSize;
    ptr_ = NewBlock(want, &size);
    remaining_ = size;
    pad = 0;  // a block starts on a cache line
  }
  char* p = ptr_ + pad;
  ptr_ = p + bytes;
  remaining_ -= bytes + pad;
  return p;
}

}  // namespace laser
