#include "engine/io/env.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "engine/io/aligned.hpp"
#include "engine/io/read_plan.hpp"
#include "engine/util/status_macros.hpp"

namespace laser {

Status ShortFileError(const std::string& path, uint64_t req_offset, uint64_t req_len,
                      uint64_t eof) {
  return Status::Corruption("'" + path + "': file ends at offset " + std::to_string(eof) +
                            " before the " + std::to_string(req_len) +
                            " bytes requested at offset " + std::to_string(req_offset));
}

Status ReadErrnoError(const std::string& path, uint64_t req_offset, uint64_t req_len, int err) {
  return Status::FromErrno("read '" + path + "' at offset " + std::to_string(req_offset) + " (" +
                               std::to_string(req_len) + " bytes)",
                           err);
}

Status PreadPlan(int fd, const std::string& path, ReadPlan* plan, uint64_t req_offset,
                 uint64_t req_len) {
  while (!plan->done()) {
    size_t pos = 0;
    size_t len = 0;
    plan->Next(&pos, &len);
    ssize_t r;
    const unsigned call = plan->calls++;
    if (plan->fake_retry_every != 0 && call % plan->fake_retry_every == 0) {
      r = -1;
      errno = (call / plan->fake_retry_every) % 2 == 0 ? EAGAIN : EINTR;
    } else {
      r = pread(fd, plan->buf + pos, len, static_cast<off_t>(plan->start + pos));
    }
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return ReadErrnoError(path, req_offset, req_len, errno);
    }
    if (!plan->Advance(pos, static_cast<size_t>(r))) {
      return ShortFileError(path, req_offset, req_len, plan->start + plan->got);
    }
  }
  return Status::OK();
}

