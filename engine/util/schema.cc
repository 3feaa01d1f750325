#include "laser/schema.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <system_error>
#include <unordered_set>

namespace laser {
namespace {

struct TypeEntry {
  Type type;
  const char* name;
};

constexpr std::array<TypeEntry, 14> kTypes = {{
    {Type::kBool, "BOOL"},
    {Type::kI8, "I8"},
    {Type::kI16, "I16"},
    {Type::kI32, "I32"},
    {Type::kI64, "I64"},
    {Type::kU8, "U8"},
    {Type::kU16, "U16"},
    {Type::kU32, "U32"},
    {Type::kU64, "U64"},
    {Type::kF32, "F32"},
    {Type::kF64, "F64"},
    {Type::kTimestamp, "TIMESTAMP"},
    {Type::kString, "STRING"},
    {Type::kEnum, "ENUM"},
}};

constexpr std::array<const char*, 4> kUnitNames = {"s", "ms", "us", "ns"};

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string LowerCopy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

bool IsValidType(Type t) { return static_cast<uint8_t>(t) <= static_cast<uint8_t>(Type::kEnum); }

// A value as it appears in an error message: strings quoted, so that '42' and
// 42 are told apart.
std::string Describe(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v.v)) {
    std::string out = "'";
    // Long values would drown the message; the prefix identifies them.
    constexpr size_t kMaxShown = 64;
    if (s->size() > kMaxShown) {
      out.append(*s, 0, kMaxShown);
      out += "...";
    } else {
      out += *s;
    }
    out += "'";
    return out;
  }
  return v.ToString();
}

std::string ColumnLabel(const Column& col) {
  std::string s = "column '" + col.name + "' (";
  s += TypeName(col.type);
  s += ")";
  return s;
}

Status CannotStore(const Column& col, const Value& v, std::string_view why) {
  std::string m = ColumnLabel(col) + ": cannot store " + Describe(v);
  if (!why.empty()) {
    m += ": ";
    m += why;
  }
  return Status::InvalidArgument(std::move(m));
}

// Integer range of an integral type (for BOOL and ENUM the callers check
// their own domains).
struct IntRange {
  int64_t lo;
  uint64_t hi;
};

IntRange RangeOf(Type t) {
  switch (t) {
    case Type::kI8:
      return {INT8_MIN, INT8_MAX};
    case Type::kI16:
      return {INT16_MIN, INT16_MAX};
    case Type::kI32:
      return {INT32_MIN, INT32_MAX};
    case Type::kU8:
      return {0, UINT8_MAX};
    case Type::kU16:
      return {0, UINT16_MAX};
    case Type::kU32:
      return {0, UINT32_MAX};
    case Type::kU64:
      return {0, UINT64_MAX};
    default:
      return {INT64_MIN, INT64_MAX};  // I64, TIMESTAMP
  }
}

// An integer that may be outside int64 on either side of zero.
struct WideInt {
  bool negative;         // value < 0
  int64_t as_signed;     // valid iff negative or magnitude <= INT64_MAX
  uint64_t as_unsigned;  // valid iff !negative
};

// Parses a whole string as a decimal integer (optional sign). Returns false
// iff it is not one, or does not fit 64 bits.
bool ParseInteger(std::string_view s, WideInt* out) {
  if (s.empty()) return false;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (s[0] == '-') {
    int64_t x = 0;
    auto [p, ec] = std::from_chars(b, e, x);
    if (ec != std::errc() || p != e) return false;
    *out = {x < 0, x, static_cast<uint64_t>(x)};
    return true;
  }
  if (s[0] == '+') ++b;
  uint64_t x = 0;
  auto [p, ec] = std::from_chars(b, e, x);
  if (ec != std::errc() || p != e || b == e) return false;
  *out = {false, static_cast<int64_t>(x), x};
  return true;
}

// Parses a whole string as a floating-point number (also "nan", "inf").
bool ParseDouble(std::string_view s, double* out) {
  if (s.empty()) return false;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (*b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, *out);
  return ec == std::errc() && p == e && b != e;
}

