// Filter: narrows each chunk's selection vector to the rows whose predicate
// is true (NULL counts as false). Never copies column data.
#pragma once

#include "operators/expression.hpp"

namespace laser::ops {

class FilterOp : public Operator {
 public:
  FilterOp(std::unique_ptr<Operator> child, BoundExprPtr predicate);
  std::string Name() const override { return "Filter"; }
  std::string Details() const override { return predicate_->text; }

 protected:
  Result<bool> NextImpl(Chunk* out) override;

 private:
  BoundExprPtr predicate_;
};

}  // namespace laser::ops
