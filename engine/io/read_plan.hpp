// The short-read loop shared by RandomAccessFile::ReadExact and both block
// reader backends, so every path applies the same rules: a short read is
// continued, EINTR/EAGAIN are retried by the caller, and a read that makes no
// progress before the expected length is the end of the file (Corruption).
// Internal to engine/io.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/io/aligned.hpp"
#include "laser/status.hpp"

namespace laser {

// One range to read: the buffer maps file offset `start`; the read is done
// once `need` bytes are present; at most `cap` bytes are requested.
// With O_DIRECT (align > 0) start, cap and buf are aligned and a resumed read
// restarts at the aligned position below the bytes already present.
struct ReadPlan {
  uint64_t start = 0;
  uint8_t* buf = nullptr;
  size_t cap = 0;
  size_t need = 0;
  size_t align = 0;         // 0: buffered fd, any offset works
  size_t max_per_call = 0;  // 0: unlimited; else caps one syscall (test hook)
  // Test hook: if k >= 2, the preads PreadPlan makes with `calls` (counting
  // from its initial value) a multiple of k fail instead, with EAGAIN and
  // EINTR alternately.
  unsigned fake_retry_every = 0;
  unsigned calls = 0;
  size_t got = 0;  // bytes present from start

  bool done() const { return got >= need; }

  // The next syscall: reads `len` bytes into buf + pos at file offset start + pos.
  // REQUIRES: !done().
  void Next(size_t* pos, size_t* len) const {
    size_t p = align != 0 ? static_cast<size_t>(AlignDown(got, align)) : got;
    size_t l = cap - p;
    if (max_per_call != 0) {
      size_t m = align != 0 ? static_cast<size_t>(AlignUp(max_per_call, align)) : max_per_call;
      l = std::min(l, m);
    }
    *pos = p;
    *len = l;
  }

  // Records that the syscall issued at `pos` returned `n` >= 0 bytes.
  // Returns false iff it made no progress, i.e. the file ends before `need`.
  bool Advance(size_t pos, size_t n) {
    size_t end = pos + n;
    if (end <= got) return false;
    got = end;
    return true;
  }
};

// "'<path>': file ends at offset <eof> before the <len> bytes requested at offset <off>".
Status ShortFileError(const std::string& path, uint64_t req_offset, uint64_t req_len, uint64_t eof);
// "read '<path>' at offset <off> (<len> bytes): <strerror>".
Status ReadErrnoError(const std::string& path, uint64_t req_offset, uint64_t req_len, int err);

// Runs `plan` to completion with pread(2) on `fd`, retrying EINTR/EAGAIN.
// req_offset/req_len name the caller's range in error messages.
Status PreadPlan(int fd, const std::string& path, ReadPlan* plan, uint64_t req_offset,
                 uint64_t req_len);

}  // namespace laser
