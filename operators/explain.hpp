// Explain: produces the plan of another operator tree as rows of text
// (column "plan"); with ANALYZE it first runs the plan to completion,
// discarding its rows, and shows rows and time per operator.
#pragma once

#include "operators/operator.hpp"

namespace laser::ops {

class ExplainOp : public Operator {
 public:
  ExplainOp(std::unique_ptr<Operator> plan, bool analyze);
  std::string Name() const override { return analyze_ ? "ExplainAnalyze" : "Explain"; }

 protected:
  Result<bool> NextImpl(Chunk* out) override;

 private:
  // Not a child: EXPLAIN without ANALYZE must not open (run) the plan.
  std::unique_ptr<Operator> plan_;
  bool analyze_;
  bool done_ = false;
};

}  // namespace laser::ops
