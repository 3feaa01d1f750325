#include "engine/wal/wal_reader.hpp"

#include <xxhash.h>

#include <algorithm>
#include <cstring>

#include "engine/memtable/varint.hpp"
#include "engine/util/status_macros.hpp"

namespace laser::wal {
namespace {

constexpr size_t kWindow = 1 << 20;
// Bytes hashed while looking for an intact record behind an overlong length
// (see LooksTorn); bounds the work adversarial bytes can cause.
constexpr uint64_t kScanHashBudget = 64ull << 20;

bool AllZero(const uint8_t* p, size_t n) {
  return std::all_of(p, p + n, [](uint8_t b) { return b == 0; });
}

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

// One file's bytes, either read through a window or held in memory.
struct WalReader::Source {
  std::string name;
  uint64_t size = 0;
  std::unique_ptr<RandomAccessFile> file;
  std::vector<uint8_t> mem;
  std::vector<uint8_t> buf;
  uint64_t buf_off = 0;
  std::optional<uint64_t> expected_number;

  // Returns a pointer to bytes [off, off + n). REQUIRES off + n <= size.
  // Valid until the next Fetch.
  Result<const uint8_t*> Fetch(uint64_t off, size_t n) {
    if (!file) return mem.data() + off;
    if (off >= buf_off && off + n <= buf_off + buf.size()) return buf.data() + (off - buf_off);
    const size_t want = static_cast<size_t>(std::min<uint64_t>(std::max(n, kWindow), size - off));
    buf.resize(want);
    buf_off = off;
    Status s = file->ReadExact(off, want, buf.data());
    if (!s.ok()) {
      buf.clear();
      return s;
    }
    return buf.data();
  }

  // Returns true iff bytes [off, size) are all zero, reading a window at a time.
  Result<bool> ZeroFrom(uint64_t off) {
    while (off < size) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kWindow, size - off));
      LASER_ASSIGN_OR_RETURN(const uint8_t* p, Fetch(off, n));
      if (!AllZero(p, n)) return false;
      off += n;
    }
    return true;
  }
};

WalReader::~WalReader() = default;

std::unique_ptr<WalReader> WalReader::Open(Env* env, std::vector<std::string> paths) {
  std::unique_ptr<WalReader> r(new WalReader());
  r->env_ = env;
  r->paths_ = std::move(paths);
  return r;
}

std::unique_ptr<WalReader> WalReader::FromBuffer(std::string name, std::vector<uint8_t> bytes,
                                                 std::optional<uint64_t> expected_number) {
  std::unique_ptr<WalReader> r(new WalReader());
  r->src_ = std::make_unique<Source>();
  r->src_->name = std::move(name);
  r->src_->size = bytes.size();
  r->src_->mem = std::move(bytes);
  r->src_->expected_number = expected_number;
  r->is_last_ = true;
  r->tail_.file = r->src_->name;
  return r;
}

Status WalReader::Fail(Status s) {
  error_ = s;
  done_ = true;
  return s;
}

Status WalReader::OpenNextFile() {
  const std::string& path = paths_[next_path_++];
  is_last_ = next_path_ == paths_.size();
  auto src = std::make_unique<Source>();
  src->name = path;
  const size_t slash = path.find_last_of('/');
  src->expected_number =
      ParseWalFileName(slash == std::string::npos ? path : path.substr(slash + 1));
  LASER_ASSIGN_OR_RETURN(src->file, env_->NewRandomAccessFile(path, /*direct=*/false));
  LASER_ASSIGN_OR_RETURN(src->size, src->file->Size());
  src_ = std::move(src);
  offset_ = 0;
  if (is_last_) tail_ = WalTail{path, 0, 0};
  return Status::OK();
}

