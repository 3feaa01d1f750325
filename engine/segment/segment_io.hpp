// Writing and scanning segment files (format: segment_format.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "engine/io/env.hpp"
#include "engine/segment/segment_format.hpp"
#include "laser/status.hpp"

namespace laser::segment {

// Appends frames to one segment file with O_DIRECT aligned writes (the
// Env's WritableFile buffers and pads). Not thread-safe: one owner.
class SegmentWriter {
 public:
  // Creates <dir>/<id>.seg (truncating) and writes its file header. The file
  // and its directory entry are durable only after Sync().
  static Result<std::unique_ptr<SegmentWriter>> Create(Env* env, const std::string& dir,
                                                       uint64_t id);

  // Appends one frame; returns its offset. The frame is durable after Sync().
  // REQUIRES payload.size() == h.payload_length.
  Result<uint64_t> Append(const FrameHeader& h, std::span<const uint8_t> payload);
  // Makes every appended frame (and, the first time, the file's directory
  // entry) durable. Returns OK iff it did.
  Status Sync();
  Status Close();

  uint64_t id() const { return id_; }
  uint64_t size() const { return file_->Size(); }
  const std::string& path() const { return file_->path(); }

 private:
  SegmentWriter(Env* env, std::string dir, uint64_t id, std::unique_ptr<WritableFile> file)
      : env_(env), dir_(std::move(dir)), id_(id), file_(std::move(file)) {}
  Env* env_;
  std::string dir_;
  uint64_t id_;
  std::unique_ptr<WritableFile> file_;
  bool dir_synced_ = false;
  std::vector<uint8_t> scratch_;
};

// Reads the first `size` bytes of segment `id` at `path` sequentially and
// calls fn(header, offset) for every frame. Returns Corruption naming the
// file and offset iff the file header or a frame header is bad, or a frame
// runs past `size`; stops at the first non-OK status from fn.
Status ScanSegment(Env* env, const std::string& path, uint64_t id, uint64_t size,
                   const std::function<Status(const FrameHeader&, uint64_t)>& fn);

}  // namespace laser::segment
