// DBImpl maintenance: index load/rebuild, flush, sequence-level merge,
// segment relocation and reclamation, the index checkpoint, the background
// thread.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "engine/compaction/sequence.hpp"
#include "engine/compaction/trim.hpp"
#include "engine/db/db_impl.hpp"
#include "engine/format/block.hpp"
#include "engine/memtable/row_codec.hpp"
#include "engine/util/status_macros.hpp"
#include "engine/wal/wal_format.hpp"
#include "engine/wal/wal_reader.hpp"

namespace laser {
namespace {

// Frames a merge reads in one batch, at most (one user's may exceed it).
constexpr uint64_t kMergeReadBytes = 8u << 20;

// A cached frame is trimmed only of at least this many rows: fewer save less
// cache than the re-encode costs.
constexpr uint32_t kMinTrimRows = 32;

// Every column of `schema`, as the block decoder takes a projection.
std::vector<int> AllColumnsInt(const TableSchema& schema) {
  std::vector<int> all(schema.columns.size());
  for (size_t c = 0; c < all.size(); ++c) all[c] = static_cast<int>(c);
  return all;
}

struct PairHash {
  size_t operator()(const std::pair<uint32_t, uint64_t>& k) const {
    return std::hash<uint64_t>()(k.second * 0x9E3779B97F4A7C15ull ^ k.first);
  }
};

}  // namespace

// --- index at open ---

Status DBImpl::LoadIndex() {
  if (manifest_.segments.empty()) {
    index_source_ = "empty";
  } else {
    std::string why = "no checkpoint";
    const std::string path = dir_ + "/" + kIndexCheckpointFileName;
    if (!manifest_.index_checkpoint.empty() && env_->FileExists(path)) {
      auto bytes = env_->ReadFile(path);
      if (bytes.ok()) {
        auto decoded = DecodeIndexCheckpoint(*bytes, manifest_, path);
        if (decoded.ok()) {
          for (auto& [id, index] : *decoded) {
            TablePtr t = FindTableById(id);
            if (t != nullptr) t->index = std::move(index);
          }
          index_source_ = "checkpoint";
        } else {
          why = decoded.status().message();
        }
      } else {
        why = bytes.status().message();
      }
    }
    if (index_source_ != "checkpoint") {
      index_source_ = "rebuilt: " + why;
      LASER_RETURN_IF_ERROR(RebuildIndex());
    }
  }
  // Live bytes follow from the index (the manifest's copy may predate a
  // drop); a segment nothing refers to is reclaimed by the first merge pass.
  for (auto& [id, s] : segs_) s.live_bytes = 0;
  for (const auto& [name, t] : tables_) {
    t->index->ForEach([&](uint64_t, std::span<const BlockHandle> hs) {
      for (const BlockHandle& h : hs) segs_[h.segment].live_bytes += h.length;
    });
  }
  return Status::OK();
}

Status DBImpl::RebuildIndex() {
  struct Frame {
    uint64_t write_id;
    uint64_t user;
    uint32_t table_id;
    uint64_t replaces_lo, replaces_hi;
    BlockHandle handle;
  };
  std::vector<Frame> frames;
  for (const SegmentEntry& s : manifest_.segments) {
    const std::string path = segment::SegmentFileName(dir_, s.id);
    LASER_RETURN_IF_ERROR(segment::ScanSegment(
        env_, path, s.id, s.size, [&](const segment::FrameHeader& h, uint64_t off) -> Status {
          if (h.write_id >= manifest_.next_write_id) {
            return Status::Corruption("segment " + path + " offset " + std::to_string(off) +
                                      ": frame write id " + std::to_string(h.write_id) +
                                      " is not below the manifest's next write id");
          }
          if (FindTableById(h.table_id) == nullptr) return Status::OK();  // dropped
          const bool retiring = h.count == 0;
          frames.push_back(
              Frame{h.write_id, h.user, h.table_id, h.replaces_lo, h.replaces_hi,
                    BlockHandle{retiring ? INT64_MAX : h.first_key,
                                retiring ? INT64_MAX : h.last_key, off, static_cast<uint32_t>(s.id),
                                static_cast<uint32_t>(h.frame_length()), h.count}});
          return Status::OK();
        }));
  }
  std::sort(frames.begin(), frames.end(),
            [](const Frame& a, const Frame& b) { return a.write_id < b.write_id; });
  for (size_t i = 1; i < frames.size(); ++i) {
    if (frames[i].write_id == frames[i - 1].write_id) {
      return Status::Corruption("segment " +
                                segment::SegmentFileName(dir_, frames[i].handle.segment) +
                                " offset " + std::to_string(frames[i].handle.offset) +
                                ": duplicate frame write id " + std::to_string(frames[i].write_id));
    }
  }
  // Replay in write order: a frame with a replaces range retires earlier
  // frames of its user first.
  std::unordered_map<std::pair<uint32_t, uint64_t>, std::vector<std::pair<uint64_t, BlockHandle>>,
                     PairHash>
      users;
  for (const Frame& f : frames) {
    auto& list = users[{f.table_id, f.user}];
    if (f.replaces_lo != 0) {
      std::erase_if(list, [&](const auto& e) {
        return e.first >= f.replaces_lo && e.first <= f.replaces_hi;
      });
    }
    list.emplace_back(f.write_id, f.handle);
  }
  std::vector<std::pair<uint32_t, uint64_t>> keys;
  keys.reserve(users.size());
  for (const auto& [k, v] : users) {
    if (!v.empty()) keys.push_back(k);
  }
  std::sort(keys.begin(), keys.end());
  std::vector<BlockHandle> hs;
  for (const auto& k : keys) {
    hs.clear();
    for (const auto& e : users[k]) hs.push_back(e.second);
    FindTableById(k.first)->index->Append(k.second, hs);
  }
  return Status::OK();
}

// --- segments and the manifest ---

void DBImpl::FillSegments(const std::map<uint64_t, SegmentEntry>& segs, ManifestData* m) const {
  m->segments.clear();
  for (const auto& [id, s] : segs) m->segments.push_back(s);
  m->next_segment_id = std::max(m->next_segment_id, next_segment_id_);
  m->next_write_id = std::max(m->next_write_id, next_write_id_);
}

Status DBImpl::EnsureSegmentLocked() {
  if (active_ != nullptr && active_->size() < tuning_.segment_target_bytes) return Status::OK();
  if (active_ != nullptr) {
    // Sealed mid-flush or mid-merge: its frames since the last commit are
    // made durable now and its final size goes into the next commit.
    LASER_RETURN_IF_ERROR(active_->Sync());
    sealed_sizes_[active_->id()] = active_->size();
    LASER_RETURN_IF_ERROR(active_->Close());
    active_.reset();
  }
  const uint64_t id = next_segment_id_++;
  if (id > UINT32_MAX) return Status::ResourceExhausted("segment ids exhausted in " + dir_);
  LASER_ASSIGN_OR_RETURN(auto writer, segment::SegmentWriter::Create(env_, dir_, id));
  LASER_ASSIGN_OR_RETURN(auto file, env_->NewRandomAccessFile(writer->path(), options_.direct_io));
  {
    std::unique_lock<std::shared_mutex> l(state_mu_);
    segment_files_[id] = FilePtr(std::move(file));
  }
  active_ = std::move(writer);
  return Status::OK();
}

Result<BlockHandle> DBImpl::WriteFrameLocked(segment::FrameHeader h,
                                             std::span<const uint8_t> payload, CachedBlock* frame) {
  LASER_RETURN_IF_ERROR(EnsureSegmentLocked());
  h.write_id = next_write_id_++;
  LASER_ASSIGN_OR_RETURN(uint64_t offset, active_->Append(h, payload));
  if (frame != nullptr) {
    std::vector<uint8_t> header;
    segment::EncodeFrameHeader(h, &header);
    *frame = SharedBytes::Concat(header, payload);
  }
  return BlockHandle{h.first_key,
                     h.last_key,
                     offset,
                     static_cast<uint32_t>(active_->id()),
                     static_cast<uint32_t>(h.frame_length()),
                     h.count};
}

void DBImpl::CacheWritten(std::span<const BlockHandle> hs, std::vector<CachedBlock>* frames,
                          std::span<const uint32_t> dropped) {
  assert(dropped.empty() || dropped.size() == frames->size());
  for (size_t k = 0; k < frames->size(); ++k) {
    if ((*frames)[k] != nullptr) {
      cache_->InsertDeferred(hs[k].segment, hs[k].offset, std::move((*frames)[k]),
                             dropped.empty() ? 0 : dropped[k]);
    }
  }
  frames->clear();
}

void DBImpl::AbandonSegmentLocked() {
  // Frames written after the last commit must never become part of a
  // committed prefix: the next write goes to a fresh segment, and this one's
  // tail is cut off at the next open.
  if (active_ != nullptr) {
    (void)active_->Close();
    active_.reset();
  }
  sealed_sizes_.clear();
  next_write_id_ = std::max(next_write_id_, manifest_.next_write_id);
}

Status DBImpl::CommitSegmentsLocked(std::map<uint64_t, SegmentEntry> segs, bool index_changed,
                                    const MemTable* flushed) {
  if (active_ != nullptr) {
    LASER_RETURN_IF_ERROR(active_->Sync());
    segs[active_->id()].size = active_->size();
  }
  for (const auto& [id, size] : sealed_sizes_) {
    if (segs.count(id) != 0) segs[id].size = size;
  }
  for (auto& [id, e] : segs) e.id = id;
  std::lock_guard<std::mutex> m(manifest_mu_);
  ManifestData next = manifest_;
  FillSegments(segs, &next);
  if (index_changed) next.index_epoch++;
  if (flushed != nullptr) {
    next.min_wal_number = std::max(next.min_wal_number, imm_wal_boundary_);
    next.last_seq = std::max(next.last_seq, flushed->MaxSeq());
  }
  LASER_RETURN_IF_ERROR(CommitManifestLocked(next));
  segs_ = std::move(segs);
  sealed_sizes_.clear();
  return Status::OK();
}

// --- flush ---

Status DBImpl::Flush() {
  if (options_.read_only) return Status::NotSupported("database " + dir_ + " is read-only");
  std::lock_guard<std::mutex> m(maint_mu_);
  return FlushLocked();
}

Status DBImpl::FlushForAppend() {
  std::lock_guard<std::mutex> m(maint_mu_);
  return FlushLocked(/*fold_tails=*/false);
}

Status DBImpl::FlushLocked(bool fold_tails) {
  if (imm_ != nullptr) LASER_RETURN_IF_ERROR(FlushImmutableLocked(fold_tails));
  {
    std::shared_lock<std::shared_mutex> l(state_mu_);
    if (mem_->NumEvents() == 0) return Status::OK();
  }
  LASER_ASSIGN_OR_RETURN(uint64_t boundary, wal_->SwitchFile([&] {
    std::unique_lock<std::shared_mutex> l(state_mu_);
    imm_ = mem_;
    mem_ = std::make_shared<MemTable>();
  }));
  imm_wal_boundary_ = boundary;
  return FlushImmutableLocked(fold_tails);
}

Status DBImpl::FlushImmutableLocked(bool fold_tails) {
  const std::shared_ptr<MemTable> imm = imm_;
  std::shared_ptr<const MemTable> next;  // the memtable taking appends meanwhile
  std::map<uint32_t, TableSchema> schemas;
  {
    std::shared_lock<std::shared_mutex> l(state_mu_);
    next = mem_;
    for (const auto& [name, t] : tables_) schemas[t->id] = *t->schema;
  }
  struct Added {
    uint32_t table_id;
    uint64_t user;
    uint64_t events;
    std::vector<BlockHandle> handles;
    std::vector<CachedBlock> frames;  // handles' frames, iff the user is hot
    bool hot = false;
    // The user's last frame before the flush, iff the flush rewrote it
    // together with the new rows (FoldableTail): handles replace it.
    std::optional<BlockHandle> folded;
  };
  std::vector<Added> added;
  std::map<uint64_t, SegmentEntry> segs = segs_;
  Status st = [&]() -> Status {
    MemTable::GroupIterator it(imm.get());
    std::string block;
    for (it.SeekToFirst(); it.Valid(); it.Next()) {
      auto schema_it = schemas.find(it.table_id());
      if (schema_it == schemas.end()) continue;  // dropped table
      const TableSchema& schema = schema_it->second;
      Batch rows;
      const std::vector<uint32_t> all = rowcodec::AllColumns(schema);
      LASER_RETURN_IF_ERROR(it.AppendRows(schema, all, &rows));
      Added a{it.table_id(), it.user(), rows.num_rows(), {}, {}, false, std::nullopt};
      // A user whose newest block is cached is being read: its new blocks
      // go into the cache as they are written, so that its next read finds
      // them there instead of on disk.
      bool hot = false;
      std::optional<BlockHandle> last;
      if (cache_->enabled()) {
        std::shared_lock<std::shared_mutex> l(state_mu_);
        const TablePtr t = FindTableById(a.table_id);
        last = t ? t->index->Last(a.user) : std::nullopt;
        hot = last && cache_->Contains(last->segment, last->offset);
      }
      a.hot = hot;
      // The first frame written retires the folded one (and what it
      // retired), as a merge's first frame retires its suffix.
      uint64_t replaces_lo = 0, replaces_hi = 0;
      // A fold re-encodes the user's older tail besides its new rows (about
      // as much work again as the flush itself). Once the appends have
      // filled the next memtable's budget while this one is written, the
      // flush is behind them and folds stop: they would bring the appends'
      // inline flush sooner, a stall of seconds.
      if (hot && fold_tails && next->ApproximateBytes() < options_.memtable_bytes) {
        if (const std::optional<segment::FrameHeader> fh =
                FoldableTail(schema, a.table_id, a.user, *last, &rows)) {
          a.folded = last;
          replaces_lo = fh->replaces_lo != 0 ? fh->replaces_lo : fh->write_id;
          replaces_hi = fh->write_id;
          segs[last->segment].live_bytes -= last->length;
        }
      }
      const std::vector<int64_t>& keys = rows.columns[schema.order_key].ints;
      size_t begin = 0;
      for (size_t end : compaction::ChunkEnds(rows, compaction::kBlockEvents)) {
        block.clear();
        LASER_RETURN_IF_ERROR(format::EncodeBlock(schema, a.user, rows, begin, end, &block));
        segment::FrameHeader h;
        h.payload_length = static_cast<uint32_t>(block.size());
        h.table_id = a.table_id;
        h.count = static_cast<uint32_t>(end - begin);
        h.user = a.user;
        h.first_key = keys[begin];
        h.last_key = keys[end - 1];
        if (begin == 0) {
          h.replaces_lo = replaces_lo;
          h.replaces_hi = replaces_hi;
        }
        CachedBlock frame;
        LASER_ASSIGN_OR_RETURN(
            BlockHandle handle,
            WriteFrameLocked(h,
                             std::span<const uint8_t>(
                                 reinterpret_cast<const uint8_t*>(block.data()), block.size()),
                             hot ? &frame : nullptr));
        segs[handle.segment].live_bytes += handle.length;
        a.handles.push_back(handle);
        if (hot) a.frames.push_back(std::move(frame));
        begin = end;
      }
      added.push_back(std::move(a));
    }
    return CommitSegmentsLocked(std::move(segs), /*index_changed=*/true, imm.get());
  }();
  if (!st.ok()) {
    AbandonSegmentLocked();
    return st.WithContext("flush of " + dir_);
  }
  for (Added& a : added) CacheWritten(a.handles, &a.frames);
  // Installed a chunk of users at a time: readers and appends wait for one
  // chunk, not for the whole memtable (tens of milliseconds for 10^5 users).
  for (size_t i = 0; i < added.size(); i += tuning_.install_chunk_users) {
    const size_t end = std::min(added.size(), i + tuning_.install_chunk_users);
    {
      std::unique_lock<std::shared_mutex> l(state_mu_);
      for (size_t k = i; k < end; ++k) {
        const Added& a = added[k];
        const TablePtr t = FindTableById(a.table_id);
        if (t != nullptr && a.folded) {
          // Merges hold maint_mu_ too: the folded frame is still the last.
          std::vector<BlockHandle> hs = t->index->Get(a.user);
          assert(!hs.empty() && hs.back().segment == a.folded->segment &&
                 hs.back().offset == a.folded->offset);
          hs.pop_back();
          hs.insert(hs.end(), a.handles.begin(), a.handles.end());
          t->index->Set(a.user, hs);
        } else if (t != nullptr) {
          t->index->Append(a.user, a.handles);
        }
        imm_installed_events_ += a.events;
      }
      imm_installed_ = std::make_pair(added[end - 1].table_id, added[end - 1].user);
    }
    if (tuning_.after_install_chunk) tuning_.after_install_chunk();
  }
  {
    std::unique_lock<std::shared_mutex> l(state_mu_);
    imm_.reset();
    imm_installed_.reset();
    imm_installed_events_ = 0;
  }
  ++flushes_;
  // The folded frames are dead, as a merge's rewritten ones: their cache
  // space goes to live ones.
  for (const Added& a : added) {
    if (a.folded) {
      cache_->Erase(a.folded->segment, a.folded->offset);
      ++tail_folds_;
    }
  }
  for (size_t i = 0; i < added.size(); i += tuning_.install_chunk_users) {
    const size_t end = std::min(added.size(), i + tuning_.install_chunk_users);
    std::shared_lock<std::shared_mutex> l(state_mu_);
    for (size_t k = i; k < end; ++k) {
      const TablePtr t = FindTableById(added[k].table_id);
      if (t != nullptr) {
        NoteDirtyLocked(added[k].table_id, added[k].user, t->index->Get(added[k].user), *t->schema);
      }
    }
  }
  std::vector<FlushedHotUser> hot;
  for (const Added& a : added) {
    if (a.hot) hot.push_back(FlushedHotUser{a.table_id, a.user, a.events, a.handles.size()});
  }
  TrimCachedTailsLocked(schemas, hot);
  // The new frames came in without evicting (CacheWritten); the folded and
  // trimmed ones have made what room they free.
  cache_->EvictOverBudget();
  // Every record of the flushed memtable is in segment files now.
  auto wals = wal::ListWalFiles(env_, dir_, 0);
  if (wals.ok()) {
    for (const auto& [n, path] : *wals) {
      if (n < imm_wal_boundary_) (void)env_->RemoveFile(path);  // leftovers are replay-safe
    }
  }
  imm_wal_boundary_ = 0;
  bg_cv_.notify_all();
  return Status::OK();
}

std::optional<segment::FrameHeader> DBImpl::FoldableTail(const TableSchema& schema,
                                                         uint32_t table_id, uint64_t user,
                                                         const BlockHandle& last, Batch* rows) {
  const uint64_t limit = tuning_.fold_tail_events;
  const std::vector<int64_t>& keys = rows->columns[schema.order_key].ints;
  // Only a short frame, cached whole, that the new rows follow in key order
  // (so that the result is sorted and stays one block).
  if (limit == 0 || last.count == 0 || last.count >= limit || keys.empty() ||
      last.count + rows->num_rows() > compaction::kBlockEvents || last.last_key > keys.front()) {
    return std::nullopt;
  }
  const CachedBlock frame = cache_->Peek(last.segment, last.offset);
  if (frame == nullptr) return std::nullopt;
  Result<segment::FrameHeader> hdr = CheckFrame(frame.span(), last, table_id, user);
  Batch folded;
  rowcodec::InitProjection(schema, rowcodec::AllColumns(schema), &folded);
  if (!hdr.ok() ||
      !format::DecodeBlockInto(
           schema,
           std::span<const uint8_t>(frame.data() + segment::kFrameHeaderSize, hdr->payload_length),
           AllColumnsInt(schema), 0, &folded)
           .ok()) {
    // Not a flush's failure: the frame stays, and the next read goes to the
    // disk, which verifies it.
    cache_->Erase(last.segment, last.offset);
    return std::nullopt;
  }
  compaction::AppendRows(*rows, &folded);
  *rows = std::move(folded);
  return *hdr;
}

void DBImpl::TrimCachedTailsLocked(const std::map<uint32_t, TableSchema>& schemas,
                                   std::span<const FlushedHotUser> users) {
  const uint64_t keep = tuning_.cache_tail_events;
  if (keep == 0 || !cache_->enabled()) return;
  for (size_t i = 0; i < users.size(); i += tuning_.install_chunk_users) {
    const size_t end = std::min(users.size(), i + tuning_.install_chunk_users);
    std::vector<std::vector<BlockHandle>> handles(end - i);
    {
      std::shared_lock<std::shared_mutex> l(state_mu_);
      for (size_t k = i; k < end; ++k) {
        const TablePtr t = FindTableById(users[k].table_id);
        if (t != nullptr) handles[k - i] = t->index->Get(users[k].user);
      }
    }
    for (size_t k = i; k < end; ++k) {
      const FlushedHotUser& u = users[k];
      const std::vector<BlockHandle>& hs = handles[k - i];
      auto schema = schemas.find(u.table_id);
      // Merges hold maint_mu_ too, so the flush's handles are still the
      // user's last ones.
      if (schema == schemas.end() || hs.size() < u.new_handles) continue;
      uint64_t newer = 0;  // events in the blocks after hs[j]
      for (size_t j = hs.size(); j-- > 0;) {
        const BlockHandle h = hs[j];
        if (j + 1 < hs.size() && h.last_key > hs[j + 1].first_key) {
          break;  // out of key order: reads do not skip rows by count here
        }
        if (j >= hs.size() - u.new_handles) {
          newer += h.count;
          continue;
        }
        // Blocks the tail had left before this flush are not its business.
        if (newer - u.new_events >= keep) break;
        uint32_t dropped = 0;
        const uint32_t beyond = compaction::RowsBeyondNewest(h.count, newer, keep);
        newer += h.count;
        if (h.count == 0) continue;
        // Decided before the frame is pinned: most blocks need no trim, and
        // pinning one touches its memory (a cache miss per user per flush).
        if (!cache_->Contains(h.segment, h.offset, &dropped)) continue;
        if (beyond == h.count) {
          cache_->Erase(h.segment, h.offset);
          continue;
        }
        if (beyond < dropped + kMinTrimRows) continue;
        // A read may have replaced the entry since.
        const CachedBlock frame = cache_->Peek(h.segment, h.offset, UINT32_MAX, &dropped);
        if (frame == nullptr || beyond < dropped + kMinTrimRows) continue;
        Result<std::vector<uint8_t>> trimmed =
            compaction::TrimFrame(schema->second, frame.span(), beyond - dropped);
        if (!trimmed.ok()) {
          // The next read goes to the disk, which verifies the frame.
          cache_->Erase(h.segment, h.offset);
          continue;
        }
        // Smaller than the entry it replaces, and the cache may be over
        // its budget by the flush's new frames until FlushImmutableLocked
        // evicts: an evicting insert would push out other users for them.
        cache_->InsertDeferred(h.segment, h.offset, SharedBytes::Copy(*trimmed), beyond);
      }
    }
  }
}

// --- merge ---

void DBImpl::NoteDirtyLocked(uint32_t table_id, uint64_t user, std::span<const BlockHandle> hs,
                             const TableSchema& schema) {
  if (compaction::PlanMerge(hs, schema.retention.max_events, TtlCutoff(schema), false)) {
    std::lock_guard<std::mutex> d(dirty_mu_);
    dirty_.insert({table_id, user});
  }
}

Result<size_t> DBImpl::MergeDirtyUsers() {
  if (options_.read_only) return Status::NotSupported("database " + dir_ + " is read-only");
  std::lock_guard<std::mutex> m(maint_mu_);
  std::vector<std::pair<uint32_t, uint64_t>> batch;
  {
    std::lock_guard<std::mutex> d(dirty_mu_);
    while (!dirty_.empty() && batch.size() < tuning_.merge_batch_users) {
      batch.push_back(*dirty_.begin());
      dirty_.erase(dirty_.begin());
    }
  }
  if (batch.empty()) return size_t{0};
  auto merged = MergeUsersLocked(batch, false);
  if (!merged.ok()) {
    std::lock_guard<std::mutex> d(dirty_mu_);
    for (const auto& k : batch) dirty_.insert(k);
  }
  return merged;
}

Result<size_t> DBImpl::MergeUsersLocked(const std::vector<std::pair<uint32_t, uint64_t>>& users,
                                        bool force_full) {
  struct Job {
    TablePtr table;
    uint64_t user;
    std::vector<BlockHandle> keep;     // handles before the rewritten suffix
    std::vector<BlockHandle> rewrite;  // the suffix
    std::vector<BlockHandle> written;
    std::vector<CachedBlock> frames;  // written's frames; null where not to be cached
    std::vector<uint32_t> dropped;    // rows each cached frame lacks at its front
  };
  std::vector<Job> jobs;
  std::map<uint32_t, TableSchema> schemas;
  std::vector<FilePtr> files;
  {
    std::shared_lock<std::shared_mutex> l(state_mu_);
    for (const auto& [table_id, user] : users) {
      TablePtr t = FindTableById(table_id);
      if (t == nullptr) continue;
      std::vector<BlockHandle> hs = t->index->Get(user);
      auto begin = compaction::PlanMerge(hs, t->schema->retention.max_events, TtlCutoff(*t->schema),
                                         force_full);
      if (!begin) continue;
      schemas[table_id] = *t->schema;
      Job j{t, user, {}, {}, {}, {}, {}};
      j.keep.assign(hs.begin(), hs.begin() + static_cast<ptrdiff_t>(*begin));
      j.rewrite.assign(hs.begin() + static_cast<ptrdiff_t>(*begin), hs.end());
      jobs.push_back(std::move(j));
    }
  }
  if (jobs.empty()) return size_t{0};
  std::map<uint64_t, SegmentEntry> segs = segs_;
  const uint64_t tail_events = tuning_.cache_tail_events;
  Status st = [&]() -> Status {
    // The frames of several users are read in one batch (a batched
    // submission, adjacent frames coalesced), not user by user: one user's
    // few small frames left the device idle between them. A batch stops at
    // kMergeReadBytes, which bounds the frames held at once.
    std::vector<std::vector<CachedBlock>> job_frames(jobs.size());
    size_t read_up_to = 0;  // jobs before this have their frames read
    for (size_t ji = 0; ji < jobs.size(); ++ji) {
      if (ji == read_up_to) {
        std::vector<BlockHandle> hs;
        uint64_t bytes = 0;
        size_t end = ji;
        while (end < jobs.size() && (end == ji || bytes < kMergeReadBytes)) {
          for (const BlockHandle& h : jobs[end].rewrite) {
            hs.push_back(h);
            bytes += h.length;
          }
          ++end;
        }
        LASER_ASSIGN_OR_RETURN(std::vector<CachedBlock> read, ReadFramesLocked(hs));
        size_t at = 0;
        for (size_t k = ji; k < end; ++k) {
          const size_t n = jobs[k].rewrite.size();
          job_frames[k].assign(
              std::make_move_iterator(read.begin() + static_cast<ptrdiff_t>(at)),
              std::make_move_iterator(read.begin() + static_cast<ptrdiff_t>(at + n)));
          at += n;
        }
        read_up_to = end;
      }
      Job& j = jobs[ji];
      const TableSchema& schema = schemas[j.table->id];
      // What a user being read has cached stays cached across the rewrite:
      // the new frames whose keys overlap a cached old frame's. Not the
      // whole rewrite: a full one (retention, relocation) of a user whose
      // tail is read would otherwise fill the cache with all its history.
      std::vector<std::pair<int64_t, int64_t>> cached_keys;
      for (const BlockHandle& h : j.rewrite) {
        // Copies: emplace_back binds references, and BlockHandle is packed.
        const int64_t first = h.first_key, last = h.last_key;
        if (cache_->Contains(h.segment, h.offset)) cached_keys.emplace_back(first, last);
      }
      auto was_cached = [&](int64_t first, int64_t last) {
        return std::any_of(cached_keys.begin(), cached_keys.end(),
                           [&](const auto& r) { return first <= r.second && r.first <= last; });
      };
      const std::vector<CachedBlock> frames = std::move(job_frames[ji]);
      Batch all;
      uint64_t lo = UINT64_MAX, hi = 0;
      const std::vector<int> projection = AllColumnsInt(schema);
      for (size_t i = 0; i < frames.size(); ++i) {
        LASER_ASSIGN_OR_RETURN(segment::FrameHeader h,
                               CheckFrame(frames[i].span(), j.rewrite[i], j.table->id, j.user));
        // The new extent retires the suffix and everything the suffix's own
        // extents retired: a dead frame stays covered by a live frame's
        // range, so reclaiming the segment of a dead extent can never let
        // a frame it retired come back in a rebuild.
        lo = std::min(lo, h.replaces_lo != 0 ? h.replaces_lo : h.write_id);
        hi = std::max(hi, h.write_id);
        if (h.count == 0) continue;  // a retiring frame has no block
        LASER_RETURN_IF_ERROR(format::DecodeBlockInto(
            schema,
            std::span<const uint8_t>(frames[i].data() + segment::kFrameHeaderSize,
                                     h.payload_length),
            projection, 0, &all));
      }
      if (j.keep.empty()) lo = 1;  // a full rewrite retires every older frame
      if (all.num_columns() == 0) {
        rowcodec::InitProjection(schema, rowcodec::AllColumns(schema), &all);
      }
      const size_t n = all.num_rows();
      std::vector<uint32_t> order = compaction::OrderByKey(all.columns[schema.order_key].ints);
      if (j.keep.empty()) {
        // The whole sequence is rewritten: retention applies.
        size_t first = 0;
        if (auto cutoff = TtlCutoff(schema)) {
          while (first < n && all.columns[schema.order_key].ints[order[first]] < *cutoff) ++first;
        }
        if (schema.retention.max_events > 0 && n - first > schema.retention.max_events) {
          first = n - schema.retention.max_events;
        }
        order.erase(order.begin(), order.begin() + static_cast<ptrdiff_t>(first));
      }
      Batch sorted = compaction::TakeRows(all, order);
      const std::vector<int64_t>& keys = sorted.columns[schema.order_key].ints;
      size_t begin = 0;
      std::string block;
      bool first_frame = true;
      for (size_t end : compaction::ChunkEnds(sorted, compaction::kBlockEvents)) {
        block.clear();
        LASER_RETURN_IF_ERROR(format::EncodeBlock(schema, j.user, sorted, begin, end, &block));
        segment::FrameHeader h;
        h.payload_length = static_cast<uint32_t>(block.size());
        h.table_id = j.table->id;
        h.count = static_cast<uint32_t>(end - begin);
        h.user = j.user;
        h.first_key = keys[begin];
        h.last_key = keys[end - 1];
        if (first_frame) {
          h.replaces_lo = lo;
          h.replaces_hi = hi;
          first_frame = false;
        }
        // Of what was cached, only the rows the user's newest
        // cache_tail_events reach stay cached, as after a flush
        // (TrimCachedTailsLocked): a merge would otherwise cache whole
        // blocks that a trimmed one overlapped, and a read user's cached
        // bytes would grow with every merge.
        const uint32_t beyond = tail_events == 0 ? 0
                                                 : compaction::RowsBeyondNewest(
                                                       h.count, keys.size() - end, tail_events);
        const bool cache = beyond < h.count && was_cached(h.first_key, h.last_key);
        CachedBlock frame;
        LASER_ASSIGN_OR_RETURN(
            BlockHandle handle,
            WriteFrameLocked(h,
                             std::span<const uint8_t>(
                                 reinterpret_cast<const uint8_t*>(block.data()), block.size()),
                             cache ? &frame : nullptr));
        segs[handle.segment].live_bytes += handle.length;
        uint32_t dropped = 0;
        if (cache && beyond >= kMinTrimRows) {
          Result<std::vector<uint8_t>> trimmed =
              compaction::TrimFrame(schema, frame.span(), beyond);
          // A frame that does not trim is not cached: the next read goes to
          // the disk, which verifies it.
          frame = trimmed.ok() ? SharedBytes::Copy(*trimmed) : nullptr;
          dropped = beyond;
        }
        j.written.push_back(handle);
        j.frames.push_back(std::move(frame));  // null iff not to be cached
        j.dropped.push_back(dropped);
        begin = end;
      }
      if (first_frame) {
        // Every event expired: a frame that only retires the old ones. It
        // stays in the index (count 0, never read) so that its bytes stay
        // live until it is itself retired, keeping the retired frames dead.
        segment::FrameHeader h;
        h.table_id = j.table->id;
        h.user = j.user;
        h.replaces_lo = lo;
        h.replaces_hi = hi;
        LASER_ASSIGN_OR_RETURN(BlockHandle handle, WriteFrameLocked(h, {}, nullptr));
        handle.first_key = INT64_MAX;
        handle.last_key = INT64_MAX;
        segs[handle.segment].live_bytes += handle.length;
        j.written.push_back(handle);
      }
      for (const BlockHandle& h : j.rewrite) segs[h.segment].live_bytes -= h.length;
    }
    return CommitSegmentsLocked(std::move(segs), /*index_changed=*/true, nullptr);
  }();
  if (!st.ok()) {
    AbandonSegmentLocked();
    return st.WithContext("merge in " + dir_);
  }
  for (Job& j : jobs) CacheWritten(j.written, &j.frames, j.dropped);
  {
    std::unique_lock<std::shared_mutex> l(state_mu_);
    for (Job& j : jobs) {
      j.keep.insert(j.keep.end(), j.written.begin(), j.written.end());
      j.table->index->Set(j.user, j.keep);
    }
  }
  // The rewritten frames are dead: their cache space goes to live ones,
  // first to the new frames, which came in without evicting.
  for (const Job& j : jobs) {
    for (const BlockHandle& h : j.rewrite) cache_->Erase(h.segment, h.offset);
  }
  cache_->EvictOverBudget();
  merges_ += jobs.size();
  relocate_check_ = true;
  LASER_RETURN_IF_ERROR(DeleteDeadSegmentsLocked());
  return jobs.size();
}

Status DBImpl::DeleteDeadSegmentsLocked() {
  std::map<uint64_t, SegmentEntry> segs = segs_;
  std::vector<uint64_t> dead;
  for (const auto& [id, s] : segs) {
    if (s.live_bytes == 0 && (active_ == nullptr || active_->id() != id)) dead.push_back(id);
  }
  if (dead.empty()) return Status::OK();
  for (uint64_t id : dead) segs.erase(id);
  // The manifest stops naming them before the files go: a crash in between
  // leaves unnamed files, which the next open deletes.
  LASER_RETURN_IF_ERROR(CommitSegmentsLocked(std::move(segs), /*index_changed=*/true, nullptr));
  for (uint64_t id : dead) {
    {
      std::unique_lock<std::shared_mutex> l(state_mu_);
      segment_files_.erase(id);
    }
    cache_->EraseFile(id);
    (void)env_->RemoveFile(segment::SegmentFileName(dir_, id));  // an orphan is removed at open
  }
  return Status::OK();
}

Status DBImpl::RelocateLocked() {
  relocate_check_ = false;
  std::set<uint64_t> sparse;
  for (const auto& [id, s] : segs_) {
    if (active_ != nullptr && active_->id() == id) continue;
    if (static_cast<double>(s.live_bytes) <
        tuning_.relocate_below_live_fraction * static_cast<double>(s.size)) {
      sparse.insert(id);
    }
  }
  if (sparse.empty()) return Status::OK();
  std::vector<std::pair<uint32_t, uint64_t>> users;
  {
    std::shared_lock<std::shared_mutex> l(state_mu_);
    for (const auto& entry : tables_) {
      const uint32_t table_id = entry.second->id;
      entry.second->index->ForEach([&](uint64_t user, std::span<const BlockHandle> hs) {
        for (const BlockHandle& h : hs) {
          if (sparse.count(h.segment) != 0) {
            users.emplace_back(table_id, user);
            break;
          }
        }
      });
    }
  }
  for (size_t i = 0; i < users.size(); i += tuning_.merge_batch_users) {
    std::vector<std::pair<uint32_t, uint64_t>> batch(
        users.begin() + static_cast<ptrdiff_t>(i),
        users.begin() +
            static_cast<ptrdiff_t>(std::min(users.size(), i + tuning_.merge_batch_users)));
    LASER_RETURN_IF_ERROR(MergeUsersLocked(batch, /*force_full=*/true).status());
  }
  relocate_check_ = false;
  return DeleteDeadSegmentsLocked();
}

Status DBImpl::Compact() {
  if (options_.read_only) return Status::NotSupported("database " + dir_ + " is read-only");
  std::lock_guard<std::mutex> m(maint_mu_);
  LASER_RETURN_IF_ERROR(FlushLocked());
  std::vector<TablePtr> tables;
  {
    std::shared_lock<std::shared_mutex> l(state_mu_);
    for (const auto& [name, t] : tables_) tables.push_back(t);
  }
  for (const TablePtr& t : tables) {
    std::optional<uint64_t> after;
    while (true) {
      std::vector<std::pair<uint32_t, uint64_t>> batch;
      {
        std::shared_lock<std::shared_mutex> l(state_mu_);
        std::vector<uint64_t> us = t->index->Users(after, 4096);
        if (us.empty()) break;
        after = us.back();
        const std::optional<int64_t> cutoff = TtlCutoff(*t->schema);
        for (uint64_t u : us) {
          if (compaction::PlanMerge(t->index->Get(u), t->schema->retention.max_events, cutoff,
                                    false)) {
            batch.emplace_back(t->id, u);
          }
        }
      }
      for (size_t i = 0; i < batch.size(); i += tuning_.merge_batch_users) {
        std::vector<std::pair<uint32_t, uint64_t>> part(
            batch.begin() + static_cast<ptrdiff_t>(i),
            batch.begin() +
                static_cast<ptrdiff_t>(std::min(batch.size(), i + tuning_.merge_batch_users)));
        LASER_RETURN_IF_ERROR(MergeUsersLocked(part, false).status());
      }
    }
  }
  {
    std::lock_guard<std::mutex> d(dirty_mu_);
    dirty_.clear();
  }
  LASER_RETURN_IF_ERROR(RelocateLocked());
  LASER_RETURN_IF_ERROR(DeleteDeadSegmentsLocked());
  return WriteIndexCheckpointLocked();
}

// --- checkpoint ---

Status DBImpl::WriteIndexCheckpoint() {
  if (options_.read_only) return Status::NotSupported("database " + dir_ + " is read-only");
  std::lock_guard<std::mutex> m(maint_mu_);
  return WriteIndexCheckpointLocked();
}

Status DBImpl::WriteIndexCheckpointLocked() {
  std::lock_guard<std::mutex> m(manifest_mu_);
  std::vector<uint8_t> bytes;
  {
    std::shared_lock<std::shared_mutex> l(state_mu_);
    IndexView view;
    for (const auto& [name, t] : tables_) view.emplace(t->id, t->index.get());
    bytes = EncodeIndexCheckpoint(manifest_, view);
  }
  LASER_RETURN_IF_ERROR(WriteFileAtomic(env_, dir_ + "/" + kIndexCheckpointFileName, bytes));
  if (manifest_.index_checkpoint != kIndexCheckpointFileName) {
    ManifestData next = manifest_;
    next.index_checkpoint = kIndexCheckpointFileName;
    LASER_RETURN_IF_ERROR(CommitManifestLocked(next));
  }
  return Status::OK();
}

// --- background ---

void DBImpl::RequestFlush() {
  {
    std::lock_guard<std::mutex> l(bg_mu_);
    flush_requested_ = true;
  }
  bg_cv_.notify_all();
}

void DBImpl::BackgroundLoop() {
  if (options_.background_nice > 0) {
    // On Linux a thread id names one thread: only this one is reniced. A
    // failure leaves it at the process's priority, which is still correct.
    (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()),
                        std::min(options_.background_nice, 19));
  }
  std::unique_lock<std::mutex> l(bg_mu_);
  while (!bg_stop_) {
    bg_cv_.wait_for(l, std::chrono::milliseconds(tuning_.background_poll_ms));
    if (bg_stop_) break;
    const bool flush = flush_requested_;
    flush_requested_ = false;
    l.unlock();
    // Errors here are not lost: the data stays in the WAL and memtables, and
    // the next Flush/Compact call retries and reports them.
    if (flush) (void)Flush();
    if (options_.background_merge) {
      bool more = true;
      while (more) {
        auto merged = MergeDirtyUsers();
        more = merged.ok() && *merged > 0;
        std::lock_guard<std::mutex> g(bg_mu_);
        if (bg_stop_ || flush_requested_) break;
      }
      std::lock_guard<std::mutex> m(maint_mu_);
      if (relocate_check_) (void)RelocateLocked();
    }
    l.lock();
  }
}

}  // namespace laser
