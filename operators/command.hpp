// Command: a statement with an effect and no result rows (CREATE/DROP TABLE,
// ALTER TABLE, CREATE/DROP MODEL), run once on the first Next.
#pragma once

#include <functional>

#include "operators/operator.hpp"

namespace laser::ops {

class CommandOp : public Operator {
 public:
  CommandOp(std::string label, std::function<Status(ExecContext*)> run);
  std::string Name() const override { return "Command"; }
  std::string Details() const override { return label_; }

 protected:
  Result<bool> NextImpl(Chunk* out) override;

 private:
  std::string label_;
  std::function<Status(ExecContext*)> run_;
  bool done_ = false;
};

}  // namespace laser::ops