Result<bool> WalReader::Next(WalRecord* record) {
  if (!error_.ok()) return error_;
  while (!done_) {
    if (!src_) {
      if (next_path_ == paths_.size()) {
        done_ = true;
        break;
      }
      Status s = OpenNextFile();
      if (!s.ok()) return Fail(s);
    }
    Result<bool> r = ReadInFile(record);
    if (!r.ok()) return Fail(r.status());
    if (*r) return true;
    if (is_last_) {
      done_ = true;
    } else {
      src_.reset();
    }
  }
  return false;
}

// Returns true at a record, false at the end of the current file.
Result<bool> WalReader::ReadInFile(WalRecord* record) {
  Source& src = *src_;
  const auto corrupt = [&](uint64_t off, const std::string& what) {
    return Status::Corruption("WAL " + src.name + " at offset " + std::to_string(off) + ": " +
                              what);
  };
  // A clean end of the last file at offset_, dropping everything after it.
  const auto torn_end = [&]() -> Result<bool> {
    tail_ = WalTail{src.name, offset_, src.size - offset_};
    offset_ = src.size;
    return false;
  };

  if (offset_ == 0) {
    const size_t have = static_cast<size_t>(std::min<uint64_t>(src.size, kFileHeaderSize));
    uint8_t h[kFileHeaderSize];  // a copy: ZeroFrom below moves the window
    {
      LASER_ASSIGN_OR_RETURN(const uint8_t* p, src.Fetch(0, have));
      if (have > 0) std::memcpy(h, p, have);
    }
    const bool zero = AllZero(h, have);
    if (have < kFileHeaderSize) {
      const bool magic_prefix = std::memcmp(h, kMagic, std::min(have, sizeof(kMagic))) == 0;
      if (is_last_ && (zero || magic_prefix)) return torn_end();
      return corrupt(0, "file header truncated: " + std::to_string(have) + " of " +
                            std::to_string(kFileHeaderSize) + " bytes");
    }
    if (zero && is_last_) {
      LASER_ASSIGN_OR_RETURN(const bool all_zero, src.ZeroFrom(0));
      if (all_zero) return torn_end();
    }
    if (std::memcmp(h, kMagic, sizeof(kMagic)) != 0) return corrupt(0, "bad magic, not a WAL file");
    const uint32_t version = coding::LoadFixed<uint32_t>(h + 8);
    const uint32_t flags = coding::LoadFixed<uint32_t>(h + 12);
    const uint64_t number = coding::LoadFixed<uint64_t>(h + 16);
    if (version != kFormatVersion) {
      return corrupt(8, "unsupported format version " + std::to_string(version));
    }
    if (flags != 0) return corrupt(12, "unknown flags " + std::to_string(flags));
    if (src.expected_number && number != *src.expected_number) {
      return corrupt(16, "header log number " + std::to_string(number) +
                             " does not match the file name's " +
                             std::to_string(*src.expected_number));
    }
    offset_ = kFileHeaderSize;
  }

  const uint64_t rem = src.size - offset_;
  if (rem == 0) {
    if (is_last_) tail_ = WalTail{src.name, src.size, 0};
    return false;
  }
  if (rem < kRecordHeaderSize) {
    if (is_last_) return torn_end();
    return corrupt(offset_, "record header truncated: " + std::to_string(rem) + " of " +
                                std::to_string(kRecordHeaderSize) + " bytes before the end");
  }
  LASER_ASSIGN_OR_RETURN(const uint8_t* h, src.Fetch(offset_, kRecordHeaderSize));
  const uint64_t stored_sum = coding::LoadFixed<uint64_t>(h);
  const uint32_t len = coding::LoadFixed<uint32_t>(h + 8);
  const uint8_t type = h[12];
  if (len > kMaxPayload || !IsKnownRecordType(type)) {
    if (is_last_) {
      LASER_ASSIGN_OR_RETURN(const bool all_zero, src.ZeroFrom(offset_));
      if (all_zero) return torn_end();
    }
    if (len > kMaxPayload) {
      return corrupt(offset_, "record length " + std::to_string(len) + " exceeds the maximum " +
                                  std::to_string(kMaxPayload));
    }
    return corrupt(offset_, "unknown record type " + std::to_string(type));
  }
  if (kRecordHeaderSize + len > rem) {
    const std::string what = "record length " + std::to_string(len) +
                             " runs past the end of the file (" +
                             std::to_string(rem - kRecordHeaderSize) + " payload bytes remain)";
    if (!is_last_) return corrupt(offset_, what);
    // A write torn by a crash leaves the file ending inside this record. A
    // damaged length field looks the same, except that intact records follow:
    // look for one so that acknowledged records are never dropped silently.
    LASER_ASSIGN_OR_RETURN(const uint8_t* rest, src.Fetch(offset_, rem));
    uint64_t budget = kScanHashBudget;
    for (uint64_t p = 1; p + kRecordHeaderSize <= rem && budget > 0; ++p) {
      const uint32_t l = coding::LoadFixed<uint32_t>(rest + p + 8);
      if (!IsKnownRecordType(rest[p + 12]) || l > rem - p - kRecordHeaderSize) continue;
      budget -= std::min<uint64_t>(budget, l + 5);
      if (XXH64(rest + p + 8, 5 + l, 0) == coding::LoadFixed<uint64_t>(rest + p)) {
        return corrupt(offset_, what + ", but an intact record follows at offset " +
                                    std::to_string(offset_ + p));
      }
    }
    return torn_end();
  }
  LASER_ASSIGN_OR_RETURN(const uint8_t* rec, src.Fetch(offset_, kRecordHeaderSize + len));
  const uint64_t sum = XXH64(rec + 8, 5 + len, 0);
  if (sum != stored_sum) {
    return corrupt(offset_, "record checksum mismatch (stored " + Hex(stored_sum) + ", computed " +
                                Hex(sum) + ", length " + std::to_string(len) + ")");
  }
  record->type = static_cast<RecordType>(type);
  record->payload.assign(rec + kRecordHeaderSize, rec + kRecordHeaderSize + len);
  record->file = src.name;
  record->offset = offset_;
  offset_ += kRecordHeaderSize + len;
  if (is_last_) tail_ = WalTail{src.name, offset_, 0};
  return true;
}

