// Project: evaluates one expression per output column and compacts the
// selected rows into dense output columns.
#pragma once

#include "operators/expression.hpp"

namespace laser::ops {

class ProjectOp : public Operator {
 public:
  // names.size() == exprs.size().
  ProjectOp(std::unique_ptr<Operator> child, std::vector<BoundExprPtr> exprs,
            std::vector<std::string> names);
  std::string Name() const override { return "Project"; }
  std::string Details() const override;

 protected:
  Result<bool> NextImpl(Chunk* out) override;

 private:
  std::vector<BoundExprPtr> exprs_;
};

}  // namespace laser::ops
