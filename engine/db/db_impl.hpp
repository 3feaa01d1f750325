// DBImpl: the storage engine behind laser::DB. How it fits together
// (docs/engine.md has the full picture):
//
//   Append -> validate/normalise -> WAL group commit -> memtable -> ack
//   Flush  -> memtable frozen (immutable, still read) -> per-user blocks in
//             the active segment file -> fsync -> manifest -> index -> WAL gc
//   Merge  -> a user's small blocks -> one contiguous extent -> fsync ->
//             manifest -> index swap -> empty segments deleted
//   Read   -> index (shared lock) -> one batched read for every block of the
//             request -> cache -> decode projected columns -> merge with the
//             memtables -> retention
//
// Locks, always taken in this order: maint_mu_ (one flush or merge at a time)
// -> manifest_mu_ (the manifest copy and its file) -> state_mu_ (a
// reader/writer lock over the catalog, the memtable pointers, the indexes
// and the segment file table). Readers hold state_mu_ shared only while they
// copy handles out; no lock is held across I/O except maint_mu_.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/cache/block_cache.hpp"
#include "engine/catalog/manifest.hpp"
#include "engine/index/block_index.hpp"
#include "engine/index/checkpoint.hpp"
#include "engine/io/block_reader.hpp"
#include "engine/io/env.hpp"
#include "engine/memtable/memtable.hpp"
#include "engine/segment/segment_io.hpp"
#include "engine/wal/group_commit.hpp"
#include "laser/db.hpp"

namespace laser {

// Knobs tests use to reach the engine's edges quickly; defaults are the
// production values.
struct EngineTuning {
  uint64_t segment_target_bytes = 256u << 20;  // roll to a new segment beyond this
  // A sealed segment whose live bytes fall below this fraction of its size is
  // relocated (its live users are merged into the active segment).
  double relocate_below_live_fraction = 0.5;
  uint32_t merge_batch_users = 256;     // users per merge commit
  uint32_t install_chunk_users = 1024;  // users per index update of a flush
  uint32_t background_poll_ms = 200;    // background thread wake-up
  // After a flush, a hot user's older cached blocks keep only the rows that
  // a read of its newest this-many events can need (TrimCachedTailsLocked);
  // 0 keeps them whole.
  uint64_t cache_tail_events = 1024;
  // A flush rewrites a hot user's last frame together with its new rows,
  // instead of adding a frame after it, iff that frame holds fewer than
  // this many events (FoldableTail); 0 never does.
  uint64_t fold_tail_events = 256;
  // Test hook: called after each chunk of a flush's index install, holding
  // maint_mu_ only (reads may run inside it).
  std::function<void()> after_install_chunk;
};

class DBImpl final : public DB {
 public:
  // Opens `dir` doing every file-system call through `env` (which must outlive
  // the DB). Same contract as DB::Open.
  static Result<std::unique_ptr<DBImpl>> OpenWithEnv(const std::string& dir, const Options& options,
                                                     Env* env, const EngineTuning& tuning = {});
  ~DBImpl() override;

  // Stops background work, flushes the memtable and writes the index
  // checkpoint. Returns the first error; the DB must not be used after.
  Status Close();

  Status CreateTable(const TableSchema& schema) override;
  Status DropTable(std::string_view name) override;
  Status AddColumn(std::string_view table, const Column& column) override;
  Result<TableSchema> GetTable(std::string_view name) const override;
  std::vector<std::string> ListTables() const override;
  // Replaces the table's retention (effective for reads at once, applied to
  // the files at the next merge).
  Status SetRetention(std::string_view table, const Retention& retention);

  Status CreateModel(std::string_view name, const std::string& source_path) override;
  Status DropModel(std::string_view name) override;
  Result<ModelInfo> GetModel(std::string_view name) const override;
  std::vector<ModelInfo> ListModels() const override;

  Status Append(std::string_view table, const Batch& rows) override;

  Result<Batch> Read(std::string_view table, uint64_t user, const ReadOptions& options) override;
  Status ReadInto(std::string_view table, uint64_t user, const ReadOptions& options,
                  Batch* out) override;
  Result<std::vector<Batch>> ReadMany(std::string_view table, std::span<const uint64_t> users,
                                      const ReadOptions& options) override;
  Result<std::vector<uint64_t>> ListUsers(std::string_view table, std::optional<uint64_t> after,
                                          size_t limit) override;

