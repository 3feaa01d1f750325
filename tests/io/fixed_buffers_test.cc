// The io_uring backend's registered (fixed) buffers: reads into them, slots
// running out and coming back, slots given back on other threads, the test
// hooks on fixed reads, and the fallbacks (no slots, registration refused,
// a broken ring).

#include <doctest/doctest.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

#include "engine/io/block_reader.hpp"
#include "tests/io/test_util.hpp"

namespace laser {
namespace {

using testing::PatternByte;
using testing::ScratchDir;

constexpr uint64_t kFileSize = 600001;

// One data file, opened with O_DIRECT (index 0) and buffered (index 1).
class DataFile {
 public:
  DataFile() {
    std::string path = dir_.File("data");
    testing::WritePlainFile(path, testing::Pattern(7, kFileSize));
    for (bool direct : {true, false}) {
      auto f = Env::Default()->NewRandomAccessFile(path, direct);
      REQUIRE(f.ok());
      files_.push_back(std::move(*f));
    }
  }
  const RandomAccessFile* direct() const { return files_[0].get(); }
  const RandomAccessFile* buffered() const { return files_[1].get(); }
  const std::string& dir() const { return dir_.path(); }

  // `n` requests of at most max_len bytes at unaligned offsets, alternating
  // between the direct and the buffered open.
  std::vector<ReadRequest> Requests(std::mt19937_64* rng, size_t n, uint32_t max_len) const {
    std::vector<ReadRequest> reqs;
    for (size_t k = 0; k < n; ++k) {
      uint32_t len = 1 + static_cast<uint32_t>((*rng)() % max_len);
      uint64_t off = (*rng)() % (kFileSize - len + 1);
      reqs.push_back({files_[k % 2].get(), off, len});
    }
    return reqs;
  }

