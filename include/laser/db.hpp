// laser::DB — an open Laser database directory: sequence tables, models,
// events. Thread safety: any number of concurrent readers with one writer at
// a time (writes from several threads are serialised and group-committed).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "laser/batch.hpp"
#include "laser/schema.hpp"
#include "laser/status.hpp"

namespace laser {

// What an acknowledged Append survives:
//  kAlways:   the WAL record is fsync'ed before Append returns: survives a
//             process crash and a power loss.
//  kInterval: written to the OS before Append returns, fsync'ed by a background
//             thread every sync_interval_ms: survives a process crash; a power
//             loss may lose the last interval.
//  kNone:     written to the OS before Append returns, never fsync'ed by the
//             WAL: survives a process crash only.
enum class SyncMode : uint8_t { kAlways, kInterval, kNone };

enum class IoBackend : uint8_t { kAuto, kUring, kPread };

struct Options {
  bool create_if_missing = true;
  bool error_if_exists = false;
  bool read_only = false;  // no writes, no background work; the lock is shared
  SyncMode sync = SyncMode::kInterval;
  uint32_t sync_interval_ms = 100;
  size_t memtable_bytes = 64u << 20;        // flush threshold
  size_t block_cache_bytes = 256u << 20;    // 0 disables the cache
  IoBackend io_backend = IoBackend::kAuto;  // kAuto: io_uring if the probe passes
  bool direct_io = true;                    // O_DIRECT reads of segment files
  bool background_merge = true;             // sequence-level merge thread
  // The nice value (0..19) of the background flush and merge thread. Above 0
  // it gives way to reads and appends when every core is busy, so that query
  // latency during heavy ingest stays near its idle level; appends still
  // flush themselves when the background falls behind (see memtable_bytes).
  int background_nice = 10;
  // Wall clock in milliseconds since the epoch, used for TTL; null = system clock.
  std::function<int64_t()> clock_ms;
};

struct ReadOptions {
  // Columns to decode, by name; empty = every column in schema order.
  std::vector<std::string> columns;
  // Only the newest `last_n` events (after the range filter); 0 = all.
  uint64_t last_n = 0;
  // Order-key range [min_order_key, max_order_key), in the table's unit.
  std::optional<int64_t> min_order_key;
  std::optional<int64_t> max_order_key;
};

struct Stats {
  uint64_t users = 0;       // summed over tables
  uint64_t events = 0;      // visible events, summed over tables
  uint64_t disk_bytes = 0;  // every file in the directory
  uint64_t segment_bytes = 0;
  uint64_t live_segment_bytes = 0;
  uint64_t wal_bytes = 0;
  uint64_t memtable_bytes = 0;
  uint64_t index_bytes = 0;    // DRAM index, measured
  uint64_t index_entries = 0;  // blocks indexed
  uint64_t cache_bytes = 0;
  uint64_t cache_hits = 0;
  uint64_t cache_misses = 0;
  uint64_t merges = 0;   // sequence-level merges completed
  uint64_t flushes = 0;  // memtables written to segments
  // A user's short last frame rewritten by a flush with the user's new
  // events, instead of another frame after it.
  uint64_t tail_folds = 0;
  std::string io_backend;  // "io_uring" or "pread"
  // Why io_uring, or its registered buffers, are not used; empty if they are.
  std::string io_fallback_reason;
};

struct ModelInfo {
  std::string name;
  std::string path;  // absolute path of the database's own copy of the file
};

class DB {
 public:
  // Opens (or creates, per options) the database in directory `dir`. Returns
  // Busy iff another process holds it open for writing.
  static Result<std::unique_ptr<DB>> Open(const std::string& dir, const Options& options);

  virtual ~DB() = default;

  // --- catalog ---
  // REQUIRES schema.Validate().ok(); AlreadyExists iff the name is taken.
  virtual Status CreateTable(const TableSchema& schema) = 0;
  virtual Status DropTable(std::string_view name) = 0;
  // Adds a column at the end; rows written before read `column.default_value`.
  virtual Status AddColumn(std::string_view table, const Column& column) = 0;
  virtual Result<TableSchema> GetTable(std::string_view name) const = 0;
  virtual std::vector<std::string> ListTables() const = 0;

  // Models: the file is copied into the database directory (atomically) and
  // recorded in the manifest; DropModel deletes the copy.
  virtual Status CreateModel(std::string_view name, const std::string& source_path) = 0;
  virtual Status DropModel(std::string_view name) = 0;
  virtual Result<ModelInfo> GetModel(std::string_view name) const = 0;
  virtual std::vector<ModelInfo> ListModels() const = 0;

  // --- writes ---
  // Appends every row of `rows` (columns matched by name; a non-key column
  // that is absent takes its default) as one atomic batch: either all rows are
  // stored and acknowledged per Options::sync, or none and the Status says
  // which column/row was wrong.
  virtual Status Append(std::string_view table, const Batch& rows) = 0;

  // --- reads ---
  // The events of `user` in order-key order (ties in arrival order), filtered
  // and projected per `options`; an unknown user yields an empty batch.
  virtual Result<Batch> Read(std::string_view table, uint64_t user, const ReadOptions& options) = 0;
  // Read into *out, which it replaces. When *out holds an earlier answer of
  // the same columns and the user's stored events are in key order (the
  // usual case: arrival order), their memory is reused, so a loop of reads
  // into one Batch need not allocate for its answers. On error *out is
  // unspecified.
  virtual Status ReadInto(std::string_view table, uint64_t user, const ReadOptions& options,
                          Batch* out) {
    Result<Batch> r = Read(table, user, options);
    if (!r.ok()) return r.status();
    *out = std::move(*r);
    return Status::OK();
  }
  // Read for many users with one batched I/O submission; result i is users[i]'s.
  virtual Result<std::vector<Batch>> ReadMany(std::string_view table,
                                              std::span<const uint64_t> users,
                                              const ReadOptions& options) = 0;
  // Up to `limit` users of the table with at least one event, ascending,
  // strictly greater than `after` (if given). Streams a table of any size.
  virtual Result<std::vector<uint64_t>> ListUsers(std::string_view table,
                                                  std::optional<uint64_t> after, size_t limit) = 0;

  // --- maintenance ---
  // Makes every acknowledged append durable in segment files.
  virtual Status Flush() = 0;
  // Runs the sequence-level merge over every table until no user has more
  // than its merged extent plus the current tail; returns when done.
  virtual Status Compact() = 0;
  virtual Stats GetStats() = 0;
};

}  // namespace laser
