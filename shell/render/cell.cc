#include "shell/render/cell.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace laser::shell {
namespace {

std::string FormatFloat(double d, bool single) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[64];
  std::to_chars_result r = single ? std::to_chars(buf, buf + sizeof(buf), static_cast<float>(d))
                                  : std::to_chars(buf, buf + sizeof(buf), d);
  std::string s(buf, r.ptr);
  // A REAL column should not print like an integer column (sqlite3, duckdb).
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// Days since 1970-01-01 to a civil date (proleptic Gregorian), valid for the
// whole int64 range of days that a timestamp can produce.
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2 ? 1 : 0);
}

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
}

// Code point at s[i] and its byte length; an invalid byte is returned as
// itself with length 1.
char32_t DecodeUtf8(std::string_view s, size_t i, size_t* len) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  auto cont = [&](size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  };
  auto bits = [&](size_t k) {
    return static_cast<char32_t>(static_cast<unsigned char>(s[i + k]) & 0x3F);
  };
  if (b0 < 0x80) {
    *len = 1;
    return b0;
  }
  if ((b0 & 0xE0) == 0xC0 && cont(1)) {
    *len = 2;
    return (static_cast<char32_t>(b0 & 0x1F) << 6) | bits(1);
  }
  if ((b0 & 0xF0) == 0xE0 && cont(1) && cont(2)) {
    *len = 3;
    return (static_cast<char32_t>(b0 & 0x0F) << 12) | (bits(1) << 6) | bits(2);
  }
  if ((b0 & 0xF8) == 0xF0 && cont(1) && cont(2) && cont(3)) {
    *len = 4;
    return (static_cast<char32_t>(b0 & 0x07) << 18) | (bits(1) << 12) | (bits(2) << 6) | bits(3);
  }
  *len = 1;
  return b0;
}

bool IsWide(char32_t c) {
  return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) ||
         (c >= 0x3041 && c <= 0xA4CF) || (c >= 0xAC00 && c <= 0xD7A3) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) ||
         (c >= 0xFF00 && c <= 0xFF60) || (c >= 0xFFE0 && c <= 0xFFE6) ||
         (c >= 0x1F300 && c <= 0x1F64F) || (c >= 0x1F900 && c <= 0x1F9FF) ||
         (c >= 0x20000 && c <= 0x3FFFD);
}

bool IsCombining(char32_t c) {
  return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
         (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
         (c >= 0xFE20 && c <= 0xFE2F) || c == 0x200B || c == 0x200D;
}

}  // namespace

std::string FormatTimestamp(int64_t value, TimeUnit unit) {
  const int64_t per_second = 1000000000 / NanosPerUnit(unit);
  const int64_t seconds = FloorDiv(value, per_second);
  const int64_t frac = value - seconds * per_second;
  const int64_t days = FloorDiv(seconds, 86400);
  const int64_t sod = seconds - days * 86400;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[96];
  int n = std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02u %02d:%02d:%02d",
                        static_cast<long long>(y), m, d, static_cast<int>(sod / 3600),
                        static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60));
  std::string s(buf, static_cast<size_t>(n));
  if (frac != 0) {
    int digits = 0;
    for (int64_t p = per_second; p > 1; p /= 10) ++digits;
    n = std::snprintf(buf, sizeof(buf), ".%0*lld", digits, static_cast<long long>(frac));
    s.append(buf, static_cast<size_t>(n));
  }
  return s;
}

Cell FormatCell(const ColumnVector& col, size_t row, const Column& meta) {
  if (col.IsNull(row)) return Cell{"", CellKind::kNull};
  switch (LaneOf(col.type)) {
    case Lane::kInt: {
      const int64_t v = col.ints[row];
      switch (meta.type) {
        case Type::kBool:
          return Cell{v != 0 ? "true" : "false", CellKind::kText};
        case Type::kTimestamp:
          return Cell{FormatTimestamp(v, meta.unit), CellKind::kText};
        case Type::kEnum:
          if (v >= 0 && static_cast<size_t>(v) < meta.enum_values.size()) {
            return Cell{meta.enum_values[static_cast<size_t>(v)], CellKind::kText};
          }
          return Cell{std::to_string(v), CellKind::kNumber};
        default:
          return Cell{std::to_string(v), CellKind::kNumber};
      }
    }
    case Lane::kUInt:
      return Cell{std::to_string(col.uints[row]), CellKind::kNumber};
    case Lane::kFloat:
      return Cell{FormatFloat(col.floats[row], meta.type == Type::kF32), CellKind::kNumber};
    case Lane::kString:
      return Cell{col.strings[row], CellKind::kText};
  }
  return Cell{};
}

size_t DisplayWidth(std::string_view s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size();) {
    size_t len;
    const char32_t c = DecodeUtf8(s, i, &len);
    i += len;
    if (IsCombining(c)) continue;
    width += IsWide(c) ? 2 : 1;
  }
  return width;
}

std::string EscapeControl(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace laser::shell
