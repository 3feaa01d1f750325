// Cells: one result value turned into display text, plus what kind of value it
// was (renderers align numbers, quote text and spell NULL per output mode).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "laser/batch.hpp"
#include "laser/schema.hpp"

namespace laser::shell {

enum class CellKind : unsigned char { kNull, kNumber, kText };

struct Cell {
  std::string text;  // empty for kNull
  CellKind kind = CellKind::kText;
};

// Formats row `row` of `col`. `meta` describes the column (type, timestamp
// unit, enum labels); its type decides the text:
//  integers as decimal; F32/F64 as the shortest text that reads back to the
//  same float/double, with ".0" added to integral values ("3.0"), "nan",
//  "inf", "-inf"; BOOL as true/false; TIMESTAMP as "YYYY-MM-DD HH:MM:SS" in
//  UTC with as many fractional digits as the unit has when they are not all
//  zero; ENUM as its label (the ordinal when it has none); STRING as is.
// REQUIRES row < col.size().
Cell FormatCell(const ColumnVector& col, size_t row, const Column& meta);

// "YYYY-MM-DD HH:MM:SS[.f...]" for `value` units of `unit` since the epoch.
std::string FormatTimestamp(int64_t value, TimeUnit unit);

// Terminal columns taken by UTF-8 text: East Asian wide characters count 2,
// combining marks 0, everything else 1 (invalid bytes count 1 each).
size_t DisplayWidth(std::string_view utf8);

// Text made safe for one terminal line: \n, \r, \t and other control bytes
// become visible escapes ("\n", "\x01").
std::string EscapeControl(std::string_view s);

}  // namespace laser::shell
