#include "operators/sort.hpp"

#include <algorithm>
#include <numeric>

#include "engine/util/status_macros.hpp"
#include "operators/expression.hpp"

namespace laser::ops {

bool RowLess(const Batch& b, const std::vector<SortKey>& keys, uint32_t x, uint32_t y) {
  for (const SortKey& k : keys) {
    const ColumnVector& c = b.columns[static_cast<size_t>(k.column)];
    const bool nx = c.IsNull(x), ny = c.IsNull(y);
    int cmp = 0;
    if (nx || ny) {
      cmp = nx == ny ? 0 : (nx ? -1 : 1);
    } else {
      cmp = CompareValues(c, x, c, y);
    }
    if (cmp != 0) return k.desc ? cmp > 0 : cmp < 0;
  }
  return x < y;
}

void AppendChunk(const Chunk& in, Batch* acc) {
  if (acc->columns.empty()) {
    for (size_t k = 0; k < in.data.num_columns(); ++k) {
      acc->AddColumn(in.data.names[k], in.data.columns[k].type);
    }
  }
  for (size_t k = 0; k < in.data.num_columns(); ++k) {
    ColumnVector& dst = acc->columns[k];
    for (size_t i = 0; i < in.size(); ++i) AppendRow(in.data.columns[k], in.row(i), &dst);
  }
}

std::string SortKeysText(const Schema& schema, const std::vector<SortKey>& keys) {
  std::string d;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) d += ", ";
    d += schema[static_cast<size_t>(keys[i].column)].name;
    if (keys[i].desc) d += " DESC";
  }
  return d;
}

SortOp::SortOp(std::unique_ptr<Operator> child, std::vector<SortKey> keys)
    : keys_(std::move(keys)) {
  schema_ = child->schema();
  children_.push_back(std::move(child));
}

Result<bool> SortOp::NextImpl(Chunk* out) {
  if (!sorted_) {
    Chunk in;
    while (true) {
      LASER_ASSIGN_OR_RETURN(bool more, children_[0]->Next(&in));
      if (!more) break;
      const size_t before = BatchBytes(rows_);
      AppendChunk(in, &rows_);
      const size_t after = BatchBytes(rows_);
      if (after > before) {
        LASER_RETURN_IF_ERROR(ctx_->Reserve(after - before, "Sort"));
        reserved_ += after - before;
      }
    }
    order_.resize(rows_.num_rows());
    std::iota(order_.begin(), order_.end(), 0u);
    std::sort(order_.begin(), order_.end(),
              [&](uint32_t a, uint32_t b) { return RowLess(rows_, keys_, a, b); });
    sorted_ = true;
  }
  if (emitted_ >= order_.size()) {
    ctx_->Release(reserved_);
    reserved_ = 0;
    return false;
  }
  const size_t n = std::min(kChunkRows, order_.size() - emitted_);
  out->Reset(schema_);
  for (size_t k = 0; k < schema_.size(); ++k) {
    ColumnVector& dst = out->data.columns[k];
    for (size_t i = emitted_; i < emitted_ + n; ++i) AppendRow(rows_.columns[k], order_[i], &dst);
  }
  emitted_ += n;
  return true;
}

}  // namespace laser::ops
