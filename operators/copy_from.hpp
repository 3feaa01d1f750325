// CopyFrom: loads a CSV or JSON-lines file into a table, atomically.
//
// Atomicity: pass 1 parses and converts every row, staging the converted
// rows in one batch while it stays within `staging_bytes`. If the whole
// file fits, it is committed with one DB::Append (all or nothing, also on a
// crash). A bad row (line, column, reason) aborts the COPY before anything is
// appended. A file larger than the staging budget is validated completely in
// pass 1 (memory: one parse buffer), then read again and appended in chunks
// of `chunk_rows`: a bad row still ingests nothing, but an I/O failure or a
// crash during pass 2 may leave the chunks appended so far (the error says
// how many rows were committed).
#pragma once

#include <optional>

#include "operators/operator.hpp"

namespace laser::ops {

struct CopyFromSpec {
  std::string path;
  TableSchema table;
  bool jsonl = false;
  bool header = false;
  char delimiter = ',';
  // The file's fields in order, named by table column; "_" skips a field.
  // Empty: the header's names (HEADER true) or the table's columns in order.
  std::vector<std::string> columns;
  // Unit of integer timestamps in the file; nullopt = each column's own unit.
  std::optional<TimeUnit> time_unit;
  std::string null_string;  // a field equal to this is NULL ("" by default)
  size_t staging_bytes = 256u << 20;
  size_t chunk_rows = 1u << 16;
};

class CopyFromOp : public Operator {
 public:
  explicit CopyFromOp(CopyFromSpec spec);
  std::string Name() const override { return "CopyFrom"; }
  std::string Details() const override;

 protected:
  Result<bool> NextImpl(Chunk* out) override;

 private:
  // One pass over the file. commit=false: validate, staging while it fits;
  // commit=true: append every chunk_rows rows.
  Status Pass(bool commit, uint64_t* rows, bool* staged_all, Batch* staged);

  CopyFromSpec spec_;
  bool done_ = false;
};

}  // namespace laser::ops