Result<std::vector<std::pair<uint64_t, std::string>>> ListWalFiles(Env* env, const std::string& dir,
                                                                   uint64_t min_number) {
  LASER_ASSIGN_OR_RETURN(auto names, env->ListDir(dir));
  std::vector<std::pair<uint64_t, std::string>> files;
  for (const std::string& name : names) {
    const std::optional<uint64_t> n = ParseWalFileName(name);
    if (n && *n >= min_number) files.emplace_back(*n, dir + "/" + name);
  }
  std::sort(files.begin(), files.end());
  return files;
}

Result<ReplayResult> ReplayWalDir(Env* env, const std::string& dir, uint64_t min_number,
                                  const std::function<Status(const WalRecord&)>& apply) {
  LASER_ASSIGN_OR_RETURN(auto files, ListWalFiles(env, dir, min_number));
  ReplayResult result;
  std::vector<std::string> paths;
  for (auto& [n, path] : files) {
    result.max_number = std::max(result.max_number, n);
    paths.push_back(path);
  }
  std::unique_ptr<WalReader> reader = WalReader::Open(env, std::move(paths));
  WalRecord rec;
  while (true) {
    LASER_ASSIGN_OR_RETURN(bool more, reader->Next(&rec));
    if (!more) break;
    LASER_RETURN_IF_ERROR(apply(rec));
    ++result.records;
  }
  result.tail = reader->tail();
  if (!result.tail.file.empty() && result.tail.valid_bytes < kFileHeaderSize) {
    // A file without a whole header holds nothing: remove it rather than
    // leave a file that would be corrupt once it is not the last one.
    LASER_RETURN_IF_ERROR(env->RemoveFile(result.tail.file));
  } else if (result.tail.dropped_bytes > 0) {
    LASER_RETURN_IF_ERROR(env->TruncateFile(result.tail.file, result.tail.valid_bytes));
  }
  return result;
}

}  // namespace laser::wal
