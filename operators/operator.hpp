// The physical operator framework: column chunks with selection vectors, the
// pull-based Operator interface, and the per-query execution context (memory
// limit, interruption, row counts).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "laser/batch.hpp"
#include "laser/db.hpp"
#include "laser/schema.hpp"
#include "laser/status.hpp"

namespace laser::ops {

// Rows per chunk flowing between operators.
inline constexpr size_t kChunkRows = 2048;

// The logical type of a column between operators: the storage type plus the
// time unit of a TIMESTAMP and the labels of an ENUM (held as its ordinal).
struct LType {
  Type type = Type::kI64;
  TimeUnit unit = TimeUnit::kMillisecond;
  std::shared_ptr<const std::vector<std::string>> enum_values;

  static LType Of(Type t) {
    LType l;
    l.type = t;
    return l;
  }
  static LType OfColumn(const Column& c);
  // "U64", "TIMESTAMP(ms)", "ENUM('a', 'b')".
  std::string ToString() const;
};

struct Field {
  std::string name;
  LType type;
};
using Schema = std::vector<Field>;

// A chunk: up to kChunkRows physical rows in `data` (one column per schema
// field), of which only those listed in `sel` are live when has_sel is set.
struct Chunk {
  Batch data;
  std::vector<uint32_t> sel;
  bool has_sel = false;

  size_t size() const { return has_sel ? sel.size() : data.num_rows(); }
  size_t physical_rows() const { return data.num_rows(); }
  uint32_t row(size_t i) const { return has_sel ? sel[i] : static_cast<uint32_t>(i); }
  void Reset(const Schema& schema);
};

// Copies row `row` of `from` onto the end of `to` (same type).
void AppendRow(const ColumnVector& from, size_t row, ColumnVector* to);
// Approximate heap bytes held by a column / batch, for the memory limit.
size_t ColumnBytes(const ColumnVector& c);
size_t BatchBytes(const Batch& b);

// One query's execution state, shared by all its operators. Not thread-safe
// except for the interrupt flag, which another thread may set at any time.
class ExecContext {
 public:
  // memory_limit = 0: unlimited. `interrupt` may be null.
  ExecContext(DB* db, size_t memory_limit, const std::atomic<bool>* interrupt)
      : db_(db), memory_limit_(memory_limit), interrupt_(interrupt) {}

  DB* db() const { return db_; }
  // Returns Aborted iff the query was interrupted.
  Status CheckInterrupt() const;
  // Accounts `bytes` more held by `op`; returns ResourceExhausted naming the
  // operator and the limit iff the query would exceed its memory limit.
  Status Reserve(size_t bytes, std::string_view op);
  void Release(size_t bytes);
  size_t memory_used() const { return used_; }
  size_t memory_peak() const { return peak_; }

  // Rows written by INSERT / COPY.
  uint64_t rows_affected = 0;

  // Long work (COPY) reports `done` of `total` units here (total 0 = unknown;
  // unit "B" = bytes); the handler may be empty. Called on the query's thread.
  using ProgressFn = std::function<void(std::string_view what, std::string_view unit, uint64_t done,
                                        uint64_t total)>;
  void set_progress(ProgressFn fn) { progress_ = std::move(fn); }
  void ReportProgress(std::string_view what, std::string_view unit, uint64_t done,
                      uint64_t total) const {
    if (progress_) progress_(what, unit, done, total);
  }

 private:
  DB* db_;
  size_t memory_limit_;
  const std::atomic<bool>* interrupt_;
  ProgressFn progress_;
  size_t used_ = 0;
  size_t peak_ = 0;
};

// A physical operator. Usage: Open once, then Next until it returns false.
// Every operator produces chunks of its schema(); runtime errors name the
// operator and the offending value.
class Operator {
 public:
  virtual ~Operator() = default;

  const Schema& schema() const { return schema_; }
  // Name shown by EXPLAIN ("Scan", "HashAggregate", ...) and one line of detail.
  virtual std::string Name() const = 0;
  virtual std::string Details() const { return {}; }
  const std::vector<std::unique_ptr<Operator>>& children() const { return children_; }

  // Opens the children, then this operator.
  Status Open(ExecContext* ctx);
  // Fills `out` with the next non-empty chunk; returns false iff exhausted.
  Result<bool> Next(Chunk* out);

  uint64_t rows_produced() const { return rows_; }
  // Wall time spent in this operator and below (inclusive), in nanoseconds.
  uint64_t nanos() const { return nanos_; }

 protected:
  virtual Status OpenImpl() { return Status::OK(); }
  virtual Result<bool> NextImpl(Chunk* out) = 0;

  Schema schema_;
  std::vector<std::unique_ptr<Operator>> children_;
  ExecContext* ctx_ = nullptr;

 private:
  uint64_t rows_ = 0;
  uint64_t nanos_ = 0;
};

// The plan as indented text, one operator a line; with `analyze`, each line
// also shows rows produced and inclusive time.
std::vector<std::string> ExplainLines(const Operator& root, bool analyze);

}  // namespace laser::ops