  Status Flush() override;
  Status Compact() override;
  Stats GetStats() override;

  // --- test and tooling hooks ---
  // Runs one background merge step now (the dirty users), as the merge thread
  // would. Returns the number of users merged.
  Result<size_t> MergeDirtyUsers();
  // Writes the index checkpoint for the current state.
  Status WriteIndexCheckpoint();
  // How the index was loaded at open: "empty", "checkpoint" or
  // "rebuilt: <why the checkpoint was not used>".
  const std::string& index_source() const { return index_source_; }
  // Read requests issued to the block reader (after cache hits and
  // coalescing of adjacent blocks) since open.
  uint64_t disk_reads() const { return disk_reads_.load(); }
  BlockCacheStats cache_stats() const { return cache_->stats(); }
  // The handles of one user (for tests that look at the layout).
  std::vector<BlockHandle> HandlesOf(std::string_view table, uint64_t user) const;

 private:
  struct Table {
    uint32_t id = 0;
    // Guarded by state_mu_. A schema change installs a new one, so a reader
    // holds on to the schema it read with a pointer, without a copy.
    std::shared_ptr<const TableSchema> schema;
    std::unique_ptr<TableIndex> index;  // guarded by state_mu_
  };
  using TablePtr = std::shared_ptr<Table>;
  using FilePtr = std::shared_ptr<RandomAccessFile>;
  // The open files a read holds on to, by segment id, so that a merge may
  // retire their segments meanwhile. A read touches a few segments.
  using FilePins = std::vector<std::pair<uint32_t, FilePtr>>;
  // A read's working memory, reused by the thread's next read (db_read.cc).
  struct ReadScratch;

  DBImpl(std::string dir, const Options& options, Env* env, const EngineTuning& tuning);
  Status OpenImpl();
  Status LoadIndex();
  Status RebuildIndex();
  Status ReplayWal();

  // Looks up a table by name (case-insensitive). REQUIRES state_mu_ held.
  TablePtr FindTableLocked(std::string_view name) const;
  TablePtr FindTable(std::string_view name) const;
  // REQUIRES state_mu_ held (or no other thread running).
  TablePtr FindTableById(uint32_t id) const;
  // Commits `next` as the manifest (REQUIRES manifest_mu_): stores it, then
  // makes it current. On error the current manifest is unchanged.
  Status CommitManifestLocked(const ManifestData& next);
  // Sets m->segments (and the id/write-id counters) from `segs`.
  void FillSegments(const std::map<uint64_t, SegmentEntry>& segs, ManifestData* m) const;

  // Checks `rows` against the schema and returns the schema-ordered batch.
  Result<Batch> Normalize(const TableSchema& schema, const Batch& rows) const;

