// Bound (type-checked) scalar expressions and their vectorized evaluation
// over a batch. Built by the binder (sql/), evaluated by the operators.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "laser/batch.hpp"
#include "operators/operator.hpp"

namespace laser::ops {

enum class ExprOp : uint8_t {
  kConst,   // constant
  kColumn,  // input column `column`
  kNeg,
  kNot,
  kAdd,
  kSub,
  kMul,
  kDiv,  // integer division truncates; x / 0 is NULL (as in SQLite)
  kMod,
  kConcat,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAnd,  // three-valued
  kOr,
  kLike,          // % and _ wildcards, case-sensitive
  kIsNull,        // negated: IS NOT NULL
  kIn,            // args[0] IN (args[1..]); negated: NOT IN
  kCase,          // args: when, then, ..., [else] (has_else)
  kCast,          // to `type`
  kCall,          // scalar function `func`
  kEnumToString,  // ENUM ordinal -> label
};

struct BoundExpr {
  ExprOp op = ExprOp::kConst;
  LType type;      // result type
  Value constant;  // kConst, already in the lane of `type`
  int column = -1;
  std::string func;
  bool negated = false;
  bool has_else = false;
  std::vector<std::unique_ptr<BoundExpr>> args;
  std::string text;  // SQL text, for EXPLAIN and error messages

  bool IsConst() const { return op == ExprOp::kConst; }
};
using BoundExprPtr = std::unique_ptr<BoundExpr>;

// Evaluates `e` over the first `rows` rows of `in`. Returns a pointer to the
// result: either a column of `in` (no copy) or `*scratch`, filled with `rows`
// values of e.type. Errors (overflow, bad cast) name the expression and value.
Result<const ColumnVector*> Evaluate(const BoundExpr& e, const Batch& in, size_t rows,
                                     ColumnVector* scratch);

// The scalar functions Evaluate knows: returns the result type for the
// argument types, or InvalidArgument naming the function (no position).
Result<LType> ScalarFunctionType(std::string_view name, const std::vector<LType>& args);
bool IsScalarFunction(std::string_view name);

// Converts a value between lanes (int/uint/float/string) as a cast does;
// returns InvalidArgument naming `to` and the value iff it does not fit.
Result<Value> CastValue(const Value& v, const LType& from, const LType& to);

// Three-way comparison of two non-NULL values of any numeric lanes, or two
// strings (bytewise); mixed signed/unsigned/float are compared exactly.
int CompareValues(const ColumnVector& a, size_t i, const ColumnVector& b, size_t j);

// 'YYYY-MM-DD[( |T)HH:MM[:SS[.fraction]]][Z]' -> count of `unit` since the
// epoch (UTC). Returns InvalidArgument iff the text is not such a timestamp.
Result<int64_t> ParseTimestamp(std::string_view text, TimeUnit unit);
// 'YYYY-MM-DD HH:MM:SS[.fraction]' in UTC.
std::string FormatTimestamp(int64_t v, TimeUnit unit);

// A value as text for display: ENUM labels, timestamps formatted, NULL as "NULL".
std::string FormatValue(const Value& v, const LType& type);

}  // namespace laser::ops
