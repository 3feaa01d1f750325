// What the shell needs from a database: run a statement, stop it from another
// thread, read the catalog and the statistics. The `laser` binary uses the
// implementation over laser::Connection (MakeLaserBackend); tests may use
// their own.
#pragma once

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

namespace laser::shell {

// The rows of one running statement, batch by batch.
class RowStream {
 public:
  virtual ~RowStream() = default;
  // The result's columns (name, type, timestamp unit, enum labels); empty
  // for a statement without a result set (CREATE, INSERT, COPY ...).
  virtual const std::vector<Column>& columns() const = 0;
  // Fills `out` with the next batch; returns false at the end. A statement
  // without a result set does its work in the first call.
  virtual Result<bool> Next(Batch* out) = 0;
  // Rows written by INSERT / COPY so far.
  virtual uint64_t rows_affected() const = 0;
};

// How far a long statement has come: `done` of `total` units (total 0 =
// unknown), e.g. bytes of the file a COPY reads or blocks a compaction merges.
struct Progress {
  std::string_view what;  // "COPY events", "compaction"
  std::string_view unit;  // "B" for bytes (shown as kB, MB ...), else a noun
  uint64_t done = 0;
  uint64_t total = 0;
};
// Called from the executing thread, as often as the engine likes.
using ProgressFn = std::function<void(const Progress&)>;

class Backend {
 public:
  virtual ~Backend() = default;
  // Starts one statement. A failure's message is the engine's, caret lines
  // included ("line:col: ...\n<query line>\n    ^").
  virtual Result<std::unique_ptr<RowStream>> Execute(std::string_view sql) = 0;
  // Makes the running statement (Execute or its stream's Next) fail with
  // Aborted soon; no effect on a statement that starts later.
  // Safe to call from any thread.
  virtual void Interrupt() = 0;
  virtual std::vector<std::string> ListTables() = 0;
  virtual Result<TableSchema> GetTable(std::string_view name) = 0;
  virtual std::vector<ModelInfo> ListModels() = 0;
  virtual Stats GetStats() = 0;
  // Installs the progress callback (null = none) for statements run after.
  virtual void SetProgress(ProgressFn fn) = 0;
};

// Opens the database in `dir` (created if missing unless `readonly`) and
// returns the Backend over its laser::Connection; the error names the
// directory.
Result<std::unique_ptr<Backend>> MakeLaserBackend(const std::string& dir, bool readonly);

}  // namespace laser::shell
