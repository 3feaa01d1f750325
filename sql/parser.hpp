// Hand-written recursive-descent parser of Laser's query dialect (see
// docs/dialect.md for the grammar).
#pragma once

#include <string_view>
#include <vector>

#include "laser/status.hpp"
#include "sql/ast.hpp"

namespace laser::sql {

// Parses `source`: one or more statements separated by ';' (empty statements
// are skipped). Returns InvalidArgument "syntax error at L:C: expected ..., found
// ..." with a caret line iff the text is not in the dialect.
Result<std::vector<Statement>> Parse(std::string_view source);

// Parses a type name as written in CREATE TABLE or CAST: U64, TIMESTAMP(ms),
// ENUM('a','b'), STRING, or an alias (BIGINT, INTEGER, DOUBLE, TEXT, ...).
Result<TypeSpec> ParseType(std::string_view text);

}  // namespace laser::sql
