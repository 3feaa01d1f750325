// WalReader: iterates the records of a sequence of WAL files.
//
// Whatever the bytes, the reader never crashes and never reads outside the
// file; it returns:
//  - each intact record, in file order;
//  - a clean end at the end of the last file, and also when the last file
//    ends in a torn tail: a truncated file header, record header or payload,
//    or a tail of zero bytes (what a crash during an append leaves). The
//    dropped bytes are reported by tail();
//  - Corruption naming the file and the record's offset for anything else: a
//    checksum mismatch, a length above kMaxPayload or an unknown type, a bad
//    file header, any truncation in a file that is not the last one, and a
//    length running past the end of the last file when an intact record
//    follows it (a damaged length, not a torn write).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/io/env.hpp"
#include "engine/wal/wal_format.hpp"
#include "laser/status.hpp"

namespace laser::wal {

struct WalRecord {
  RecordType type;
  std::vector<uint8_t> payload;
  std::string file;  // path of the file it came from
  uint64_t offset;   // offset of its header in that file
};

// Where the valid data of the last file ends.
struct WalTail {
  std::string file;            // the last file's path ("" if there were none)
  uint64_t valid_bytes = 0;    // length of its intact prefix
  uint64_t dropped_bytes = 0;  // torn bytes after it (0 for a clean file)
};

class WalReader {
 public:
  // Reads `paths` in order (ascending log numbers). A file whose name parses
  // as a WAL file name must carry that log number in its header.
  static std::unique_ptr<WalReader> Open(Env* env, std::vector<std::string> paths);
  // Reads one in-memory file named `name`, treated as the last file (tests,
  // fuzzing). `expected_number` is checked against the header when given.
  static std::unique_ptr<WalReader> FromBuffer(std::string name, std::vector<uint8_t> bytes,
                                               std::optional<uint64_t> expected_number);
  ~WalReader();

  // Reads the next record into *record. Returns true iff a record was read,
  // false at the clean end (then tail() is final); a non-OK status on
  // corruption or an I/O error, after which Next keeps returning it.
  Result<bool> Next(WalRecord* record);
  const WalTail& tail() const { return tail_; }

 private:
  struct Source;
  WalReader() = default;
  Status OpenNextFile();
  Result<bool> ReadInFile(WalRecord* record);
  Status Fail(Status s);

  Env* env_ = nullptr;
  std::vector<std::string> paths_;
  size_t next_path_ = 0;
  std::unique_ptr<Source> src_;
  bool is_last_ = false;
  uint64_t offset_ = 0;
  bool done_ = false;
  Status error_;
  WalTail tail_;
};

// Replays every WAL file in `dir` with a number >= min_number, in order,
// calling apply(record) for each record; stops at the first error from the
// reader or from apply. After a clean end it truncates a torn tail of the
// last file (so that file can stop being the last one) and returns the tail
// and the largest log number seen (0 if none).
struct ReplayResult {
  WalTail tail;
  uint64_t max_number = 0;
  uint64_t records = 0;
};
Result<ReplayResult> ReplayWalDir(Env* env, const std::string& dir, uint64_t min_number,
                                  const std::function<Status(const WalRecord&)>& apply);

// The WAL files in dir with a number >= min_number, ascending: (number, path).
Result<std::vector<std::pair<uint64_t, std::string>>> ListWalFiles(Env* env, const std::string& dir,
                                                                   uint64_t min_number);

}  // namespace laser::wal
