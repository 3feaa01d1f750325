// Limit: skips `offset` rows, then passes at most `limit` rows.
#pragma once

#include <optional>

#include "operators/operator.hpp"

namespace laser::ops {

class LimitOp : public Operator {
 public:
  LimitOp(std::unique_ptr<Operator> child, std::optional<uint64_t> limit, uint64_t offset);
  std::string Name() const override { return "Limit"; }
  std::string Details() const override;

 protected:
  Result<bool> NextImpl(Chunk* out) override;

 private:
  std::optional<uint64_t> limit_;
  uint64_t offset_;
  uint64_t skipped_ = 0;
  uint64_t emitted_ = 0;
};

}  // namespace laser::ops
