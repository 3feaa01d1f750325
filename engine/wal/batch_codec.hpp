// The payload of a kAppendBatch WAL record: one appended Batch of one table.
//
// Layout (varints are LEB128; zigzag for signed):
//   table_id varint | schema_version varint | num_columns varint |
//   num_rows varint | per column:
//     name_len varint | name bytes | type u8 | null_flag u8 (0/1) |
//     [null bitmap ceil(num_rows/8) bytes, bit r (LSB first) = row r NULL,
//      present iff null_flag = 1] |
//     num_rows values by lane: INT lane zigzag varint, UINT lane varint,
//     FLOAT lane 8-byte IEEE-754 double LE, STRING lane varint len + bytes
// NULL rows carry a zero value in their lane (as in ColumnVector).
// Sequence numbers are not stored: replay applies records in log order and
// reassigns them, which reproduces the arrival order.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "laser/batch.hpp"
#include "laser/status.hpp"

namespace laser::wal {

struct AppendBatch {
  uint32_t table_id = 0;
  uint32_t schema_version = 0;
  Batch rows;
};

// Appends the payload encoding to *out.
// REQUIRES rows.Validate().ok().
void EncodeAppendBatch(uint32_t table_id, uint32_t schema_version, const Batch& rows,
                       std::vector<uint8_t>* out);

// Decodes a payload. Returns Corruption (with the byte offset inside the
// payload) iff the bytes are malformed or trailing bytes remain; never reads
// outside `payload` and never allocates more than a small multiple of its size.
Result<AppendBatch> DecodeAppendBatch(std::span<const uint8_t> payload);

}  // namespace laser::wal
