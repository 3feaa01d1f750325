#include "engine/wal/wal_writer.hpp"

#include <vector>

#include "engine/util/status_macros.hpp"

namespace laser::wal {

Result<std::unique_ptr<WalWriter>> WalWriter::Create(Env* env, const std::string& dir,
                                                     uint64_t number) {
  WritableFileOptions opts;
  opts.truncate = true;
  LASER_ASSIGN_OR_RETURN(auto file, env->NewWritableFile(WalFileName(dir, number), opts));
  std::unique_ptr<WalWriter> w(new WalWriter(std::move(file), number));
  std::vector<uint8_t> header;
  EncodeFileHeader(number, &header);
  LASER_RETURN_IF_ERROR(w->file_->Append(header));
  LASER_RETURN_IF_ERROR(w->file_->Flush());
  return w;
}

Status WalWriter::AddRecord(RecordType type, std::span<const uint8_t> payload) {
  if (payload.size() > kMaxPayload) {
    return Status::ResourceExhausted("WAL record of " + std::to_string(payload.size()) +
                                     " bytes exceeds the limit of " + std::to_string(kMaxPayload) +
                                     " bytes (" + path() + ")");
  }
  std::vector<uint8_t> framed;
  framed.reserve(kRecordHeaderSize + payload.size());
  EncodeRecord(type, payload, &framed);
  return file_->Append(framed);
}

Status WalWriter::AddFramed(std::span<const uint8_t> framed) { return file_->Append(framed); }

Status WalWriter::Flush() { return file_->Flush(); }

Status WalWriter::Sync() { return file_->Sync(); }

Status WalWriter::Close() { return file_->Close(); }

}  // namespace laser::wal
