// HashAggregate: GROUP BY keys with count(*), count(x), count(DISTINCT x),
// sum, min, max, avg. Output: the key columns, then one column per
// aggregate; groups appear in the order they were first seen. Without keys it
// produces exactly one row, even for empty input.
#pragma once

#include <unordered_map>
#include <unordered_set>

#include "operators/expression.hpp"

namespace laser::ops {

enum class AggKind : uint8_t { kCountStar, kCount, kCountDistinct, kSum, kMin, kMax, kAvg };

struct AggSpec {
  AggKind kind = AggKind::kCountStar;
  BoundExprPtr arg;  // null for count(*)
  LType type;        // result type
  std::string name;
};

class HashAggregateOp : public Operator {
 public:
  HashAggregateOp(std::unique_ptr<Operator> child, std::vector<BoundExprPtr> keys,
                  std::vector<std::string> key_names, std::vector<AggSpec> aggs);
  std::string Name() const override { return "HashAggregate"; }
  std::string Details() const override;

 protected:
  Result<bool> NextImpl(Chunk* out) override;

 private:
  Status Consume(const Chunk& in);
  size_t NewGroup(const std::vector<const ColumnVector*>& keys, uint32_t row);
  Status Update(size_t agg, size_t group, const ColumnVector& v, uint32_t row);

  std::vector<BoundExprPtr> keys_;
  std::vector<AggSpec> aggs_;
  std::unordered_map<std::string, uint32_t> groups_;
  size_t num_groups_ = 0;
  std::vector<ColumnVector> key_values_;  // one row per group
  struct State {
    std::vector<int64_t> count;
    std::vector<int64_t> isum;
    std::vector<double> fsum;
    ColumnVector best;  // min/max per group (NULL until a value is seen)
    std::vector<std::unordered_set<std::string>> distinct;
  };
  std::vector<State> states_;
  bool consumed_ = false;
  size_t emitted_ = 0;
  size_t reserved_ = 0;
};

}  // namespace laser::ops
