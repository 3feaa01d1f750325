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
#include <vector>

namespace laser {

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Returns `bytes` bytes aligned to `align` (a power of two, at most
  // alignof(std::max_align_t)). REQUIRES bytes > 0; a single writer (not
  // thread-safe with itself).
  char* Allocate(size_t bytes, size_t align = alignof(std::max_align_t));

  // Bytes reserved from the system so far. Safe to call from any thread.
  size_t MemoryUsage() const { return usage_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kBlockSize = 64 * 1024;
  char* NewBlock(size_t bytes);

  char* ptr_ = nullptr;
  size_t remaining_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::atomic<size_t> usage_{0};
};

inline char* Arena::Allocate(size_t bytes, size_t align) {
  assert(bytes > 0 && (align & (align - 1)) == 0 && align <= alignof(std::max_align_t));
  const size_t pad = (0 - reinterpret_cast<uintptr_t>(ptr_)) & (align - 1);
  if (bytes + pad <= remaining_) {
    char* p = ptr_ + pad;
    ptr_ = p + bytes;
    remaining_ -= bytes + pad;
    return p;
  }
  // Large requests get their own block so the current one is not wasted.
  if (bytes > kBlockSize / 4) return NewBlock(bytes);
  // A new block is aligned for any fundamental type, so needs no padding.
  ptr_ = NewBlock(kBlockSize);
  remaining_ = kBlockSize - bytes;
  char* p = ptr_;
  ptr_ += bytes;
  return p;
}

inline char* Arena::NewBlock(size_t bytes) {
  // operator new[] for char returns memory aligned for any fundamental type.
  blocks_.push_back(std::make_unique_for_overwrite<char[]>(bytes));
  usage_.fetch_add(bytes + sizeof(void*), std::memory_order_relaxed);
  return blocks_.back().get();
}

}  // namespace laser
