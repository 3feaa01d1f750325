#include "operators/explain.hpp"

#include <cstdio>

#include "engine/util/status_macros.hpp"

namespace laser::ops {

ExplainOp::ExplainOp(std::unique_ptr<Operator> plan, bool analyze)
    : plan_(std::move(plan)), analyze_(analyze) {
  schema_.push_back({"plan", LType::Of(Type::kString)});
}

Result<bool> ExplainOp::NextImpl(Chunk* out) {
  if (done_) return false;
  done_ = true;
  uint64_t rows = 0;
  if (analyze_) {
    LASER_RETURN_IF_ERROR(plan_->Open(ctx_));
    Chunk c;
    while (true) {
      LASER_ASSIGN_OR_RETURN(bool more, plan_->Next(&c));
      if (!more) break;
      rows += c.size();
    }
  }
  out->Reset(schema_);
  for (std::string& line : ExplainLines(*plan_, analyze_)) {
    out->data.columns[0].strings.push_back(std::move(line));
  }
  if (analyze_) {
    char buf[128];
    std::snprintf(buf, sizeof(buf), "Total: %llu rows, %.3f ms, peak memory %zu bytes",
                  static_cast<unsigned long long>(rows), static_cast<double>(plan_->nanos()) / 1e6,
                  ctx_->memory_peak());
    out->data.columns[0].strings.push_back(buf);
  }
  return true;
}

}  // namespace laser::ops
