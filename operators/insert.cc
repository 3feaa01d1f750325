#include "operators/insert.hpp"

namespace laser::ops {

InsertOp::InsertOp(std::string table, Batch rows)
    : table_(std::move(table)), rows_(std::move(rows)) {}

Result<bool> InsertOp::NextImpl(Chunk*) {
  if (done_) return false;
  done_ = true;
  Status s = ctx_->db()->Append(table_, rows_);
  if (!s.ok()) return s.WithContext("Insert into " + table_);
  ctx_->rows_affected += rows_.num_rows();
  return false;
}

}  // namespace laser::ops
