// The io_uring backend: a small pool of rings, each used by one ReadBatch at
// a time. A batch queues one read per request, submits them together and
// resubmits the remainder of short reads and the reads that completed with
// -EINTR/-EAGAIN until every request is complete or one failed. Each ring
// may own registered buffers: a request that fits a free one is read with
// IORING_OP_READ_FIXED straight into it and its ReadBuffer lends it out.

#include <liburing.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <atomic>
#include <cassert>
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

// Explains a failed io_uring_register_buffers (err = -return value).
std::string RegisterFailure(int err, unsigned slots, size_t slot_bytes) {
  std::string base = "io_uring_register_buffers(" + std::to_string(slots) + " x " +
                     std::to_string(slot_bytes) + " bytes) failed with ";
  switch (err) {
    case ENOMEM:
      return base + "ENOMEM: RLIMIT_MEMLOCK (" + MemlockText() +
             ") is too small for the buffers, or memory is short";
    case EPERM:
      return base + "EPERM: blocked by a seccomp filter or a security module";
    case ENOSYS:
      return base + "ENOSYS: blocked by a seccomp filter";
    case EINVAL:
    case EOPNOTSUPP:
      return base + std::strerror(err) + ": the kernel refuses buffers of this size";
    default:
      return base + std::strerror(err);
  }
}

// The buffers registered with one ring: `slots` slots of `slot_bytes` in one
// mapping, slot k being the ring's buffer index k. A slot is free, or lent
// to one ReadBuffer (or a ring's graveyard) until given back.
class FixedSlots final : public ReadBufferPool {
 public:
  // Maps and registers the slots; on failure returns null and sets *why_not.
  // REQUIRES: slots > 0, slot_bytes a multiple of 4096.
  static std::unique_ptr<FixedSlots> Create(io_uring* ring, unsigned slots, size_t slot_bytes,
                                            std::string* why_not) {
    const size_t total = slots * slot_bytes;
    void* m = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
      *why_not = "mmap of " + std::to_string(total) +
                 " bytes for registered buffers failed: " + std::strerror(errno);
      return nullptr;
    }
    std::unique_ptr<FixedSlots> f(new FixedSlots(static_cast<uint8_t*>(m), slots, slot_bytes));
    std::vector<iovec> iov(slots);
    for (unsigned k = 0; k < slots; ++k) iov[k] = {f->base_ + k * slot_bytes, slot_bytes};
    int r = io_uring_register_buffers(ring, iov.data(), slots);
    if (r < 0) {
      *why_not = RegisterFailure(-r, slots, slot_bytes);
      return nullptr;
    }
    return f;
  }

  ~FixedSlots() { munmap(base_, slots_ * slot_bytes_); }

  uint8_t* Take(size_t bytes, size_t align) override {
    if (bytes > slot_bytes_ || align > slot_align_) return nullptr;
    std::lock_guard<std::mutex> l(mu_);
    if (free_.empty()) return nullptr;
    unsigned k = free_.back();
    free_.pop_back();
    return base_ + k * slot_bytes_;
  }

  void Give(uint8_t* p) override {
    int k = Index(p);
    assert(k >= 0);
    std::lock_guard<std::mutex> l(mu_);
    free_.push_back(static_cast<unsigned>(k));
  }

  // The buffer index of the slot starting at p, or -1 iff p is not a slot.
  int Index(const uint8_t* p) const {
    if (p < base_ || p >= base_ + slots_ * slot_bytes_) return -1;
    return static_cast<int>(static_cast<size_t>(p - base_) / slot_bytes_);
  }

  bool AllFree() {
    std::lock_guard<std::mutex> l(mu_);
    return free_.size() == slots_;
  }

 private:
  FixedSlots(uint8_t* base, unsigned slots, size_t slot_bytes)
      : base_(base), slots_(slots), slot_bytes_(slot_bytes) {
    // The largest power of two dividing every slot's address.
    size_t bits = reinterpret_cast<uintptr_t>(base) | slot_bytes;
    slot_align_ = bits & (~bits + 1);
    for (unsigned k = slots; k-- > 0;) free_.push_back(k);
  }

  uint8_t* const base_;
  const size_t slots_;
  const size_t slot_bytes_;
  size_t slot_align_;
  std::mutex mu_;
  std::vector<unsigned> free_;  // guarded by mu_
};

