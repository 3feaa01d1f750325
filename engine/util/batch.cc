#include "laser/batch.hpp"

#include <cassert>
#include <string>

namespace laser {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// The numeric alternatives of a Value converted to T. A Value of another lane
// is a caller bug (see ColumnVector::Append); it is converted rather than
// trapping so a release build stays well-defined.
template <typename T>
T NumericAs(const Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v.v)) return static_cast<T>(*i);
  if (const auto* u = std::get_if<uint64_t>(&v.v)) return static_cast<T>(*u);
  if (const auto* d = std::get_if<double>(&v.v)) return static_cast<T>(*d);
  assert(false && "ColumnVector::Append: value of the wrong lane");
  return T{};
}

}  // namespace

size_t ColumnVector::size() const {
  switch (LaneOf(type)) {
    case Lane::kInt:
      return ints.size();
    case Lane::kUInt:
      return uints.size();
    case Lane::kFloat:
      return floats.size();
    case Lane::kString:
      return strings.size();
  }
  return 0;
}

void ColumnVector::Append(const Value& v) {
  const bool null = v.is_null();
  if (null && nulls.empty()) {
    nulls.assign(size(), 0);
    nulls.push_back(1);
  } else if (!nulls.empty()) {
    nulls.push_back(null ? 1 : 0);
  }
  switch (LaneOf(type)) {
    case Lane::kInt:
      assert(null || std::holds_alternative<int64_t>(v.v));
      ints.push_back(null ? 0 : NumericAs<int64_t>(v));
      break;
    case Lane::kUInt:
      assert(null || std::holds_alternative<uint64_t>(v.v));
      uints.push_back(null ? 0 : NumericAs<uint64_t>(v));
      break;
    case Lane::kFloat:
      assert(null || std::holds_alternative<double>(v.v));
      floats.push_back(null ? 0 : NumericAs<double>(v));
      break;
    case Lane::kString: {
      const auto* s = std::get_if<std::string>(&v.v);
      assert(null || s != nullptr);
      strings.push_back(s != nullptr ? *s : std::string());
      break;
    }
  }
}

Value ColumnVector::Get(size_t row) const {
  assert(row < size());
  if (IsNull(row)) return Value::Null();
  switch (LaneOf(type)) {
    case Lane::kInt:
      return Value::Int(ints[row]);
    case Lane::kUInt:
      return Value::UInt(uints[row]);
    case Lane::kFloat:
      return Value::Float(floats[row]);
    case Lane::kString:
      return Value::String(strings[row]);
  }
  return Value::Null();
}

void ColumnVector::Reserve(size_t n) {
  switch (LaneOf(type)) {
    case Lane::kInt:
      ints.reserve(n);
      break;
    case Lane::kUInt:
      uints.reserve(n);
      break;
    case Lane::kFloat:
      floats.reserve(n);
      break;
    case Lane::kString:
      strings.reserve(n);
      break;
  }
}

void ColumnVector::Clear() {
  ints.clear();
  uints.clear();
  floats.clear();
  strings.clear();
  nulls.clear();
}

int Batch::Find(std::string_view name) const {
  for (size_t i = 0; i < names.size(); ++i) {
    if (EqualsIgnoreCase(names[i], name)) return static_cast<int>(i);
  }
  return -1;
}

ColumnVector& Batch::AddColumn(std::string name, Type type) {
  names.push_back(std::move(name));
  columns.emplace_back(type);
  return columns.back();
}

Status Batch::Validate() const {
  if (names.size() != columns.size()) {
    return Status::InvalidArgument("batch has " + std::to_string(names.size()) + " names for " +
                                   std::to_string(columns.size()) + " columns");
  }
  const size_t rows = num_rows();
  for (size_t i = 0; i < columns.size(); ++i) {
    const ColumnVector& c = columns[i];
    const std::string where = "batch column '" + names[i] + "' (" + TypeName(c.type) + ")";
    const Lane lane = LaneOf(c.type);
    const bool stray = (lane != Lane::kInt && !c.ints.empty()) ||
                       (lane != Lane::kUInt && !c.uints.empty()) ||
                       (lane != Lane::kFloat && !c.floats.empty()) ||
                       (lane != Lane::kString && !c.strings.empty());
    if (stray) return Status::InvalidArgument(where + ": values held in the wrong lane");
    if (c.size() != rows) {
      return Status::InvalidArgument(where + " has " + std::to_string(c.size()) +
                                     " rows, expected " + std::to_string(rows));
    }
    if (!c.nulls.empty() && c.nulls.size() != rows) {
      return Status::InvalidArgument(where + " has " + std::to_string(c.nulls.size()) +
                                     " null flags for " + std::to_string(rows) + " rows");
    }
  }
  return Status::OK();
}

}  // namespace laser
