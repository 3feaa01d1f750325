// Values: produces a fixed batch (SHOW TABLES, DESCRIBE, a SELECT without
// FROM, EXPLAIN output) in chunks.
#pragma once

#include "operators/operator.hpp"

namespace laser::ops {

class ValuesOp : public Operator {
 public:
  // REQUIRES rows.num_columns() == schema.size().
  ValuesOp(Schema schema, Batch rows, std::string label);
  std::string Name() const override { return "Values"; }
  std::string Details() const override { return label_; }

 protected:
  Result<bool> NextImpl(Chunk* out) override;

 private:
  Batch rows_;
  std::string label_;
  size_t offset_ = 0;
};

}  // namespace laser::ops
