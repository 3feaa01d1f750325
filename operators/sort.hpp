// Sort: materializes its input (counted against the query memory limit) and
// emits it ordered by the sort keys; ties keep input order. NULLs sort first
// ascending and last descending, as in SQLite.
#pragma once

#include "operators/operator.hpp"

namespace laser::ops {

struct SortKey {
  int column = 0;  // input column
  bool desc = false;
};

// Row order of a materialized batch: returns true iff row a sorts before b
// (ties broken by row index, so the order is stable).
bool RowLess(const Batch& b, const std::vector<SortKey>& keys, uint32_t x, uint32_t y);
// Appends the selected rows of `in` to `acc` (same layout).
void AppendChunk(const Chunk& in, Batch* acc);
std::string SortKeysText(const Schema& schema, const std::vector<SortKey>& keys);

class SortOp : public Operator {
 public:
  SortOp(std::unique_ptr<Operator> child, std::vector<SortKey> keys);
  std::string Name() const override { return "Sort"; }
  std::string Details() const override { return SortKeysText(schema_, keys_); }

 protected:
  Result<bool> NextImpl(Chunk* out) override;

 private:
  std::vector<SortKey> keys_;
  Batch rows_;
  std::vector<uint32_t> order_;
  bool sorted_ = false;
  size_t emitted_ = 0;
  size_t reserved_ = 0;
};

}  // namespace laser::ops
