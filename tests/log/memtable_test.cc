#include "engine/memtable/memtable.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cfloat>
#include <map>
#include <random>
#include <thread>
#include <tuple>

#include "engine/memtable/row_codec.hpp"
#include "log_test_util.hpp"

namespace laser {
namespace {

using testing::AllTypesSchema;
using testing::AppendAllTypesRow;
using testing::EmptyBatch;
using testing::RowOf;

TEST_CASE("row codec round-trips every type, edge values and NULLs") {
  const TableSchema schema = AllTypesSchema();
  Batch in = EmptyBatch(schema);
  for (int64_t k = 0; k < 9; ++k) AppendAllTypesRow(schema, &in, 42, 1000 + k, k);
  const std::vector<uint32_t> all = rowcodec::AllColumns(schema);
  Batch out;
  rowcodec::InitProjection(schema, all, &out);
  for (size_t r = 0; r < in.num_rows(); ++r) {
    std::string enc;
    rowcodec::EncodeRow(schema, in, r, &enc);
    REQUIRE(rowcodec::DecodeRow(schema, all, 42, 1000 + static_cast<int64_t>(r), enc, &out).ok());
  }
  REQUIRE(out.num_rows() == in.num_rows());
  for (size_t r = 0; r < in.num_rows(); ++r) CHECK(RowOf(out, r) == RowOf(in, r));

  // A projection that repeats columns and reorders them, keys included.
  const std::vector<uint32_t> proj = {14, 1, 0, 14, 3, 1};
  const rowcodec::RowDecoder decoder(schema, proj);
  Batch some;
  rowcodec::InitProjection(schema, proj, &some);
  for (size_t r = 0; r < in.num_rows(); ++r) {
    std::string enc;
    rowcodec::EncodeRow(schema, in, r, &enc);
    REQUIRE(decoder.Decode(42, 1000 + static_cast<int64_t>(r), enc, &some).ok());
  }
  REQUIRE(some.num_rows() == in.num_rows());
  for (size_t r = 0; r < in.num_rows(); ++r) {
    for (size_t i = 0; i < proj.size(); ++i) {
      CHECK(some.columns[i].Get(r) == in.columns[proj[i]].Get(r));
    }
  }
}

TEST_CASE("row codec rejects every truncation and trailing bytes without reading past them") {
  const TableSchema schema = AllTypesSchema();
  Batch in = EmptyBatch(schema);
  AppendAllTypesRow(schema, &in, 1, 2, 4);
  std::string enc;
  rowcodec::EncodeRow(schema, in, 0, &enc);
  const std::vector<uint32_t> all = rowcodec::AllColumns(schema);
  for (size_t n = 0; n < enc.size(); ++n) {
    // A heap copy of exactly n bytes, so ASan catches any read beyond it.
    std::unique_ptr<char[]> cut(new char[n + 1]);
    std::copy(enc.begin(), enc.begin() + static_cast<std::ptrdiff_t>(n), cut.get());
    Batch out;
    rowcodec::InitProjection(schema, all, &out);
    Status s = rowcodec::DecodeRow(schema, all, 1, 2, std::string_view(cut.get(), n), &out);
    CHECK(s.IsCorruption());
    for (const ColumnVector& col : out.columns) {
      CHECK(col.size() == 0);  // a bad row appends nothing
      CHECK(col.nulls.empty());
    }
  }
  Batch out;
  rowcodec::InitProjection(schema, all, &out);
  CHECK(rowcodec::DecodeRow(schema, all, 1, 2, enc + "x", &out).IsCorruption());
}

TEST_CASE("row decoder of a wide schema and projection; a bad row leaves earlier rows intact") {
  // More columns than a decoder keeps inline, projected twice over.
  TableSchema schema;
  schema.name = "wide";
  auto add = [&](std::string name, Type t) {
    Column c;
    c.name = std::move(name);
    c.type = t;
    c.nullable = false;
    schema.columns.push_back(c);
  };
  add("user_id", Type::kU64);
  add("ts", Type::kTimestamp);
  for (int c = 0; c < 70; ++c) add("c" + std::to_string(c), Type::kI64);
  schema.partition_key = 0;
  schema.order_key = 1;
  Batch in = EmptyBatch(schema);
  for (int64_t r = 0; r < 3; ++r) {
    in.columns[0].uints.push_back(7);
    in.columns[1].ints.push_back(100 + r);
    for (size_t c = 2; c < schema.columns.size(); ++c) {
      in.columns[c].ints.push_back(r * 1000 + static_cast<int64_t>(c) * (r % 2 == 0 ? 1 : -1));
    }
  }
  std::vector<uint32_t> proj;
  for (uint32_t c = static_cast<uint32_t>(schema.columns.size()); c-- > 0;) proj.push_back(c);
  for (uint32_t c = 0; c < schema.columns.size(); c += 3) proj.push_back(c);
  const rowcodec::RowDecoder decoder(schema, proj);
  Batch out;
  rowcodec::InitProjection(schema, proj, &out);
  std::vector<std::string> enc(in.num_rows());
  for (size_t r = 0; r < in.num_rows(); ++r) rowcodec::EncodeRow(schema, in, r, &enc[r]);
  REQUIRE(decoder.Decode(7, 100, enc[0], &out).ok());
  REQUIRE(decoder.Decode(7, 101, enc[1], &out).ok());
  // The third row cut short after most of its values were appended.
  const std::string cut = enc[2].substr(0, enc[2].size() - 1);
  CHECK(decoder.Decode(7, 102, cut, &out).IsCorruption());
  REQUIRE(decoder.Decode(7, 102, enc[2], &out).ok());
  REQUIRE(out.num_rows() == 3);
  for (size_t r = 0; r < 3; ++r) {
    for (size_t i = 0; i < proj.size(); ++i) {
      CHECK(out.columns[i].size() == 3);
      CHECK(out.columns[i].Get(r) == in.columns[proj[i]].Get(r));
    }
  }
}

TEST_CASE("row decoder's batch path matches row-at-a-time decoding, NULLs and bad rows included") {
  const TableSchema schema = AllTypesSchema();
  Batch in = EmptyBatch(schema);
  // Every third row is all NULLs: columns that went straight to their lane
  // start null flags part way through.
  for (int64_t k = 0; k < 9; ++k) AppendAllTypesRow(schema, &in, 5, 200 + k, k);
  std::vector<std::string> enc(in.num_rows());
  std::vector<rowcodec::EncodedRow> rows;
  for (size_t r = 0; r < in.num_rows(); ++r) {
    rowcodec::EncodeRow(schema, in, r, &enc[r]);
    rows.push_back(rowcodec::EncodedRow{200 + static_cast<int64_t>(r), 10 + r, enc[r]});
  }
  // Column 3 feeds two outputs, the others one each; keys included.
  std::vector<uint32_t> proj = rowcodec::AllColumns(schema);
  proj.push_back(3);
  const rowcodec::RowDecoder decoder(schema, proj);
  Batch one, many;
  rowcodec::InitProjection(schema, proj, &one);
  rowcodec::InitProjection(schema, proj, &many);
  for (const rowcodec::EncodedRow& r : rows) {
    REQUIRE(decoder.Decode(5, r.order_key, r.row, &one).ok());
  }
  REQUIRE(decoder.DecodeRows(5, rows, &many).ok());
  REQUIRE(many.num_rows() == in.num_rows());
  for (size_t i = 0; i < proj.size(); ++i) {
    CHECK(many.columns[i].nulls == one.columns[i].nulls);
    for (size_t r = 0; r < in.num_rows(); ++r) {
      CHECK(many.columns[i].Get(r) == in.columns[proj[i]].Get(r));
    }
  }

  // A bad fourth row: the three before it stay, nothing of it or after it.
  const std::string cut = enc[3].substr(0, enc[3].size() - 1);
  rows[3].row = cut;
  Batch part;
  rowcodec::InitProjection(schema, proj, &part);
  const Status s = decoder.DecodeRows(5, rows, &part);
  CHECK(s.IsCorruption());
  CHECK(s.ToString().find("seq 13") != std::string::npos);
  for (size_t i = 0; i < proj.size(); ++i) {
    CHECK(part.columns[i].size() == 3);
    for (size_t r = 0; r < 3; ++r) CHECK(part.columns[i].Get(r) == in.columns[proj[i]].Get(r));
  }
}

// Row r of in1 encoded with v1 if r is in `old` (written before ADD COLUMN),
// else row r of in2 encoded with v2.
std::vector<std::string> EncodeAcrossAddColumn(const TableSchema& v1, const Batch& in1,
                                               const TableSchema& v2, const Batch& in2,
                                               std::initializer_list<size_t> old) {
  std::vector<std::string> enc(in2.num_rows());
  for (size_t r = 0; r < enc.size(); ++r) {
    if (std::find(old.begin(), old.end(), r) != old.end()) {
      rowcodec::EncodeRow(v1, in1, r, &enc[r]);
    } else {
      rowcodec::EncodeRow(v2, in2, r, &enc[r]);
    }
  }
  return enc;
}

// The stored rows of `enc`: row r has order key key0 + r and seq seq0 + r.
std::vector<rowcodec::EncodedRow> StoredRows(const std::vector<std::string>& enc, int64_t key0,
                                             uint64_t seq0) {
  std::vector<rowcodec::EncodedRow> rows;
  for (size_t r = 0; r < enc.size(); ++r) {
    rows.push_back(rowcodec::EncodedRow{key0 + static_cast<int64_t>(r), seq0 + r, enc[r]});
  }
  return rows;
}

// Decodes `rows`, whose row `bad` is malformed, into a fresh batch: the
// error is Corruption naming that row's seq, and the batch holds exactly
// the rows before it, equal to the first rows of `want`.
void CheckBadRowKeepsPrefix(const rowcodec::RowDecoder& decoder, const TableSchema& schema,
                            std::span<const uint32_t> proj, uint64_t user,
                            std::span<const rowcodec::EncodedRow> rows, size_t bad,
                            const Batch& want) {
  Batch part;
  rowcodec::InitProjection(schema, proj, &part);
  const Status s = decoder.DecodeRows(user, rows, &part);
  CHECK(s.IsCorruption());
  CHECK(s.ToString().find("seq " + std::to_string(rows[bad].seq)) != std::string::npos);
  for (size_t i = 0; i < proj.size(); ++i) {
    REQUIRE(part.columns[i].size() == bad);
    for (size_t r = 0; r < bad; ++r) CHECK(part.columns[i].Get(r) == want.columns[i].Get(r));
  }
}

TEST_CASE("row decoder's numeric projections match row-at-a-time decoding across row shapes") {
  // Numeric outputs only (the string column is stored but not projected), so
  // runs of NULL-free rows take the decoder's stored-row path; a NULL row, a
  // row from before ADD COLUMN and bad rows interrupt those runs at every
  // position.
  TableSchema v1 = AllTypesSchema();
  TableSchema v2 = v1;
  v2.version = 2;
  Column extra;
  extra.name = "w";
  extra.type = Type::kI32;
  extra.default_value = Value::Int(-7);
  v2.columns.push_back(extra);
  Batch in1 = EmptyBatch(v1);
  Batch in2 = EmptyBatch(v2);
  const size_t kRows = 12;
  for (int64_t k = 0; k < static_cast<int64_t>(kRows); ++k) {
    // Only row 8 has NULLs (AppendAllTypesRow makes k % 3 == 2 rows NULL).
    const int64_t shape = k == 8 ? 2 : (k % 2 == 0 ? 0 : 1);
    AppendAllTypesRow(v1, &in1, 5, 300 + k, shape);
    AppendAllTypesRow(v1, &in2, 5, 300 + k, shape);
    in2.columns.back().Append(Value::Int(k * 11));
  }
  // Row 5 was written before ADD COLUMN; the others after it.
  const std::vector<std::string> enc = EncodeAcrossAddColumn(v1, in1, v2, in2, {5});
  const std::vector<std::vector<uint32_t>> projections = {
      {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16},  // every numeric column
      {16, 12, 0, 7},                                       // reordered, partition key
      {11, 1}};
  for (const std::vector<uint32_t>& proj : projections) {
    CAPTURE(proj.size());
    const rowcodec::RowDecoder decoder(v2, proj);
    Batch one, many;
    rowcodec::InitProjection(v2, proj, &one);
    rowcodec::InitProjection(v2, proj, &many);
    const std::vector<rowcodec::EncodedRow> rows = StoredRows(enc, 300, 40);
    for (const rowcodec::EncodedRow& r : rows) {
      REQUIRE(decoder.Decode(5, r.order_key, r.row, &one).ok());
    }
    REQUIRE(decoder.DecodeRows(5, rows, &many).ok());
    REQUIRE(many.num_rows() == kRows);
    for (size_t i = 0; i < proj.size(); ++i) {
      CHECK(many.columns[i].nulls == one.columns[i].nulls);
      for (size_t r = 0; r < kRows; ++r) {
        CAPTURE(r);
        CHECK(many.columns[i].Get(r) == one.columns[i].Get(r));
      }
    }
    CHECK(many.columns[0].Get(5) == (proj[0] == 16 ? Value::Int(-7) : one.columns[0].Get(5)));

    // A bad row at each position of a NULL-free run: the rows before it
    // stay, nothing of it, and the error names its seq.
    for (size_t bad : {size_t{0}, size_t{3}, size_t{7}}) {
      for (int how = 0; how < 3; ++how) {
        CAPTURE(bad);
        CAPTURE(how);
        std::vector<std::string> broken = enc;
        if (how == 0) broken[bad].pop_back();                                     // truncated value
        if (how == 1) broken[bad] += "x";                                         // trailing bytes
        if (how == 2) broken[bad][0] = static_cast<char>(v2.columns.size() + 1);  // column count
        CheckBadRowKeepsPrefix(decoder, v2, proj, 5, StoredRows(broken, 300, 40), bad, one);
      }
    }
  }
}

// AllTypesSchema without its STRING column: rows of it can be packed.
TableSchema NumericSchema() {
  TableSchema s = AllTypesSchema();
  s.columns.erase(std::find_if(s.columns.begin(), s.columns.end(),
                               [](const Column& c) { return c.type == Type::kString; }));
  return s;
}

// Appends a row of `schema` (NULL-free unless shape 2) whose encoding is:
// shape 0 packed narrow (every value at an edge of what 32 bits hold),
// shape 1 packed wide (64-bit edges), shape 2 general (NULLs), shape 3
// general (an I16 value out of its type's range, kept whole).
void AppendShapedRow(const TableSchema& schema, Batch* b, uint64_t user, int64_t ts, int shape) {
  if (shape == 1 || shape == 2) {
    AppendAllTypesRow(schema, b, user, ts, shape == 1 ? 1 : 2);
    return;
  }
  const bool lo = ts % 2 != 0;
  for (size_t c = 0; c < schema.columns.size(); ++c) {
    ColumnVector& col = b->columns[c];
    const Type t = col.type;
    if (c == schema.partition_key) {
      col.Append(Value::UInt(user));
    } else if (c == schema.order_key) {
      col.Append(Value::Int(ts));
    } else if (t == Type::kF32) {
      col.Append(Value::Float(lo ? -0.5 : static_cast<double>(FLT_MAX)));
    } else if (t == Type::kF64) {
      col.Append(Value::Float(lo ? -1e-300 : 2.5));
    } else if (t == Type::kI16 && shape == 3) {
      col.Append(Value::Int(40000));
    } else if (LaneOf(t) == Lane::kUInt) {
      const uint64_t max = t == Type::kU8 ? UINT8_MAX : t == Type::kU16 ? UINT16_MAX : UINT32_MAX;
      col.Append(Value::UInt(lo ? 0 : max));
    } else if (t == Type::kBool) {
      col.Append(Value::Int(lo ? 0 : 1));
    } else {
      const int64_t max = t == Type::kI8 ? INT8_MAX : t == Type::kI16 ? INT16_MAX : INT32_MAX;
      col.Append(Value::Int(lo ? -max - 1 : max));
    }
  }
}

TEST_CASE("row codec packs NULL-free numeric rows, narrow or wide, and decodes them as written") {
  const TableSchema schema = NumericSchema();
  const size_t n = schema.columns.size();
  Batch in = EmptyBatch(schema);
  const std::vector<int> shapes = {0, 0, 1, 0, 2, 3, 1, 1, 0, 3, 0};
  for (size_t r = 0; r < shapes.size(); ++r) {
    AppendShapedRow(schema, &in, 8, 500 + static_cast<int64_t>(r), shapes[r]);
  }
  std::vector<std::string> enc(shapes.size());
  std::vector<rowcodec::EncodedRow> rows;
  for (size_t r = 0; r < shapes.size(); ++r) {
    rowcodec::EncodeRow(schema, in, r, &enc[r]);
    rows.push_back(rowcodec::EncodedRow{500 + static_cast<int64_t>(r), 60 + r, enc[r]});
    CAPTURE(r);
    // The form byte, and the packed rows' sizes: 2 + 27 + 4 * w
    // (b, i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, t2, action).
    switch (shapes[r]) {
      case 0:
        CHECK(enc[r][0] == 0);
        CHECK(enc[r].size() == 2 + 27 + 4 * 4);
        break;
      case 1:
        CHECK(enc[r][0] == 1);
        CHECK(enc[r].size() == 2 + 27 + 4 * 8);
        break;
      default:
        CHECK(static_cast<size_t>(enc[r][0]) == n);
    }
  }
  // Every column once (the batch path's sinks), a reordered subset, and
  // columns projected twice (row at a time inside the batch path).
  const std::vector<std::vector<uint32_t>> projections = {
      rowcodec::AllColumns(schema), {14, 6, 0, 10, 1}, {12, 4, 12, 1, 4}};
  for (const std::vector<uint32_t>& proj : projections) {
    CAPTURE(proj.size());
    const rowcodec::RowDecoder decoder(schema, proj);
    Batch one, many;
    rowcodec::InitProjection(schema, proj, &one);
    rowcodec::InitProjection(schema, proj, &many);
    for (const rowcodec::EncodedRow& r : rows) {
      REQUIRE(decoder.Decode(8, r.order_key, r.row, &one).ok());
    }
    REQUIRE(decoder.DecodeRows(8, rows, &many).ok());
    REQUIRE(one.num_rows() == shapes.size());
    REQUIRE(many.num_rows() == shapes.size());
    for (size_t i = 0; i < proj.size(); ++i) {
      CHECK(many.columns[i].nulls == one.columns[i].nulls);
      for (size_t r = 0; r < shapes.size(); ++r) {
        CAPTURE(r);
        CHECK(one.columns[i].Get(r) == in.columns[proj[i]].Get(r));
        CHECK(many.columns[i].Get(r) == in.columns[proj[i]].Get(r));
      }
    }
  }
}

TEST_CASE("row codec rejects a bad packed row and appends nothing of it") {
  const TableSchema schema = NumericSchema();
  const std::vector<uint32_t> all = rowcodec::AllColumns(schema);
  for (int shape : {0, 1}) {
    CAPTURE(shape);
    Batch in = EmptyBatch(schema);
    AppendShapedRow(schema, &in, 1, 2, shape);
    std::string enc;
    rowcodec::EncodeRow(schema, in, 0, &enc);
    REQUIRE(enc[0] == shape);
    std::vector<std::string> bad;
    for (size_t len = 1; len < enc.size(); ++len) bad.push_back(enc.substr(0, len));
    bad.push_back(enc + "x");
    for (char count : {char{0}, char{1}, static_cast<char>(schema.columns.size() + 1)}) {
      bad.push_back(enc);
      bad.back()[1] = count;
    }
    for (const std::string& b : bad) {
      CAPTURE(b.size());
      // A heap copy of exactly its bytes, so ASan catches any read beyond it.
      std::unique_ptr<char[]> copy(new char[b.size()]);
      std::copy(b.begin(), b.end(), copy.get());
      const std::string_view row(copy.get(), b.size());
      Batch out;
      rowcodec::InitProjection(schema, all, &out);
      CHECK(rowcodec::DecodeRow(schema, all, 1, 2, row, &out).IsCorruption());
      const rowcodec::EncodedRow rows[] = {{2, 9, row}};
      const Status s = rowcodec::RowDecoder(schema, all).DecodeRows(1, rows, &out);
      CHECK(s.IsCorruption());
      CHECK(s.ToString().find("seq 9") != std::string::npos);
      for (const ColumnVector& col : out.columns) CHECK(col.size() == 0);
    }
  }
  // A packed row claiming a STRING column (no writer makes one).
  const TableSchema strings = AllTypesSchema();
  Batch in = EmptyBatch(schema);
  AppendShapedRow(schema, &in, 1, 2, 0);
  std::string enc;
  rowcodec::EncodeRow(schema, in, 0, &enc);
  enc[1] = static_cast<char>(strings.columns.size());
  Batch out;
  rowcodec::InitProjection(strings, rowcodec::AllColumns(strings), &out);
  const Status s = rowcodec::DecodeRow(strings, rowcodec::AllColumns(strings), 1, 2, enc, &out);
  CHECK(s.IsCorruption());
  CHECK(s.ToString().find("STRING") != std::string::npos);
}

TEST_CASE("packed rows in runs among general rows, older rows and bad rows") {
  // Packed rows written before ADD COLUMN read its default; the batch path
  // meets runs of both forms, in every order, and bad rows inside them.
  const TableSchema v1 = NumericSchema();
  TableSchema v2 = v1;
  v2.version = 2;
  Column extra;
  extra.name = "w";
  extra.type = Type::kU16;
  extra.default_value = Value::UInt(77);
  v2.columns.push_back(extra);
  const std::vector<int> shapes = {0, 0, 0, 1, 1, 3, 3, 0, 2, 0, 0, 1, 3, 0};
  const size_t kRows = shapes.size();
  Batch in1 = EmptyBatch(v1);
  Batch in2 = EmptyBatch(v2);
  for (size_t r = 0; r < kRows; ++r) {
    AppendShapedRow(v1, &in1, 4, 700 + static_cast<int64_t>(r), shapes[r]);
    AppendShapedRow(v1, &in2, 4, 700 + static_cast<int64_t>(r), shapes[r]);
    in2.columns.back().Append(Value::UInt(r));
  }
  // Rows 1 and 10 (packed) and 6 (general) were written before ADD COLUMN.
  const std::vector<std::string> enc = EncodeAcrossAddColumn(v1, in1, v2, in2, {1, 6, 10});
  const uint32_t w = static_cast<uint32_t>(v2.columns.size() - 1);
  for (const std::vector<uint32_t>& proj :
       {rowcodec::AllColumns(v2), std::vector<uint32_t>{w, 10, 1}}) {
    CAPTURE(proj.size());
    const rowcodec::RowDecoder decoder(v2, proj);
    Batch many;
    rowcodec::InitProjection(v2, proj, &many);
    REQUIRE(decoder.DecodeRows(4, StoredRows(enc, 700, 90), &many).ok());
    REQUIRE(many.num_rows() == kRows);
    for (size_t i = 0; i < proj.size(); ++i) {
      for (size_t r = 0; r < kRows; ++r) {
        CAPTURE(i);
        CAPTURE(r);
        const bool old = r == 1 || r == 10 || r == 6;
        const Value want =
            proj[i] == w ? (old ? Value::UInt(77) : Value::UInt(r)) : in2.columns[proj[i]].Get(r);
        CHECK(many.columns[i].Get(r) == want);
      }
    }
    // A bad row inside a packed run, at its start, and after a general run.
    for (size_t bad : {size_t{2}, size_t{3}, size_t{7}, size_t{13}}) {
      for (int how = 0; how < 2; ++how) {
        CAPTURE(bad);
        CAPTURE(how);
        std::vector<std::string> broken = enc;
        if (how == 0) broken[bad].pop_back();
        if (how == 1) broken[bad] += "x";
        CheckBadRowKeepsPrefix(decoder, v2, proj, 4, StoredRows(broken, 700, 90), bad, many);
      }
    }
  }
}

TEST_CASE("rows written before ADD COLUMN read the new column's default") {
  TableSchema v1 = AllTypesSchema();
  Batch in = EmptyBatch(v1);
  AppendAllTypesRow(v1, &in, 9, 100, 0);
  MemTable mem;
  mem.Insert(3, v1, in, 1);

  TableSchema v2 = v1;
  v2.version = 2;
  Column extra;
  extra.name = "region";
  extra.type = Type::kString;
  extra.default_value = Value::String("cn");
  v2.columns.push_back(extra);
  Column extra2;
  extra2.name = "weight";
  extra2.type = Type::kI32;
  v2.columns.push_back(extra2);  // default NULL

  const std::vector<uint32_t> proj = {1, 16, 17, 14};
  Batch out;
  auto n = mem.ReadUser(3, 9, v2, proj, std::nullopt, std::nullopt, &out);
  REQUIRE(n.ok());
  REQUIRE(*n == 1);
  CHECK(out.names == std::vector<std::string>{"ts", "region", "weight", "s"});
  CHECK(out.columns[0].Get(0) == Value::Int(100));
  CHECK(out.columns[1].Get(0) == Value::String("cn"));
  CHECK(out.columns[2].Get(0).is_null());
  CHECK(out.columns[3].Get(0) == in.columns[14].Get(0));

  // A row written with v2 decodes its own values for the new columns.
  Batch in2 = EmptyBatch(v2);
  AppendAllTypesRow(v1, &in2, 9, 50, 0);
  in2.columns[16].Append(Value::String("us"));
  in2.columns[17].Append(Value::Int(-5));
  mem.Insert(3, v2, in2, 2);
  Batch out2;
  REQUIRE(mem.ReadUser(3, 9, v2, proj, std::nullopt, std::nullopt, &out2).ok());
  REQUIRE(out2.num_rows() == 2);
  CHECK(out2.columns[1].Get(0) == Value::String("us"));
  CHECK(out2.columns[2].Get(0) == Value::Int(-5));
  CHECK(out2.columns[1].Get(1) == Value::String("cn"));
}

TEST_CASE("memtable keeps order-key order with ties in arrival order, per table and user") {
  const TableSchema schema = AllTypesSchema();
  MemTable mem;
  // (table, user, ts, seq) -> k, the model of what must come back.
  std::map<std::tuple<uint32_t, uint64_t, int64_t, uint64_t>, int64_t> model;
  std::mt19937_64 rng(11);
  uint64_t seq = 1;
  for (int batch = 0; batch < 50; ++batch) {
    const uint32_t table = static_cast<uint32_t>(rng() % 2 + 1);
    Batch b = EmptyBatch(schema);
    const uint64_t first = seq;
    for (int r = 0; r < 20; ++r) {
      const uint64_t user = rng() % 7;
      const int64_t ts = static_cast<int64_t>(rng() % 10) - 5;  // many ties, negatives
      const int64_t k = static_cast<int64_t>(seq);
      AppendAllTypesRow(schema, &b, user, ts, k);
      model[{table, user, ts, seq}] = k;
      ++seq;
    }
    mem.Insert(table, schema, b, first);
  }
  CHECK(mem.NumEvents() == model.size());
  CHECK(mem.MaxSeq() == seq - 1);
  CHECK(mem.ApproximateBytes() > 0);

  const std::vector<uint32_t> all = rowcodec::AllColumns(schema);
  uint64_t groups = 0;
  for (uint32_t table : {1u, 2u}) {
    for (uint64_t user = 0; user < 7; ++user) {
      Batch got;
      auto n = mem.ReadUser(table, user, schema, all, std::nullopt, std::nullopt, &got);
      REQUIRE(n.ok());
      Batch want = EmptyBatch(schema);
      for (auto& [key, k] : model) {
        if (std::get<0>(key) == table && std::get<1>(key) == user) {
          AppendAllTypesRow(schema, &want, user, std::get<2>(key), k);
        }
      }
      REQUIRE(got.num_rows() == want.num_rows());
      for (size_t r = 0; r < got.num_rows(); ++r) CHECK(RowOf(got, r) == RowOf(want, r));
      if (want.num_rows() > 0) ++groups;

      // Range [min, max) and a projection of two columns in a new order.
      const std::vector<uint32_t> proj = {14, 1};
      Batch ranged;
      REQUIRE(mem.ReadUser(table, user, schema, proj, -2, 3, &ranged).ok());
      size_t expect = 0;
      for (size_t r = 0; r < want.num_rows(); ++r) {
        const int64_t ts = want.columns[1].ints[r];
        if (ts < -2 || ts >= 3) continue;
        REQUIRE(expect < ranged.num_rows());
        CHECK(ranged.columns[1].ints[expect] == ts);
        CHECK(ranged.columns[0].Get(expect) == want.columns[14].Get(r));
        ++expect;
      }
      CHECK(ranged.num_rows() == expect);

      // last_n: the newest rows of the range, ties in arrival order.
      for (uint64_t last_n : {1u, 3u, 1000u}) {
        Batch tail;
        auto t = mem.ReadUser(table, user, schema, all, -2, std::nullopt, &tail, last_n);
        REQUIRE(t.ok());
        std::vector<size_t> in_range;
        for (size_t r = 0; r < want.num_rows(); ++r) {
          if (want.columns[1].ints[r] >= -2) in_range.push_back(r);
        }
        const size_t skip = in_range.size() > last_n ? in_range.size() - last_n : 0;
        REQUIRE(*t == in_range.size() - skip);
        REQUIRE(tail.num_rows() == *t);
        for (size_t j = 0; j < tail.num_rows(); ++j) {
          CHECK(RowOf(tail, j) == RowOf(want, in_range[skip + j]));
        }
      }
    }
  }
  CHECK(mem.NumUsers() == groups);

  // The group iterator visits the same groups in (table, user) order.
  MemTable::GroupIterator it(&mem);
  uint64_t seen = 0;
  std::pair<uint32_t, uint64_t> prev{0, 0};
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    const std::pair<uint32_t, uint64_t> cur{it.table_id(), it.user()};
    if (seen > 0) CHECK(prev < cur);
    prev = cur;
    ++seen;
    Batch rows;
    REQUIRE(it.AppendRows(schema, all, &rows).ok());
    CHECK(rows.num_rows() == it.entries().size());
    for (size_t i = 1; i < it.entries().size(); ++i) {
      const MemTable::Event& a = it.entries()[i - 1];
      const MemTable::Event& b = it.entries()[i];
      CHECK((a.order_key < b.order_key || (a.order_key == b.order_key && a.seq < b.seq)));
    }
  }
  CHECK(seen == groups);
  it.Seek(2, 3);
  REQUIRE(it.Valid());
  CHECK((it.table_id() > 2 || (it.table_id() == 2 && it.user() >= 3)));
}

// A read of several memtables (a flush's immutable one and the live one)
// requests every table's memory before walking any: the events, their order
// and the rows they point at are those of collecting from each in turn.
TEST_CASE("memtable: collecting from several tables at once equals collecting from each in turn") {
  const TableSchema schema = AllTypesSchema();
  MemTable tables[3];
  MemTable empty;
  std::mt19937_64 rng(23);
  uint64_t seq = 1;
  for (MemTable& mem : tables) {
    for (int batch = 0; batch < 40; ++batch) {
      const uint32_t table = static_cast<uint32_t>(rng() % 2 + 1);
      Batch b = EmptyBatch(schema);
      const uint64_t first = seq;
      for (int r = 0; r < 25; ++r) {
        // User 0 gets most events (its log outgrows the chunk directory);
        // random keys make late events and ties.
        const uint64_t user = rng() % 3 == 0 ? rng() % 9 : 0;
        AppendAllTypesRow(schema, &b, user, static_cast<int64_t>(rng() % 400) - 100,
                          static_cast<int64_t>(seq));
        ++seq;
      }
      mem.Insert(table, schema, b, first);
    }
  }
  const MemTable* sets[][4] = {{&tables[0], &tables[1], &tables[2], nullptr},
                               {nullptr, &tables[2], &empty, &tables[0]},
                               {&tables[1], nullptr, nullptr, nullptr},
                               {nullptr, nullptr, nullptr, nullptr}};
  using Bound = std::optional<int64_t>;
  const std::pair<Bound, Bound> bounds[] = {
      {std::nullopt, std::nullopt}, {-20, std::nullopt}, {std::nullopt, 150}, {0, 10}};
  size_t compared = 0;
  for (const auto& set : sets) {
    for (uint32_t table : {1u, 2u, 3u}) {
      for (uint64_t user = 0; user < 10; ++user) {
        for (const auto& [lo, hi] : bounds) {
          for (uint64_t last_n : {0u, 1u, 7u, 5000u}) {
            std::vector<MemTable::Event> want, got;
            for (const MemTable* m : set) {
              if (m != nullptr) m->CollectUser(table, user, lo, hi, last_n, &want);
            }
            got.push_back(MemTable::Event{-1, 0, {}});  // appended to, not replaced
            MemTable::CollectUserFrom(set, table, user, lo, hi, last_n, &got);
            REQUIRE(got.size() == want.size() + 1);
            for (size_t i = 0; i < want.size(); ++i) {
              CHECK(got[i + 1].order_key == want[i].order_key);
              CHECK(got[i + 1].seq == want[i].seq);
              CHECK(got[i + 1].row.data() == want[i].row.data());
              CHECK(got[i + 1].row.size() == want[i].row.size());
            }
            compared += want.size();
          }
        }
      }
    }
  }
  CHECK(compared > 10000);
}

TEST_CASE("memtable keeps one user's rows apart across many tables") {
  // The same user in 600 tables: with 1 024 hash slots, many tables' home
  // slots for the user fall on, or probe past, another table's group of
  // it, which a lookup must tell apart by table, as a read and as the
  // writer. The 513th table grows the hash (past half full).
  const TableSchema schema = AllTypesSchema();
  MemTable mem;
  constexpr uint32_t kTables = 600;
  constexpr uint64_t kUser = 7;
  uint64_t seq = 1;
  for (int round = 0; round < 3; ++round) {
    for (uint32_t table = 1; table <= kTables; ++table) {
      Batch b = EmptyBatch(schema);
      AppendAllTypesRow(schema, &b, kUser, round, static_cast<int64_t>(table));
      mem.Insert(table, schema, b, seq++);
    }
  }
  CHECK(mem.NumUsers() == kTables);
  const std::vector<uint32_t> all = rowcodec::AllColumns(schema);
  const size_t key_col = static_cast<size_t>(schema.order_key);
  for (uint32_t table = 1; table <= kTables; ++table) {
    CAPTURE(table);
    std::vector<MemTable::Event> events;
    mem.CollectUser(table, kUser, std::nullopt, std::nullopt, 0, &events);
    REQUIRE(events.size() == 3);
    for (int round = 0; round < 3; ++round) {
      CHECK(events[static_cast<size_t>(round)].seq ==
            1 + static_cast<uint64_t>(round) * kTables + (table - 1));
    }
    Batch rows;
    REQUIRE(mem.ReadUser(table, kUser, schema, all, std::nullopt, std::nullopt, &rows).ok());
    REQUIRE(rows.num_rows() == 3);
    CHECK(rows.columns[key_col].ints == std::vector<int64_t>{0, 1, 2});
    Batch want = EmptyBatch(schema);
    for (int round = 0; round < 3; ++round) {
      AppendAllTypesRow(schema, &want, kUser, round, static_cast<int64_t>(table));
    }
    for (size_t r = 0; r < 3; ++r) CHECK(RowOf(rows, r) == RowOf(want, r));
  }
  std::vector<MemTable::Event> none;
  mem.CollectUser(kTables + 1, kUser, std::nullopt, std::nullopt, 0, &none);
  CHECK(none.empty());
}

TEST_CASE("memtable lists users ascending with paging") {
  const TableSchema schema = AllTypesSchema();
  MemTable mem;
  Batch b = EmptyBatch(schema);
  for (uint64_t u : std::vector<uint64_t>{50, 7, 7, 1000, UINT64_MAX, 0}) {
    AppendAllTypesRow(schema, &b, u, 1, 0);
  }
  mem.Insert(1, schema, b, 1);
  Batch other = EmptyBatch(schema);
  AppendAllTypesRow(schema, &other, 8, 1, 0);
  mem.Insert(2, schema, other, 100);

  CHECK(mem.ListUsers(1, std::nullopt, 100) == std::vector<uint64_t>{0, 7, 50, 1000, UINT64_MAX});
  CHECK(mem.ListUsers(1, std::nullopt, 2) == std::vector<uint64_t>{0, 7});
  CHECK(mem.ListUsers(1, 7, 2) == std::vector<uint64_t>{50, 1000});
  CHECK(mem.ListUsers(1, 1000, 5) == std::vector<uint64_t>{UINT64_MAX});
  CHECK(mem.ListUsers(1, UINT64_MAX, 5).empty());
  CHECK(mem.ListUsers(2, std::nullopt, 5) == std::vector<uint64_t>{8});
  CHECK(mem.ListUsers(3, std::nullopt, 5).empty());
  CHECK(mem.NumUsers() == 6);
}

// Thousands of groups (the writer's group index grows several times), the
// same user ids in two tables, each user's events mostly ascending with some
// late and tied ones: every read returns exactly the model, in order.
TEST_CASE("memtable with many users in two tables, late and tied events") {
  const TableSchema schema = AllTypesSchema();
  MemTable mem;
  std::map<std::tuple<uint32_t, uint64_t, int64_t, uint64_t>, int64_t> model;
  std::map<std::pair<uint32_t, uint64_t>, int64_t> top;  // largest ts so far
  std::mt19937_64 rng(23);
  constexpr uint64_t kUsers = 3000;
  uint64_t seq = 1;
  for (int batch = 0; batch < 40; ++batch) {
    const uint32_t table = static_cast<uint32_t>(batch % 2 + 1);
    Batch b = EmptyBatch(schema);
    const uint64_t first = seq;
    for (int r = 0; r < 250; ++r) {
      // A run of one user (the cached group), then a jump to another.
      const uint64_t user = (rng() % kUsers) * 0x9E3779B9ull;
      int64_t& t = top[{table, user}];
      const uint64_t pick = rng() % 10;
      const int64_t ts = pick < 7 ? t + static_cast<int64_t>(rng() % 3)    // in order or tied
                                  : t - static_cast<int64_t>(rng() % 50);  // late
      t = std::max(t, ts);
      const int64_t k = static_cast<int64_t>(seq);
      AppendAllTypesRow(schema, &b, user, ts, k);
      model[{table, user, ts, seq}] = k;
      ++seq;
    }
    mem.Insert(table, schema, b, first);
  }
  CHECK(mem.NumEvents() == model.size());
  CHECK(mem.NumUsers() == top.size());
  CHECK(mem.MaxSeq() == seq - 1);

  // Group iterator: every group, in key order, each exactly its model rows.
  const std::vector<uint32_t> all = rowcodec::AllColumns(schema);
  MemTable::GroupIterator it(&mem);
  auto m = model.begin();
  size_t groups = 0;
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    ++groups;
    Batch rows;
    REQUIRE(it.AppendRows(schema, all, &rows).ok());
    REQUIRE(rows.num_rows() == it.entries().size());
    for (size_t r = 0; r < rows.num_rows(); ++r, ++m) {
      REQUIRE(m != model.end());
      const auto& [table, user, ts, sq] = m->first;
      CHECK(it.table_id() == table);
      CHECK(it.user() == user);
      CHECK(it.entries()[r].seq == sq);
      CHECK(rows.columns[1].ints[r] == ts);
    }
    // ReadUser agrees with the iterator.
    Batch read;
    auto n = mem.ReadUser(it.table_id(), it.user(), schema, all, std::nullopt, std::nullopt, &read);
    REQUIRE(n.ok());
    CHECK(*n == rows.num_rows());
  }
  CHECK(m == model.end());
  CHECK(groups == top.size());

