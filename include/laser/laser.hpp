// Laser's query API: a Connection runs statements of the dialect
// (docs/dialect.md) against a database and returns column batches.
//
// Thread safety: one Connection is used by one thread at a time, except
// Interrupt(), which any thread may call at any time. Several Connections
// may share one DB (DB allows concurrent readers and serialised writers).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "laser/batch.hpp"
#include "laser/db.hpp"
#include "laser/schema.hpp"
#include "laser/status.hpp"

namespace laser {

namespace ops {
class Operator;
class ExecContext;
}  // namespace ops

struct QueryOptions {
  // Bytes a query may hold at once (sort buffers, hash tables, scan buffers,
  // COPY staging); exceeding it fails the statement with ResourceExhausted.
  // 0 = unlimited.
  size_t memory_limit_bytes = 1ull << 30;
  // A COPY whose converted rows fit in this many bytes is committed with one
  // atomic append; larger files are validated fully, then appended in chunks.
  size_t copy_staging_bytes = 256u << 20;
};

// The type of a result column. ENUM columns are returned as their labels
// (STRING); TIMESTAMP values are int64 counts of `unit` since the epoch.
struct ResultColumn {
  std::string name;
  Type type = Type::kI64;
  TimeUnit unit = TimeUnit::kMillisecond;
};

// The complete result of one statement.
struct QueryResult {
  std::vector<ResultColumn> columns;
  std::vector<Batch> batches;  // each holds up to 2048 rows, one ColumnVector per column
  uint64_t rows_affected = 0;  // rows written by INSERT / COPY

  size_t num_rows() const;
  // REQUIRES row < num_rows(), col < columns.size().
  Value Get(size_t row, size_t col) const;
  // The value as text: timestamps as 'YYYY-MM-DD HH:MM:SS[.fff]', booleans
  // as true/false, NULL as "NULL".
  std::string GetString(size_t row, size_t col) const;
  // A plain table: header line, then one line per row, columns separated by
  // " | ". Meant for tests and examples.
  std::string ToString() const;
};

// Formats a value of a result column as QueryResult::GetString does.
std::string FormatResultValue(const Value& v, const ResultColumn& column);

// A running statement that produces its rows batch by batch, in bounded
// memory. Obtained from Connection::Stream or PreparedStatement::Stream.
class ResultStream {
 public:
  ~ResultStream();
  const std::vector<ResultColumn>& columns() const { return columns_; }
  // Fills `out` with the next batch (1..2048 rows); returns false at the end.
  // After an error the stream is finished.
  Result<bool> Next(Batch* out);
  // Rows written so far by INSERT / COPY.
  uint64_t rows_affected() const;

 private:
  friend class Connection;
  ResultStream() = default;
  std::vector<ResultColumn> columns_;
  std::unique_ptr<ops::ExecContext> ctx_;
  std::unique_ptr<ops::Operator> root_;
  bool done_ = false;
};

class PreparedStatement;

class Connection {
 public:
  // Opens (or creates, per `options`) the database in `dir`.
  static Result<std::unique_ptr<Connection>> Open(const std::string& dir, const Options& options,
                                                  const QueryOptions& query_options = {});
  // Uses an open database, which must outlive the Connection.
  static std::unique_ptr<Connection> Wrap(DB* db, const QueryOptions& query_options = {});

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs every statement of `sql` (separated by ';') in order, stopping at
  // the first error; returns the last statement's result (an empty result
  // for empty text). Errors in query text carry line:column and a caret.
  Result<QueryResult> Execute(std::string_view sql);
  // As Execute, returning every statement's result.
  Result<std::vector<QueryResult>> ExecuteAll(std::string_view sql);
  // Starts exactly one statement and returns a stream over its rows.
  Result<std::unique_ptr<ResultStream>> Stream(std::string_view sql);
  // Parses exactly one statement with `?` placeholders for later execution.
  Result<std::unique_ptr<PreparedStatement>> Prepare(std::string_view sql);

  // Receives the progress of long statements (COPY FROM: bytes of the file
  // read so far, of its size) on the thread running them; `what` names the
  // work ("COPY events"), `unit` is "B" for bytes. Empty = none.
  using ProgressHandler = std::function<void(std::string_view what, std::string_view unit,
                                             uint64_t done, uint64_t total)>;
  void SetProgressHandler(ProgressHandler handler) { progress_ = std::move(handler); }

  // Makes the statement running now (in another thread) fail with Aborted
  // at its next chunk boundary. A statement that starts later is not
  // affected. Safe to call from any thread or a signal handler.
  void Interrupt();

  DB* db() const { return db_; }
  const QueryOptions& options() const { return query_options_; }

 private:
  friend class PreparedStatement;
  Connection(DB* db, std::unique_ptr<DB> owned, const QueryOptions& q);
  Result<std::unique_ptr<ResultStream>> Start(const std::string& source, const void* statement,
                                              const std::vector<Value>& params);
  static Result<QueryResult> Drain(ResultStream* s);

  std::unique_ptr<DB> owned_;
  DB* db_;
  QueryOptions query_options_;
  std::atomic<bool> interrupt_{false};
  ProgressHandler progress_;
};

// A statement parsed once and run many times with different parameters.
// Parameters are numbered from 1 in the order their `?` appear; every
// parameter must be bound (NULL is a value) before Execute.
class PreparedStatement {
 public:
  ~PreparedStatement();
  size_t num_params() const;
  // REQUIRES 1 <= index <= num_params(), else InvalidArgument.
  Status Bind(size_t index, Value value);
  void ClearBindings();
  Result<QueryResult> Execute();
  Result<std::unique_ptr<ResultStream>> Stream();

 private:
  friend class Connection;
  PreparedStatement() = default;
  Connection* conn_ = nullptr;
  std::string source_;
  std::shared_ptr<void> statement_;  // sql::Statement
  std::vector<Value> params_;
  std::vector<bool> bound_;
};

}  // namespace laser
