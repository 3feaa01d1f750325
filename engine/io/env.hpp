// Env: every file-system call the engine makes goes through this interface,
// so tests can inject faults (disk full, EIO, short writes, crashes between
// steps) without touching the engine. Env::Default() is the POSIX one.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "laser/status.hpp"

namespace laser {

// An append-only file. Not thread-safe; one owner appends.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends data (buffered). An error names the file.
  virtual Status Append(std::span<const uint8_t> data) = 0;
  // Hands buffered bytes to the OS (write(2)).
  virtual Status Flush() = 0;
  // Flush + fdatasync: returns OK iff every appended byte is durable.
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
  // Logical size: bytes appended so far (including buffered ones).
  virtual uint64_t Size() const = 0;
  virtual const std::string& path() const = 0;
};

// A file read at offsets. Thread-safe.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads exactly `n` bytes at `offset` into dst (retrying short reads and
  // EINTR). Returns Corruption naming the file and offset iff the file ends
  // before offset + n.
  virtual Status ReadExact(uint64_t offset, size_t n, uint8_t* dst) const = 0;
  virtual Result<uint64_t> Size() const = 0;
  virtual int fd() const = 0;  // for the batched block readers
  virtual const std::string& path() const = 0;
  // 0 iff fd() is not opened with O_DIRECT; else the offset and length
  // alignment (a power of two) every read on fd() must have, with buffers
  // aligned to 4096.
  virtual size_t direct_alignment() const { return 0; }
};

// An exclusive (or shared) advisory lock on a file, released on destruction.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

struct WritableFileOptions {
  // O_DIRECT writes: the file buffers appends and writes whole aligned blocks;
  // Flush/Sync pad the final partial block, which the next write rewrites, so
  // the file's real length stays Size() (it is ftruncate'd on Sync). Falls back
  // to buffered I/O where the file system refuses O_DIRECT.
  bool direct = false;
  // Truncate an existing file (otherwise append to it).
  bool truncate = true;
  size_t buffer_bytes = 1 << 20;
};

class Env {
 public:
  virtual ~Env() = default;
  static Env* Default();

  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path, const WritableFileOptions& options) = 0;
  // direct: open with O_DIRECT where supported (the block readers need it).
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path,
                                                                        bool direct) = 0;
  // Reads a whole (small) file.
  virtual Result<std::vector<uint8_t>> ReadFile(const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  virtual Result<uint64_t> FileSize(const std::string& path) = 0;
  // Names (not paths) of the entries of a directory.
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  virtual Status CreateDirIfMissing(const std::string& dir) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  // fsync on a directory, making renames and creations in it durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // flock(LOCK_EX|LOCK_NB) (or LOCK_SH); Busy iff another process holds it.
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::string& path, bool shared) = 0;
};

// Writes `data` to `path` atomically: temp file -> fsync -> rename -> fsync dir.
Status WriteFileAtomic(Env* env, const std::string& path, std::span<const uint8_t> data);

// An Env that forwards to another and fails on command: after `budget` more
// bytes written (ENOSPC), or every write/sync (EIO) once armed. Thread-safe.
class FaultInjectionEnv : public Env {
 public:
  explicit FaultInjectionEnv(Env* base);
  ~FaultInjectionEnv() override;

  // Writes succeed for `bytes` more bytes, then fail with ENOSPC ("No space
  // left on device"); a write straddling the limit is partially applied,
  // as a real full disk does.
  void SetWriteBudget(uint64_t bytes);
  // Every write and sync fails with EIO while set.
  void SetIOError(bool on);
  // Every fsync/fdatasync fails with EIO while set.
  void SetSyncError(bool on);
  // Back to pass-through.
  void Reset();
  uint64_t bytes_written() const;

  Result<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path, const WritableFileOptions& options) override;
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path,
                                                                bool direct) override;
  Result<std::vector<uint8_t>> ReadFile(const std::string& path) override;
  bool FileExists(const std::string& path) override;
  Result<uint64_t> FileSize(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& dir) override;
  Status CreateDirIfMissing(const std::string& dir) override;
  Status RemoveFile(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;
  Status SyncDir(const std::string& dir) override;
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path, bool shared) override;

 private:
  struct State;
  std::shared_ptr<State> state_;
  Env* base_;
};

}  // namespace laser
