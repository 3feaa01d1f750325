// Insert: appends a prepared batch (INSERT ... VALUES, already coerced to
// the table's types) as one atomic DB::Append.
#pragma once

#include "operators/operator.hpp"

namespace laser::ops {

class InsertOp : public Operator {
 public:
  InsertOp(std::string table, Batch rows);
  std::string Name() const override { return "Insert"; }
  std::string Details() const override {
    return table_ + ", " + std::to_string(rows_.num_rows()) + " rows";
  }

 protected:
  Result<bool> NextImpl(Chunk* out) override;

 private:
  std::string table_;
  Batch rows_;
  bool done_ = false;
};

}  // namespace laser::ops
