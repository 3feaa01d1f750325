// Types, values and table schemas of Laser's sequence tables.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "laser/status.hpp"

namespace laser {

enum class Type : uint8_t {
  kBool = 0,
  kI8,
  kI16,
  kI32,
  kI64,
  kU8,
  kU16,
  kU32,
  kU64,
  kF32,
  kF64,
  kTimestamp,  // signed 64-bit count of TimeUnit since the Unix epoch
  kString,     // dictionary-encoded on disk
  kEnum,       // an ordinal into the column's enum_values
};

enum class TimeUnit : uint8_t { kSecond = 0, kMillisecond, kMicrosecond, kNanosecond };

// "U64", "TIMESTAMP", ...; "s", "ms", "us", "ns".
const char* TypeName(Type t);
const char* TimeUnitName(TimeUnit u);
// Parses the names above (case-insensitive); returns nullopt iff unknown.
std::optional<Type> ParseTypeName(std::string_view s);
std::optional<TimeUnit> ParseTimeUnit(std::string_view s);
// Multiplier from one unit of `u` to nanoseconds.
int64_t NanosPerUnit(TimeUnit u);

// The physical lane a type is held in, in memory (see ColumnVector).
enum class Lane : uint8_t { kInt, kUInt, kFloat, kString };
// BOOL, I8..I64, TIMESTAMP, ENUM -> kInt; U8..U64 -> kUInt; F32, F64 -> kFloat;
// STRING -> kString.
Lane LaneOf(Type t);

// A scalar: NULL, a signed or unsigned integer, a double or a string.
// An ENUM value is held as its ordinal (int64), a BOOL as 0/1 (int64).
struct Value {
  std::variant<std::monostate, int64_t, uint64_t, double, std::string> v;

  Value() = default;
  static Value Null() { return Value(); }
  static Value Int(int64_t x) { return Value(x); }
  static Value UInt(uint64_t x) { return Value(x); }
  static Value Float(double x) { return Value(x); }
  static Value String(std::string s) { return Value(std::move(s)); }

  bool is_null() const { return v.index() == 0; }
  bool operator==(const Value& o) const { return v == o.v; }
  std::string ToString() const;

 private:
  template <typename T>
  explicit Value(T x) : v(std::move(x)) {}
};

struct Column {
  std::string name;
  Type type = Type::kI64;
  TimeUnit unit = TimeUnit::kMillisecond;  // meaningful for kTimestamp only
  std::vector<std::string> enum_values;    // meaningful for kEnum only
  bool nullable = true;                    // keys are never nullable
  Value default_value;                     // used for rows written before the column existed
};

struct Retention {
  uint64_t max_events = 0;  // per user; 0 = unlimited. The newest are kept.
  int64_t ttl_ms = 0;       // 0 = forever. Events whose order key is older than
                            // (now - ttl_ms) are invisible and dropped at merge.
};

struct TableSchema {
  std::string name;
  std::vector<Column> columns;
  uint32_t partition_key = 0;  // index into columns; type kU64
  uint32_t order_key = 1;      // index into columns; type kTimestamp or kI64
  Retention retention;
  uint32_t version = 1;  // bumped by every schema change (ADD COLUMN)

  // Returns the index of the column named `name` (case-insensitive), or -1.
  int FindColumn(std::string_view name) const;
  // Returns OK iff the schema is well-formed: a non-empty name, unique column
  // names, a U64 partition key, a TIMESTAMP/I64 order key, non-empty enum value
  // lists without duplicates, defaults of the column's type.
  Status Validate() const;
  // The order key's unit (kMillisecond for an I64 order key).
  TimeUnit order_unit() const;
};

// Converts v to the lane of `col` (checking range, enum labels, NULL-ability);
// returns InvalidArgument naming the column and the value iff it cannot.
Result<Value> CoerceValue(const Column& col, const Value& v);

}  // namespace laser
