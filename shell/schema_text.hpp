// Catalog objects written back as the statements that create them (.schema).
#pragma once

#include <string>

#include "laser/schema.hpp"

namespace laser::shell {

// "CREATE TABLE name (\n  col TYPE [PARTITION KEY|ORDER KEY] ...,\n ...)
// [WITH (...)];" — a statement that recreates the table's current schema.
std::string CreateTableSql(const TableSchema& schema);

// `s` as a SQL string literal: quoted, with ' doubled.
std::string SqlQuote(std::string_view s);

}  // namespace laser::shell
