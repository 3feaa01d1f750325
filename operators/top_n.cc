#include "operators/top_n.hpp"

#include <algorithm>
#include <numeric>

#include "engine/util/status_macros.hpp"
#include "operators/expression.hpp"

namespace laser::ops {

TopNOp::TopNOp(std::unique_ptr<Operator> child, std::vector<SortKey> keys, uint64_t n)
    : keys_(std::move(keys)), n_(n) {
  schema_ = child->schema();
  children_.push_back(std::move(child));
}

void TopNOp::Prune(size_t keep) {
  std::vector<uint32_t> idx(rows_.num_rows());
  std::iota(idx.begin(), idx.end(), 0u);
  auto less = [&](uint32_t a, uint32_t b) {
    // Not RowLess: ties must be broken by input sequence, not buffer position.
    for (const SortKey& k : keys_) {
      const ColumnVector& c = rows_.columns[static_cast<size_t>(k.column)];
      const bool na = c.IsNull(a), nb = c.IsNull(b);
      int cmp = 0;
      if (na || nb) {
        cmp = na == nb ? 0 : (na ? -1 : 1);
      } else {
        cmp = CompareValues(c, a, c, b);
      }
      if (cmp != 0) return k.desc ? cmp > 0 : cmp < 0;
    }
    return seq_[a] < seq_[b];
  };
  if (keep < idx.size()) {
    std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(keep), idx.end(),
                      less);
    idx.resize(keep);
  } else {
    std::sort(idx.begin(), idx.end(), less);
  }
  Batch kept;
  for (size_t k = 0; k < rows_.num_columns(); ++k) {
    ColumnVector& dst = kept.AddColumn(rows_.names[k], rows_.columns[k].type);
    dst.Reserve(idx.size());
    for (uint32_t i : idx) AppendRow(rows_.columns[k], i, &dst);
  }
  std::vector<uint64_t> seq;
  seq.reserve(idx.size());
  for (uint32_t i : idx) seq.push_back(seq_[i]);
  rows_ = std::move(kept);
  seq_ = std::move(seq);
}

Result<bool> TopNOp::NextImpl(Chunk* out) {
  if (!done_) {
    Chunk in;
    const size_t cap = std::max<size_t>(2 * n_, kChunkRows);
    while (true) {
      LASER_ASSIGN_OR_RETURN(bool more, children_[0]->Next(&in));
      if (!more) break;
      if (n_ == 0) continue;
      const size_t before = BatchBytes(rows_);
      AppendChunk(in, &rows_);
      for (size_t i = 0; i < in.size(); ++i) seq_.push_back(next_seq_++);
      if (rows_.num_rows() > cap) Prune(n_);
      const size_t after = BatchBytes(rows_);
      if (after > before) {
        LASER_RETURN_IF_ERROR(ctx_->Reserve(after - before, "TopN"));
        reserved_ += after - before;
      } else {
        ctx_->Release(before - after);
        reserved_ -= std::min(reserved_, before - after);
      }
    }
    Prune(std::min<uint64_t>(n_, rows_.num_rows()));
    done_ = true;
  }
  if (emitted_ >= rows_.num_rows()) {
    ctx_->Release(reserved_);
    reserved_ = 0;
    return false;
  }
  const size_t n = std::min(kChunkRows, rows_.num_rows() - emitted_);
  out->Reset(schema_);
  for (size_t k = 0; k < schema_.size(); ++k) {
    ColumnVector& dst = out->data.columns[k];
    for (size_t i = emitted_; i < emitted_ + n; ++i) AppendRow(rows_.columns[k], i, &dst);
  }
  emitted_ += n;
  return true;
}

}  // namespace laser::ops