 private:
  ScratchDir dir_;
  std::vector<std::unique_ptr<RandomAccessFile>> files_;
};

bool Matches(const ReadRequest& r, const ReadBuffer& b) {
  if (b.size() != r.length || b.data().size() != r.length) return false;
  for (uint32_t k = 0; k < r.length; ++k) {
    if (b.data()[k] != PatternByte(7, r.offset + k)) return false;
  }
  return true;
}

void CheckAll(const std::vector<ReadRequest>& reqs, const std::vector<ReadBuffer>& out) {
  REQUIRE(out.size() == reqs.size());
  for (size_t k = 0; k < reqs.size(); ++k) {
    CAPTURE(k);
    CHECK(Matches(reqs[k], out[k]));
  }
}

// An io_uring reader with registered buffers, or null (with a message) where
// io_uring or buffer registration is unavailable on this machine.
std::unique_ptr<BlockReader> FixedReader(BlockReaderOptions o) {
  std::string reason;
  auto r = NewBlockReader(IoBackend::kUring, &reason, o);
  if (!r.ok()) {
    MESSAGE("io_uring unavailable, skipped: ", r.status().ToString());
    return nullptr;
  }
  if (!reason.empty()) {
    MESSAGE("registered buffers unavailable, skipped: ", reason);
    return nullptr;
  }
  return std::move(*r);
}

BlockReaderOptions Slots(unsigned slots, size_t slot_bytes) {
  BlockReaderOptions o;
  o.uring_rings = 1;
  o.uring_fixed_slots = slots;
  o.uring_fixed_slot_bytes = slot_bytes;
  return o;
}

TEST_CASE("fixed reads return the requested bytes; what does not fit reads plainly") {
  DataFile file;
  auto reader = FixedReader(Slots(8, 16384));
  if (!reader) return;
  std::mt19937_64 rng(1);
  // 40 requests whose rounded-out range (<= 12 KiB) fits a slot: the first 8
  // take the slots, the rest read into their own allocations.
  std::vector<ReadRequest> reqs = file.Requests(&rng, 40, 4000);
  std::vector<ReadBuffer> out;
  REQUIRE(reader->ReadBatch(reqs, &out).ok());
  CheckAll(reqs, out);
  CHECK(reader->fixed_reads() == 8);
  out.clear();
  // Requests larger than a slot never take one; the small ones between them do.
  reqs = {{file.direct(), 1, 100000},         {file.direct(), 5, 3000},
          {file.buffered(), 3, 20000},        {file.buffered(), 9, 16384},
          {file.direct(), 4096, 16384},       {file.direct(), 4095, 16384},
          {file.direct(), kFileSize - 10, 10}};
  REQUIRE(reader->ReadBatch(reqs, &out).ok());
  CheckAll(reqs, out);
  // Fit: 5+3000, 9+16384 buffered (exact), 4096+16384 (aligned), the tail.
  CHECK(reader->fixed_reads() == 8 + 4);
}

TEST_CASE("slots held across batches run out, reads fall back, and slots come back") {
  DataFile file;
  auto reader = FixedReader(Slots(4, 8192));
  if (!reader) return;
  std::mt19937_64 rng(2);
  std::vector<ReadRequest> held_reqs = file.Requests(&rng, 4, 3000);
  std::vector<ReadBuffer> held;
  REQUIRE(reader->ReadBatch(held_reqs, &held).ok());
  CHECK(reader->fixed_reads() == 4);
  for (int round = 0; round < 20; ++round) {
    std::vector<ReadRequest> reqs = file.Requests(&rng, 6, 3000);
    std::vector<ReadBuffer> out;
    REQUIRE(reader->ReadBatch(reqs, &out).ok());
    CheckAll(reqs, out);
  }
  CHECK(reader->fixed_reads() == 4);
  // The held slots were not reused: their bytes are intact.
  CheckAll(held_reqs, held);
  // Moving a buffer keeps its slot; destroying it gives the slot back.
  ReadBuffer moved = std::move(held[0]);
  CHECK(Matches(held_reqs[0], moved));
  held.clear();
  std::vector<ReadRequest> reqs = file.Requests(&rng, 6, 3000);
  std::vector<ReadBuffer> out;
  REQUIRE(reader->ReadBatch(reqs, &out).ok());
  CheckAll(reqs, out);
  CHECK(reader->fixed_reads() == 4 + 3);
  out.clear();
  moved = ReadBuffer();
  REQUIRE(reader->ReadBatch(reqs, &out).ok());
  CheckAll(reqs, out);
  CHECK(reader->fixed_reads() == 4 + 3 + 4);
}

TEST_CASE("fixed buffers destroyed on other threads return their slots") {
  DataFile file;
  BlockReaderOptions o = Slots(8, 16384);
  o.uring_rings = 2;
  auto reader = FixedReader(o);
  if (!reader) return;
  // Reader threads hand every batch to one consumer thread, which checks the
  // bytes and destroys the buffers, while the readers go on reading.
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::pair<std::vector<ReadRequest>, std::vector<ReadBuffer>>> queue;
  int producers = 3;
  std::atomic<int> failures{0};
  std::thread consumer([&] {
    for (;;) {
      std::unique_lock<std::mutex> l(mu);
      cv.wait(l, [&] { return !queue.empty() || producers == 0; });
      if (queue.empty()) return;
      auto item = std::move(queue.front());
      queue.pop_front();
      l.unlock();
      for (size_t k = 0; k < item.first.size(); ++k) {
        if (!Matches(item.first[k], item.second[k])) ++failures;
      }
    }
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      std::mt19937_64 rng(100 + t);
      for (int round = 0; round < 40; ++round) {
        std::vector<ReadRequest> reqs = file.Requests(&rng, 1 + rng() % 10, 6000);
        std::vector<ReadBuffer> out;
        if (!reader->ReadBatch(reqs, &out).ok() || out.size() != reqs.size()) {
          ++failures;
          continue;
        }
        std::lock_guard<std::mutex> l(mu);
        queue.emplace_back(std::move(reqs), std::move(out));
        cv.notify_one();
      }
      std::lock_guard<std::mutex> l(mu);
      --producers;
      cv.notify_one();
    });
  }
  for (auto& t : readers) t.join();
  consumer.join();
  CHECK(failures.load() == 0);
  CHECK(reader->fixed_reads() > 0);
  // Every slot is back: a batch of 8 fitting requests takes 8 slots of
  // whichever ring serves it.
  uint64_t before = reader->fixed_reads();
  std::mt19937_64 rng(3);
  std::vector<ReadRequest> reqs = file.Requests(&rng, 8, 4000);
  std::vector<ReadBuffer> out;
  REQUIRE(reader->ReadBatch(reqs, &out).ok());
  CheckAll(reqs, out);
  CHECK(reader->fixed_reads() == before + 8);
}

TEST_CASE("fixed reads take the short-read continuation and the EINTR/EAGAIN retry") {
  DataFile file;
  struct Hook {
    const char* label;
    size_t max_bytes;
    unsigned every;
  };
  for (Hook h : {Hook{"short reads", 1000, 0}, Hook{"EINTR/EAGAIN", 0, 3}, Hook{"both", 1000, 2}}) {
    CAPTURE(h.label);
    BlockReaderOptions o = Slots(16, 65536);
    o.max_bytes_per_read = h.max_bytes;
    o.inject_retryable_error_every = h.every;
    o.uring_entries = 8;  // waves, so resubmissions interleave with new reads
    auto reader = FixedReader(o);
    if (!reader) return;
    std::mt19937_64 rng(4);
    for (int round = 0; round < 3; ++round) {
      std::vector<ReadRequest> reqs = file.Requests(&rng, 16, 50000);
      std::vector<ReadBuffer> out;
      Status s = reader->ReadBatch(reqs, &out);
      REQUIRE_MESSAGE(s.ok(), s.ToString());
      CheckAll(reqs, out);
    }
    CHECK(reader->fixed_reads() == 3 * 16);
    // The error paths on fixed reads: past the end of the file, and an OS error.
    std::vector<ReadRequest> reqs = {{file.direct(), 0, 100},
                                     {file.direct(), kFileSize - 5000, 5001},
                                     {file.buffered(), 10, 10}};
    std::vector<ReadBuffer> out;
    Status s = reader->ReadBatch(reqs, &out);
    CHECK(s.IsCorruption());
    CHECK(s.message().find(file.direct()->path()) != std::string::npos);
    CHECK(s.message().find("at offset " + std::to_string(kFileSize - 5000)) != std::string::npos);
    CHECK(out.empty());
    const int dir_fd = open(file.dir().c_str(), O_RDONLY | O_DIRECTORY);
    REQUIRE(dir_fd >= 0);
    struct DirFile final : RandomAccessFile {
      int fd_;
      std::string path_;
      Status ReadExact(uint64_t, size_t, uint8_t*) const override { return Status::OK(); }
      Result<uint64_t> Size() const override { return uint64_t{0}; }
      int fd() const override { return fd_; }
      const std::string& path() const override { return path_; }
    } dir_file;
    dir_file.fd_ = dir_fd;
    dir_file.path_ = file.dir();
    reqs = {{file.direct(), 0, 100}, {&dir_file, 777, 10}};
    s = reader->ReadBatch(reqs, &out);
    close(dir_fd);
    CHECK(s.IsIOError());
    CHECK(s.message().find("offset 777") != std::string::npos);
    CHECK(out.empty());
    // Failed batches gave their slots back.
    uint64_t before = reader->fixed_reads();
    reqs = file.Requests(&rng, 16, 50000);
    REQUIRE(reader->ReadBatch(reqs, &out).ok());
    CheckAll(reqs, out);
    CHECK(reader->fixed_reads() == before + 16);
  }
}

TEST_CASE("without slots the io_uring reader reads plainly with identical results") {
  DataFile file;
  std::string reason = "stale";
  auto plain = NewBlockReader(IoBackend::kUring, &reason, Slots(0, 65536));
  if (!plain.ok()) {
    MESSAGE("io_uring unavailable, skipped: ", plain.status().ToString());
    return;
  }
  CHECK(reason.empty());  // no registration asked for, none missing
  auto fixed = NewBlockReader(IoBackend::kUring, nullptr, Slots(32, 65536));
  REQUIRE(fixed.ok());
  std::mt19937_64 rng(5);
  for (int round = 0; round < 5; ++round) {
    std::vector<ReadRequest> reqs = file.Requests(&rng, 40, 70000);
    std::vector<ReadBuffer> a, b;
    REQUIRE((*plain)->ReadBatch(reqs, &a).ok());
    REQUIRE((*fixed)->ReadBatch(reqs, &b).ok());
    CheckAll(reqs, a);
    for (size_t k = 0; k < reqs.size(); ++k) {
      CAPTURE(k);
      CHECK(std::equal(a[k].data().begin(), a[k].data().end(), b[k].data().begin(),
                       b[k].data().end()));
    }
  }
  CHECK((*plain)->fixed_reads() == 0);
}

// Installs a seccomp filter: `nr` fails with `err` (only when its second
// argument is `arg1`, if arg1 >= 0). Returns false iff it cannot.
bool FailSyscall(long nr, long arg1, int err) {
  const unsigned ret_err = SECCOMP_RET_ERRNO | static_cast<unsigned>(err);
  std::vector<sock_filter> f = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(nr), 0,
               static_cast<__u8>(arg1 >= 0 ? 3 : 1))};
  if (arg1 >= 0) {
    f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])));
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(arg1), 0, 1));
  }
  f.push_back(BPF_STMT(BPF_RET | BPF_K, ret_err));
  f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  struct sock_fprog prog = {static_cast<unsigned short>(f.size()), f.data()};
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

