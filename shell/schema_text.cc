#include "shell/schema_text.hpp"

namespace laser::shell {
namespace {

std::string TypeText(const Column& c) {
  switch (c.type) {
    case Type::kTimestamp:
      return std::string("TIMESTAMP(") + TimeUnitName(c.unit) + ")";
    case Type::kEnum: {
      std::string s = "ENUM(";
      for (size_t i = 0; i < c.enum_values.size(); ++i) {
        if (i > 0) s += ", ";
        s += SqlQuote(c.enum_values[i]);
      }
      return s + ")";
    }
    default:
      return TypeName(c.type);
  }
}

std::string DefaultText(const Column& c) {
  const Value& v = c.default_value;
  if (const auto* s = std::get_if<std::string>(&v.v)) return SqlQuote(*s);
  if (c.type == Type::kEnum) {
    if (const auto* i = std::get_if<int64_t>(&v.v)) {
      if (*i >= 0 && static_cast<size_t>(*i) < c.enum_values.size()) {
        return SqlQuote(c.enum_values[static_cast<size_t>(*i)]);
      }
    }
  }
  if (c.type == Type::kBool) {
    if (const auto* i = std::get_if<int64_t>(&v.v)) return *i != 0 ? "true" : "false";
  }
  return v.ToString();
}

}  // namespace

std::string SqlQuote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string CreateTableSql(const TableSchema& schema) {
  std::string s = "CREATE TABLE " + schema.name + " (\n";
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    const Column& c = schema.columns[i];
    s += "  " + c.name + " " + TypeText(c);
    if (i == schema.partition_key) {
      s += " PARTITION KEY";
    } else if (i == schema.order_key) {
      s += " ORDER KEY";
    } else {
      if (!c.nullable) s += " NOT NULL";
      if (!c.default_value.is_null()) s += " DEFAULT " + DefaultText(c);
    }
    s += i + 1 < schema.columns.size() ? ",\n" : "\n";
  }
  s += ")";
  std::string with;
  if (schema.retention.max_events != 0) {
    with += "max_events = " + std::to_string(schema.retention.max_events);
  }
  if (schema.retention.ttl_ms != 0) {
    if (!with.empty()) with += ", ";
    with += "ttl_ms = " + std::to_string(schema.retention.ttl_ms);
  }
  if (!with.empty()) s += " WITH (" + with + ")";
  return s + ";";
}

}  // namespace laser::shell
