#include "engine/io/block_reader.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <optional>
#include <random>
#include <thread>

#include "tests/io/test_util.hpp"

namespace laser {
namespace {

using testing::PatternByte;
using testing::ScratchDir;

struct ReaderConfig {
  const char* label;
  IoBackend backend;
  BlockReaderOptions options;
};

// Every backend, plus settings that force the short-read continuation path
// (a per-syscall cap), the EINTR/EAGAIN retry path, the inline pread path
// and io_uring submission waves.
std::vector<ReaderConfig> Configs() {
  std::vector<ReaderConfig> c;
  c.push_back({"pread", IoBackend::kPread, {}});
  BlockReaderOptions o;
  o.pread_threads = 0;
  c.push_back({"pread inline", IoBackend::kPread, o});
  o = {};
  o.max_bytes_per_read = 1000;
  c.push_back({"pread short reads", IoBackend::kPread, o});
  c.push_back({"io_uring", IoBackend::kUring, {}});
  o = {};
  o.uring_fixed_slots = 0;
  c.push_back({"io_uring without registered buffers", IoBackend::kUring, o});
  o = {};
  o.max_bytes_per_read = 1000;
  o.uring_entries = 8;
  o.uring_rings = 1;
  c.push_back({"io_uring short reads, 8-entry waves", IoBackend::kUring, o});
  o = {};
  o.inject_retryable_error_every = 3;
  c.push_back({"pread EINTR/EAGAIN", IoBackend::kPread, o});
  c.push_back({"io_uring EINTR/EAGAIN", IoBackend::kUring, o});
  return c;
}

// Runs fn once per backend configuration; io_uring configurations are
// skipped (with a message) where the probe fails.
void ForEachReader(const std::function<void(BlockReader*)>& fn) {
  for (const ReaderConfig& c : Configs()) {
    std::string config = c.label;
    CAPTURE(config);
    auto r = NewBlockReader(c.backend, nullptr, c.options);
    if (!r.ok() && c.backend == IoBackend::kUring) {
      MESSAGE("io_uring unavailable, skipped: ", r.status().ToString());
      continue;
    }
    REQUIRE(r.ok());
    CHECK(std::string((*r)->name()) == (c.backend == IoBackend::kUring ? "io_uring" : "pread"));
    fn(r->get());
  }
}

// Data files of awkward sizes, each opened twice: with O_DIRECT and buffered.
class Files {
 public:
  Files() {
    for (size_t i = 0; i < std::size(kSizes); ++i) {
      std::string path = dir_.File("seg" + std::to_string(i));
      testing::WritePlainFile(path, testing::Pattern(i, kSizes[i]));
      for (bool direct : {true, false}) {
        auto f = Env::Default()->NewRandomAccessFile(path, direct);
        REQUIRE(f.ok());
        files_.push_back(std::move(*f));
        seeds_.push_back(i);
      }
    }
  }

  size_t count() const { return files_.size(); }
  const RandomAccessFile* file(size_t i) const { return files_[i].get(); }
  uint64_t size(size_t i) const { return kSizes[seeds_[i]]; }

  // True iff buf holds request r's bytes.
  bool Matches(const ReadRequest& r, const ReadBuffer& buf) const {
    size_t i = Index(r.file);
    if (buf.size() != r.length || buf.data().size() != r.length) return false;
    for (uint32_t k = 0; k < r.length; ++k) {
      if (buf.data()[k] != PatternByte(seeds_[i], r.offset + k)) return false;
    }
    return true;
  }

  // Random in-bounds requests, unaligned offsets and lengths, some empty.
  std::vector<ReadRequest> RandomRequests(std::mt19937_64* rng, size_t n) const {
    std::vector<ReadRequest> reqs;
    for (size_t k = 0; k < n; ++k) {
      size_t i = (*rng)() % count();
      uint64_t size = this->size(i);
      uint64_t off = (*rng)() % size;
      uint64_t max_len = std::min<uint64_t>(size - off, 16000);
      uint32_t len = static_cast<uint32_t>((*rng)() % (max_len + 1));
      reqs.push_back({file(i), off, len});
    }
    return reqs;
  }

 private:
  static constexpr uint64_t kSizes[] = {10000, 65536, 123457, 300001};

  size_t Index(const RandomAccessFile* f) const {
    for (size_t i = 0; i < files_.size(); ++i) {
      if (files_[i].get() == f) return i;
    }
    FAIL("unknown file");
    return 0;
  }

