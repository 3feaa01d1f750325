#include "operators/limit.hpp"

#include "engine/util/status_macros.hpp"

namespace laser::ops {

LimitOp::LimitOp(std::unique_ptr<Operator> child, std::optional<uint64_t> limit, uint64_t offset)
    : limit_(limit), offset_(offset) {
  schema_ = child->schema();
  children_.push_back(std::move(child));
}

std::string LimitOp::Details() const {
  std::string d = limit_ ? "limit=" + std::to_string(*limit_) : "no limit";
  if (offset_ != 0) d += ", offset=" + std::to_string(offset_);
  return d;
}

Result<bool> LimitOp::NextImpl(Chunk* out) {
  while (true) {
    if (limit_ && emitted_ >= *limit_) return false;
    LASER_ASSIGN_OR_RETURN(bool more, children_[0]->Next(out));
    if (!more) return false;
    std::vector<uint32_t> sel;
    for (size_t i = 0; i < out->size(); ++i) {
      if (skipped_ < offset_) {
        ++skipped_;
        continue;
      }
      if (limit_ && emitted_ >= *limit_) break;
      sel.push_back(out->row(i));
      ++emitted_;
    }
    if (sel.empty()) continue;
    out->sel = std::move(sel);
    out->has_sel = true;
    return true;
  }
}

}  // namespace laser::ops
