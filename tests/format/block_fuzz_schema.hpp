// The table schema the block-decoder fuzz target decodes with, shared with the
// test that writes its seed corpus (so the seeds are valid blocks of it).
#pragma once

#include "laser/schema.hpp"

namespace laser::format {

// Every type, NULL-able and not, and a last column with a default that old
// blocks (written without it) read back as that default.
inline TableSchema BlockFuzzSchema() {
  TableSchema s;
  s.name = "fuzz";
  auto add = [&s](const char* name, Type t, bool nullable) -> Column& {
    Column c;
    c.name = name;
    c.type = t;
    c.nullable = nullable;
    s.columns.push_back(c);
    return s.columns.back();
  };
  add("user_id", Type::kU64, false);
  add("ts", Type::kTimestamp, false);
  add("flag", Type::kBool, true);
  add("small", Type::kI8, false);
  add("mid", Type::kI32, true);
  add("big", Type::kI64, true);
  add("tiny", Type::kU8, true);
  add("category", Type::kU32, false);
  add("item_id", Type::kU64, true);
  add("dwell", Type::kF32, true);
  add("score", Type::kF64, true);
  add("tag", Type::kString, true);
  add("action", Type::kEnum, false).enum_values = {"pv", "buy", "cart", "fav"};
  add("added", Type::kI16, true).default_value = Value::Int(-7);
  return s;
}

}  // namespace laser::format