Result<Value> CoerceInteger(const Column& col, const Value& v) {
  WideInt w{};
  if (const auto* i = std::get_if<int64_t>(&v.v)) {
    w = {*i < 0, *i, static_cast<uint64_t>(*i)};
  } else if (const auto* u = std::get_if<uint64_t>(&v.v)) {
    w = {false, static_cast<int64_t>(*u), *u};
  } else if (const auto* d = std::get_if<double>(&v.v)) {
    if (!std::isfinite(*d) || std::trunc(*d) != *d) {
      return CannotStore(col, v, "not an integer");
    }
    // 2^63 and 2^64 are exact doubles; anything at or beyond them does not fit.
    if (*d >= 18446744073709551616.0 || *d < -9223372036854775808.0) {
      return CannotStore(col, v, std::string("out of range for ") + TypeName(col.type));
    }
    if (*d < 0) {
      w = {true, static_cast<int64_t>(*d), 0};
    } else {
      uint64_t u = static_cast<uint64_t>(*d);
      w = {false, static_cast<int64_t>(u), u};
    }
  } else {
    const auto& s = std::get<std::string>(v.v);
    if (!ParseInteger(s, &w)) return CannotStore(col, v, "not an integer");
  }

  const IntRange r = RangeOf(col.type);
  const bool fits = w.negative ? w.as_signed >= r.lo : w.as_unsigned <= r.hi;
  if (!fits) {
    std::string why = "out of range for " + std::string(TypeName(col.type)) + " [" +
                      std::to_string(r.lo) + ", " + std::to_string(r.hi) + "]";
    return CannotStore(col, v, why);
  }
  if (LaneOf(col.type) == Lane::kUInt) return Value::UInt(w.as_unsigned);
  return Value::Int(w.as_signed);
}

Result<Value> CoerceBool(const Column& col, const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v.v)) {
    if (EqualsIgnoreCase(*s, "true")) return Value::Int(1);
    if (EqualsIgnoreCase(*s, "false")) return Value::Int(0);
  }
  int64_t x = -1;
  if (const auto* i = std::get_if<int64_t>(&v.v)) {
    x = *i;
  } else if (const auto* u = std::get_if<uint64_t>(&v.v)) {
    x = *u <= 1 ? static_cast<int64_t>(*u) : -1;
  } else if (const auto* s = std::get_if<std::string>(&v.v)) {
    if (*s == "0" || *s == "1") x = (*s)[0] - '0';
  }
  if (x != 0 && x != 1) return CannotStore(col, v, "expected true, false, 0 or 1");
  return Value::Int(x);
}

Result<Value> CoerceFloat(const Column& col, const Value& v) {
  double d = 0;
  if (const auto* i = std::get_if<int64_t>(&v.v)) {
    d = static_cast<double>(*i);
  } else if (const auto* u = std::get_if<uint64_t>(&v.v)) {
    d = static_cast<double>(*u);
  } else if (const auto* f = std::get_if<double>(&v.v)) {
    d = *f;
  } else if (!ParseDouble(std::get<std::string>(v.v), &d)) {
    return CannotStore(col, v, "not a number");
  }
  if (col.type == Type::kF32) {
    // A finite double beyond float's range would silently become infinity.
    if (std::isfinite(d) && std::fabs(d) > std::numeric_limits<float>::max()) {
      return CannotStore(col, v, "out of range for F32");
    }
    // Rounded here so that a value reads back the same from memory and disk.
    d = static_cast<double>(static_cast<float>(d));
  }
  return Value::Float(d);
}