  // --- maintenance (REQUIRES maint_mu_) ---
  // fold_tails: whether the flush may fold read users' tails (FoldableTail).
  Status FlushLocked(bool fold_tails = true);
  Status FlushImmutableLocked(bool fold_tails);
  // The flush an append does itself when the background flush is behind:
  // no folds, as its caller waits.
  Status FlushForAppend();
  Status EnsureSegmentLocked();
  // Appends frames; on error the active segment is abandoned (its committed
  // prefix stays valid). If `frame` is non-null it receives the frame's bytes
  // as written, for the cache.
  Result<BlockHandle> WriteFrameLocked(segment::FrameHeader h, std::span<const uint8_t> payload,
                                       CachedBlock* frame);
  // Caches frames[k] as hs[k]'s frame (the first frames->size() handles;
  // null frames are skipped), trimmed by dropped[k] rows where `dropped` is
  // given, and empties *frames. For frames written by a committed flush or
  // merge whose user is being read: its next read finds them without a disk
  // read. Evicts nothing (BlockCache::InsertDeferred): the caller calls
  // EvictOverBudget once the frames these replace have left the cache.
  // REQUIRES: dropped is empty or as long as *frames.
  void CacheWritten(std::span<const BlockHandle> hs, std::vector<CachedBlock>* frames,
                    std::span<const uint32_t> dropped = {});
  // Iff a flush may fold `last`, the user's last frame, into the frame it
  // writes for the user's new `rows`: prepends last's rows to *rows and
  // returns last's header. That takes a frame with events, fewer than
  // tuning_.fold_tail_events, cached whole, with keys up to the first new
  // row's, whose rows and the new ones fit one block. Otherwise returns
  // nullopt and leaves *rows alone (a cached frame that does not decode,
  // a bug, leaves the cache).
  std::optional<segment::FrameHeader> FoldableTail(const TableSchema& schema, uint32_t table_id,
                                                   uint64_t user, const BlockHandle& last,
                                                   Batch* rows);
  // A user whose new frames a flush cached, and how many it wrote.
  struct FlushedHotUser {
    uint32_t table_id;
    uint64_t user;
    uint64_t new_events;
    size_t new_handles;
  };
  // After a flush has installed its handles: each hot user's older cached
  // blocks lose the rows that its newest tuning_.cache_tail_events events no
  // longer reach (trimmed in the cache, see compaction/trim.hpp), and blocks
  // none of whose rows are reached leave the cache. So the cache holds about
  // one block's worth of each hot user's tail through any number of flushes,
  // instead of growing by every flushed frame until a merge.
  void TrimCachedTailsLocked(const std::map<uint32_t, TableSchema>& schemas,
                             std::span<const FlushedHotUser> users);
  // Drops the active segment after a failed write or commit.
  void AbandonSegmentLocked();
  // Syncs the active segment and commits `segs` (plus, for a flush, the WAL
  // boundary of `flushed`) as the manifest; on success segs_ = segs.
  Status CommitSegmentsLocked(std::map<uint64_t, SegmentEntry> segs, bool index_changed,
                              const MemTable* flushed);
  // Merges the users; force_full rewrites every block of each.
  Result<size_t> MergeUsersLocked(const std::vector<std::pair<uint32_t, uint64_t>>& users,
                                  bool force_full);
  Status RelocateLocked();
  Status WriteIndexCheckpointLocked();
  Status DeleteDeadSegmentsLocked();
  void NoteDirtyLocked(uint32_t table_id, uint64_t user, std::span<const BlockHandle> hs,
                       const TableSchema& schema);

  // Adds to *files the open files of the handles' segments it lacks.
  // REQUIRES state_mu_ held.
  void AddFilesLocked(std::span<const BlockHandle> handles, FilePins* files) const;
  // Reads the frames of `handles` (cache first, then one batched read of the
  // misses, adjacent frames coalesced) into *out: (*out)[i] is handles[i]'s
  // frame. A
  // query's read (for_query) counts cache hits and misses, refreshes the
  // frames it finds and caches those it reads; an upkeep read does neither.
  // A query that needs no row of handles[i] before row need_from[i] (empty:
  // all rows) takes a trimmed frame that dropped at most that many rows; then
  // (*dropped)[i] is its count of dropped rows, else 0.
  // REQUIRES: need_from is empty or of handles' size; dropped is non-null
  // if need_from is non-empty.
  Status ReadFrames(std::span<const BlockHandle> handles, const FilePins& files, bool for_query,
                    std::vector<CachedBlock>* out, std::span<const uint32_t> need_from = {},
                    std::vector<uint32_t>* dropped = nullptr);
  // For maintenance: the files are captured here, and the read is an upkeep
  // read (the frames are about to be rewritten). REQUIRES maint_mu_ (no
  // segment can go).
  Result<std::vector<CachedBlock>> ReadFramesLocked(std::span<const BlockHandle> handles);
  // Checks the bytes read for `h` from disk: the frame header, its length and
  // the block's checksum. Every frame the read path decodes (and every one the
  // cache holds) has passed it.
  Status VerifyFrame(std::span<const uint8_t> frame, const BlockHandle& h) const;
  // The header of the frame read for `h`; Corruption iff it is short or bad.
  Result<segment::FrameHeader> FrameHeaderOf(std::span<const uint8_t> frame,
                                             const BlockHandle& h) const;
  // Checks a frame read for `h` of (table_id, user); returns its header.
  Result<segment::FrameHeader> CheckFrame(std::span<const uint8_t> frame, const BlockHandle& h,
                                          uint32_t table_id, uint64_t user) const;
  // Checks `frame` (read for `h` of table_id, user) and appends its rows
  // [row_begin, count) of `proj` to *out; errors name the segment and offset.
  Status DecodeFrame(const TableSchema& schema, uint32_t table_id, uint64_t user,
                     const BlockHandle& h, std::span<const uint8_t> frame,
                     const std::vector<int>& proj, uint32_t row_begin, Batch* out) const;
  // One user's answer when the blocks `chosen` (indices into hs, whose frames
  // are frames[*next_frame ...], trimmed by dropped[*next_frame ...] rows as
  // ReadFrames returned them) are in key order and the user's memtable
  // events `mem` (already within [lo, hi), possibly none) are in key order
  // after all of them: the rows with keys in [lo, hi), the newest `limit` of
  // them (all if 0), decoding only the blocks and rows that can be in it.
  // `proj_columns` and `proj` are the same projection (as the memtable and
  // the block decoder take it); mem_decoder decodes it from memtable rows.
  // The answer goes to *out (ResetProjection: its memory is reused).
  // Advances *next_frame past the user's frames.
  Status ReadOrderedRun(const TableSchema& schema, uint32_t table_id, uint64_t user,
                        const std::vector<BlockHandle>& hs, const std::vector<size_t>& chosen,
                        const std::vector<CachedBlock>& frames, std::span<const uint32_t> dropped,
                        size_t* next_frame, std::span<const uint32_t> proj_columns,
                        const std::vector<int>& proj, const rowcodec::RowDecoder& mem_decoder,
                        size_t key_pos, std::optional<int64_t> lo, std::optional<int64_t> hi,
                        uint64_t limit, std::span<const MemTable::Event> mem, Batch* out) const;
  // Read, ReadInto and ReadMany: out[i] (out has users.size() elements)
  // receives the answer for users[i], in place of what it held (whose memory
  // may be reused). On error the contents of out are unspecified.
  Status ReadUsers(std::string_view table, std::span<const uint64_t> users,
                   const ReadOptions& options, Batch* out);
  std::optional<int64_t> TtlCutoff(const TableSchema& schema) const;
  int64_t NowMs() const;

