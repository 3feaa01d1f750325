#include "operators/filter.hpp"

#include "engine/util/status_macros.hpp"

namespace laser::ops {

FilterOp::FilterOp(std::unique_ptr<Operator> child, BoundExprPtr predicate)
    : predicate_(std::move(predicate)) {
  schema_ = child->schema();
  children_.push_back(std::move(child));
}

Result<bool> FilterOp::NextImpl(Chunk* out) {
  while (true) {
    LASER_ASSIGN_OR_RETURN(bool more, children_[0]->Next(out));
    if (!more) return false;
    ColumnVector scratch;
    Result<const ColumnVector*> r =
        Evaluate(*predicate_, out->data, out->physical_rows(), &scratch);
    if (!r.ok()) return r.status().WithContext("Filter");
    const ColumnVector& p = **r;
    std::vector<uint32_t> sel;
    sel.reserve(out->size());
    for (size_t i = 0; i < out->size(); ++i) {
      const uint32_t row = out->row(i);
      if (!p.IsNull(row) && p.ints[row] != 0) sel.push_back(row);
    }
    if (sel.empty()) continue;
    out->sel = std::move(sel);
    out->has_sel = true;
    return true;
  }
}

}  // namespace laser::ops
