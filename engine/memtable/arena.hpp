// Arena: bump allocation for memtable nodes and entries. Memory is freed only
// when the arena is destroyed, which is what lets skip-list readers follow
// pointers without locks: a node, once published, never moves or dies before
// the memtable does.
//
// A memtable is read at random (a user's hash slot, entry and chunks), so a
// large one misses the TLB on almost every step a read takes. Once an arena
// holds kHugeFrom bytes it takes its memory in 2 MiB blocks aligned to 2 MiB
// and asks the kernel to back them with huge pages (madvise; where the
// kernel declines they are ordinary pages): one TLB entry then covers what
// took 512.
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
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Returns `bytes` bytes aligned to `align` (a power of two, at most
  // kMaxAlign). REQUIRES bytes > 0; a single writer (not thread-safe with
  // itself).
  char* Allocate(size_t bytes, size_t align = alignof(std::max_align_t));

  // Bytes reserved from the system so far. Safe to call from any thread.
  size_t MemoryUsage() const { return usage_.load(std::memory_order_relaxed); }

  // Block sizes: small ones first, so that a small memtable stays small.
  static constexpr size_t kBlockSize = 64 * 1024;
  static constexpr size_t kHugeBlockSize = 2 * 1024 * 1024;
  static constexpr size_t kHugeFrom = 4 * 1024 * 1024;

 private:
  struct Block {
    char* data;
    size_t size;
    bool mapped;  // from MapHuge, else operator new
  };
  char* NewBlock(size_t bytes);

  char* ptr_ = nullptr;
  size_t remaining_ = 0;
  std::vector<Block> blocks_;
  std::atomic<size_t> usage_{0};
};

inline char* Arena::Allocate(size_t bytes, size_t align) {
  assert(bytes > 0 && (align & (align - 1)) == 0 && align <= kMaxAlign);
  size_t pad = (0 - reinterpret_cast<uintptr_t>(ptr_)) & (align - 1);
  if (bytes + pad > remaining_) {
    const size_t block = MemoryUsage() >= kHugeFrom ? kHugeBlockSize : kBlockSize;
    // Large requests get their own block so the current one is not wasted.
    if (bytes > block / 4) return NewBlock(bytes);
    ptr_ = NewBlock(block);
    remaining_ = block;
    pad = 0;  // a block starts on a cache line
  }
  char* p = ptr_ + pad;
  ptr_ = p + bytes;
  remaining_ -= bytes + pad;
  return p;
}

}  // namespace laser
