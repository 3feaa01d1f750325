// Aligned heap buffers and the direct-I/O alignment of a file. Internal to
// the I/O layer and its users in engine/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

namespace laser {

// Memory alignment of every buffer handed to O_DIRECT (a page: satisfies any
// stx_dio_mem_align a block device reports).
inline constexpr size_t kDirectMemAlign = 4096;
// Offset/length alignment used where statx does not report one.
inline constexpr size_t kDefaultDirectAlign = 4096;

struct FreeDeleter {
  void operator()(uint8_t* p) const { std::free(p); }
};
using AlignedPtr = std::unique_ptr<uint8_t, FreeDeleter>;

// Returns an uninitialised buffer of `bytes` (rounded up to `align`) aligned to
// `align`, or null iff the allocation fails. REQUIRES: align is a power of two
// and a multiple of sizeof(void*).
AlignedPtr AllocateAligned(size_t bytes, size_t align);

// The offset/length alignment O_DIRECT needs on the file behind `fd`: statx
// STATX_DIOALIGN's stx_dio_offset_align where the kernel reports it, else
// kDefaultDirectAlign. Always a power of two.
size_t DirectIoAlignment(int fd);

inline uint64_t AlignDown(uint64_t v, uint64_t align) { return v & ~(align - 1); }
inline uint64_t AlignUp(uint64_t v, uint64_t align) { return (v + align - 1) & ~(align - 1); }

}  // namespace laser
