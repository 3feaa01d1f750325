#include "operators/command.hpp"

namespace laser::ops {

CommandOp::CommandOp(std::string label, std::function<Status(ExecContext*)> run)
    : label_(std::move(label)), run_(std::move(run)) {}

Result<bool> CommandOp::NextImpl(Chunk*) {
  if (done_) return false;
  done_ = true;
  Status s = run_(ctx_);
  if (!s.ok()) return s;
  return false;
}

}  // namespace laser::ops
