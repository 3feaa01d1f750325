#include "engine/memtable/arena.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <new>

namespace laser {
namespace {

// Maps `bytes` (a multiple of kHugeBlockSize) aligned to kHugeBlockSize and
// asks for huge pages; returns null iff the mapping fails.
char* MapHuge(size_t bytes) {
  const size_t align = Arena::kHugeBlockSize;
  // Twice the alignment, then the unaligned head and tail go back.
  void* raw =
      mmap(nullptr, bytes + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + align - 1) & ~(align - 1);
  if (aligned > start) munmap(raw, aligned - start);
  const size_t tail = start + align - aligned;
  if (tail > 0) munmap(reinterpret_cast<void*>(aligned + bytes), tail);
  char* p = reinterpret_cast<char*>(aligned);
  // Advice only: without huge pages the block works the same, just slower.
  madvise(p, bytes, MADV_HUGEPAGE);
  return p;
}

}  // namespace

Arena::~Arena() {
  for (const Block& b : blocks_) {
    if (b.mapped) {
      munmap(b.data, b.size);
    } else {
      ::operator delete[](b.data, std::align_val_t{kMaxAlign});
    }
  }
}

char* Arena::NewBlock(size_t bytes) {
  blocks_.reserve(blocks_.size() + 1);  // so that push_back cannot throw after the allocation
  char* p = nullptr;
  bool mapped = false;
  if (bytes == kHugeBlockSize) {
    p = MapHuge(bytes);
    mapped = p != nullptr;
  }
  if (p == nullptr) p = static_cast<char*>(::operator new[](bytes, std::align_val_t{kMaxAlign}));
  blocks_.push_back(Block{p, bytes, mapped});
  usage_.fetch_add(bytes + sizeof(Block), std::memory_order_relaxed);
  return p;
}

}  // namespace laser
