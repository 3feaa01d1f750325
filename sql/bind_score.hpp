// Binding of the SCORE(...) table function:
//   SCORE(model, table, user => u | users => [u, ...],
//         targets => [t, ...] | targets => (SELECT ...)
//         [, method => 'sta' | 'full'] [, interest => true])
#pragma once

#include "operators/model_cache.hpp"  // CheckModelFile, used by CREATE MODEL
#include "sql/planner.hpp"

namespace laser::sql {

// Binds a SCORE call to a ScoreOp; errors point at the offending argument.
Result<std::unique_ptr<ops::Operator>> BindScore(const TableFunctionContext& ctx);

}  // namespace laser::sql
