#include <cerrno>
#include <limits>
#include <mutex>

#include "engine/io/env.hpp"
#include "engine/util/status_macros.hpp"

namespace laser {

namespace {

// The fault switches, shared by the env and every file it opened (a file may
// outlive the env).
struct FaultState {
  static constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

  mutable std::mutex mu;
  uint64_t budget = kUnlimited;
  bool io_error = false;
  bool sync_error = false;
  uint64_t bytes_written = 0;
};

Status Injected(const std::string& what, int err) {
  return Status::FromErrno(what + " (injected fault)", err);
}

// Counts appended bytes against the env's budget at Append time: the bytes of
// a straddling append up to the limit reach the file (and are flushed to it,
// as a partial write(2) would leave them), the rest is refused with ENOSPC.
class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(std::unique_ptr<WritableFile> base, std::shared_ptr<FaultState> state)
      : base_(std::move(base)), state_(std::move(state)) {}

  Status Append(std::span<const uint8_t> data) override {
    size_t allowed = data.size();
    {
      std::lock_guard<std::mutex> l(state_->mu);
      if (state_->io_error) return Injected(WriteWhere(), EIO);
      if (state_->budget != FaultState::kUnlimited) {
        allowed = static_cast<size_t>(std::min<uint64_t>(allowed, state_->budget));
        state_->budget -= allowed;
      }
      state_->bytes_written += allowed;
    }
    if (allowed == data.size()) return base_->Append(data);
    Status where = Injected(WriteWhere(allowed), ENOSPC);
    LASER_RETURN_IF_ERROR(base_->Append(data.first(allowed)));
    LASER_RETURN_IF_ERROR(base_->Flush());
    return where;
  }

  Status Flush() override {
    if (IoError()) return Injected(WriteWhere(), EIO);
    return base_->Flush();
  }

  Status Sync() override {
    {
      std::lock_guard<std::mutex> l(state_->mu);
      if (state_->io_error || state_->sync_error) {
        return Injected("fdatasync '" + base_->path() + "'", EIO);
      }
    }
    return base_->Sync();
  }

  Status Close() override {
    Status s = base_->Close();
    if (IoError()) return Injected("close '" + base_->path() + "'", EIO);
    return s;
  }

  uint64_t Size() const override { return base_->Size(); }
  const std::string& path() const override { return base_->path(); }

 private:
  bool IoError() const {
    std::lock_guard<std::mutex> l(state_->mu);
    return state_->io_error;
  }
  std::string WriteWhere(uint64_t extra = 0) const {
    return "write '" + base_->path() + "' at offset " + std::to_string(base_->Size() + extra);
  }

  std::unique_ptr<WritableFile> base_;
  std::shared_ptr<FaultState> state_;
};

}  // namespace

struct FaultInjectionEnv::State : FaultState {};

FaultInjectionEnv::FaultInjectionEnv(Env* base) : state_(std::make_shared<State>()), base_(base) {}
FaultInjectionEnv::~FaultInjectionEnv() = default;

void FaultInjectionEnv::SetWriteBudget(uint64_t bytes) {
  std::lock_guard<std::mutex> l(state_->mu);
  state_->budget = bytes;
}

void FaultInjectionEnv::SetIOError(bool on) {
  std::lock_guard<std::mutex> l(state_->mu);
  state_->io_error = on;
}

void FaultInjectionEnv::SetSyncError(bool on) {
  std::lock_guard<std::mutex> l(state_->mu);
  state_->sync_error = on;
}

void FaultInjectionEnv::Reset() {
  std::lock_guard<std::mutex> l(state_->mu);
  state_->budget = State::kUnlimited;
  state_->io_error = false;
  state_->sync_error = false;
}

uint64_t FaultInjectionEnv::bytes_written() const {
  std::lock_guard<std::mutex> l(state_->mu);
  return state_->bytes_written;
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(
    const std::string& path, const WritableFileOptions& options) {
  LASER_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, base_->NewWritableFile(path, options));
  return std::unique_ptr<WritableFile>(new FaultWritableFile(std::move(f), state_));
}

Result<std::unique_ptr<RandomAccessFile>> FaultInjectionEnv::NewRandomAccessFile(
    const std::string& path, bool direct) {
  return base_->NewRandomAccessFile(path, direct);
}

Result<std::vector<uint8_t>> FaultInjectionEnv::ReadFile(const std::string& path) {
  return base_->ReadFile(path);
}

bool FaultInjectionEnv::FileExists(const std::string& path) { return base_->FileExists(path); }

Result<uint64_t> FaultInjectionEnv::FileSize(const std::string& path) {
  return base_->FileSize(path);
}

Result<std::vector<std::string>> FaultInjectionEnv::ListDir(const std::string& dir) {
  return base_->ListDir(dir);
}

Status FaultInjectionEnv::CreateDirIfMissing(const std::string& dir) {
  return base_->CreateDirIfMissing(dir);
}

Status FaultInjectionEnv::RemoveFile(const std::string& path) { return base_->RemoveFile(path); }

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  return base_->RenameFile(from, to);
}

Status FaultInjectionEnv::TruncateFile(const std::string& path, uint64_t size) {
  return base_->TruncateFile(path, size);
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  {
    std::lock_guard<std::mutex> l(state_->mu);
    if (state_->io_error || state_->sync_error) {
      return Injected("fsync directory '" + dir + "'", EIO);
    }
  }
  return base_->SyncDir(dir);
}

Result<std::unique_ptr<FileLock>> FaultInjectionEnv::LockFile(const std::string& path,
                                                              bool shared) {
  return base_->LockFile(path, shared);
}

}  // namespace laser
