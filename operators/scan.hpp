// Scan: reads a sequence table through DB::Read/ReadMany, for an explicit
// user list (partition-key predicates pushed down) or every user (streamed
// through DB::ListUsers a few users at a time, so memory stays bounded by the
// largest histories of one read group).
#pragma once

#include <deque>
#include <optional>

#include "operators/expression.hpp"
#include "operators/operator.hpp"

namespace laser::ops {

struct ScanSpec {
  TableSchema table;
  std::vector<int> columns;                    // table column indices produced, in this order
  std::optional<std::vector<uint64_t>> users;  // sorted, unique; nullopt = all users
  ReadOptions read;                            // order-key range and last_n pushed into the engine
  // LAST n that could not be pushed (WHERE has other predicates): `filter`
  // (over the produced columns) is applied to each user's events, then the
  // newest `last_n` that pass are kept.
  BoundExprPtr filter;
  uint64_t last_n = 0;
  size_t users_per_read = 16;
};

class ScanOp : public Operator {
 public:
  explicit ScanOp(ScanSpec spec);
  std::string Name() const override { return "Scan"; }
  std::string Details() const override;

 protected:
  Result<bool> NextImpl(Chunk* out) override;

 private:
  Status FetchMore(bool* done);

  ScanSpec spec_;
  size_t next_user_ = 0;           // into spec_.users
  std::optional<uint64_t> after_;  // full scan cursor
  bool exhausted_ = false;
  std::deque<Batch> pending_;         // per-user batches in the produced layout
  std::deque<size_t> pending_bytes_;  // BatchBytes of each, as reserved
  size_t offset_ = 0;                 // rows of pending_.front() already emitted
  size_t reserved_ = 0;
};

}  // namespace laser::ops