  void BackgroundLoop();
  void RequestFlush();

  const std::string dir_;
  const Options options_;
  Env* const env_;
  const EngineTuning tuning_;

  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<BlockReader> reader_;
  std::string io_fallback_reason_;
  std::unique_ptr<BlockCache> cache_;
  std::unique_ptr<wal::GroupCommit> wal_;

  std::mutex maint_mu_;
  mutable std::mutex manifest_mu_;
  ManifestData manifest_;  // guarded by manifest_mu_
  mutable std::shared_mutex state_mu_;
  std::map<std::string, TablePtr> tables_;  // lower-cased name -> table
  std::shared_ptr<MemTable> mem_;
  std::shared_ptr<MemTable> imm_;
  // A flush installs imm_'s blocks in the index a chunk of users at a time,
  // so that no reader waits for the whole memtable. Every group of imm_ at or
  // below this (table id, user) is in the index already, and reads skip its
  // rows in imm_; imm_installed_events_ counts those rows.
  std::optional<std::pair<uint32_t, uint64_t>> imm_installed_;
  uint64_t imm_installed_events_ = 0;
  std::map<uint64_t, FilePtr> segment_files_;  // id -> open file

  // Maintenance state (maint_mu_).
  std::map<uint64_t, SegmentEntry> segs_;  // committed segments, live bytes
  std::unique_ptr<segment::SegmentWriter> active_;
  uint64_t next_segment_id_ = 1;
  uint64_t next_write_id_ = 1;
  std::map<uint64_t, uint64_t> sealed_sizes_;      // sealed since the last commit
  uint64_t imm_wal_boundary_ = 0;                  // first WAL file holding no imm_ record
  bool relocate_check_ = true;                     // segments may have become reclaimable
  uint64_t next_seq_ = 1;                          // written only by the WAL apply step and at open
  std::set<std::pair<uint32_t, uint64_t>> dirty_;  // users to merge (dirty_mu_)
  std::mutex dirty_mu_;

  // Background thread.
  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool bg_stop_ = false;
  bool flush_requested_ = false;
  std::thread bg_;
  bool closed_ = false;

  std::string index_source_ = "empty";
  std::atomic<uint64_t> merges_{0};
  std::atomic<uint64_t> tail_folds_{0};
  std::atomic<uint64_t> flushes_{0};
  std::atomic<uint64_t> disk_reads_{0};
  std::atomic<uint64_t> cache_hits_{0};
  std::atomic<uint64_t> cache_misses_{0};
};

}  // namespace laser