Result<Value> CoerceEnum(const Column& col, const Value& v) {
  const int64_t n = static_cast<int64_t>(col.enum_values.size());
  if (const auto* s = std::get_if<std::string>(&v.v)) {
    for (int64_t i = 0; i < n; ++i) {
      if (col.enum_values[i] == *s) return Value::Int(i);
    }
    WideInt w{};
    if (!ParseInteger(*s, &w)) {
      std::string why = "unknown enum label; expected one of ";
      for (int64_t i = 0; i < n; ++i) {
        if (i > 0) why += ", ";
        why += "'" + col.enum_values[i] + "'";
      }
      why += " or an ordinal in [0, " + std::to_string(n) + ")";
      return CannotStore(col, v, why);
    }
    if (w.negative || w.as_unsigned >= static_cast<uint64_t>(n)) {
      return CannotStore(col, v, "enum ordinal out of range [0, " + std::to_string(n) + ")");
    }
    return Value::Int(w.as_signed);
  }
  int64_t ord = -1;
  if (const auto* i = std::get_if<int64_t>(&v.v)) {
    ord = *i;
  } else if (const auto* u = std::get_if<uint64_t>(&v.v)) {
    ord = *u < static_cast<uint64_t>(n) ? static_cast<int64_t>(*u) : -1;
  } else {
    return CannotStore(col, v, "expected an enum label or ordinal");
  }
  if (ord < 0 || ord >= n) {
    return CannotStore(col, v, "enum ordinal out of range [0, " + std::to_string(n) + ")");
  }
  return Value::Int(ord);
}

}  // namespace

const char* TypeName(Type t) {
  for (const auto& e : kTypes) {
    if (e.type == t) return e.name;
  }
  return "INVALID";
}

const char* TimeUnitName(TimeUnit u) {
  const auto i = static_cast<size_t>(u);
  return i < kUnitNames.size() ? kUnitNames[i] : "invalid";
}

std::optional<Type> ParseTypeName(std::string_view s) {
  for (const auto& e : kTypes) {
    if (EqualsIgnoreCase(s, e.name)) return e.type;
  }
  return std::nullopt;
}

std::optional<TimeUnit> ParseTimeUnit(std::string_view s) {
  for (size_t i = 0; i < kUnitNames.size(); ++i) {
    if (EqualsIgnoreCase(s, kUnitNames[i])) return static_cast<TimeUnit>(i);
  }
  return std::nullopt;
}

int64_t NanosPerUnit(TimeUnit u) {
  switch (u) {
    case TimeUnit::kSecond:
      return 1'000'000'000;
    case TimeUnit::kMillisecond:
      return 1'000'000;
    case TimeUnit::kMicrosecond:
      return 1'000;
    case TimeUnit::kNanosecond:
      return 1;
  }
  return 1;
}

Lane LaneOf(Type t) {
  switch (t) {
    case Type::kU8:
    case Type::kU16:
    case Type::kU32:
    case Type::kU64:
      return Lane::kUInt;
    case Type::kF32:
    case Type::kF64:
      return Lane::kFloat;
    case Type::kString:
      return Lane::kString;
    default:
      return Lane::kInt;
  }
}

std::string Value::ToString() const {
  switch (v.index()) {
    case 0:
      return "NULL";
    case 1:
      return std::to_string(std::get<int64_t>(v));
    case 2:
      return std::to_string(std::get<uint64_t>(v));
    case 3: {
      const double d = std::get<double>(v);
      if (std::isnan(d)) return "nan";
      if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
      // Shortest text that reads back as the same double.
      char buf[64];
      auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), d);
      return std::string(buf, p);
    }
    default:
      return std::get<std::string>(v);
  }
}

int TableSchema::FindColumn(std::string_view n) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (EqualsIgnoreCase(columns[i].name, n)) return static_cast<int>(i);
  }
  return -1;
}

