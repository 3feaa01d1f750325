#include "operators/project.hpp"

#include "engine/util/status_macros.hpp"

namespace laser::ops {

ProjectOp::ProjectOp(std::unique_ptr<Operator> child, std::vector<BoundExprPtr> exprs,
                     std::vector<std::string> names)
    : exprs_(std::move(exprs)) {
  for (size_t i = 0; i < exprs_.size(); ++i) schema_.push_back({names[i], exprs_[i]->type});
  children_.push_back(std::move(child));
}

std::string ProjectOp::Details() const {
  std::string d;
  for (size_t i = 0; i < exprs_.size(); ++i) {
    if (i > 0) d += ", ";
    d += exprs_[i]->text;
  }
  return d;
}

Result<bool> ProjectOp::NextImpl(Chunk* out) {
  Chunk in;
  LASER_ASSIGN_OR_RETURN(bool more, children_[0]->Next(&in));
  if (!more) return false;
  out->Reset(schema_);
  const size_t n = in.size();
  for (size_t k = 0; k < exprs_.size(); ++k) {
    ColumnVector scratch;
    Result<const ColumnVector*> r = Evaluate(*exprs_[k], in.data, in.physical_rows(), &scratch);
    if (!r.ok()) return r.status().WithContext("Project");
    ColumnVector& dst = out->data.columns[k];
    if (!in.has_sel && *r == &scratch) {
      dst = std::move(scratch);
      dst.type = schema_[k].type.type;
      continue;
    }
    dst.Reserve(n);
    for (size_t i = 0; i < n; ++i) AppendRow(**r, in.row(i), &dst);
  }
  return true;
}

}  // namespace laser::ops