namespace {

std::string OffsetText(uint64_t off) { return " at offset " + std::to_string(off); }

Status ErrnoStatus(const std::string& context, int err) {
  if (err == ENOENT) return Status::NotFound(context + ": " + std::strerror(err));
  return Status::FromErrno(context, err);
}

std::string DirName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Writes all of data at `off`, continuing partial writes and retrying EINTR.
Status PwriteAll(int fd, const std::string& path, const uint8_t* data, size_t n, uint64_t off) {
  while (n > 0) {
    ssize_t w = pwrite(fd, data, n, static_cast<off_t>(off));
    if (w < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Status::FromErrno("write '" + path + "'" + OffsetText(off), errno);
    }
    data += w;
    n -= static_cast<size_t>(w);
    off += static_cast<uint64_t>(w);
  }
  return Status::OK();
}

// Buffered mode: buf_ holds bytes [file_off_, file_off_ + buf_len_) not yet
// written. Direct mode (align_ > 0): the same, except file_off_ is aligned,
// whole aligned blocks are written, and Flush writes the final partial block
// padded with zeros while keeping it in buf_ so the next write rewrites it.
class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd, size_t align, AlignedPtr buf, size_t cap,
                    uint64_t file_off, size_t buf_len, uint64_t os_len)
      : path_(std::move(path)),
        fd_(fd),
        align_(align),
        buf_(std::move(buf)),
        cap_(cap),
        file_off_(file_off),
        buf_len_(buf_len),
        os_len_(os_len) {}

  ~PosixWritableFile() override {
    if (fd_ >= 0) (void)Close();
  }

  Status Append(std::span<const uint8_t> data) override {
    assert(fd_ >= 0);
    const uint8_t* p = data.data();
    size_t n = data.size();
    if (align_ == 0 && buf_len_ + n > cap_) {
      LASER_RETURN_IF_ERROR(WriteBuffer());
      if (n >= cap_) {
        LASER_RETURN_IF_ERROR(PwriteAll(fd_, path_, p, n, file_off_));
        file_off_ += n;
        os_len_ = std::max(os_len_, file_off_);
        return Status::OK();
      }
    }
    while (n > 0) {
      size_t take = std::min(n, cap_ - buf_len_);
      std::memcpy(buf_.get() + buf_len_, p, take);
      buf_len_ += take;
      p += take;
      n -= take;
      if (buf_len_ == cap_) LASER_RETURN_IF_ERROR(WriteBuffer());
    }
    return Status::OK();
  }

  Status Flush() override {
    assert(fd_ >= 0);
    if (buf_len_ == 0) return Status::OK();
    if (align_ == 0) return WriteBuffer();
    size_t padded = static_cast<size_t>(AlignUp(buf_len_, align_));
    std::memset(buf_.get() + buf_len_, 0, padded - buf_len_);
    LASER_RETURN_IF_ERROR(WriteDirect(padded));
    os_len_ = std::max(os_len_, file_off_ + padded);
    size_t full = static_cast<size_t>(AlignDown(buf_len_, align_));
    if (full > 0) {
      std::memmove(buf_.get(), buf_.get() + full, buf_len_ - full);
      file_off_ += full;
      buf_len_ -= full;
    }
    return Status::OK();
  }

  Status Sync() override {
    LASER_RETURN_IF_ERROR(Flush());
    LASER_RETURN_IF_ERROR(TrimPadding());
    if (fdatasync(fd_) != 0) return Status::FromErrno("fdatasync '" + path_ + "'", errno);
    return Status::OK();
  }

  Status Close() override {
    if (fd_ < 0) return Status::OK();
    Status s = Flush();
    if (s.ok()) s = TrimPadding();
    if (close(fd_) != 0 && s.ok()) s = Status::FromErrno("close '" + path_ + "'", errno);
    fd_ = -1;
    return s;
  }

  uint64_t Size() const override { return file_off_ + buf_len_; }
  const std::string& path() const override { return path_; }

 private:
  // Writes out the whole buffer (buffered mode) or the whole aligned buffer
  // (direct mode, buf_len_ == cap_), and empties it.
  Status WriteBuffer() {
    if (buf_len_ == 0) return Status::OK();
    if (align_ == 0) {
      LASER_RETURN_IF_ERROR(PwriteAll(fd_, path_, buf_.get(), buf_len_, file_off_));
    } else {
      assert(buf_len_ == cap_);
      LASER_RETURN_IF_ERROR(WriteDirect(buf_len_));
    }
    file_off_ += buf_len_;
    os_len_ = std::max(os_len_, file_off_);
    buf_len_ = 0;
    return Status::OK();
  }

  // Writes buf_[0, n) at file_off_ with O_DIRECT; if the file system refuses
  // the direct write (EINVAL), drops O_DIRECT on the fd and writes buffered.
  Status WriteDirect(size_t n) {
    const uint8_t* p = buf_.get();
    uint64_t off = file_off_;
    while (n > 0) {
      ssize_t w = pwrite(fd_, p, n, static_cast<off_t>(off));
      if (w < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        if (errno == EINVAL && !dropped_direct_) {
          int fl = fcntl(fd_, F_GETFL);
          if (fl >= 0 && fcntl(fd_, F_SETFL, fl & ~O_DIRECT) == 0) {
            dropped_direct_ = true;
            continue;
          }
        }
        return Status::FromErrno("write '" + path_ + "'" + OffsetText(off), errno);
      }
      p += w;
      n -= static_cast<size_t>(w);
      off += static_cast<uint64_t>(w);
    }
    return Status::OK();
  }

  // Cuts the zero padding of a direct-mode Flush so the file is Size() long.
  Status TrimPadding() {
    if (os_len_ <= Size()) return Status::OK();
    if (ftruncate(fd_, static_cast<off_t>(Size())) != 0) {
      return Status::FromErrno("ftruncate '" + path_ + "' to " + std::to_string(Size()), errno);
    }
    os_len_ = Size();
    return Status::OK();
  }

  std::string path_;
  int fd_;
  size_t align_;
  AlignedPtr buf_;
  size_t cap_;
  uint64_t file_off_;
  size_t buf_len_;
  uint64_t os_len_;  // the file's length as the OS sees it
  bool dropped_direct_ = false;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd, size_t align)
      : path_(std::move(path)), fd_(fd), align_(align) {}
  ~PosixRandomAccessFile() override { close(fd_); }

  Status ReadExact(uint64_t offset, size_t n, uint8_t* dst) const override {
    if (n == 0) return Status::OK();
    if (align_ == 0) {
      ReadPlan plan;
      plan.start = offset;
      plan.buf = dst;
      plan.cap = n;
      plan.need = n;
      return PreadPlan(fd_, path_, &plan, offset, n);
    }
    ReadPlan plan;
    plan.start = AlignDown(offset, align_);
    plan.cap = static_cast<size_t>(AlignUp(offset + n, align_) - plan.start);
    plan.need = static_cast<size_t>(offset + n - plan.start);
    plan.align = align_;
    AlignedPtr buf = AllocateAligned(plan.cap, std::max(align_, kDirectMemAlign));
    if (!buf) {
      return Status::ResourceExhausted("read '" + path_ + "'" + OffsetText(offset) +
                                       ": cannot allocate " + std::to_string(plan.cap) + " bytes");
    }
    plan.buf = buf.get();
    LASER_RETURN_IF_ERROR(PreadPlan(fd_, path_, &plan, offset, n));
    std::memcpy(dst, buf.get() + (offset - plan.start), n);
    return Status::OK();
  }

  Result<uint64_t> Size() const override {
    struct stat st;
    if (fstat(fd_, &st) != 0) return Status::FromErrno("fstat '" + path_ + "'", errno);
    return static_cast<uint64_t>(st.st_size);
  }
  int fd() const override { return fd_; }
  const std::string& path() const override { return path_; }
  size_t direct_alignment() const override { return align_; }

 private:
  std::string path_;
  int fd_;
  size_t align_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override {
    flock(fd_, LOCK_UN);
    close(fd_);
  }

 private:
  int fd_;
};

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path, const WritableFileOptions& options) override {
    int flags = O_CREAT | O_CLOEXEC | (options.truncate ? O_TRUNC : 0);
    // Direct mode reads back the final partial block of an existing file.
    flags |= options.direct ? O_RDWR : O_WRONLY;
    bool direct = options.direct;
    int fd = open(path.c_str(), flags | (direct ? O_DIRECT : 0), 0644);
    if (fd < 0 && direct && errno == EINVAL) {
      direct = false;
      fd = open(path.c_str(), flags, 0644);
    }
    if (fd < 0) return ErrnoStatus("open '" + path + "' for writing", errno);
    struct stat st;
    if (fstat(fd, &st) != 0) {
      Status s = Status::FromErrno("fstat '" + path + "'", errno);
      close(fd);
      return s;
    }
    uint64_t size = static_cast<uint64_t>(st.st_size);
    size_t align = direct ? DirectIoAlignment(fd) : 0;
    size_t cap = std::max<size_t>(options.buffer_bytes, 4096);
    if (direct) cap = static_cast<size_t>(AlignUp(cap, align));
    AlignedPtr buf = AllocateAligned(cap, std::max(align, kDirectMemAlign));
    if (!buf) {
      close(fd);
      return Status::ResourceExhausted("open '" + path + "': cannot allocate a " +
                                       std::to_string(cap) + "-byte write buffer");
    }
    uint64_t file_off = size;
    size_t buf_len = 0;
    if (direct && size % align != 0) {
      file_off = AlignDown(size, align);
      ReadPlan plan;
      plan.start = file_off;
      plan.buf = buf.get();
      plan.cap = align;
      plan.need = static_cast<size_t>(size - file_off);
      plan.align = align;
      Status s = PreadPlan(fd, path, &plan, file_off, plan.need);
      if (!s.ok()) {
        close(fd);
        return s;
      }
      buf_len = plan.need;
    }
    return std::unique_ptr<WritableFile>(
        new PosixWritableFile(path, fd, align, std::move(buf), cap, file_off, buf_len, size));
  }

  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path,
                                                                bool direct) override {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));
    if (fd < 0 && direct && errno == EINVAL) {
      direct = false;
      fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0) return ErrnoStatus("open '" + path + "' for reading", errno);
    size_t align = direct ? DirectIoAlignment(fd) : 0;
    return std::unique_ptr<RandomAccessFile>(new PosixRandomAccessFile(path, fd, align));
  }

  Result<std::vector<uint8_t>> ReadFile(const std::string& path) override {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open '" + path + "' for reading", errno);
    std::vector<uint8_t> out;
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
    uint8_t chunk[65536];
    for (;;) {
      ssize_t r = read(fd, chunk, sizeof(chunk));
      if (r < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        Status s = ReadErrnoError(path, out.size(), sizeof(chunk), errno);
        close(fd);
        return s;
      }
      if (r == 0) break;
      out.insert(out.end(), chunk, chunk + r);
    }
    close(fd);
    return out;
  }

  bool FileExists(const std::string& path) override { return access(path.c_str(), F_OK) == 0; }

  Result<uint64_t> FileSize(const std::string& path) override {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return ErrnoStatus("stat '" + path + "'", errno);
    return static_cast<uint64_t>(st.st_size);
  }

  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) return ErrnoStatus("opendir '" + dir + "'", errno);
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* e = readdir(d)) {
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
        names.emplace_back(e->d_name);
      }
    }
    int err = errno;
    closedir(d);
    if (err != 0) return Status::FromErrno("readdir '" + dir + "'", err);
    std::sort(names.begin(), names.end());
    return names;
  }

  Status CreateDirIfMissing(const std::string& dir) override {
    if (mkdir(dir.c_str(), 0755) == 0) return Status::OK();
    if (errno == ENOENT) {
      std::string parent = DirName(dir);
      if (parent != dir) {
        LASER_RETURN_IF_ERROR(CreateDirIfMissing(parent));
        if (mkdir(dir.c_str(), 0755) == 0) return Status::OK();
      }
    }
    if (errno == EEXIST) {
      struct stat st;
      if (stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::OK();
      return Status::AlreadyExists("mkdir '" + dir + "': exists and is not a directory");
    }
    return Status::FromErrno("mkdir '" + dir + "'", errno);
  }

  Status RemoveFile(const std::string& path) override {
    if (unlink(path.c_str()) != 0) return ErrnoStatus("unlink '" + path + "'", errno);
    return Status::OK();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (rename(from.c_str(), to.c_str()) != 0) {
      return ErrnoStatus("rename '" + from + "' to '" + to + "'", errno);
    }
    return Status::OK();
  }

  Status TruncateFile(const std::string& path, uint64_t size) override {
    if (truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
      return ErrnoStatus("truncate '" + path + "' to " + std::to_string(size), errno);
    }
    return Status::OK();
  }

  Status SyncDir(const std::string& dir) override {
    int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open directory '" + dir + "'", errno);
    Status s;
    if (fsync(fd) != 0) s = Status::FromErrno("fsync directory '" + dir + "'", errno);
    close(fd);
    return s;
  }

  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path, bool shared) override {
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus("open lock file '" + path + "'", errno);
    int op = (shared ? LOCK_SH : LOCK_EX) | LOCK_NB;
    while (flock(fd, op) != 0) {
      int err = errno;
      if (err == EINTR) continue;
      close(fd);
      if (err == EWOULDBLOCK) {
        return Status::Busy("lock file '" + path + "' is held by another process");
      }
      return Status::FromErrno("flock '" + path + "'", err);
    }
    return std::unique_ptr<FileLock>(new PosixFileLock(fd));
  }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv env;
  return &env;
}

Status WriteFileAtomic(Env* env, const std::string& path, std::span<const uint8_t> data) {
  const std::string tmp = path + ".tmp";
  Status s;
  {
    WritableFileOptions opts;
    opts.truncate = true;
    LASER_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env->NewWritableFile(tmp, opts));
    s = f->Append(data);
    if (s.ok()) s = f->Sync();
    Status c = f->Close();
    if (s.ok()) s = c;
  }
  if (s.ok()) s = env->RenameFile(tmp, path);
  if (!s.ok()) {
    (void)env->RemoveFile(tmp);
    return s;
  }
  return env->SyncDir(DirName(path));
}

}  // namespace laser