  // ListUsers pages through table 2 in ascending order; no user is missed.
  std::vector<uint64_t> want;
  for (const auto& [key, t] : top) {
    if (key.first == 2) want.push_back(key.second);
  }
  std::vector<uint64_t> got;
  std::optional<uint64_t> after;
  while (true) {
    std::vector<uint64_t> page = mem.ListUsers(2, after, 97);
    if (page.empty()) break;
    got.insert(got.end(), page.begin(), page.end());
    after = page.back();
  }
  CHECK(got == want);
  Batch none;
  auto n = mem.ReadUser(3, want.front(), schema, all, std::nullopt, std::nullopt, &none);
  REQUIRE(n.ok());
  CHECK(*n == 0);
}

// New groups are published while readers list users and walk groups: a
// reader never sees an empty group or a user out of order, and sees every
// group created before it began.
TEST_CASE("memtable group listing is consistent while the writer adds users") {
  const TableSchema schema = AllTypesSchema();
  MemTable mem;
  constexpr int kBatches = 200;
  std::atomic<int> done_batches{0};
  std::atomic<bool> failed{false};
  std::thread reader([&] {
    while (true) {
      const int before = done_batches.load(std::memory_order_acquire);
      const std::vector<uint64_t> users = mem.ListUsers(1, std::nullopt, 1u << 20);
      // Each batch adds 5 new users (and touches older ones).
      if (users.size() < static_cast<size_t>(before) * 5) failed = true;
      if (!std::is_sorted(users.begin(), users.end())) failed = true;
      MemTable::GroupIterator it(&mem);
      size_t groups = 0;
      for (it.SeekToFirst(); it.Valid(); it.Next()) {
        if (it.entries().empty()) failed = true;
        ++groups;
      }
      if (groups < static_cast<size_t>(before) * 5) failed = true;
      if (before == kBatches) break;
    }
  });
  uint64_t seq = 1;
  for (int i = 0; i < kBatches; ++i) {
    Batch b = EmptyBatch(schema);
    const uint64_t first = seq;
    for (int r = 0; r < 10; ++r) {
      // Users descend so that every new group lands before existing ones.
      const uint64_t user = r < 5 ? static_cast<uint64_t>(1000000 - i * 5 - r)
                                  : static_cast<uint64_t>(1000000 - (i * 5 + r) / 2);
      AppendAllTypesRow(schema, &b, user, static_cast<int64_t>(seq % 7), 0);
      ++seq;
    }
    mem.Insert(1, schema, b, first);
    done_batches.store(i + 1, std::memory_order_release);
  }
  reader.join();
  CHECK_FALSE(failed.load());
  CHECK(mem.NumUsers() == static_cast<uint64_t>(kBatches) * 5);
}

