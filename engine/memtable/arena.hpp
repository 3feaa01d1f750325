// Arena: bump allocation for memtable nodes and entries. Memory is freed only
// when the arena is destroyed, which is what lets skip-list readers follow
// pointers without locks: a node, once published, never moves or dies before
// the memtable does.
#pragma once

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <vector>

namespace laser {

class Arena {
 public:
  // A cache line: the largest alignment Allocate gives.
  static constexpr size_t kMaxAlign = 64;

  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Returns `bytes` bytes aligned to `align` (a power of two, at most
  // kMaxAlign). REQUIRES bytes > 0; a single writer (not thread-safe with
  // itself).
  char* Allocate(size_t bytes, size_t align = alignof(std::max_align_t));

  // Bytes reserved from the system so far. Safe to call from any thread.
  size_t MemoryUsage() const { return usage_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kBlockSize = 64 * 1024;
  char* NewBlock(size_t bytes);

  struct Free {
    void operator()(char* p) const { ::operator delete[](p, std::align_val_t{kMaxAlign}); }
  };

  char* ptr_ = nullptr;
  size_t remaining_ = 0;
  std::vector<std::unique_ptr<char[], Free>> blocks_;
  std::atomic<size_t> usage_{0};
};

inline char* Arena::Allocate(size_t bytes, size_t align) {
  assert(bytes > 0 && (align & (align - 1)) == 0 && align <= kMaxAlign);
  size_t pad = (0 - reinterpret_cast<uintptr_t>(ptr_)) & (align - 1);
  if (bytes + pad > remaining_) {
    // Large requests get their own block so the current one is not wasted.
    if (bytes > kBlockSize / 4) return NewBlock(bytes);
    ptr_ = NewBlock(kBlockSize);
    remaining_ = kBlockSize;
    pad = 0;  // a block starts on a cache line
  }
  char* p = ptr_ + pad;
  ptr_ = p + bytes;
  remaining_ -= bytes + pad;
  return p;
}

inline char* Arena::NewBlock(size_t bytes) {
  std::unique_ptr<char[], Free> block(
      static_cast<char*>(::operator new[](bytes, std::align_val_t{kMaxAlign})));
  char* p = block.get();
  blocks_.push_back(std::move(block));
  usage_.fetch_add(bytes + sizeof(void*), std::memory_order_relaxed);
  return p;
}

}  // namespace laser
