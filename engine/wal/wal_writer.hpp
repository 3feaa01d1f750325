// WalWriter: appends framed records to one WAL file.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "engine/io/env.hpp"
#include "engine/wal/wal_format.hpp"
#include "laser/status.hpp"

namespace laser::wal {

class WalWriter {
 public:
  // Creates (truncating) WalFileName(dir, number) and writes its file header
  // (handed to the OS, not synced). Does not sync the directory.
  static Result<std::unique_ptr<WalWriter>> Create(Env* env, const std::string& dir,
                                                   uint64_t number);

  // Frames and appends one record (buffered until Flush/Sync). Returns
  // ResourceExhausted iff payload.size() > kMaxPayload, else the file's error.
  Status AddRecord(RecordType type, std::span<const uint8_t> payload);
  // Appends bytes that are already framed records (EncodeRecord output).
  Status AddFramed(std::span<const uint8_t> framed);
  // Hands every appended byte to the OS.
  Status Flush();
  // Flush + fdatasync: OK iff every appended byte is durable.
  Status Sync();
  Status Close();

  // Bytes appended so far, file header included.
  uint64_t size() const { return file_->Size(); }
  uint64_t number() const { return number_; }
  const std::string& path() const { return file_->path(); }

 private:
  WalWriter(std::unique_ptr<WritableFile> file, uint64_t number)
      : file_(std::move(file)), number_(number) {}
  std::unique_ptr<WritableFile> file_;
  uint64_t number_;
};

}  // namespace laser::wal
