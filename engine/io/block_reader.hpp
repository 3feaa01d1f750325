// BlockReader: the batched read layer of the read path. One ReadBatch call
// reads every block a query needs (across files and users) in one
// submission: an io_uring backend, or a pread thread pool where io_uring is
// unavailable, behind the same interface and with the same semantics.
// The contract is specified in docs/io.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/io/aligned.hpp"
#include "engine/io/env.hpp"
#include "laser/db.hpp"
#include "laser/status.hpp"

namespace laser {

// `length` bytes at `offset` of `file`. REQUIRES: file is non-null and stays
// open for the duration of the ReadBatch call.
struct ReadRequest {
  const RandomAccessFile* file = nullptr;
  uint64_t offset = 0;
  uint32_t length = 0;
};

class ReadBufferPool;  // engine/io/block_reader_internal.hpp

// The bytes of one ReadRequest. Owns an aligned buffer covering the request
// rounded out to the file's direct-I/O alignment: its own allocation, or a
// slot of the io_uring backend's registered buffers that goes back to its
// ring when the ReadBuffer is destroyed (on any thread). data() is exactly
// the requested range. Move-only; the bytes never move while it lives.
class ReadBuffer {
 public:
  ReadBuffer() = default;
  ReadBuffer(ReadBuffer&&) = default;
  ReadBuffer& operator=(ReadBuffer&&) = default;

  std::span<const uint8_t> data() const { return {storage_.get() + skip_, length_}; }
  size_t size() const { return length_; }

 private:
  friend struct ReadBufferAccess;
  // free() for an own allocation (pool null, as value-initialised), else
  // gives the slot back to `pool`. (No default member initialiser: it would
  // keep the type from being default-constructible inside ReadBuffer.)
  struct Release {
    ReadBufferPool* pool;
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, Release> storage_;
  size_t skip_ = 0;    // offset of the requested range within storage_
  size_t length_ = 0;  // requested length
};

class BlockReader {
 public:
  virtual ~BlockReader() = default;

  // Reads every request. Returns OK iff all were read in full; then
  // out->size() == reqs.size() and (*out)[i].data() holds the reqs[i].length
  // bytes at reqs[i].offset of reqs[i].file (requests may overlap and repeat).
  // A request that reaches past the end of its file is Corruption; an OS
  // error is IOError; both name the file and the request's offset. On error
  // *out is empty. Thread-safe: any number of threads may call concurrently.
  virtual Status ReadBatch(std::span<const ReadRequest> reqs, std::vector<ReadBuffer>* out) = 0;

  // "io_uring" or "pread".
  virtual const char* name() const = 0;

  // Requests read into registered buffers (IORING_OP_READ_FIXED) since the
  // reader was created; always 0 for pread and where registration failed.
  virtual uint64_t fixed_reads() const { return 0; }
};

struct BlockReaderOptions {
  // Caps the bytes one read syscall (pread) or one SQE (io_uring) asks for;
  // 0 = no cap. Rounded up to the file's alignment. A test hook: a small cap
  // makes every request take the short-read continuation path.
  size_t max_bytes_per_read = 0;
  // Test hook: if k >= 2, one in k read syscalls (pread) or completions
  // (io_uring) is replaced by a failure with EAGAIN or EINTR, alternately, so
  // the retry paths run; the data read is unaffected. 0 = off.
  unsigned inject_retryable_error_every = 0;
  // pread backend: worker threads beside the calling thread (0 = the caller
  // reads every request itself).
  unsigned pread_threads = 3;
  // io_uring backend: rings in the pool (0 = one per hardware thread, 2 to 8)
  // and submission-queue entries per ring (at most this many reads are in
  // flight per ring; a larger batch is submitted in waves).
  unsigned uring_rings = 0;
  unsigned uring_entries = 256;
  // io_uring backend: each ring registers uring_fixed_slots buffers of
  // uring_fixed_slot_bytes (rounded up to 4096) with the kernel once, so a
  // read into one (IORING_OP_READ_FIXED) skips pinning and unpinning the
  // destination pages. A request whose rounded-out range fits a free slot is
  // read into it and its ReadBuffer holds the slot until destroyed; larger
  // requests, and requests finding every slot taken, read into their own
  // allocation as without registration. 0 slots = no registration. The
  // defaults pin 4 MiB per ring: 64 slots cover a batch of 64 blocks and
  // 64 KiB a block (~12 KiB) or a few adjacent ones read as one request.
  // Where registration fails (RLIMIT_MEMLOCK, an old kernel, a filter) the
  // ring reads without it and NewBlockReader reports why.
  unsigned uring_fixed_slots = 64;
  size_t uring_fixed_slot_bytes = size_t{64} << 10;
};

// Returns "" iff io_uring can be used by this process (io_uring_setup works,
// IORING_OP_READ is supported and a NOP completes), else why not, naming the
// cause: kernel.io_uring_disabled, a seccomp filter (ENOSYS/EPERM),
// RLIMIT_MEMLOCK, or an old kernel.
std::string ProbeIoUring();

// Creates a reader for `want`:
// - kPread: the pread backend.
// - kUring: the io_uring backend; NotSupported naming the probe's reason iff
//   io_uring is unavailable.
// - kAuto: LASER_IO_BACKEND=pread|uring (environment) selects as above;
//   unset (or "auto"), io_uring if the probe passes, else pread. Any other
//   value is InvalidArgument.
// If fallback_reason is non-null it is set to "" unless kAuto ends up with
// pread, and then to why: the probe's reason or the LASER_IO_BACKEND setting
// (for the caller to log once); or unless the io_uring backend runs without
// registered buffers on some ring although options asked for them, and then
// to "io_uring without registered buffers on <k> of <n> rings: <why>".
// REQUIRES (of the returned reader): every ReadBuffer it returned is destroyed
// before the reader (a buffer may be a slot of the reader's memory).
Result<std::unique_ptr<BlockReader>> NewBlockReader(IoBackend want, std::string* fallback_reason);
Result<std::unique_ptr<BlockReader>> NewBlockReader(IoBackend want, std::string* fallback_reason,
                                                    const BlockReaderOptions& options);

}  // namespace laser
