// Segment files: large append-only files of block frames. Byte-level spec:
// docs/format/segment.md.
//
// A segment file is <dir>/<id>.seg (the id zero-padded to 6 digits). It
// starts with a 32-byte file header:
//   magic "LASERSEG" (8) | format version u32 = 1 | reserved u32 = 0 |
//   segment id u64 | checksum u64 = XXH64(seed 0) of bytes 0..23
// followed by frames, back to back, each a 72-byte frame header and a block
// payload (engine/format/block.hpp):
//   0  magic u32 = 0x4B4C424C ("LBLK")   4  payload length u32
//   8  table id u32                      12 event count u32
//   16 user u64                          24 write id u64
//   32 first order key i64               40 last order key i64
//   48 replaces_lo u64                   56 replaces_hi u64
//   64 checksum u64 = XXH64(seed 0) of header bytes 0..63
// little endian. Write ids grow with every frame written. A frame whose
// replaces_lo != 0 supersedes every earlier frame of the same (table, user)
// with a write id in [replaces_lo, replaces_hi]: that is how a merged extent
// retires the blocks it was built from, so a scan of the segment files
// (replaying frames in write-id order) rebuilds exactly the live index. A
// frame with count 0 and an empty payload only retires (every event expired).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "laser/status.hpp"

namespace laser::segment {

inline constexpr char kMagic[8] = {'L', 'A', 'S', 'E', 'R', 'S', 'E', 'G'};
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kFileHeaderSize = 32;
inline constexpr uint32_t kFrameMagic = 0x4B4C424C;
inline constexpr size_t kFrameHeaderSize = 72;
// A frame's payload is one block; larger payloads are a format violation.
inline constexpr uint32_t kMaxPayload = 64u << 20;

struct FrameHeader {
  uint32_t payload_length = 0;
  uint32_t table_id = 0;
  uint32_t count = 0;
  uint64_t user = 0;
  uint64_t write_id = 0;
  int64_t first_key = 0;
  int64_t last_key = 0;
  uint64_t replaces_lo = 0;  // 0 = supersedes nothing
  uint64_t replaces_hi = 0;

  uint64_t frame_length() const { return kFrameHeaderSize + payload_length; }
};

// "<dir>/000012.seg".
std::string SegmentFileName(const std::string& dir, uint64_t id);
// Returns the id iff `name` (a bare file name) is a segment file name.
std::optional<uint64_t> ParseSegmentFileName(std::string_view name);

void EncodeFileHeader(uint64_t id, std::vector<uint8_t>* out);
// Returns OK iff `bytes` (>= kFileHeaderSize) is a valid header for segment
// `id`; else Corruption naming `file` and offset 0.
Status CheckFileHeader(std::span<const uint8_t> bytes, uint64_t id, const std::string& file);

// Appends the 72-byte encoding of h to *out.
void EncodeFrameHeader(const FrameHeader& h, std::vector<uint8_t>* out);
// Decodes and checks a frame header (magic, checksum, payload length within
// kMaxPayload, first <= last when count > 0, a well-formed replaces range).
// Returns Corruption naming `file` and `offset` iff any check fails.
// REQUIRES bytes.size() >= kFrameHeaderSize.
Result<FrameHeader> DecodeFrameHeader(std::span<const uint8_t> bytes, const std::string& file,
                                      uint64_t offset);

}  // namespace laser::segment
