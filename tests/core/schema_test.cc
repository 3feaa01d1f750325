#include "laser/schema.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

namespace laser {
namespace {

Column Col(std::string name, Type t, bool nullable = true) {
  Column c;
  c.name = std::move(name);
  c.type = t;
  c.nullable = nullable;
  return c;
}

TableSchema EventsSchema() {
  TableSchema s;
  s.name = "events";
  s.columns.push_back(Col("user_id", Type::kU64, false));
  s.columns.push_back(Col("ts", Type::kTimestamp, false));
  s.columns.push_back(Col("item_id", Type::kU64));
  Column action = Col("action", Type::kEnum);
  action.enum_values = {"pv", "buy", "cart", "fav"};
  s.columns.push_back(action);
  s.columns.push_back(Col("dwell", Type::kF32));
  return s;
}

// Returns the error message of coercing v into col; fails the test if it succeeds.
std::string CoerceError(const Column& col, const Value& v) {
  Result<Value> r = CoerceValue(col, v);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsInvalidArgument());
  return r.status().message();
}

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST_CASE("type and unit names round-trip, case-insensitively") {
  for (int t = 0; t <= static_cast<int>(Type::kEnum); ++t) {
    const Type type = static_cast<Type>(t);
    std::string name = TypeName(type);
    CHECK(ParseTypeName(name) == type);
    for (char& c : name) c = static_cast<char>(std::tolower(c));
    CHECK(ParseTypeName(name) == type);
  }
  CHECK_FALSE(ParseTypeName("U128").has_value());
  CHECK(std::string(TypeName(Type::kTimestamp)) == "TIMESTAMP");
  CHECK(ParseTimeUnit("MS") == TimeUnit::kMillisecond);
  CHECK(ParseTimeUnit("ns") == TimeUnit::kNanosecond);
  CHECK_FALSE(ParseTimeUnit("min").has_value());
  CHECK(std::string(TimeUnitName(TimeUnit::kMicrosecond)) == "us");
  CHECK(NanosPerUnit(TimeUnit::kSecond) == 1'000'000'000);
  CHECK(NanosPerUnit(TimeUnit::kMillisecond) == 1'000'000);
  CHECK(NanosPerUnit(TimeUnit::kMicrosecond) == 1'000);
  CHECK(NanosPerUnit(TimeUnit::kNanosecond) == 1);
}

TEST_CASE("lanes") {
  CHECK(LaneOf(Type::kBool) == Lane::kInt);
  CHECK(LaneOf(Type::kI8) == Lane::kInt);
  CHECK(LaneOf(Type::kTimestamp) == Lane::kInt);
  CHECK(LaneOf(Type::kEnum) == Lane::kInt);
  CHECK(LaneOf(Type::kU8) == Lane::kUInt);
  CHECK(LaneOf(Type::kU64) == Lane::kUInt);
  CHECK(LaneOf(Type::kF32) == Lane::kFloat);
  CHECK(LaneOf(Type::kString) == Lane::kString);
}

TEST_CASE("Value::ToString") {
  CHECK(Value::Null().ToString() == "NULL");
  CHECK(Value::Int(-5).ToString() == "-5");
  CHECK(Value::UInt(UINT64_MAX).ToString() == "18446744073709551615");
  CHECK(Value::Float(3.5).ToString() == "3.5");
  CHECK(Value::Float(0.1).ToString() == "0.1");
  CHECK(Value::Float(-std::numeric_limits<double>::infinity()).ToString() == "-inf");
  CHECK(Value::Float(std::nan("")).ToString() == "nan");
  CHECK(Value::String("pv").ToString() == "pv");
  CHECK(Value::Int(1) == Value::Int(1));
  CHECK_FALSE(Value::Int(1) == Value::UInt(1));
}

TEST_CASE("schema validation accepts a well-formed table and finds columns") {
  TableSchema s = EventsSchema();
  CHECK(s.Validate().ok());
  CHECK(s.FindColumn("ITEM_ID") == 2);
  CHECK(s.FindColumn("nope") == -1);
  CHECK(s.order_unit() == TimeUnit::kMillisecond);
  s.columns[1].unit = TimeUnit::kSecond;
  CHECK(s.order_unit() == TimeUnit::kSecond);
  s.columns[1].type = Type::kI64;
  CHECK(s.Validate().ok());
  CHECK(s.order_unit() == TimeUnit::kMillisecond);
}

TEST_CASE("schema validation names what is wrong") {
  auto fails_with = [](const TableSchema& s, const std::string& part) {
    Status st = s.Validate();
    REQUIRE_FALSE(st.ok());
    CHECK(st.IsInvalidArgument());
    INFO(st.message());
    CHECK(Contains(st.message(), part));
  };
  TableSchema s = EventsSchema();
  s.name.clear();
  fails_with(s, "table name");

  s = EventsSchema();
  s.columns.push_back(Col("Item_Id", Type::kU32));
  fails_with(s, "duplicate column name 'Item_Id'");

  s = EventsSchema();
  s.columns[0].type = Type::kI64;
  fails_with(s, "partition key 'user_id' must be U64");

  s = EventsSchema();
  s.columns[0].nullable = true;
  fails_with(s, "partition key 'user_id' must not be nullable");

  s = EventsSchema();
  s.columns[1].type = Type::kU32;
  fails_with(s, "order key 'ts' must be TIMESTAMP or I64");

  s = EventsSchema();
  s.columns[1].nullable = true;
  fails_with(s, "order key 'ts' must not be nullable");

  s = EventsSchema();
  s.order_key = 0;
  fails_with(s, "same column");

  s = EventsSchema();
  s.order_key = 9;
  fails_with(s, "order key index 9");

  s = EventsSchema();
  s.columns[3].enum_values.clear();
  fails_with(s, "ENUM column 'action' has no values");

  s = EventsSchema();
  s.columns[3].enum_values.push_back("pv");
  fails_with(s, "lists value 'pv' twice");

  s = EventsSchema();
  s.columns[2].enum_values = {"a"};
  fails_with(s, "lists enum values");

  s = EventsSchema();
  s.columns[4].default_value = Value::String("fast");
  fails_with(s, "bad default");

  s = EventsSchema();
  s.columns[2].default_value = Value::Int(3);  // U64 must hold a UInt
  fails_with(s, "not of type U64");

  s = EventsSchema();
  s.columns[3].default_value = Value::Int(1);  // an ordinal is the stored form
  CHECK(s.Validate().ok());

  s = EventsSchema();
  s.columns.resize(1);
  fails_with(s, "partition key and an order key");
}

TEST_CASE("CoerceValue: integers, with range errors naming column and value") {
  Column i8 = Col("small", Type::kI8);
  CHECK(*CoerceValue(i8, Value::Int(-128)) == Value::Int(-128));
  CHECK(*CoerceValue(i8, Value::Int(127)) == Value::Int(127));
  CHECK(*CoerceValue(i8, Value::UInt(5)) == Value::Int(5));
  CHECK(*CoerceValue(i8, Value::Float(-3.0)) == Value::Int(-3));
  CHECK(*CoerceValue(i8, Value::String("-7")) == Value::Int(-7));
  std::string m = CoerceError(i8, Value::Int(128));
  CHECK(Contains(m, "column 'small' (I8)"));
  CHECK(Contains(m, "128"));
  CHECK(Contains(m, "out of range for I8 [-128, 127]"));
  CHECK(Contains(CoerceError(i8, Value::Int(-129)), "out of range"));
  CHECK(Contains(CoerceError(i8, Value::Float(1.5)), "not an integer"));
  CHECK(Contains(CoerceError(i8, Value::String("12abc")), "'12abc'"));

  Column u64 = Col("item", Type::kU64);
  CHECK(*CoerceValue(u64, Value::UInt(UINT64_MAX)) == Value::UInt(UINT64_MAX));
  CHECK(*CoerceValue(u64, Value::Int(7)) == Value::UInt(7));
  CHECK(*CoerceValue(u64, Value::String("18446744073709551615")) == Value::UInt(UINT64_MAX));
  CHECK(Contains(CoerceError(u64, Value::Int(-1)), "out of range for U64"));
  CHECK(Contains(CoerceError(u64, Value::String("18446744073709551616")), "not an integer"));
  CHECK(Contains(CoerceError(u64, Value::Float(18446744073709551616.0)), "out of range"));

  Column u8 = Col("b", Type::kU8);
  CHECK(*CoerceValue(u8, Value::Int(255)) == Value::UInt(255));
  CHECK(Contains(CoerceError(u8, Value::UInt(256)), "[0, 255]"));

  Column i64 = Col("big", Type::kI64);
  CHECK(*CoerceValue(i64, Value::Int(INT64_MIN)) == Value::Int(INT64_MIN));
  CHECK(*CoerceValue(i64, Value::UInt(INT64_MAX)) == Value::Int(INT64_MAX));
  CHECK(Contains(CoerceError(i64, Value::UInt(uint64_t{INT64_MAX} + 1)), "out of range"));

  Column ts = Col("ts", Type::kTimestamp);
  CHECK(*CoerceValue(ts, Value::Int(1700000000000)) == Value::Int(1700000000000));
  CHECK(Contains(CoerceError(ts, Value::String("yesterday")), "column 'ts' (TIMESTAMP)"));

  Column i32 = Col("c", Type::kI32);
  CHECK(Contains(CoerceError(i32, Value::Int(int64_t{INT32_MAX} + 1)), "I32"));
  CHECK(Contains(CoerceError(i32, Value::Float(std::nan(""))), "not an integer"));
}

TEST_CASE("CoerceValue: NULL into a non-nullable column is rejected") {
  Column key = Col("user_id", Type::kU64, false);
  std::string m = CoerceError(key, Value::Null());
  CHECK(Contains(m, "column 'user_id' (U64)"));
  CHECK(Contains(m, "NULL"));
  Column opt = Col("x", Type::kI32);
  CHECK(CoerceValue(opt, Value::Null())->is_null());
}

TEST_CASE("CoerceValue: enums take a label or an ordinal") {
  Column action = Col("action", Type::kEnum);
  action.enum_values = {"pv", "buy", "cart", "fav"};
  CHECK(*CoerceValue(action, Value::String("pv")) == Value::Int(0));
  CHECK(*CoerceValue(action, Value::String("fav")) == Value::Int(3));
  CHECK(*CoerceValue(action, Value::Int(2)) == Value::Int(2));
  CHECK(*CoerceValue(action, Value::UInt(1)) == Value::Int(1));
  CHECK(*CoerceValue(action, Value::String("3")) == Value::Int(3));
  std::string m = CoerceError(action, Value::String("like"));
  CHECK(Contains(m, "column 'action' (ENUM)"));
  CHECK(Contains(m, "'like'"));
  CHECK(Contains(m, "unknown enum label"));
  CHECK(Contains(m, "'pv', 'buy', 'cart', 'fav'"));
  CHECK(Contains(CoerceError(action, Value::Int(4)), "enum ordinal out of range [0, 4)"));
  CHECK(Contains(CoerceError(action, Value::Int(-1)), "out of range"));
  CHECK(Contains(CoerceError(action, Value::String("9")), "out of range"));
  CHECK(Contains(CoerceError(action, Value::Float(1.0)), "enum label or ordinal"));
  CHECK(Contains(CoerceError(action, Value::String("PV")), "unknown enum label"));
}

TEST_CASE("CoerceValue: bools, floats and strings") {
  Column b = Col("flag", Type::kBool);
  CHECK(*CoerceValue(b, Value::Int(1)) == Value::Int(1));
  CHECK(*CoerceValue(b, Value::String("FALSE")) == Value::Int(0));
  CHECK(*CoerceValue(b, Value::String("1")) == Value::Int(1));
  CHECK(Contains(CoerceError(b, Value::Int(2)), "column 'flag' (BOOL)"));

  Column f32 = Col("dwell", Type::kF32);
  CHECK(*CoerceValue(f32, Value::Float(3.5)) == Value::Float(3.5));
  // Rounded to float precision, so memory and disk agree.
  CHECK(*CoerceValue(f32, Value::Float(0.1)) == Value::Float(static_cast<float>(0.1)));
  CHECK(*CoerceValue(f32, Value::Int(2)) == Value::Float(2.0));
  CHECK(*CoerceValue(f32, Value::String("1.25")) == Value::Float(1.25));
  CHECK(std::isinf(std::get<double>(CoerceValue(f32, Value::String("inf"))->v)));
  CHECK(Contains(CoerceError(f32, Value::Float(1e300)), "out of range for F32"));
  CHECK(Contains(CoerceError(f32, Value::String("fast")), "not a number"));

  Column f64 = Col("score", Type::kF64);
  CHECK(*CoerceValue(f64, Value::Float(1e300)) == Value::Float(1e300));
  CHECK(*CoerceValue(f64, Value::UInt(3)) == Value::Float(3.0));

  Column s = Col("name", Type::kString);
  CHECK(*CoerceValue(s, Value::String("")) == Value::String(""));
  CHECK(Contains(CoerceError(s, Value::Int(42)), "column 'name' (STRING): cannot store 42"));
}

}  // namespace
}  // namespace laser