Status TableSchema::Validate() const {
  const std::string where = "table '" + name + "'";
  if (name.empty()) return Status::InvalidArgument("table name is empty");
  if (columns.size() < 2) {
    return Status::InvalidArgument(where + ": needs a partition key and an order key column");
  }
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < columns.size(); ++i) {
    const Column& c = columns[i];
    if (c.name.empty()) {
      return Status::InvalidArgument(where + ": column " + std::to_string(i) + " has no name");
    }
    if (!seen.insert(LowerCopy(c.name)).second) {
      return Status::InvalidArgument(where + ": duplicate column name '" + c.name + "'");
    }
    if (!IsValidType(c.type)) {
      return Status::InvalidArgument(where + ": column '" + c.name + "' has an invalid type " +
                                     std::to_string(static_cast<int>(c.type)));
    }
    if (static_cast<size_t>(c.unit) >= kUnitNames.size()) {
      return Status::InvalidArgument(where + ": column '" + c.name + "' has an invalid time unit");
    }
    if (c.type == Type::kEnum) {
      if (c.enum_values.empty()) {
        return Status::InvalidArgument(where + ": ENUM column '" + c.name + "' has no values");
      }
      std::unordered_set<std::string_view> labels;
      for (const auto& l : c.enum_values) {
        if (!labels.insert(l).second) {
          return Status::InvalidArgument(where + ": ENUM column '" + c.name + "' lists value '" +
                                         l + "' twice");
        }
      }
    } else if (!c.enum_values.empty()) {
      return Status::InvalidArgument(where + ": column '" + c.name + "' is " + TypeName(c.type) +
                                     " but lists enum values");
    }
    if (!c.default_value.is_null()) {
      Result<Value> d = CoerceValue(c, c.default_value);
      if (!d.ok()) {
        return Status::InvalidArgument(where + ": bad default: " + d.status().message());
      }
      if (!(*d == c.default_value)) {
        return Status::InvalidArgument(where + ": default " + Describe(c.default_value) +
                                       " of column '" + c.name + "' is not of type " +
                                       TypeName(c.type) + " (expected " + Describe(*d) + ")");
      }
    }
  }
  if (partition_key >= columns.size()) {
    return Status::InvalidArgument(where + ": partition key index " +
                                   std::to_string(partition_key) + " is out of range");
  }
  if (order_key >= columns.size()) {
    return Status::InvalidArgument(where + ": order key index " + std::to_string(order_key) +
                                   " is out of range");
  }
  if (partition_key == order_key) {
    return Status::InvalidArgument(where + ": partition key and order key are the same column '" +
                                   columns[order_key].name + "'");
  }
  const Column& pk = columns[partition_key];
  if (pk.type != Type::kU64) {
    return Status::InvalidArgument(where + ": partition key '" + pk.name + "' must be U64, not " +
                                   TypeName(pk.type));
  }
  if (pk.nullable) {
    return Status::InvalidArgument(where + ": partition key '" + pk.name +
                                   "' must not be nullable");
  }
  const Column& ok = columns[order_key];
  if (ok.type != Type::kTimestamp && ok.type != Type::kI64) {
    return Status::InvalidArgument(where + ": order key '" + ok.name +
                                   "' must be TIMESTAMP or I64, not " + TypeName(ok.type));
  }
  if (ok.nullable) {
    return Status::InvalidArgument(where + ": order key '" + ok.name + "' must not be nullable");
  }
  return Status::OK();
}

TimeUnit TableSchema::order_unit() const {
  if (order_key < columns.size() && columns[order_key].type == Type::kTimestamp) {
    return columns[order_key].unit;
  }
  return TimeUnit::kMillisecond;
}

Result<Value> CoerceValue(const Column& col, const Value& v) {
  if (v.is_null()) {
    if (!col.nullable) {
      return Status::InvalidArgument(ColumnLabel(col) + ": cannot store NULL: column is NOT NULL");
    }
    return Value::Null();
  }
  switch (col.type) {
    case Type::kBool:
      return CoerceBool(col, v);
    case Type::kF32:
    case Type::kF64:
      return CoerceFloat(col, v);
    case Type::kString:
      if (const auto* s = std::get_if<std::string>(&v.v)) return Value::String(*s);
      return CannotStore(col, v, "expected a string");
    case Type::kEnum:
      return CoerceEnum(col, v);
    default:
      return CoerceInteger(col, v);
  }
}

}  // namespace laser
