// The io_uring backend: a small pool of rings, each used by one ReadBatch at
// a time. A batch queues one read per request, submits them together and
// resubmits the remainder of short reads and the reads that completed with
// -EINTR/-EAGAIN until every request is complete or one failed.

#include <liburing.h>
#include <sys/resource.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>

#include "engine/io/block_reader_internal.hpp"

namespace laser {
namespace {

constexpr size_t kMaxSqeBytes = size_t{1} << 30;

// -1 if the sysctl does not exist (kernels before 6.6).
int IoUringDisabledSysctl() {
  std::ifstream f("/proc/sys/kernel/io_uring_disabled");
  int v = -1;
  if (!(f >> v)) return -1;
  return v;
}

std::string MemlockText() {
  struct rlimit rl;
  if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0) return "unknown";
  if (rl.rlim_cur == RLIM_INFINITY) return "unlimited";
  return std::to_string(rl.rlim_cur) + " bytes";
}

// Explains a failed io_uring_queue_init (err = -return value).
std::string SetupFailure(int err, unsigned entries) {
  std::string base = "io_uring_setup(" + std::to_string(entries) + " entries) failed with ";
  int sysctl = IoUringDisabledSysctl();
  switch (err) {
    case ENOSYS:
      return base + "ENOSYS: the kernel has no io_uring or a seccomp filter blocks it";
    case EPERM:
      if (sysctl == 1) {
        return base +
               "EPERM: kernel.io_uring_disabled=1 and the process is not in "
               "kernel.io_uring_group";
      }
      return base + "EPERM: blocked by a seccomp filter or a security module";
    case ENOMEM:
      return base + "ENOMEM: RLIMIT_MEMLOCK (" + MemlockText() + ") is too small for the ring";
    default:
      return base + std::strerror(err);
  }
}

// Checks that a live ring supports IORING_OP_READ and completes a NOP (a
// filter may allow io_uring_setup but not io_uring_enter). Returns "" iff so.
std::string CheckRing(io_uring* ring) {
  io_uring_probe* probe = io_uring_get_probe_ring(ring);
  bool has_read = probe != nullptr && io_uring_opcode_supported(probe, IORING_OP_READ);
  if (probe != nullptr) io_uring_free_probe(probe);
  if (!has_read) return "the kernel's io_uring lacks IORING_OP_READ (Linux 5.6 or newer needed)";
  io_uring_sqe* sqe = io_uring_get_sqe(ring);
  io_uring_prep_nop(sqe);
  int r;
  do {
    r = io_uring_submit_and_wait(ring, 1);
  } while (r == -EINTR);
  if (r < 0) return std::string("io_uring_enter failed: ") + std::strerror(-r);
  io_uring_cqe* cqe = nullptr;
  do {
    r = io_uring_wait_cqe(ring, &cqe);
  } while (r == -EINTR);
  if (r < 0) return std::string("io_uring_wait_cqe failed: ") + std::strerror(-r);
  io_uring_cqe_seen(ring, cqe);
  return "";
}

struct Ring {
  std::mutex mu;
  io_uring ring;
  // Set (under mu) when io_uring_enter itself failed mid-batch; the ring is
  // not used again and keeps the buffers the kernel might still write.
  bool broken = false;
  std::vector<ReadBuffer> graveyard;
};

// Creates a ring; on failure returns null and sets *why_not.
std::unique_ptr<Ring> CreateRing(unsigned entries, bool check, std::string* why_not) {
  if (IoUringDisabledSysctl() == 2) {
    *why_not = "io_uring is disabled by sysctl kernel.io_uring_disabled=2";
    return nullptr;
  }
  auto r = std::make_unique<Ring>();
  int ret = io_uring_queue_init(entries, &r->ring, 0);
  if (ret < 0) {
    *why_not = SetupFailure(-ret, entries);
    return nullptr;
  }
  if (check) {
    std::string bad = CheckRing(&r->ring);
    if (!bad.empty()) {
      io_uring_queue_exit(&r->ring);
      *why_not = bad;
      return nullptr;
    }
  }
  return r;
}

class UringBlockReader final : public BlockReader {
 public:
  UringBlockReader(const BlockReaderOptions& options, std::vector<std::unique_ptr<Ring>> rings)
      : options_(options), rings_(std::move(rings)) {}

  ~UringBlockReader() override {
    for (auto& r : rings_) io_uring_queue_exit(&r->ring);
  }

  Status ReadBatch(std::span<const ReadRequest> reqs, std::vector<ReadBuffer>* out) override {
    std::vector<ReadPlan> plans;
    Status s = ReadBufferAccess::Prepare(reqs, options_, out, &plans);
    if (!s.ok()) return s;
    Ring* ring = Acquire();
    if (ring == nullptr) {
      out->clear();
      return Status::IOError("every io_uring ring of the block reader has failed");
    }
    bool broken = false;
    s = Run(&ring->ring, reqs, plans.data(), &broken);
    if (broken) {
      // The kernel may still own reads into these buffers, or hold
      // unsubmitted SQEs pointing at them: keep them alive and retire the ring.
      ring->broken = true;
      for (ReadBuffer& b : *out) ring->graveyard.push_back(std::move(b));
    }
    ring->mu.unlock();
    if (!s.ok()) out->clear();
    return s;
  }

  const char* name() const override { return "io_uring"; }