struct Ring {
  std::mutex mu;
  io_uring ring;
  // Set (under mu) when io_uring_enter itself failed mid-batch; the ring is
  // not used again and keeps the buffers the kernel might still write (its
  // own allocations and registered slots alike).
  bool broken = false;
  std::unique_ptr<FixedSlots> slots;  // null: no registered buffers
  // Declared after `slots`: destroyed first, giving its slots back.
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
    // The kernel holds its own pins on registered pages, so the slots are
    // unmapped only after the ring is gone.
    for (auto& r : rings_) {
      io_uring_queue_exit(&r->ring);
      r->graveyard.clear();
      assert((r->slots == nullptr || r->slots->AllFree()) &&
             "a ReadBuffer outlives the BlockReader that returned it");
    }
  }

  Status ReadBatch(std::span<const ReadRequest> reqs, std::vector<ReadBuffer>* out) override {
    Ring* ring = Acquire();
    if (ring == nullptr) {
      out->clear();
      return Status::IOError("every io_uring ring of the block reader has failed");
    }
    std::vector<ReadPlan> plans;
    Status s = ReadBufferAccess::Prepare(reqs, options_, out, &plans, ring->slots.get());
    if (!s.ok()) {
      ring->mu.unlock();
      return s;
    }
    // The registered buffer index of each request's buffer, -1 for its own.
    std::vector<int> fixed(reqs.size(), -1);
    if (ring->slots != nullptr) {
      uint64_t n_fixed = 0;
      for (size_t i = 0; i < reqs.size(); ++i) {
        fixed[i] = ring->slots->Index(plans[i].buf);
        if (fixed[i] >= 0) ++n_fixed;
      }
      fixed_reads_.fetch_add(n_fixed, std::memory_order_relaxed);
    }
    bool broken = false;
    s = Run(&ring->ring, reqs, plans.data(), fixed.data(), &broken);
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

  uint64_t fixed_reads() const override { return fixed_reads_.load(std::memory_order_relaxed); }

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

  // Reads request i into registered buffer fixed[i], or with a plain read
  // where that is -1. Sets *broken iff the ring itself failed (not a read),
  // leaving reads in flight or queued.
  Status Run(io_uring* ring, std::span<const ReadRequest> reqs, ReadPlan* plans, const int* fixed,
             bool* broken) {
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
        if (fixed[i] >= 0) {
          io_uring_prep_read_fixed(sqe, reqs[i].file->fd(), plans[i].buf + pos[i],
                                   static_cast<unsigned>(len), plans[i].start + pos[i], fixed[i]);
        } else {
          io_uring_prep_read(sqe, reqs[i].file->fd(), plans[i].buf + pos[i],
                             static_cast<unsigned>(len), plans[i].start + pos[i]);
        }
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
  std::atomic<uint64_t> fixed_reads_{0};
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
  if (options.uring_fixed_slots > 0) {
    const size_t slot_bytes =
        static_cast<size_t>(AlignUp(std::max<size_t>(options.uring_fixed_slot_bytes, 1), 4096));
    size_t without = 0;
    std::string why;
    for (auto& r : rings) {
      r->slots = FixedSlots::Create(&r->ring, options.uring_fixed_slots, slot_bytes, &why);
      if (r->slots == nullptr) ++without;
    }
    if (without > 0) {
      *why_not = "io_uring without registered buffers on " + std::to_string(without) + " of " +
                 std::to_string(rings.size()) + " rings: " + why;
    }
  }
  BlockReaderOptions o = options;
  o.uring_entries = entries;
  return std::unique_ptr<BlockReader>(new UringBlockReader(o, std::move(rings)));
}

}  // namespace laser
