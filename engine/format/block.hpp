// The block: the unit of sequence data on disk. One block holds consecutive
// events of ONE user of one table, columnar and schema-aware, each column
// encoded on its own (delta + bit-packed order keys, frame-of-reference
// bit-packed integers, floats raw or as bit-packed decimals, dictionary
// strings, a NULL bitmap only where there are NULLs), LZ4-compressed per
// column where that pays, and checksummed with XXH3. docs/format/block.md
// specifies it byte by byte.
//
// Columns are located by a directory in the block, so a projection reads and
// decompresses only the columns asked for. A block written with k columns and
// read with a schema of k + m columns (columns are only ever added at the end)
// yields the m new columns filled with their Column::default_value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "laser/batch.hpp"
#include "laser/schema.hpp"
#include "laser/status.hpp"

namespace laser::format {

// Bytes of the fixed block header: ReadBlockInfo needs only these.
constexpr size_t kBlockHeaderSize = 48;
// Bytes of the trailing checksum.
constexpr size_t kBlockTrailerSize = 8;
// The most events one block may hold. Writers split longer runs.
constexpr uint32_t kMaxBlockEvents = 1u << 20;
// The largest encoded block (its size field is 32-bit).
constexpr uint64_t kMaxBlockBytes = 0xffffffffu;

// Encodes rows [begin, end) of `events` — all columns of `schema` in schema
// order, already in order-key order — as one block of user `user`, and APPENDS
// it to *out (so a writer may collect many blocks in one buffer).
// REQUIRES: begin < end <= events.num_rows(), end - begin <= kMaxBlockEvents.
// Returns InvalidArgument (naming the column and row) iff `events` does not fit
// `schema`: a column count, type or lane mismatch, a partition-key value other
// than `user`, a NULL in a key or a non-nullable column, an integer outside its
// type's range, an enum ordinal outside the column's labels. *out is unchanged
// on error.
Status EncodeBlock(const TableSchema& schema, uint64_t user, const Batch& events, size_t begin,
                   size_t end, std::string* out);

struct BlockInfo {
  uint64_t user = 0;
  uint32_t count = 0;  // events in the block, >= 1
  int64_t first_key = 0;
  int64_t last_key = 0;
  uint32_t num_columns = 0;   // columns written (a prefix of the current schema's)
  uint32_t stored_bytes = 0;  // size of the whole block, header to checksum
  uint8_t version = 1;        // 1, or 2 iff the block has an encoding-7 chunk
};

// Parses and verifies the fixed header only (cheap: no payload is read; only
// the first kBlockHeaderSize bytes of `block` are needed, so a scanner may pass
// a prefix). Returns Corruption "block offset N: ..." iff the header is
// malformed (magic, version, header check, counts).
Result<BlockInfo> ReadBlockInfo(std::span<const uint8_t> block);

// Verifies the block (its checksum, then every structural invariant) and
// decodes `projection` (indices into schema.columns, in the order wanted, any
// subset, repeats allowed) for rows [row_begin, count). The Batch's columns get
// the schema's names and types. Never reads out of bounds, whatever the bytes:
// any inconsistency is Corruption "block offset N: ..." (N inside the block).
// Returns InvalidArgument iff the call itself is wrong: a projection index out
// of range or row_begin > count. `block` must be exactly the block's bytes.
Result<Batch> DecodeBlock(const TableSchema& schema, std::span<const uint8_t> block,
                          std::span<const int> projection, uint32_t row_begin = 0);

// As DecodeBlock, but appends the rows to *out, so a reader concatenating many
// blocks avoids copies. *out must be empty (no columns: they are added) or have
// exactly projection.size() columns of the projected types. On error *out keeps
// its previous rows.
// With verify_checksum false the checksum is taken as already verified (by
// VerifyBlockChecksum when the bytes were read); every structural check still
// runs, so no input makes it read out of bounds.
Status DecodeBlockInto(const TableSchema& schema, std::span<const uint8_t> block,
                       std::span<const int> projection, uint32_t row_begin, Batch* out,
                       bool verify_checksum = true);

// Returns OK iff the header parses, the size matches it and the checksum
// matches the bytes; else Corruption "block offset N: ...". A reader that
// keeps blocks in memory checks them once, when they come from disk.
Status VerifyBlockChecksum(std::span<const uint8_t> block);

// Rewrites the header check and the trailing checksum of `block` to match its
// other bytes. Tests and the fuzzer use it to reach the decoder's structural
// checks behind the checksum. REQUIRES: block.size() >= kBlockHeaderSize +
// kBlockTrailerSize.
void ResealBlock(std::span<uint8_t> block);

}  // namespace laser::format
