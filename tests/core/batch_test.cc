#include "laser/batch.hpp"

#include <doctest/doctest.h>

namespace laser {
namespace {

TEST_CASE("ColumnVector appends values and NULLs per lane") {
  ColumnVector c(Type::kI32);
  c.Append(Value::Int(1));
  c.Append(Value::Int(2));
  CHECK(c.nulls.empty());
  c.Append(Value::Null());
  c.Append(Value::Int(4));
  REQUIRE(c.size() == 4);
  CHECK(c.nulls == std::vector<uint8_t>{0, 0, 1, 0});
  CHECK(c.ints == std::vector<int64_t>{1, 2, 0, 4});
  CHECK(c.IsNull(2));
  CHECK_FALSE(c.IsNull(3));
  CHECK(c.Get(2).is_null());
  CHECK(c.Get(3) == Value::Int(4));

  ColumnVector u(Type::kU64);
  u.Append(Value::UInt(UINT64_MAX));
  CHECK(u.Get(0) == Value::UInt(UINT64_MAX));
  CHECK(u.ints.empty());

  ColumnVector f(Type::kF64);
  f.Append(Value::Float(-0.5));
  CHECK(f.Get(0) == Value::Float(-0.5));

  ColumnVector s(Type::kString);
  s.Append(Value::Null());
  s.Append(Value::String("x"));
  CHECK(s.strings == std::vector<std::string>{"", "x"});
  CHECK(s.nulls == std::vector<uint8_t>{1, 0});
  CHECK(s.Get(1) == Value::String("x"));

  s.Clear();
  CHECK(s.size() == 0);
  CHECK(s.nulls.empty());
}

TEST_CASE("Batch finds columns and validates shapes") {
  Batch b;
  CHECK(b.num_rows() == 0);
  CHECK(b.Validate().ok());
  b.AddColumn("user_id", Type::kU64).Append(Value::UInt(1));
  b.AddColumn("Action", Type::kEnum).Append(Value::Int(0));
  CHECK(b.num_columns() == 2);
  CHECK(b.num_rows() == 1);
  CHECK(b.Find("action") == 1);
  CHECK(b.Find("ts") == -1);
  CHECK(b.Validate().ok());

  b.columns[1].Append(Value::Int(1));
  Status st = b.Validate();
  REQUIRE_FALSE(st.ok());
  CHECK(st.message().find("'Action'") != std::string::npos);
  CHECK(st.message().find("2 rows, expected 1") != std::string::npos);

  b.columns[1].ints.pop_back();
  b.columns[1].uints.push_back(3);
  st = b.Validate();
  REQUIRE_FALSE(st.ok());
  CHECK(st.message().find("wrong lane") != std::string::npos);

  b.columns[1].uints.clear();
  b.columns[1].nulls = {0, 0};
  CHECK_FALSE(b.Validate().ok());

  b.columns[1].nulls.clear();
  b.names.pop_back();
  CHECK_FALSE(b.Validate().ok());
}

}  // namespace
}  // namespace laser
