#include "operators/expression.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "engine/util/status_macros.hpp"

namespace laser::ops {
namespace {

bool IsNull(const ColumnVector& c, size_t i) { return !c.nulls.empty() && c.nulls[i] != 0; }

void SetNull(ColumnVector* c, size_t i) {
  if (c->nulls.empty()) c->nulls.assign(c->size(), 0);
  c->nulls[i] = 1;
}

// Prepares `out` to hold `rows` zero values of type t (no NULLs).
void Init(ColumnVector* out, Type t, size_t rows) {
  out->Clear();
  out->type = t;
  switch (LaneOf(t)) {
    case Lane::kInt:
      out->ints.assign(rows, 0);
      break;
    case Lane::kUInt:
      out->uints.assign(rows, 0);
      break;
    case Lane::kFloat:
      out->floats.assign(rows, 0);
      break;
    case Lane::kString:
      out->strings.assign(rows, std::string());
      break;
  }
}

double AsDouble(const ColumnVector& c, size_t i) {
  switch (LaneOf(c.type)) {
    case Lane::kInt:
      return static_cast<double>(c.ints[i]);
    case Lane::kUInt:
      return static_cast<double>(c.uints[i]);
    case Lane::kFloat:
      return c.floats[i];
    case Lane::kString:
      return std::strtod(c.strings[i].c_str(), nullptr);
  }
  return 0;
}

// Returns false iff the value does not fit a signed 64-bit integer.
bool AsInt(const ColumnVector& c, size_t i, int64_t* out) {
  switch (LaneOf(c.type)) {
    case Lane::kInt:
      *out = c.ints[i];
      return true;
    case Lane::kUInt:
      if (c.uints[i] > static_cast<uint64_t>(INT64_MAX)) return false;
      *out = static_cast<int64_t>(c.uints[i]);
      return true;
    case Lane::kFloat: {
      const double d = c.floats[i];
      if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return false;
      *out = static_cast<int64_t>(d);
      return true;
    }
    case Lane::kString:
      return false;
  }
  return false;
}

Value GetValue(const ColumnVector& c, size_t i) { return c.Get(i); }

// Stores v (NULL or of a lane convertible to out's) at row i.
void Put(ColumnVector* out, size_t i, const Value& v) {
  if (v.is_null()) {
    SetNull(out, i);
    return;
  }
  switch (LaneOf(out->type)) {
    case Lane::kInt:
      if (auto* x = std::get_if<int64_t>(&v.v))
        out->ints[i] = *x;
      else if (auto* u = std::get_if<uint64_t>(&v.v))
        out->ints[i] = static_cast<int64_t>(*u);
      else if (auto* d = std::get_if<double>(&v.v))
        out->ints[i] = static_cast<int64_t>(*d);
      break;
    case Lane::kUInt:
      if (auto* x = std::get_if<uint64_t>(&v.v))
        out->uints[i] = *x;
      else if (auto* s = std::get_if<int64_t>(&v.v))
        out->uints[i] = static_cast<uint64_t>(*s);
      else if (auto* d = std::get_if<double>(&v.v))
        out->uints[i] = static_cast<uint64_t>(*d);
      break;
    case Lane::kFloat:
      if (auto* d = std::get_if<double>(&v.v))
        out->floats[i] = *d;
      else if (auto* x = std::get_if<int64_t>(&v.v))
        out->floats[i] = static_cast<double>(*x);
      else if (auto* u = std::get_if<uint64_t>(&v.v))
        out->floats[i] = static_cast<double>(*u);
      break;
    case Lane::kString:
      if (auto* s = std::get_if<std::string>(&v.v))
        out->strings[i] = *s;
      else
        out->strings[i] = v.ToString();
      break;
  }
}

std::string Shown(const ColumnVector& c, size_t i) {
  Value v = c.Get(i);
  if (auto* s = std::get_if<std::string>(&v.v)) return "'" + *s + "'";
  return v.ToString();
}

bool LikeMatch(std::string_view s, std::string_view p) {
  size_t si = 0, pi = 0, star_p = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size() && (p[pi] == '_' || p[pi] == s[si])) {
      ++si;
      ++pi;
    } else if (pi < p.size() && p[pi] == '%') {
      star_p = pi++;
      star_s = si;
    } else if (star_p != std::string_view::npos) {
      pi = star_p + 1;
      si = ++star_s;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '%') ++pi;
  return pi == p.size();
}

Status EvalArith(const BoundExpr& e, const ColumnVector& a, const ColumnVector& b, size_t rows,
                 ColumnVector* out) {
  Init(out, e.type.type, rows);
  const bool fl = LaneOf(e.type.type) == Lane::kFloat;
  for (size_t i = 0; i < rows; ++i) {
    if (IsNull(a, i) || IsNull(b, i)) {
      SetNull(out, i);
      continue;
    }
    if (fl) {
      const double x = AsDouble(a, i), y = AsDouble(b, i);
      double r = 0;
      switch (e.op) {
        case ExprOp::kAdd:
          r = x + y;
          break;
        case ExprOp::kSub:
          r = x - y;
          break;
        case ExprOp::kMul:
          r = x * y;
          break;
        case ExprOp::kDiv:
          if (y == 0) {
            SetNull(out, i);
            continue;
          }
          r = x / y;
          break;
        case ExprOp::kMod:
          if (y == 0) {
            SetNull(out, i);
            continue;
          }
          r = std::fmod(x, y);
          break;
        default:
          break;
      }
      out->floats[i] = r;
      continue;
    }
    int64_t x = 0, y = 0;
    if (!AsInt(a, i, &x)) {
      return Status::InvalidArgument("integer overflow: " + Shown(a, i) + " does not fit I64 in " +
                                     e.text);
    }
    if (!AsInt(b, i, &y)) {
      return Status::InvalidArgument("integer overflow: " + Shown(b, i) + " does not fit I64 in " +
                                     e.text);
    }
    int64_t r = 0;
    bool overflow = false;
    switch (e.op) {
      case ExprOp::kAdd:
        overflow = __builtin_add_overflow(x, y, &r);
        break;
      case ExprOp::kSub:
        overflow = __builtin_sub_overflow(x, y, &r);
        break;
      case ExprOp::kMul:
        overflow = __builtin_mul_overflow(x, y, &r);
        break;
      case ExprOp::kDiv:
      case ExprOp::kMod:
        if (y == 0) {
          SetNull(out, i);
          continue;
        }
        if (x == INT64_MIN && y == -1) {
          overflow = e.op == ExprOp::kDiv;
          r = 0;
        } else {
          r = e.op == ExprOp::kDiv ? x / y : x % y;
        }
        break;
      default:
        break;
    }
    if (overflow) {
      return Status::InvalidArgument("integer overflow: " + std::to_string(x) + " and " +
                                     std::to_string(y) + " in " + e.text);
    }
    out->ints[i] = r;
  }
  return Status::OK();
}

bool CmpResult(ExprOp op, int c) {
  switch (op) {
    case ExprOp::kEq:
      return c == 0;
    case ExprOp::kNe:
      return c != 0;
    case ExprOp::kLt:
      return c < 0;
    case ExprOp::kLe:
      return c <= 0;
    case ExprOp::kGt:
      return c > 0;
    case ExprOp::kGe:
      return c >= 0;
    default:
      return false;
  }
}

template <typename T>
void CompareLanes(ExprOp op, const std::vector<T>& x, const std::vector<T>& y, size_t rows,
                  ColumnVector* out) {
  for (size_t i = 0; i < rows; ++i) {
    const int c = x[i] < y[i] ? -1 : (y[i] < x[i] ? 1 : 0);
    out->ints[i] = CmpResult(op, c) ? 1 : 0;
  }
}

void EvalCompare(ExprOp op, const ColumnVector& a, const ColumnVector& b, size_t rows,
                 ColumnVector* out) {
  Init(out, Type::kBool, rows);
  const Lane la = LaneOf(a.type), lb = LaneOf(b.type);
  if (la == lb && la == Lane::kInt) {
    CompareLanes(op, a.ints, b.ints, rows, out);
  } else if (la == lb && la == Lane::kUInt) {
    CompareLanes(op, a.uints, b.uints, rows, out);
  } else {
    for (size_t i = 0; i < rows; ++i) {
      if (IsNull(a, i) || IsNull(b, i)) continue;
      out->ints[i] = CmpResult(op, CompareValues(a, i, b, i)) ? 1 : 0;
    }
  }
  for (size_t i = 0; i < rows; ++i) {
    if (IsNull(a, i) || IsNull(b, i)) SetNull(out, i);
  }
}

// Truthiness of a BOOL/number value: -1 NULL, 0 false, 1 true.
int Truth(const ColumnVector& c, size_t i) {
  if (IsNull(c, i)) return -1;
  switch (LaneOf(c.type)) {
    case Lane::kInt:
      return c.ints[i] != 0 ? 1 : 0;
    case Lane::kUInt:
      return c.uints[i] != 0 ? 1 : 0;
    case Lane::kFloat:
      return c.floats[i] != 0 ? 1 : 0;
    case Lane::kString:
      return c.strings[i].empty() ? 0 : 1;
  }
  return 0;
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

Result<Value> CallFunction(const BoundExpr& e, const std::vector<Value>& a,
                           const std::vector<const ColumnVector*>& cols) {
  const std::string& f = e.func;
  if (f == "coalesce" || f == "ifnull") {
    for (const Value& v : a) {
      if (!v.is_null()) return v;
    }
    return Value::Null();
  }
  if (f == "nullif") {
    if (a[0].is_null()) return Value::Null();
    if (!a[1].is_null() && CompareValues(*cols[0], 0, *cols[1], 0) == 0) return Value::Null();
    return a[0];
  }
  for (const Value& v : a) {
    if (v.is_null()) return Value::Null();
  }
  if (f == "abs") {
    if (auto* x = std::get_if<int64_t>(&a[0].v)) {
      if (*x == INT64_MIN) return Status::InvalidArgument("integer overflow in " + e.text);
      return Value::Int(*x < 0 ? -*x : *x);
    }
    if (auto* u = std::get_if<uint64_t>(&a[0].v)) return Value::UInt(*u);
    return Value::Float(std::fabs(std::get<double>(a[0].v)));
  }
  if (f == "lower" || f == "upper") {
    std::string s = std::get<std::string>(a[0].v);
    for (char& c : s) {
      c = static_cast<char>(f == "lower" ? std::tolower(static_cast<unsigned char>(c))
                                         : std::toupper(static_cast<unsigned char>(c)));
    }
    return Value::String(std::move(s));
  }
  if (f == "length") {
    const std::string& s = std::get<std::string>(a[0].v);
    int64_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
    return Value::Int(n);
  }
  auto num = [&](size_t i) {
    const Value& v = a[i];
    if (auto* x = std::get_if<int64_t>(&v.v)) return static_cast<double>(*x);
    if (auto* u = std::get_if<uint64_t>(&v.v)) return static_cast<double>(*u);
    return std::get<double>(v.v);
  };
  auto ival = [&](size_t i) -> int64_t {
    const Value& v = a[i];
    if (auto* x = std::get_if<int64_t>(&v.v)) return *x;
    if (auto* u = std::get_if<uint64_t>(&v.v)) {
      return *u > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(*u);
    }
    return static_cast<int64_t>(std::get<double>(v.v));
  };
  if (f == "round") {
    const int64_t digits = a.size() > 1 ? ival(1) : 0;
    const double scale = std::pow(10.0, static_cast<double>(digits));
    const double x = num(0);
    return Value::Float(std::round(x * scale) / scale);
  }
  if (f == "floor") return Value::Float(std::floor(num(0)));
  if (f == "ceil" || f == "ceiling") return Value::Float(std::ceil(num(0)));
  if (f == "sqrt") {
    if (num(0) < 0) return Value::Null();
    return Value::Float(std::sqrt(num(0)));
  }
  if (f == "substr" || f == "substring") {
    const std::string& s = std::get<std::string>(a[0].v);
    int64_t start = ival(1);
    const int64_t len_all = static_cast<int64_t>(s.size());
    int64_t len = a.size() > 2 ? ival(2) : len_all;
    // SQLite semantics: 1-based; start 0 counts as one before the first character.
    int64_t b = start > 0 ? start - 1 : (start < 0 ? len_all + start : -1);
    int64_t end = b + len;
    if (b < 0) b = 0;
    if (end > len_all) end = len_all;
    if (end <= b) return Value::String("");
    return Value::String(s.substr(static_cast<size_t>(b), static_cast<size_t>(end - b)));
  }
  if (f == "epoch_ms" || f == "epoch") {
    const int64_t v = ival(0);
    const int64_t nanos = v * NanosPerUnit(e.args[0]->type.unit);
    return Value::Int(f == "epoch_ms" ? nanos / 1'000'000 : nanos / 1'000'000'000);
  }
  return Status::InvalidArgument("unknown function " + f);
}

}  // namespace

bool IsScalarFunction(std::string_view n) {
  static constexpr std::string_view kNames[] = {
      "coalesce", "ifnull", "nullif",  "abs",  "lower",  "upper",     "length",   "round",
      "floor",    "ceil",   "ceiling", "sqrt", "substr", "substring", "epoch_ms", "epoch"};
  for (auto k : kNames) {
    if (k == n) return true;
  }
  return false;
}

Result<LType> ScalarFunctionType(std::string_view n, const std::vector<LType>& args) {
  auto arity = [&](size_t lo, size_t hi) -> Status {
    if (args.size() < lo || args.size() > hi) {
      return Status::InvalidArgument(
          std::string(n) + "() takes " +
          (lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " + std::to_string(hi)) +
          " argument(s), got " + std::to_string(args.size()));
    }
    return Status::OK();
  };
  auto numeric = [&](size_t i) -> Status {
    const Lane l = LaneOf(args[i].type);
    if (l == Lane::kString || args[i].type == Type::kEnum) {
      return Status::InvalidArgument(std::string(n) + "() needs a number, got " +
                                     args[i].ToString());
    }
    return Status::OK();
  };
  auto string_arg = [&](size_t i) -> Status {
    if (args[i].type != Type::kString) {
      return Status::InvalidArgument(std::string(n) + "() needs a STRING, got " +
                                     args[i].ToString());
    }
    return Status::OK();
  };
  if (n == "coalesce" || n == "ifnull") {
    LASER_RETURN_IF_ERROR(arity(n == "ifnull" ? 2 : 1, n == "ifnull" ? 2 : 64));
    return args[0];
  }
  if (n == "nullif") {
    LASER_RETURN_IF_ERROR(arity(2, 2));
    return args[0];
  }
  if (n == "abs") {
    LASER_RETURN_IF_ERROR(arity(1, 1));
    LASER_RETURN_IF_ERROR(numeric(0));
    const Lane l = LaneOf(args[0].type);
    return LType::Of(l == Lane::kFloat ? Type::kF64 : l == Lane::kUInt ? Type::kU64 : Type::kI64);
  }
  if (n == "lower" || n == "upper") {
    LASER_RETURN_IF_ERROR(arity(1, 1));
    LASER_RETURN_IF_ERROR(string_arg(0));
    return LType::Of(Type::kString);
  }
  if (n == "length") {
    LASER_RETURN_IF_ERROR(arity(1, 1));
    LASER_RETURN_IF_ERROR(string_arg(0));
    return LType::Of(Type::kI64);
  }
  if (n == "round" || n == "floor" || n == "ceil" || n == "ceiling" || n == "sqrt") {
    LASER_RETURN_IF_ERROR(arity(1, n == "round" ? 2 : 1));
    for (size_t i = 0; i < args.size(); ++i) LASER_RETURN_IF_ERROR(numeric(i));
    return LType::Of(Type::kF64);
  }
  if (n == "substr" || n == "substring") {
    LASER_RETURN_IF_ERROR(arity(2, 3));
    LASER_RETURN_IF_ERROR(string_arg(0));
    for (size_t i = 1; i < args.size(); ++i) LASER_RETURN_IF_ERROR(numeric(i));
    return LType::Of(Type::kString);
  }
  if (n == "epoch_ms" || n == "epoch") {
    LASER_RETURN_IF_ERROR(arity(1, 1));
    if (args[0].type != Type::kTimestamp) {
      return Status::InvalidArgument(std::string(n) + "() needs a TIMESTAMP, got " +
                                     args[0].ToString());
    }
    return LType::Of(Type::kI64);
  }
  return Status::NotFound("unknown function " + std::string(n) + "()");
}

int CompareValues(const ColumnVector& a, size_t i, const ColumnVector& b, size_t j) {
  const Lane la = LaneOf(a.type), lb = LaneOf(b.type);
  if (la == Lane::kString || lb == Lane::kString) {
    if (la == Lane::kString && lb == Lane::kString) {
      const int c = a.strings[i].compare(b.strings[j]);
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    // Numbers sort before strings, as in SQLite.
    return la == Lane::kString ? 1 : -1;
  }
  if (la == Lane::kFloat || lb == Lane::kFloat) {
    // Exact against 64-bit integers: compare as long double where the
    // integer is not exactly representable as a double.
    const long double x = la == Lane::kFloat ? a.floats[i]
                          : la == Lane::kInt ? static_cast<long double>(a.ints[i])
                                             : static_cast<long double>(a.uints[i]);
    const long double y = lb == Lane::kFloat ? b.floats[j]
                          : lb == Lane::kInt ? static_cast<long double>(b.ints[j])
                                             : static_cast<long double>(b.uints[j]);
    return x < y ? -1 : (y < x ? 1 : 0);
  }
  if (la == Lane::kInt && lb == Lane::kInt) {
    return a.ints[i] < b.ints[j] ? -1 : (b.ints[j] < a.ints[i] ? 1 : 0);
  }
  if (la == Lane::kUInt && lb == Lane::kUInt) {
    return a.uints[i] < b.uints[j] ? -1 : (b.uints[j] < a.uints[i] ? 1 : 0);
  }
  if (la == Lane::kInt) {
    if (a.ints[i] < 0) return -1;
    const uint64_t x = static_cast<uint64_t>(a.ints[i]);
    return x < b.uints[j] ? -1 : (b.uints[j] < x ? 1 : 0);
  }
  if (b.ints[j] < 0) return 1;
  const uint64_t y = static_cast<uint64_t>(b.ints[j]);
  return a.uints[i] < y ? -1 : (y < a.uints[i] ? 1 : 0);
}

Result<int64_t> ParseTimestamp(std::string_view t, TimeUnit unit) {
  auto bad = [&]() {
    return Status::InvalidArgument("invalid timestamp '" + std::string(t) +
                                   "'; expected 'YYYY-MM-DD[ HH:MM[:SS[.fff]]]'");
  };
  size_t p = 0;
  auto num = [&](size_t digits, int64_t* out) {
    if (p + digits > t.size()) return false;
    int64_t v = 0;
    for (size_t k = 0; k < digits; ++k) {
      const char c = t[p + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    p += digits;
    *out = v;
    return true;
  };
  int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, frac_ns = 0;
  if (!num(4, &y) || p >= t.size() || t[p++] != '-' || !num(2, &mo) || p >= t.size() ||
      t[p++] != '-' || !num(2, &d)) {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return bad();
  if (p < t.size() && (t[p] == ' ' || t[p] == 'T')) {
    ++p;
    if (!num(2, &h) || p >= t.size() || t[p++] != ':' || !num(2, &mi)) return bad();
    if (p < t.size() && t[p] == ':') {
      ++p;
      if (!num(2, &s)) return bad();
      if (p < t.size() && t[p] == '.') {
        ++p;
        int64_t scale = 100'000'000;
        size_t digits = 0;
        while (p < t.size() && t[p] >= '0' && t[p] <= '9') {
          if (digits < 9) frac_ns += (t[p] - '0') * scale;
          scale /= 10;
          ++digits;
          ++p;
        }
        if (digits == 0) return bad();
      }
    }
    if (h > 23 || mi > 59 || s > 60) return bad();
  }
  if (p < t.size() && t[p] == 'Z') ++p;
  if (p != t.size()) return bad();
  const int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  const int64_t secs = days * 86400 + h * 3600 + mi * 60 + s;
  const int64_t per = NanosPerUnit(unit);
  const int64_t units_per_sec = 1'000'000'000 / per;
  return secs * units_per_sec + frac_ns / per;
}

std::string FormatTimestamp(int64_t v, TimeUnit unit) {
  const int64_t per_sec = 1'000'000'000 / NanosPerUnit(unit);
  int64_t secs = v / per_sec;
  int64_t frac = v % per_sec;
  if (frac < 0) {
    frac += per_sec;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02u %02lld:%02lld:%02lld",
                static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
                static_cast<long long>((rem / 60) % 60), static_cast<long long>(rem % 60));
  std::string out = buf;
  if (frac != 0) {
    const int width = unit == TimeUnit::kMillisecond ? 3 : unit == TimeUnit::kMicrosecond ? 6 : 9;
    std::snprintf(buf, sizeof(buf), ".%0*lld", width, static_cast<long long>(frac));
    out += buf;
  }
  return out;
}

std::string FormatValue(const Value& v, const LType& type) {
  if (v.is_null()) return "NULL";
  if (type.type == Type::kEnum && type.enum_values) {
    if (auto* x = std::get_if<int64_t>(&v.v)) {
      if (*x >= 0 && static_cast<size_t>(*x) < type.enum_values->size()) {
        return (*type.enum_values)[static_cast<size_t>(*x)];
      }
    }
  }
  if (type.type == Type::kTimestamp) {
    if (auto* x = std::get_if<int64_t>(&v.v)) return FormatTimestamp(*x, type.unit);
  }
  if (type.type == Type::kBool) {
    if (auto* x = std::get_if<int64_t>(&v.v)) return *x != 0 ? "true" : "false";
  }
  return v.ToString();
}

Result<Value> CastValue(const Value& v, const LType& from, const LType& to) {
  if (v.is_null()) return v;
  if (to.type == Type::kString) {
    return Value::String(FormatValue(v, from));
  }
  if (to.type == Type::kTimestamp) {
    if (auto* s = std::get_if<std::string>(&v.v)) {
      LASER_ASSIGN_OR_RETURN(int64_t t, ParseTimestamp(*s, to.unit));
      return Value::Int(t);
    }
    if (from.type == Type::kTimestamp) {
      // Between units: whole units of the target, toward negative infinity.
      const int64_t x = std::get<int64_t>(v.v);
      const int64_t fn = NanosPerUnit(from.unit), tn = NanosPerUnit(to.unit);
      if (fn >= tn) {
        int64_t r = 0;
        if (__builtin_mul_overflow(x, fn / tn, &r)) {
          return Status::InvalidArgument("timestamp " + v.ToString() + " overflows " +
                                         to.ToString());
        }
        return Value::Int(r);
      }
      const int64_t q = tn / fn;
      return Value::Int(x >= 0 ? x / q : -((-x + q - 1) / q));
    }
  }
  Value src = v;
  if (from.type == Type::kEnum && from.enum_values && to.type != Type::kEnum) {
    src = Value::String(FormatValue(v, from));
  }
  Column c;
  c.name = "CAST";
  c.type = to.type == Type::kTimestamp ? Type::kI64 : to.type;
  if (to.enum_values) c.enum_values = *to.enum_values;
  if (c.type == Type::kBool) {
    if (auto* d = std::get_if<double>(&src.v)) src = Value::Int(*d != 0 ? 1 : 0);
    if (auto* x = std::get_if<int64_t>(&src.v)) src = Value::Int(*x != 0 ? 1 : 0);
    if (auto* u = std::get_if<uint64_t>(&src.v)) src = Value::Int(*u != 0 ? 1 : 0);
  }
  if (LaneOf(c.type) != Lane::kFloat && c.type != Type::kEnum && c.type != Type::kBool) {
    if (auto* d = std::get_if<double>(&src.v)) {
      // Casting a real to an integer truncates toward zero, as in SQL.
      if (std::isfinite(*d)) src = Value::Float(std::trunc(*d));
    }
  }
  Result<Value> r = CoerceValue(c, src);
  if (!r.ok()) {
    return Status::InvalidArgument("cannot cast " + FormatValue(v, from) + " to " + to.ToString());
  }
  return r;
}

Result<const ColumnVector*> Evaluate(const BoundExpr& e, const Batch& in, size_t rows,
                                     ColumnVector* out) {
  switch (e.op) {
    case ExprOp::kColumn:
      return &in.columns[static_cast<size_t>(e.column)];
    case ExprOp::kConst:
      Init(out, e.type.type, rows);
      if (e.constant.is_null()) {
        out->nulls.assign(rows, 1);
      } else {
        for (size_t i = 0; i < rows; ++i) Put(out, i, e.constant);
      }
      return out;
    default:
      break;
  }
  std::vector<ColumnVector> tmp(e.args.size());
  std::vector<const ColumnVector*> a(e.args.size());
  // CASE evaluates its branches fully; AND/OR too (no side effects exist).
  for (size_t k = 0; k < e.args.size(); ++k) {
    LASER_ASSIGN_OR_RETURN(a[k], Evaluate(*e.args[k], in, rows, &tmp[k]));
  }
  switch (e.op) {
    case ExprOp::kNeg: {
      Init(out, e.type.type, rows);
      for (size_t i = 0; i < rows; ++i) {
        if (IsNull(*a[0], i)) {
          SetNull(out, i);
        } else if (LaneOf(e.type.type) == Lane::kFloat) {
          out->floats[i] = -AsDouble(*a[0], i);
        } else {
          int64_t x = 0;
          if (!AsInt(*a[0], i, &x) || x == INT64_MIN) {
            return Status::InvalidArgument("integer overflow: -" + Shown(*a[0], i) + " in " +
                                           e.text);
          }
          out->ints[i] = -x;
        }
      }
      return out;
    }
    case ExprOp::kNot: {
      Init(out, Type::kBool, rows);
      for (size_t i = 0; i < rows; ++i) {
        const int t = Truth(*a[0], i);
        if (t < 0)
          SetNull(out, i);
        else
          out->ints[i] = t == 0 ? 1 : 0;
      }
      return out;
    }
    case ExprOp::kAdd:
    case ExprOp::kSub:
    case ExprOp::kMul:
    case ExprOp::kDiv:
    case ExprOp::kMod:
      LASER_RETURN_IF_ERROR(EvalArith(e, *a[0], *a[1], rows, out));
      return out;
    case ExprOp::kConcat: {
      Init(out, Type::kString, rows);
      for (size_t i = 0; i < rows; ++i) {
        if (IsNull(*a[0], i) || IsNull(*a[1], i)) {
          SetNull(out, i);
          continue;
        }
        out->strings[i] =
            FormatValue(a[0]->Get(i), e.args[0]->type) + FormatValue(a[1]->Get(i), e.args[1]->type);
      }
      return out;
    }
    case ExprOp::kEq:
    case ExprOp::kNe:
    case ExprOp::kLt:
    case ExprOp::kLe:
    case ExprOp::kGt:
    case ExprOp::kGe:
      EvalCompare(e.op, *a[0], *a[1], rows, out);
      return out;
    case ExprOp::kAnd:
    case ExprOp::kOr: {
      Init(out, Type::kBool, rows);
      const bool is_and = e.op == ExprOp::kAnd;
      for (size_t i = 0; i < rows; ++i) {
        const int x = Truth(*a[0], i), y = Truth(*a[1], i);
        if (is_and) {
          if (x == 0 || y == 0)
            out->ints[i] = 0;
          else if (x < 0 || y < 0)
            SetNull(out, i);
          else
            out->ints[i] = 1;
        } else {
          if (x == 1 || y == 1)
            out->ints[i] = 1;
          else if (x < 0 || y < 0)
            SetNull(out, i);
          else
            out->ints[i] = 0;
        }
      }
      return out;
    }
    case ExprOp::kLike: {
      Init(out, Type::kBool, rows);
      for (size_t i = 0; i < rows; ++i) {
        if (IsNull(*a[0], i) || IsNull(*a[1], i)) {
          SetNull(out, i);
          continue;
        }
        out->ints[i] = LikeMatch(a[0]->strings[i], a[1]->strings[i]) ? 1 : 0;
      }
      return out;
    }
    case ExprOp::kIsNull: {
      Init(out, Type::kBool, rows);
      for (size_t i = 0; i < rows; ++i) {
        out->ints[i] = (IsNull(*a[0], i) != e.negated) ? 1 : 0;
      }
      return out;
    }
    case ExprOp::kIn: {
      Init(out, Type::kBool, rows);
      for (size_t i = 0; i < rows; ++i) {
        if (IsNull(*a[0], i)) {
          SetNull(out, i);
          continue;
        }
        bool found = false, saw_null = false;
        for (size_t k = 1; k < a.size() && !found; ++k) {
          if (IsNull(*a[k], i)) {
            saw_null = true;
          } else if (CompareValues(*a[0], i, *a[k], i) == 0) {
            found = true;
          }
        }
        if (found)
          out->ints[i] = e.negated ? 0 : 1;
        else if (saw_null)
          SetNull(out, i);
        else
          out->ints[i] = e.negated ? 1 : 0;
      }
      return out;
    }
    case ExprOp::kCase: {
      Init(out, e.type.type, rows);
      const size_t pairs = (e.args.size() - (e.has_else ? 1 : 0)) / 2;
      for (size_t i = 0; i < rows; ++i) {
        const ColumnVector* src = nullptr;
        const BoundExpr* src_e = nullptr;
        for (size_t k = 0; k < pairs && src == nullptr; ++k) {
          if (Truth(*a[2 * k], i) == 1) {
            src = a[2 * k + 1];
            src_e = e.args[2 * k + 1].get();
          }
        }
        if (src == nullptr && e.has_else) {
          src = a.back();
          src_e = e.args.back().get();
        }
        if (src == nullptr || IsNull(*src, i)) {
          SetNull(out, i);
          continue;
        }
        LASER_ASSIGN_OR_RETURN(Value v, CastValue(src->Get(i), src_e->type, e.type));
        Put(out, i, v);
      }
      return out;
    }
    case ExprOp::kCast: {
      Init(out, e.type.type, rows);
      for (size_t i = 0; i < rows; ++i) {
        Result<Value> v = CastValue(a[0]->Get(i), e.args[0]->type, e.type);
        if (!v.ok()) return v.status().WithContext(e.text);
        Put(out, i, *v);
      }
      return out;
    }
    case ExprOp::kEnumToString: {
      Init(out, Type::kString, rows);
      for (size_t i = 0; i < rows; ++i) {
        if (IsNull(*a[0], i))
          SetNull(out, i);
        else
          out->strings[i] = FormatValue(a[0]->Get(i), e.args[0]->type);
      }
      return out;
    }
    case ExprOp::kCall: {
      Init(out, e.type.type, rows);
      std::vector<Value> vals(a.size());
      std::vector<ColumnVector> one(a.size());
      std::vector<const ColumnVector*> one_ptr(a.size());
      for (size_t i = 0; i < rows; ++i) {
        for (size_t k = 0; k < a.size(); ++k) {
          vals[k] = GetValue(*a[k], i);
          one[k].Clear();
          one[k].type = a[k]->type;
          one[k].Append(vals[k]);
          one_ptr[k] = &one[k];
        }
        LASER_ASSIGN_OR_RETURN(Value v, CallFunction(e, vals, one_ptr));
        if (!v.is_null() && LaneOf(e.type.type) != Lane::kString &&
            std::holds_alternative<std::string>(v.v)) {
          return Status::Internal("function " + e.func + " returned a string");
        }
        Put(out, i, v);
      }
      return out;
    }
    default:
      break;
  }
  return Status::Internal("unhandled expression " + e.text);
}

}  // namespace laser::ops