// ReadUser runs without locks beside the single writer; every read must be
// sorted by (order key, seq) and include every row inserted before it began.
TEST_CASE("memtable reads are consistent while the writer inserts") {
  const TableSchema schema = AllTypesSchema();
  MemTable mem;
  constexpr int kBatches = 300;
  std::atomic<int> done_batches{0};
  std::atomic<bool> failed{false};
  const std::vector<uint32_t> proj = {1, 10};  // ts, u64 (= seq for even k)

  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      const uint64_t user = static_cast<uint64_t>(r);
      while (true) {
        const int before = done_batches.load(std::memory_order_acquire);
        Batch out;
        auto n = mem.ReadUser(1, user, schema, proj, std::nullopt, std::nullopt, &out);
        if (!n.ok()) failed = true;
        // Each batch inserts 4 events per user.
        if (out.num_rows() < static_cast<size_t>(before) * 4) failed = true;
        for (size_t i = 1; i < out.num_rows(); ++i) {
          if (out.columns[0].ints[i - 1] > out.columns[0].ints[i]) failed = true;
        }
        if (before == kBatches) break;
      }
    });
  }
  // The same through the several-table path, which also prefetches.
  readers.emplace_back([&] {
    const MemTable* set[] = {nullptr, &mem};
    std::vector<MemTable::Event> events;
    while (true) {
      const int before = done_batches.load(std::memory_order_acquire);
      events.clear();
      MemTable::CollectUserFrom(set, 1, 0, std::nullopt, std::nullopt, 0, &events);
      if (events.size() < static_cast<size_t>(before) * 4) failed = true;
      for (size_t i = 1; i < events.size(); ++i) {
        if (events[i - 1].order_key > events[i].order_key) failed = true;
      }
      if (before == kBatches) break;
    }
  });
  uint64_t seq = 1;
  std::mt19937_64 rng(5);
  for (int i = 0; i < kBatches; ++i) {
    Batch b = EmptyBatch(schema);
    const uint64_t first = seq;
    for (int r = 0; r < 8; ++r) {
      AppendAllTypesRow(schema, &b, static_cast<uint64_t>(r % 2),
                        static_cast<int64_t>(rng() % 1000), static_cast<int64_t>(seq));
      ++seq;
    }
    mem.Insert(1, schema, b, first);
    done_batches.store(i + 1, std::memory_order_release);
  }
  for (auto& t : readers) t.join();
  CHECK_FALSE(failed.load());
  CHECK(mem.NumEvents() == static_cast<uint64_t>(kBatches) * 8);
}

