// The write-ahead log's on-disk format (docs/format/wal.md is the spec).
//
// A WAL file is <dir>/<number>.wal, the number zero-padded to 6 digits
// (000012.wal). It starts with a 24-byte file header:
//   magic "LASERWAL" (8) | format version u32 = 1 | flags u32 = 0 |
//   log number u64 (equal to the number in the file name)
// followed by records, back to back:
//   checksum u64 | length u32 | type u8 | payload (length bytes)
// little endian; checksum = XXH64(seed 0) of the length, type and payload
// bytes (bytes 8 .. 13 + length of the record).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace laser::wal {

inline constexpr char kMagic[8] = {'L', 'A', 'S', 'E', 'R', 'W', 'A', 'L'};
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kFileHeaderSize = 24;
inline constexpr size_t kRecordHeaderSize = 13;
// The largest payload a record may carry. A writer refuses larger ones
// (ResourceExhausted); a reader treats a larger length field as corruption.
inline constexpr uint32_t kMaxPayload = 256u << 20;

enum class RecordType : uint8_t {
  // 0 is never written, so a zero-filled tail cannot parse as a record.
  kAppendBatch = 1,  // payload: engine/wal/batch_codec.hpp
};
// Returns true iff t is a RecordType this version knows.
bool IsKnownRecordType(uint8_t t);

// "<dir>/000012.wal".
std::string WalFileName(const std::string& dir, uint64_t number);
// Returns the number iff `name` (a bare file name) is a WAL file name.
std::optional<uint64_t> ParseWalFileName(std::string_view name);

// Appends the 24-byte file header for log `number` to *out.
void EncodeFileHeader(uint64_t number, std::vector<uint8_t>* out);
// Appends one framed record to *out. REQUIRES payload.size() <= kMaxPayload.
void EncodeRecord(RecordType type, std::span<const uint8_t> payload, std::vector<uint8_t>* out);

}  // namespace laser::wal