  ScratchDir dir_;
  std::vector<std::unique_ptr<RandomAccessFile>> files_;
  std::vector<uint64_t> seeds_;
};

void CheckBatch(BlockReader* reader, const Files& files, const std::vector<ReadRequest>& reqs) {
  std::vector<ReadBuffer> out;
  Status s = reader->ReadBatch(reqs, &out);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  REQUIRE(out.size() == reqs.size());
  for (size_t k = 0; k < reqs.size(); ++k) {
    CAPTURE(k);
    CHECK(files.Matches(reqs[k], out[k]));
  }
}

TEST_CASE("BlockReader reads many unaligned requests across files in request order") {
  Files files;
  ForEachReader([&](BlockReader* reader) {
    std::mt19937_64 rng(42);
    for (int round = 0; round < 3; ++round)
      CheckBatch(reader, files, files.RandomRequests(&rng, 300));
    // Overlapping and repeated requests.
    const RandomAccessFile* f = files.file(2);
    CheckBatch(reader, files, {{f, 100, 5000}, {f, 100, 5000}, {f, 4000, 200}, {f, 0, 1}});
  });
}

TEST_CASE("BlockReader reads up to the end of the file exactly") {
  Files files;
  ForEachReader([&](BlockReader* reader) {
    std::vector<ReadRequest> reqs;
    for (size_t i = 0; i < files.count(); ++i) {
      uint64_t size = files.size(i);
      reqs.push_back({files.file(i), size - 1, 1});
      reqs.push_back({files.file(i), size - 4097, 4097});
      reqs.push_back({files.file(i), 0, static_cast<uint32_t>(size)});
      reqs.push_back({files.file(i), size, 0});
    }
    CheckBatch(reader, files, reqs);
  });
}

TEST_CASE("BlockReader: a request past the end of its file is Corruption naming file and offset") {
  Files files;
  ForEachReader([&](BlockReader* reader) {
    for (size_t i = 0; i < files.count(); ++i) {
      CAPTURE(i);
      const RandomAccessFile* f = files.file(i);
      uint64_t size = files.size(i);
      for (const auto& [o, l] :
           std::vector<std::pair<uint64_t, uint32_t>>{{size - 10, 11},
                                                      {size, 1},
                                                      {size + 5000, 100},
                                                      {0, static_cast<uint32_t>(size + 1)}}) {
        // Plain variables: CAPTURE's lambda may not name a structured binding.
        const uint64_t off = o;
        const uint32_t len = l;
        CAPTURE(off);
        std::vector<ReadRequest> reqs = {{files.file(0), 0, 100}, {f, off, len}, {f, 0, 10}};
        std::vector<ReadBuffer> out(1);
        Status s = reader->ReadBatch(reqs, &out);
        CHECK(s.IsCorruption());
        CHECK(s.message().find(f->path()) != std::string::npos);
        CHECK(s.message().find("at offset " + std::to_string(off)) != std::string::npos);
        CHECK(out.empty());
      }
    }
  });
}

// A file whose descriptor is a directory: every read fails with EISDIR.
class DirectoryAsFile final : public RandomAccessFile {
 public:
  explicit DirectoryAsFile(std::string path)
      : path_(std::move(path)), fd_(open(path_.c_str(), O_RDONLY | O_DIRECTORY)) {
    REQUIRE(fd_ >= 0);
  }
  ~DirectoryAsFile() override { close(fd_); }
  Status ReadExact(uint64_t, size_t, uint8_t*) const override { return Status::OK(); }
  Result<uint64_t> Size() const override { return uint64_t{0}; }
  int fd() const override { return fd_; }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
};

TEST_CASE("BlockReader: an OS read error is IOError naming file and offset") {
  Files files;
  ScratchDir dir;
  DirectoryAsFile bad(dir.path());
  ForEachReader([&](BlockReader* reader) {
    std::vector<ReadRequest> reqs = {{files.file(1), 0, 10}, {&bad, 777, 10}};
    std::vector<ReadBuffer> out;
    Status s = reader->ReadBatch(reqs, &out);
    CHECK(s.IsIOError());
    CHECK(s.message().find(dir.path()) != std::string::npos);
    CHECK(s.message().find("offset 777") != std::string::npos);
    CHECK(s.message().find("Is a directory") != std::string::npos);
  });
}

TEST_CASE("BlockReader: an empty batch succeeds and empties the output") {
  Files files;
  ForEachReader([&](BlockReader* reader) {
    std::vector<ReadBuffer> out(3);
    REQUIRE(reader->ReadBatch({}, &out).ok());
    CHECK(out.empty());
  });
}

TEST_CASE("BlockReader serves concurrent threads") {
  Files files;
  ForEachReader([&](BlockReader* reader) {
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 6; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937_64 rng(1000 + t);
        for (int round = 0; round < 20; ++round) {
          std::vector<ReadRequest> reqs = files.RandomRequests(&rng, 1 + rng() % 40);
          std::vector<ReadBuffer> out;
          if (!reader->ReadBatch(reqs, &out).ok() || out.size() != reqs.size()) {
            ++failures;
            continue;
          }
          for (size_t k = 0; k < reqs.size(); ++k) {
            if (!files.Matches(reqs[k], out[k])) ++failures;
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    CHECK(failures.load() == 0);
  });
}

// Sets or unsets an environment variable for one scope.
class ScopedEnvVar {
 public:
  ScopedEnvVar(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnvVar() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST_CASE("NewBlockReader: backend choice, LASER_IO_BACKEND and the fallback reason") {
  std::string reason = "stale";
  {
    ScopedEnvVar v("LASER_IO_BACKEND", nullptr);
    auto r = NewBlockReader(IoBackend::kPread, &reason);
    REQUIRE(r.ok());
    CHECK(std::string((*r)->name()) == "pread");
    CHECK(reason.empty());
    std::string probe = ProbeIoUring();
    r = NewBlockReader(IoBackend::kAuto, &reason);
    REQUIRE(r.ok());
    if (probe.empty()) {
      CHECK(std::string((*r)->name()) == "io_uring");
      // Empty, or (RLIMIT_MEMLOCK) why some ring has no registered buffers.
      CHECK((reason.empty() || reason.rfind("io_uring without registered buffers", 0) == 0));
    } else {
      CHECK(std::string((*r)->name()) == "pread");
      CHECK(reason == probe);
      CHECK(NewBlockReader(IoBackend::kUring, &reason).status().code() ==
            Status::Code::kNotSupported);
    }
  }
  {
    ScopedEnvVar v("LASER_IO_BACKEND", "pread");
    auto r = NewBlockReader(IoBackend::kAuto, &reason);
    REQUIRE(r.ok());
    CHECK(std::string((*r)->name()) == "pread");
    CHECK(reason.find("LASER_IO_BACKEND=pread") != std::string::npos);
    // An explicit choice is not overridden.
    if (ProbeIoUring().empty()) {
      r = NewBlockReader(IoBackend::kUring, &reason);
      REQUIRE(r.ok());
      CHECK(std::string((*r)->name()) == "io_uring");
    }
  }
  {
    ScopedEnvVar v("LASER_IO_BACKEND", "fast");
    Status s = NewBlockReader(IoBackend::kAuto, &reason).status();
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find("fast") != std::string::npos);
  }
}

// In a child process, installs a seccomp filter failing io_uring_setup with
// `err` and checks that kAuto falls back to pread naming `cause`, and that
// kUring is refused. Returns the child's exit status (0 = all held).
int ChildWithSeccompedUring(int err, const char* cause) {
  pid_t pid = fork();
  if (pid == 0) {
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | static_cast<unsigned>(err)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {static_cast<unsigned short>(std::size(filter)), filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(10);
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) _exit(11);
    unsetenv("LASER_IO_BACKEND");
    std::string reason;
    auto r = NewBlockReader(IoBackend::kAuto, &reason);
    if (!r.ok()) _exit(12);
    if (std::string((*r)->name()) != "pread") _exit(13);
    if (reason.find(cause) == std::string::npos) _exit(14);
    Status s = NewBlockReader(IoBackend::kUring, &reason).status();
    if (s.code() != Status::Code::kNotSupported) _exit(15);
    if (s.message().find(cause) == std::string::npos) _exit(16);
    _exit(0);
  }
  REQUIRE(pid > 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

TEST_CASE("NewBlockReader falls back to pread when seccomp blocks io_uring, saying why") {
  CHECK(ChildWithSeccompedUring(ENOSYS, "ENOSYS") == 0);
  CHECK(ChildWithSeccompedUring(EPERM, "EPERM") == 0);
}

}  // namespace
}  // namespace laser
