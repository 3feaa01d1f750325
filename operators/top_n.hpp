// TopN: ORDER BY ... LIMIT k without sorting everything: keeps at most about
// 2k candidate rows, pruning with a partial sort whenever the buffer fills.
// Ties keep input order, so the result equals Sort followed by Limit.
#pragma once

#include "operators/sort.hpp"

namespace laser::ops {

class TopNOp : public Operator {
 public:
  // n: rows to keep (LIMIT + OFFSET; the Limit above applies the offset).
  TopNOp(std::unique_ptr<Operator> child, std::vector<SortKey> keys, uint64_t n);
  std::string Name() const override { return "TopN"; }
  std::string Details() const override {
    return SortKeysText(schema_, keys_) + ", n=" + std::to_string(n_);
  }

 protected:
  Result<bool> NextImpl(Chunk* out) override;

 private:
  void Prune(size_t keep);

  std::vector<SortKey> keys_;
  uint64_t n_;
  Batch rows_;
  // Input sequence number of each buffered row: the tie-breaker, since
  // pruning reorders the buffer.
  std::vector<uint64_t> seq_;
  uint64_t next_seq_ = 0;
  std::vector<uint32_t> order_;
  bool done_ = false;
  size_t emitted_ = 0;
  size_t reserved_ = 0;
};

}  // namespace laser::ops