// A user's log rolls over many chunks while readers with and without last_n
// and key bounds run throughout; user 9 also has late events (in its late
// list), user 8 has none (its last_n reads skip whole chunks). Every read is
// in (order_key, seq) order, obeys its bounds, and holds every event
// inserted before it began.
TEST_CASE("memtable reads of a growing log with late events are complete and ordered") {
  TableSchema schema;
  schema.name = "t";
  for (auto [name, type] : {std::pair{"user", Type::kU64}, std::pair{"ts", Type::kTimestamp},
                            std::pair{"seq", Type::kU64}, std::pair{"pad", Type::kString}}) {
    Column c;
    c.name = name;
    c.type = type;
    c.nullable = false;
    schema.columns.push_back(c);
  }
  schema.partition_key = 0;
  schema.order_key = 1;
  constexpr int kEvents = 6000;
  MemTable mem;
  std::atomic<int> inserted{0};
  std::atomic<bool> failed{false};
  // The s-th event (1-based) of each user has seq field s and ts 2s; for
  // user 9 every 7th is late instead (ts 2s - 301).
  auto ts_of = [](uint64_t user, int64_t s) {
    return user == 9 && s % 7 == 0 ? 2 * s - 301 : 2 * s;
  };
  const std::vector<uint32_t> proj = {1, 2};
  auto check_order = [&](const Batch& out) {
    for (size_t i = 1; i < out.num_rows(); ++i) {
      const int64_t a = out.columns[0].ints[i - 1], b = out.columns[0].ints[i];
      if (a > b || (a == b && out.columns[1].uints[i - 1] >= out.columns[1].uints[i])) {
        failed = true;
      }
    }
  };
  auto check_user = [&](uint64_t user, int round, int before) {
    Batch all;
    if (!mem.ReadUser(1, user, schema, proj, std::nullopt, std::nullopt, &all).ok()) failed = true;
    check_order(all);
    std::vector<bool> seen(kEvents + 1, false);
    for (uint64_t s : all.columns[1].uints) {
      if (s == 0 || s > kEvents || seen[s]) failed = true;
      if (s <= kEvents) seen[s] = true;
    }
    for (int s = 1; s <= before; ++s) {
      if (!seen[static_cast<size_t>(s)]) failed = true;
    }
    const uint64_t last_n = 1 + static_cast<uint64_t>(round % 50) * 13;
    Batch tail;
    auto n = mem.ReadUser(1, user, schema, proj, std::nullopt, std::nullopt, &tail, last_n);
    if (!n.ok() || *n != tail.num_rows() || *n > last_n ||
        *n < std::min<uint64_t>(last_n, static_cast<uint64_t>(before))) {
      failed = true;
    }
    check_order(tail);
    // Newest first: the tail's last event is at least the newest one
    // inserted before the read (user 8's events only grow).
    if (user == 8 && before > 0 &&
        (tail.num_rows() == 0 || tail.columns[1].uints.back() < static_cast<uint64_t>(before))) {
      failed = true;
    }
    const int64_t lo = 2 * (round % 3000), hi = lo + 900;
    Batch range;
    if (!mem.ReadUser(1, user, schema, proj, lo, hi, &range).ok()) failed = true;
    check_order(range);
    for (int64_t ts : range.columns[0].ints) {
      if (ts < lo || ts >= hi) failed = true;
    }
    int64_t want = 0;
    for (int s = 1; s <= before; ++s) want += ts_of(user, s) >= lo && ts_of(user, s) < hi;
    if (static_cast<int64_t>(range.num_rows()) < want) failed = true;
  };
  std::thread reader([&] {
    for (int round = 0;; ++round) {
      const int before = inserted.load(std::memory_order_acquire);
      check_user(8, round, before);
      check_user(9, round, before);
      if (before == kEvents) break;
    }
  });
  for (int s = 1; s <= kEvents; ++s) {
    Batch b = EmptyBatch(schema);
    for (uint64_t user : {8, 9}) {
      b.columns[0].Append(Value::UInt(user));
      b.columns[1].Append(Value::Int(ts_of(user, s)));
      b.columns[2].Append(Value::UInt(static_cast<uint64_t>(s)));
      b.columns[3].Append(Value::String(std::string(static_cast<size_t>(s % 40), 'x')));
    }
    mem.Insert(1, schema, b, static_cast<uint64_t>(2 * s));
    inserted.store(s, std::memory_order_release);
  }
  reader.join();
  CHECK_FALSE(failed.load());

  // Once quiet, a last_n read is exactly the tail of the full read.
  for (uint64_t user : {8, 9}) {
    Batch all, tail;
    REQUIRE(mem.ReadUser(1, user, schema, proj, std::nullopt, std::nullopt, &all).ok());
    REQUIRE(all.num_rows() == static_cast<size_t>(kEvents));
    auto n = mem.ReadUser(1, user, schema, proj, std::nullopt, std::nullopt, &tail, 777);
    REQUIRE(n.ok());
    REQUIRE(*n == 777);
    for (size_t i = 0; i < 777; ++i) {
      CHECK(tail.columns[1].uints[i] == all.columns[1].uints[kEvents - 777 + i]);
    }
  }
}

}  // namespace
}  // namespace laser
