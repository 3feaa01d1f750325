// CopyTo: writes the rows of a query to a file as CSV (with a header line by
// default) or JSON lines. The file is written under a temporary name and
// renamed into place, so a failed COPY leaves no partial file.
#pragma once

#include "operators/operator.hpp"

namespace laser::ops {

struct CopyToSpec {
  std::string path;
  bool jsonl = false;
  bool header = true;
  char delimiter = ',';
  std::string null_string;  // written for NULL in CSV
};

class CopyToOp : public Operator {
 public:
  CopyToOp(std::unique_ptr<Operator> child, CopyToSpec spec);
  std::string Name() const override { return "CopyTo"; }
  std::string Details() const override {
    return "'" + spec_.path + "', " + (spec_.jsonl ? "jsonl" : "csv");
  }

 protected:
  Result<bool> NextImpl(Chunk* out) override;

 private:
  CopyToSpec spec_;
  bool done_ = false;
};

}  // namespace laser::ops
