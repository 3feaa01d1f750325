// GroupCommit: the WAL's write path. Concurrent Append callers enqueue their
// record; the caller at the head of the queue becomes the leader, writes every
// queued record (up to max_group_bytes) with one write and, under
// SyncMode::kAlways, one fsync, then runs each record's apply callback in
// queue order, then wakes the others with their Status.
//
// Acknowledgement contract (Append returning OK), per SyncMode:
//  kAlways:   the record was fsync'ed (and the WAL file's directory entry
//             was synced when the file was created) before apply ran.
//  kInterval: the record was written to the OS; a background thread fsyncs
//             the file every sync_interval_ms while there are unsynced bytes.
//  kNone:     the record was written to the OS; never fsync'ed here.
//
// Atomicity: an Append either takes full effect (written, synced per mode,
// applied) or none: if the group's write or fsync fails, every record of
// the group fails with that error and no apply runs. The file is then
// truncated back to the end of the last good group and closed, and the next
// Append starts a new WAL file (number + 1); while that truncation or the
// new file cannot be made, Appends fail with the error that caused it.
// A failed background fsync (kInterval) also moves to a new file (its
// records were already acknowledged) and is reported by background_status().
//
// Apply callbacks run on the leader's thread, one at a time, in log order:
// they are the single writer of whatever they update (the memtable).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "engine/io/env.hpp"
#include "engine/wal/wal_format.hpp"
#include "engine/wal/wal_writer.hpp"
#include "laser/db.hpp"
#include "laser/status.hpp"

namespace laser::wal {

struct GroupCommitOptions {
  SyncMode sync = SyncMode::kInterval;
  uint32_t sync_interval_ms = 100;
  // A leader stops adding records to its group beyond this many bytes.
  size_t max_group_bytes = 4u << 20;
};

struct GroupCommitStats {
  uint64_t records = 0;  // records acknowledged OK
  uint64_t groups = 0;   // groups written OK
  uint64_t syncs = 0;    // fsyncs issued (group and background), OK or not
  uint64_t failed_groups = 0;
  uint64_t files = 0;  // WAL files created
};

class GroupCommit {
 public:
  // Starts a new WAL file number `first_number` in dir (which must exist).
  static Result<std::unique_ptr<GroupCommit>> Open(Env* env, std::string dir, uint64_t first_number,
                                                   const GroupCommitOptions& options);
  // Stops the background thread; syncs (unless kNone) and closes the file.
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Logs one record and, once it is written (and synced per the mode), calls
  // apply() on the leader's thread. Returns OK iff the record is acknowledged
  // per the contract above; apply ran iff OK. ResourceExhausted iff
  // payload.size() > kMaxPayload. Thread-safe.
  Status Append(RecordType type, std::span<const uint8_t> payload,
                const std::function<void()>& apply);

  // Closes the current file and starts the next one (number + 1), then runs
  // while_switched() with no Append in flight: every record acknowledged
  // before is in a file with a smaller number, and its apply has run.
  // Returns the new file's number. Thread-safe.
  Result<uint64_t> SwitchFile(const std::function<void()>& while_switched);

  // Syncs the current file now (any mode). Thread-safe.
  Status SyncNow();

  // Number of the file the next record goes to.
  uint64_t current_number() const;
  GroupCommitStats stats() const;
  // The last background fsync error, or OK.
  Status background_status() const;
  // Appends waiting in the queue, the leader's included (for tests).
  size_t QueueDepth() const;

 private:
  struct Writer;
  GroupCommit(Env* env, std::string dir, const GroupCommitOptions& options);
  Status Run(Writer* w);
  // Leader-only steps (the writer at the head of the queue runs them).
  Status WriteGroup(const std::vector<Writer*>& group);
  Status EnsureWritable();
  Status OpenFile(uint64_t number);
  Status DoSwitch(Writer* w);
  Status DoSync();
  void SyncLoop();

  Env* const env_;
  const std::string dir_;
  const GroupCommitOptions options_;

  mutable std::mutex mu_;
  std::condition_variable bg_cv_;
  std::deque<Writer*> queue_;
  GroupCommitStats stats_;
  Status bg_status_;
  bool stop_ = false;

  std::atomic<uint64_t> current_number_{0};

  // Leader-owned state (only the writer at the head of the queue touches it).
  std::unique_ptr<WalWriter> file_;
  std::vector<uint8_t> group_buf_;
  uint64_t next_number_ = 0;
  uint64_t good_size_ = 0;   // end of the last fully written group
  std::string broken_path_;  // file to truncate to broken_size_, if any
  uint64_t broken_size_ = 0;
  Status broken_status_;  // why the last group failed
  bool unsynced_ = false;

  std::thread sync_thread_;
};

}  // namespace laser::wal
