#include "engine/io/aligned.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>

namespace laser {

AlignedPtr AllocateAligned(size_t bytes, size_t align) {
  size_t n = static_cast<size_t>(AlignUp(std::max<size_t>(bytes, 1), align));
  void* p = nullptr;
  if (posix_memalign(&p, align, n) != 0) return AlignedPtr();
  return AlignedPtr(static_cast<uint8_t*>(p));
}

size_t DirectIoAlignment(int fd) {
  struct statx sx;
  std::memset(&sx, 0, sizeof(sx));
  if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 && (sx.stx_mask & STATX_DIOALIGN) &&
      sx.stx_dio_offset_align != 0 &&
      (sx.stx_dio_offset_align & (sx.stx_dio_offset_align - 1)) == 0) {
    return sx.stx_dio_offset_align;
  }
  return kDefaultDirectAlign;
}

}  // namespace laser
