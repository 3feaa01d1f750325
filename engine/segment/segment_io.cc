#include "engine/segment/segment_io.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "engine/util/status_macros.hpp"

namespace laser::segment {

Result<std::unique_ptr<SegmentWriter>> SegmentWriter::Create(Env* env, const std::string& dir,
                                                             uint64_t id) {
  WritableFileOptions opts;
  opts.direct = true;
  opts.truncate = true;
  opts.buffer_bytes = 1 << 20;
  LASER_ASSIGN_OR_RETURN(auto file, env->NewWritableFile(SegmentFileName(dir, id), opts));
  std::vector<uint8_t> header;
  EncodeFileHeader(id, &header);
  LASER_RETURN_IF_ERROR(file->Append(header));
  return std::unique_ptr<SegmentWriter>(new SegmentWriter(env, dir, id, std::move(file)));
}

Result<uint64_t> SegmentWriter::Append(const FrameHeader& h, std::span<const uint8_t> payload) {
  const uint64_t offset = file_->Size();
  scratch_.clear();
  EncodeFrameHeader(h, &scratch_);
  LASER_RETURN_IF_ERROR(file_->Append(scratch_));
  if (!payload.empty()) LASER_RETURN_IF_ERROR(file_->Append(payload));
  return offset;
}

Status SegmentWriter::Sync() {
  LASER_RETURN_IF_ERROR(file_->Sync());
  if (!dir_synced_) {
    LASER_RETURN_IF_ERROR(env_->SyncDir(dir_));
    dir_synced_ = true;
  }
  return Status::OK();
}

Status SegmentWriter::Close() { return file_->Close(); }

Status ScanSegment(Env* env, const std::string& path, uint64_t id, uint64_t size,
                   const std::function<Status(const FrameHeader&, uint64_t)>& fn) {
  LASER_ASSIGN_OR_RETURN(auto file, env->NewRandomAccessFile(path, /*direct=*/false));
  if (size < kFileHeaderSize) {
    return Status::Corruption("segment " + path + " offset 0: committed size " +
                              std::to_string(size) + " is below the file header");
  }
  uint8_t header[kFileHeaderSize];
  LASER_RETURN_IF_ERROR(file->ReadExact(0, kFileHeaderSize, header));
  LASER_RETURN_IF_ERROR(CheckFileHeader(header, id, path));
  // Frame headers are read through a window; payloads are skipped.
  constexpr size_t kWindow = 4 << 20;
  std::vector<uint8_t> buf;
  uint64_t buf_start = 0;
  uint64_t off = kFileHeaderSize;
  while (off < size) {
    if (size - off < kFrameHeaderSize) {
      return Status::Corruption("segment " + path + " offset " + std::to_string(off) +
                                ": truncated frame header");
    }
    if (off < buf_start || off + kFrameHeaderSize > buf_start + buf.size()) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kWindow, size - off));
      buf.resize(n);
      LASER_RETURN_IF_ERROR(file->ReadExact(off, n, buf.data()));
      buf_start = off;
    }
    const size_t at = static_cast<size_t>(off - buf_start);
    LASER_ASSIGN_OR_RETURN(
        FrameHeader h,
        DecodeFrameHeader(std::span<const uint8_t>(buf.data() + at, kFrameHeaderSize), path, off));
    if (h.frame_length() > size - off) {
      return Status::Corruption("segment " + path + " offset " + std::to_string(off) +
                                ": frame runs past the committed size " + std::to_string(size));
    }
    LASER_RETURN_IF_ERROR(fn(h, off));
    off += h.frame_length();
  }
  return Status::OK();
}

}  // namespace laser::segment
