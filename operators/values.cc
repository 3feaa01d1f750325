#include "operators/values.hpp"

namespace laser::ops {

ValuesOp::ValuesOp(Schema schema, Batch rows, std::string label)
    : rows_(std::move(rows)), label_(std::move(label)) {
  schema_ = std::move(schema);
}

Result<bool> ValuesOp::NextImpl(Chunk* out) {
  const size_t total = rows_.num_rows();
  if (offset_ >= total) return false;
  const size_t n = std::min(kChunkRows, total - offset_);
  out->Reset(schema_);
  for (size_t k = 0; k < rows_.num_columns(); ++k) {
    for (size_t i = offset_; i < offset_ + n; ++i) {
      AppendRow(rows_.columns[k], i, &out->data.columns[k]);
    }
  }
  offset_ += n;
  return true;
}

}  // namespace laser::ops
