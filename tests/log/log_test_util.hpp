// Helpers shared by the WAL and memtable tests.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "laser/batch.hpp"
#include "laser/schema.hpp"
#include "tests/support/temp_dir.hpp"

namespace laser::testing {

// A fresh directory under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir() { path_ = NewTempDir("laser-log-"); }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// user U64 PK, ts TIMESTAMP OK, then one column of every other type.
inline TableSchema AllTypesSchema() {
  TableSchema s;
  s.name = "events";
  auto add = [&](std::string name, Type t) {
    Column c;
    c.name = std::move(name);
    c.type = t;
    s.columns.push_back(c);
    return &s.columns.back();
  };
  add("user_id", Type::kU64)->nullable = false;
  add("ts", Type::kTimestamp)->nullable = false;
  add("b", Type::kBool);
  add("i8", Type::kI8);
  add("i16", Type::kI16);
  add("i32", Type::kI32);
  add("i64", Type::kI64);
  add("u8", Type::kU8);
  add("u16", Type::kU16);
  add("u32", Type::kU32);
  add("u64", Type::kU64);
  add("f32", Type::kF32);
  add("f64", Type::kF64);
  add("t2", Type::kTimestamp);
  add("s", Type::kString);
  add("action", Type::kEnum)->enum_values = {"pv", "buy", "cart"};
  s.partition_key = 0;
  s.order_key = 1;
  return s;
}

// A schema-ordered empty batch for `schema`.
inline Batch EmptyBatch(const TableSchema& schema) {
  Batch b;
  for (const Column& c : schema.columns) b.AddColumn(c.name, c.type);
  return b;
}

// Appends one row: user, ts, then a value for every other column derived
// from `k`; every third row (k % 3 == 2) has all nullable columns NULL.
inline void AppendAllTypesRow(const TableSchema& schema, Batch* b, uint64_t user, int64_t ts,
                              int64_t k) {
  const bool null = k % 3 == 2;
  for (size_t c = 0; c < schema.columns.size(); ++c) {
    ColumnVector& col = b->columns[c];
    if (c == schema.partition_key) {
      col.Append(Value::UInt(user));
      continue;
    }
    if (c == schema.order_key) {
      col.Append(Value::Int(ts));
      continue;
    }
    if (null) {
      col.Append(Value::Null());
      continue;
    }
    switch (col.type) {
      case Type::kBool:
        col.Append(Value::Int(k & 1));
        break;
      case Type::kI8:
        col.Append(Value::Int(k % 2 ? -128 : 127));
        break;
      case Type::kI16:
        col.Append(Value::Int(k % 2 ? -32768 : 32767));
        break;
      case Type::kI32:
        col.Append(Value::Int(k % 2 ? INT32_MIN : INT32_MAX));
        break;
      case Type::kI64:
        col.Append(Value::Int(k % 2 ? INT64_MIN : INT64_MAX - k));
        break;
      case Type::kU8:
        col.Append(Value::UInt(255));
        break;
      case Type::kU16:
        col.Append(Value::UInt(65535 - static_cast<uint64_t>(k)));
        break;
      case Type::kU32:
        col.Append(Value::UInt(UINT32_MAX));
        break;
      case Type::kU64:
        col.Append(Value::UInt(k % 2 ? UINT64_MAX : static_cast<uint64_t>(k)));
        break;
      case Type::kF32:
        col.Append(Value::Float(static_cast<double>(static_cast<float>(k) * 0.25f)));
        break;
      case Type::kF64:
        col.Append(Value::Float(k % 2 ? -1e308 : 3.141592653589793 + static_cast<double>(k)));
        break;
      case Type::kTimestamp:
        col.Append(Value::Int(-k * 1000));
        break;
      case Type::kString:
        col.Append(Value::String(k % 2 ? std::string()
                                       : "item-" + std::to_string(k) + std::string(1, '\0') + "x"));
        break;
      case Type::kEnum:
        col.Append(Value::Int(k % 3));
        break;
    }
  }
}

// Row r of b as values (for comparisons).
inline std::vector<Value> RowOf(const Batch& b, size_t r) {
  std::vector<Value> v;
  for (const ColumnVector& c : b.columns) v.push_back(c.Get(r));
  return v;
}

}  // namespace laser::testing
