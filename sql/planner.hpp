// Binder + planner: resolves a parsed statement against the catalog (names,
// types, constants) and builds its physical operator tree, pushing
// partition-key predicates, order-key ranges, LAST n and the needed columns
// into the scan. Every error points at the offending token (line:column and
// a caret line).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "laser/db.hpp"
#include "operators/expression.hpp"
#include "operators/operator.hpp"
#include "sql/ast.hpp"

namespace laser::sql {

struct PlanOptions {
  size_t copy_staging_bytes = 256u << 20;  // see operators/copy_from.hpp
};

// Builds the operator tree of `st`, parsed from `source`; `params` holds the
// values of its `?` placeholders in order. Returns InvalidArgument/NotFound
// with line:column and a caret iff a name, type or constant is wrong.
Result<std::unique_ptr<ops::Operator>> PlanStatement(DB* db, std::string_view source,
                                                     const Statement& st,
                                                     const std::vector<Value>& params,
                                                     const PlanOptions& options);

// What a table function (FROM name(args...)) sees at bind time.
class TableFunctionContext {
 public:
  virtual ~TableFunctionContext() = default;
  virtual DB* db() const = 0;
  virtual const TableRef& call() const = 0;
  // An InvalidArgument naming line:column of byte `pos` with a caret.
  virtual Status ErrorAt(size_t pos, std::string_view message) const = 0;
  // Folds an argument to a constant (literals, ?, arithmetic); error if it is not one.
  virtual Result<Value> Constant(const Expr& e) const = 0;
  // Plans a subquery argument `(SELECT ...)`.
  virtual Result<std::unique_ptr<ops::Operator>> PlanSubquery(const Select& s) const = 0;
};

using TableFunction =
    std::function<Result<std::unique_ptr<ops::Operator>>(const TableFunctionContext&)>;

// Makes `FROM name(...)` call `fn` (name is case-insensitive). Not thread-safe
// with planning: register at start-up.
void RegisterTableFunction(std::string_view name, TableFunction fn);

}  // namespace laser::sql
