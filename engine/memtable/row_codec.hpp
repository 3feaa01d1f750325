// Row codec: one event's non-key columns as a compact byte string, the value
// the memtable stores under the (table, user, order key, seq) key.
//
// A row takes one of two forms; its first byte tells which.
//
// General form (any row; integers LEB128 varints unless stated):
//   column_count            number of columns in the schema the row was
//                           written with (keys included); at least 2, so
//                           the first byte is never 0 or 1
//   null bitmap             ceil(n / 8) bytes, n = column_count - 2; bit i
//                           (LSB first) set iff the i-th non-key column is NULL
//   values                  each non-NULL non-key column in schema order:
//     BOOL, I8               1 byte (two's complement)
//     I16..I64, TIMESTAMP,   zigzag varint (ENUM: the ordinal)
//     ENUM
//     U8..U64                varint
//     F32                    4 bytes IEEE-754 little endian
//     F64                    8 bytes IEEE-754 little endian
//     STRING                 varint length, then the bytes
//
// Packed form (a row of fewer than 128 columns, none of them STRING, with no
// NULL and every value within its type's range):
//   form                    1 byte: 0 = narrow (every I64, U64, TIMESTAMP
//                           and ENUM value fits 32 bits), 1 = wide
//   column_count            1 byte, as above
//   values                  each non-key column in schema order, little
//                           endian, at a width fixed by its type: BOOL, I8,
//                           U8 1 byte; I16, U16 2; I32, U32, F32 4; F64 8;
//                           I64, U64, TIMESTAMP, ENUM 4 when narrow, 8 when
//                           wide (signed types two's complement)
// Every packed row of one form and column count has the same layout, so a
// run of them decodes column by column at fixed offsets, with no varint to
// parse: a few times faster than the general form, for a few more bytes.
// Writers pick the packed form whenever the row allows it.
//
// A column whose index is >= column_count (added by ADD COLUMN after the row
// was written) decodes as the column's default_value. Columns are only ever
// appended to a schema, so an older row is a prefix of a newer schema.
//
// "Schema-ordered batch": a Batch whose columns are exactly schema.columns,
// in order, each with the column's type and a lane of the batch's length.
// The engine's write path normalises every appended Batch to this shape.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "laser/batch.hpp"
#include "laser/schema.hpp"
#include "laser/status.hpp"

namespace laser::rowcodec {

// Appends the encoding of row `row` of `rows` to *out.
// REQUIRES rows is schema-ordered for `schema` and row < rows.num_rows().
void EncodeRow(const TableSchema& schema, const Batch& rows, size_t row, std::string* out);

// Decodes `encoded` (written with `schema` or an older version of it) and
// appends one value to out->columns[i] for every i, taken from schema column
// projection[i] (key columns included: their values are `user` and
// `order_key`). Returns Corruption iff the bytes are malformed (never reads
// outside `encoded`).
// REQUIRES out->columns.size() == projection.size(), out->columns[i].type ==
// schema.columns[projection[i]].type, every column of equal length.
Status DecodeRow(const TableSchema& schema, std::span<const uint32_t> projection, uint64_t user,
                 int64_t order_key, std::string_view encoded, Batch* out);

// One stored row: its order key, its sequence number and its encoding.
struct EncodedRow {
  int64_t order_key;
  uint64_t seq;
  std::string_view row;
};

// Decodes many rows with one projection (what DecodeRow does, without
// re-deriving the projection per row).
class RowDecoder {
 public:
  // REQUIRES every projection entry < schema.columns.size(); schema outlives this.
  RowDecoder(const TableSchema& schema, std::span<const uint32_t> projection);
  // Not copyable: first_ and next_ may point into the object itself.
  RowDecoder(const RowDecoder&) = delete;
  RowDecoder& operator=(const RowDecoder&) = delete;
  // DecodeRow with this decoder's schema and projection.
  Status Decode(uint64_t user, int64_t order_key, std::string_view encoded, Batch* out) const;
  // Decode of every row of `rows` in turn, all of user `user`. On a
  // malformed row returns Corruption naming its seq, with the rows before it
  // appended and nothing of it.
  Status DecodeRows(uint64_t user, std::span<const EncodedRow> rows, Batch* out) const;

 private:
  // Decode, where sinks[c] (when sinks is not null) is the lane that schema
  // column c's values go straight to, or null for the general path.
  Status DecodeOne(uint64_t user, int64_t order_key, std::string_view encoded, Batch* out,
                   void** sinks) const;
  // Decodes rows from the front of `rows` while each is a general-form row
  // in the common shape (written with this schema, no NULLs) and every
  // output is a numeric sink, writing into lanes sized once; returns how
  // many it appended. Stops at the first row it cannot take, appending
  // nothing of it: DecodeOne then decodes that row or reports what is wrong
  // with it.
  size_t DecodeStored(uint64_t user, std::span<const EncodedRow> rows, void* const* sinks,
                      Batch* out) const;
  // The same for a run of packed rows of one form written with this schema,
  // decoded column by column; returns how many it appended (0 unless the
  // first row is such a row and every output is a numeric sink).
  size_t DecodePacked(uint64_t user, std::span<const EncodedRow> rows, void* const* sinks,
                      Batch* out) const;
  // Emits schema column c's value when a row written with `written`
  // columns does not store it (a key column, or one added after the row was
  // written: its default); returns true iff it did.
  bool EmitUnstored(size_t c, size_t written, uint64_t user, int64_t order_key, Batch* out,
                    void** sinks) const;
  // DecodeOne of a packed-form row.
  Status DecodePackedOne(uint64_t user, int64_t order_key, std::string_view encoded, Batch* out,
                         void** sinks) const;
  // first_, next_ and ops_ are kept inside the object when first_ plus
  // next_ fit in this many entries: a decoder is built for every memtable
  // read, and most schemas fit without an allocation.
  static constexpr size_t kInlineLinks = 64;

  // Appends v to every output that schema column c feeds, into lane `lane`:
  // straight into sinks[c] when there is one.
  template <typename T, typename V>
  [[gnu::always_inline]] void Put(Batch* out, void* const* sinks, size_t c,
                                  std::vector<T> ColumnVector::*lane, V v) const;

  const TableSchema& schema_;
  size_t outputs_;
  // For each schema column the first output column it feeds, or -1; a
  // column projected more than once chains its outputs through next_.
  // Both point into inline_ or, when they do not fit there, into heap_.
  int32_t* first_;
  int32_t* next_;
  // For each schema column how a row stores it (an Op of row_codec.cc),
  // and so how it is read and which lane it goes to: decided once per
  // decoder instead of per value. Points into inline_ops_ or heap_ops_.
  uint8_t* ops_;
  int32_t inline_[kInlineLinks];
  uint8_t inline_ops_[kInlineLinks];
  std::vector<int32_t> heap_;
  std::vector<uint8_t> heap_ops_;
};

// Adds to *out (which must have no columns) one empty column per projected
// schema column, named and typed as in the schema.
void InitProjection(const TableSchema& schema, std::span<const uint32_t> projection, Batch* out);

// Makes *out the empty batch that InitProjection builds. When out's columns
// are the first columns of that batch (same names and types), as after an
// earlier answer of the same projection, their lanes are cleared but keep
// their memory; otherwise out is rebuilt.
void ResetProjection(const TableSchema& schema, std::span<const uint32_t> projection, Batch* out);

// Every column index of the schema, in order: the projection of "all columns".
std::vector<uint32_t> AllColumns(const TableSchema& schema);

}  // namespace laser::rowcodec
