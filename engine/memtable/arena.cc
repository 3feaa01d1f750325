#include "engine/memtable/arena.hpp"

#include <sys/mman.h>

#include <new>

namespace laser {

Arena::~Arena() {
  for (const Block& b : blocks_) {
    if (b.mapped) {
      munmap(b.data, b.size);
    } else {
      ::operator delete[](b.data, std::align_val_t{kMaxAlign});
    }
  }
}

char* Arena::NewBlock(size_t bytes, size_t* size) {
  blocks_.reserve(blocks_.size() + 1);  // so that the push below cannot throw
  if (bytes == kHugeBlockSize) {
    // Mapped with a huge page's worth of slack, then trimmed to one aligned
    // huge page: the kernel backs a range with a huge page only if it covers
    // an aligned one. Huge pages are a hint (MADV_HUGEPAGE); where the
    // kernel has none the block is ordinary pages, and works the same.
    const size_t span = 2 * kHugeBlockSize;
    void* m = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m != MAP_FAILED) {
      const auto at = reinterpret_cast<uintptr_t>(m);
      const uintptr_t start = (at + kHugeBlockSize - 1) & ~(uintptr_t{kHugeBlockSize} - 1);
      if (start > at) munmap(m, start - at);
      if (at + span > start + kHugeBlockSize) {
        munmap(reinterpret_cast<void*>(start + kHugeBlockSize), at + span - start - kHugeBlockSize);
      }
      char* data = reinterpret_cast<char*>(start);
      madvise(data, kHugeBlockSize, MADV_HUGEPAGE);
      blocks_.push_back(Block{data, kHugeBlockSize, true});
      usage_.fetch_add(kHugeBlockSize, std::memory_order_relaxed);
      *size = kHugeBlockSize;
      return data;
    }
    // No address space for a mapping: fall through to the allocator, which
    // reports exhaustion the usual way.
  }
  auto* data = static_cast<char*>(::operator new[](bytes, std::align_val_t{kMaxAlign}));
  blocks_.push_back(Block{data, bytes, false});
  usage_.fetch_add(bytes + sizeof(Block), std::memory_order_relaxed);
  *size = bytes;
  return data;
}

}  // namespace laser