// Runs fn in a child process; returns its exit status (0 = all held).
int InChild(const std::function<int()>& fn) {
  pid_t pid = fork();
  if (pid == 0) _exit(fn());
  REQUIRE(pid > 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

TEST_CASE("refused buffer registration keeps io_uring with plain reads and says why") {
  if (!ProbeIoUring().empty()) {
    MESSAGE("io_uring unavailable, skipped");
    return;
  }
  DataFile file;
  std::mt19937_64 rng(6);
  std::vector<ReadRequest> reqs = file.Requests(&rng, 30, 20000);
  int rc = InChild([&] {
    if (!FailSyscall(__NR_io_uring_register, IORING_REGISTER_BUFFERS, ENOMEM)) return 10;
    unsetenv("LASER_IO_BACKEND");
    for (IoBackend want : {IoBackend::kAuto, IoBackend::kUring}) {
      std::string reason;
      BlockReaderOptions o;
      o.uring_rings = 2;
      auto r = NewBlockReader(want, &reason, o);
      if (!r.ok()) return 11;
      if (std::string((*r)->name()) != "io_uring") return 12;
      if (reason.find("without registered buffers on 2 of 2 rings") == std::string::npos) return 13;
      if (reason.find("io_uring_register_buffers(64 x 65536 bytes) failed with ENOMEM") ==
          std::string::npos) {
        return 14;
      }
      std::vector<ReadBuffer> out;
      if (!(*r)->ReadBatch(reqs, &out).ok() || out.size() != reqs.size()) return 15;
      for (size_t k = 0; k < reqs.size(); ++k) {
        if (!Matches(reqs[k], out[k])) return 16;
      }
      if ((*r)->fixed_reads() != 0) return 17;
    }
    return 0;
  });
  CHECK(rc == 0);
}

TEST_CASE("a broken ring keeps its fixed buffers until the reader is destroyed") {
  if (!ProbeIoUring().empty()) {
    MESSAGE("io_uring unavailable, skipped");
    return;
  }
  DataFile file;
  std::mt19937_64 rng(7);
  std::vector<ReadRequest> reqs = file.Requests(&rng, 12, 4000);
  int rc = InChild([&] {
    std::string reason;
    auto r = NewBlockReader(IoBackend::kUring, &reason, Slots(8, 16384));
    if (!r.ok()) return 20;
    if (!reason.empty()) return 0;  // no registered buffers here: nothing to check
    // io_uring_enter now fails: the batch breaks the only ring, whose
    // graveyard keeps the 8 fixed and 4 plain buffers the kernel might write.
    if (!FailSyscall(__NR_io_uring_enter, -1, EFAULT)) return 21;
    std::vector<ReadBuffer> out;
    Status s = (*r)->ReadBatch(reqs, &out);
    if (!s.IsIOError() || s.message().find("io_uring_enter") == std::string::npos) return 22;
    if (!out.empty() || (*r)->fixed_reads() != 8) return 23;
    s = (*r)->ReadBatch(reqs, &out);
    if (!s.IsIOError() || s.message().find("every io_uring ring") == std::string::npos) return 24;
    // Destroying the reader releases the graveyard's slots (a debug build
    // asserts every slot is back).
    r->reset();
    return 0;
  });
  CHECK(rc == 0);
}

}  // namespace
}  // namespace laser