 private:
  // Returns a working ring locked by the caller: a free one if any, else
  // this thread's home ring once it frees up; null iff every ring is broken.
  Ring* Acquire() {
    thread_local size_t home = next_home_.fetch_add(1, std::memory_order_relaxed);
    size_t n = rings_.size();
    for (size_t k = 0; k < n; ++k) {
      Ring* r = rings_[(home + k) % n].get();
      if (!r->mu.try_lock()) continue;
      if (!r->broken) return r;
      r->mu.unlock();
    }
    for (size_t k = 0; k < n; ++k) {
      Ring* r = rings_[(home + k) % n].get();
      r->mu.lock();
      if (!r->broken) return r;
      r->mu.unlock();
    }
    return nullptr;
  }

  // Sets *broken iff the ring itself failed (not a read), leaving reads in
  // flight or queued.
  Status Run(io_uring* ring, std::span<const ReadRequest> reqs, ReadPlan* plans, bool* broken) {
    const size_t n = reqs.size();
    std::deque<size_t> pending;
    for (size_t i = 0; i < n; ++i) {
      if (!plans[i].done()) pending.push_back(i);
    }
    // The buffer position of each request's read in flight (one at a time).
    std::vector<size_t> pos(n, 0);
    size_t inflight = 0;
    size_t queued = 0;  // SQEs prepared but not yet submitted
    size_t first_bad = n;
    unsigned completions = 0;
    const unsigned fake_every = options_.inject_retryable_error_every;
    Status error;
    auto fail = [&](size_t i, Status st) {
      if (i < first_bad) {
        first_bad = i;
        error = std::move(st);
      }
    };
    while (inflight + queued > 0 || (!pending.empty() && first_bad == n)) {
      while (first_bad == n && !pending.empty() && inflight + queued < options_.uring_entries) {
        io_uring_sqe* sqe = io_uring_get_sqe(ring);
        if (sqe == nullptr) break;
        size_t i = pending.front();
        pending.pop_front();
        size_t len = 0;
        plans[i].Next(&pos[i], &len);
        // An SQE's length is 32-bit; a longer request continues like a short read.
        len = std::min(len, kMaxSqeBytes);
        io_uring_prep_read(sqe, reqs[i].file->fd(), plans[i].buf + pos[i],
                           static_cast<unsigned>(len), plans[i].start + pos[i]);
        io_uring_sqe_set_data64(sqe, i);
        ++queued;
      }
      int r = queued > 0 ? io_uring_submit_and_wait(ring, 1) : WaitOne(ring);
      if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) {
        *broken = true;
        return Status::FromErrno("io_uring_enter for a batch of " + std::to_string(n) + " reads",
                                 -r);
      }
      if (queued > 0 && r > 0) {
        inflight += static_cast<size_t>(r);
        queued -= static_cast<size_t>(r);
      }
      io_uring_cqe* cqe = nullptr;
      unsigned head;
      unsigned seen = 0;
      io_uring_for_each_cqe(ring, head, cqe) {
        ++seen;
        size_t i = static_cast<size_t>(io_uring_cqe_get_data64(cqe));
        int res = cqe->res;
        --inflight;
        if (fake_every != 0 && completions++ % fake_every == 0) {
          res = (completions / fake_every) % 2 == 0 ? -EAGAIN : -EINTR;
        }
        const ReadRequest& rq = reqs[i];
        if (res == -EINTR || res == -EAGAIN) {
          pending.push_back(i);
        } else if (res < 0) {
          fail(i, ReadErrnoError(rq.file->path(), rq.offset, rq.length, -res));
        } else if (!plans[i].Advance(pos[i], static_cast<size_t>(res))) {
          fail(i, ShortFileError(rq.file->path(), rq.offset, rq.length,
                                 plans[i].start + plans[i].got));
        } else if (!plans[i].done()) {
          pending.push_back(i);
        }
      }
      io_uring_cq_advance(ring, seen);
    }
    return error;
  }

  // Blocks until a completion is available (retrying EINTR); it stays queued.
  static int WaitOne(io_uring* ring) {
    io_uring_cqe* cqe = nullptr;
    int r;
    do {
      r = io_uring_wait_cqe(ring, &cqe);
    } while (r == -EINTR);
    return r;
  }

  const BlockReaderOptions options_;
  std::vector<std::unique_ptr<Ring>> rings_;
  std::atomic<size_t> next_home_{0};
};

}  // namespace

std::string ProbeIoUring() {
  std::string why_not;
  std::unique_ptr<Ring> r = CreateRing(8, true, &why_not);
  if (r) io_uring_queue_exit(&r->ring);
  return why_not;
}

Result<std::unique_ptr<BlockReader>> NewUringBlockReader(const BlockReaderOptions& options,
                                                         std::string* why_not) {
  unsigned entries = std::max(options.uring_entries, 1u);
  unsigned want = options.uring_rings;
  if (want == 0) want = std::clamp(std::thread::hardware_concurrency(), 2u, 8u);
  std::vector<std::unique_ptr<Ring>> rings;
  std::unique_ptr<Ring> first = CreateRing(entries, true, why_not);
  if (!first) return Status::NotSupported("io_uring backend unavailable: " + *why_not);
  rings.push_back(std::move(first));
  // More rings only add concurrency; if the kernel refuses one (memlock),
  // the pool stays smaller.
  std::string ignored;
  while (rings.size() < want) {
    std::unique_ptr<Ring> r = CreateRing(entries, false, &ignored);
    if (!r) break;
    rings.push_back(std::move(r));
  }
  BlockReaderOptions o = options;
  o.uring_entries = entries;
  return std::unique_ptr<BlockReader>(new UringBlockReader(o, std::move(rings)));
}

}  // namespace laser
