// Helpers shared by the robustness tests: scratch directories, directory
// copies (a crash image of a database is a copy of its files), values in the
// lane a read returns them in, and row comparison.
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "engine/db/db_impl.hpp"
#include "laser/db.hpp"
#include "tests/support/temp_dir.hpp"

namespace laser::robust {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class ScratchDir {
 public:
  ScratchDir() { path_ = laser::testing::NewTempDir("laser_robust_"); }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Replaces `to` by a copy of every regular file of `from` (no subdirectories
// are expected in a database directory).
inline void CopyDir(const std::string& from, const std::string& to) {
  std::error_code ec;
  std::filesystem::remove_all(to, ec);
  std::filesystem::create_directories(to);
  for (const auto& e : std::filesystem::directory_iterator(from)) {
    if (!e.is_regular_file()) continue;
    std::filesystem::copy_file(e.path(), std::filesystem::path(to) / e.path().filename());
  }
}

inline std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

inline void WriteAll(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  REQUIRE_MESSAGE(out.good(), "cannot write " << path);
}

inline Column Col(std::string name, Type t, bool nullable = true) {
  Column c;
  c.name = std::move(name);
  c.type = t;
  c.nullable = nullable;
  return c;
}

inline Column EnumCol(std::string name, std::vector<std::string> labels) {
  Column c = Col(std::move(name), Type::kEnum);
  c.enum_values = std::move(labels);
  return c;
}

// One event: a Value per schema column, in schema order, each already in the
// lane a read returns (Int for BOOL/I*/TIMESTAMP/ENUM, UInt for U*, Float for
// F32/F64 — F32 values exactly representable —, String, or NULL).
using Row = std::vector<Value>;

// A batch whose columns are `schema`'s first `row width` columns, by name.
inline Batch MakeBatch(const TableSchema& schema, const std::vector<Row>& rows) {
  Batch b;
  const size_t width = rows.empty() ? schema.columns.size() : rows[0].size();
  for (size_t c = 0; c < width; ++c) b.AddColumn(schema.columns[c].name, schema.columns[c].type);
  for (const Row& r : rows) {
    REQUIRE(r.size() == width);
    for (size_t c = 0; c < width; ++c) b.columns[c].Append(r[c]);
  }
  return b;
}

// Returns "" iff `got` holds exactly `want` (rows of the given width, in
// order), else a description of the first difference.
inline std::string DiffRows(const Batch& got, const std::vector<Row>& want) {
  if (got.num_rows() != want.size()) {
    return "got " + std::to_string(got.num_rows()) + " rows, want " + std::to_string(want.size());
  }
  for (size_t r = 0; r < want.size(); ++r) {
    if (got.num_columns() != want[r].size()) {
      return "got " + std::to_string(got.num_columns()) + " columns, want " +
             std::to_string(want[r].size());
    }
    for (size_t c = 0; c < want[r].size(); ++c) {
      const Value v = got.columns[c].Get(r);
      if (!(v == want[r][c])) {
        return "row " + std::to_string(r) + " column " + got.names[c] + ": got " + v.ToString() +
               ", want " + want[r][c].ToString();
      }
    }
  }
  return "";
}

// A random value of column `c`, in its lane; NULL now and then if nullable.
// Extremes of every integer type, empty, long (compressible) and binary
// strings; floats exactly representable in the column's width.
template <typename Rng>
Value RandomValue(const Column& c, Rng& rng) {
  if (c.nullable && rng() % 10 == 0) return Value::Null();
  auto pick_int = [&](int64_t lo, int64_t hi) -> int64_t {
    switch (rng() % 6) {
      case 0:
        return lo;
      case 1:
        return hi;
      case 2:
        return 0;
      default: {
        const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
        const uint64_t off = span == UINT64_MAX ? rng() : rng() % (span + 1);
        return static_cast<int64_t>(static_cast<uint64_t>(lo) + off);
      }
    }
  };
  auto pick_uint = [&](uint64_t hi) -> uint64_t {
    switch (rng() % 5) {
      case 0:
        return hi;
      case 1:
        return 0;
      default:
        return hi == UINT64_MAX ? rng() : rng() % (hi + 1);
    }
  };
  switch (c.type) {
    case Type::kBool:
      return Value::Int(static_cast<int64_t>(rng() % 2));
    case Type::kI8:
      return Value::Int(pick_int(INT8_MIN, INT8_MAX));
    case Type::kI16:
      return Value::Int(pick_int(INT16_MIN, INT16_MAX));
    case Type::kI32:
      return Value::Int(pick_int(INT32_MIN, INT32_MAX));
    case Type::kI64:
    case Type::kTimestamp:
      return Value::Int(pick_int(INT64_MIN, INT64_MAX));
    case Type::kU8:
      return Value::UInt(pick_uint(UINT8_MAX));
    case Type::kU16:
      return Value::UInt(pick_uint(UINT16_MAX));
    case Type::kU32:
      return Value::UInt(pick_uint(UINT32_MAX));
    case Type::kU64:
      return Value::UInt(pick_uint(UINT64_MAX));
    case Type::kF32:
      return Value::Float(static_cast<double>(static_cast<float>(
          static_cast<double>(static_cast<int64_t>(rng() % 200001) - 100000) * 0.125)));
    case Type::kF64:
      switch (rng() % 4) {
        case 0:
          return Value::Float(-1.5e300);
        case 1:
          return Value::Float(5e-324);
        default:
          return Value::Float(static_cast<double>(static_cast<int64_t>(rng())) * 1e-7);
      }
    case Type::kString: {
      const uint64_t kind = rng() % 10;
      if (kind == 0) return Value::String("");
      if (kind == 1) {  // long and repetitive: compressed on disk
        return Value::String(std::string(100 + rng() % 400, static_cast<char>('a' + rng() % 26)));
      }
      std::string s(1 + rng() % 24, ' ');
      for (char& ch : s) {
        ch = kind == 2 ? static_cast<char>(rng() % 256) : static_cast<char>('a' + rng() % 26);
      }
      return Value::String(std::move(s));
    }
    case Type::kEnum:
      return Value::Int(static_cast<int64_t>(rng() % c.enum_values.size()));
  }
  return Value::Null();
}

// A table with a column of every type: user U64 | ts TIMESTAMP(us) | kind
// ENUM | item U64 | price F64 | score F32 | flag BOOL | small I8 | i16 I16 |
// cnt I32 | big I64 | u8 U8 | u16 U16 | u32 U32 | at TIMESTAMP(s) | tag STRING.
inline TableSchema AllTypesSchema(std::string name) {
  TableSchema s;
  s.name = std::move(name);
  Column ts = Col("ts", Type::kTimestamp, false);
  ts.unit = TimeUnit::kMicrosecond;
  Column at = Col("at", Type::kTimestamp);
  at.unit = TimeUnit::kSecond;
  s.columns = {Col("user", Type::kU64, false),
               ts,
               EnumCol("kind", {"pv", "click", "cart", "buy"}),
               Col("item", Type::kU64),
               Col("price", Type::kF64),
               Col("score", Type::kF32),
               Col("flag", Type::kBool),
               Col("small", Type::kI8),
               Col("i16", Type::kI16),
               Col("cnt", Type::kI32, false),
               Col("big", Type::kI64),
               Col("u8", Type::kU8),
               Col("u16", Type::kU16),
               Col("u32", Type::kU32),
               at,
               Col("tag", Type::kString)};
  s.partition_key = 0;
  s.order_key = 1;
  return s;
}

inline uint64_t U(const Batch& b, int col, size_t row) { return b.columns[col].uints[row]; }
inline int64_t I(const Batch& b, int col, size_t row) { return b.columns[col].ints[row]; }

}  // namespace laser::robust
