// DBImpl read path: block selection, one batched read per request, decode of
// the projected columns, merge with the memtables, retention.
#include <algorithm>
#include <cassert>
#include <chrono>
#include <climits>

#include "engine/compaction/sequence.hpp"
#include "engine/db/db_impl.hpp"
#include "engine/format/block.hpp"
#include "engine/memtable/row_codec.hpp"
#include "engine/util/status_macros.hpp"

namespace laser {
namespace {

// Adjacent frames are read with one request up to this many bytes.
constexpr uint64_t kMaxCoalescedBytes = 16u << 20;
// A short read prefetches the cache slots of each user's newest this many
// frames: a warm last-N read usually wants the extent and a tail frame or two.
constexpr size_t kPrefetchFrames = 3;
// A cached frame up to this size (a flush's tail) is requested whole before
// the read decodes any frame; of a larger one (an extent's block), of whose
// columns the read usually needs only the tail, just the headers.
constexpr size_t kPrefetchWholeFrame = 2048;
constexpr size_t kPrefetchFrameHead = 256;

void PrefetchFrame(std::span<const uint8_t> frame) {
  const size_t n = frame.size() <= kPrefetchWholeFrame ? frame.size() : kPrefetchFrameHead;
  for (size_t off = 0; off < n; off += 64) __builtin_prefetch(frame.data() + off);
}

std::optional<int64_t> MaxOpt(std::optional<int64_t> a, std::optional<int64_t> b) {
  if (!a) return b;
  if (!b) return a;
  return std::max(*a, *b);
}

// True iff the blocks `chosen` (indices into hs, ascending) hold their
// events in key order when concatenated: each starts at or after the end of
// the one before. Equal keys across a boundary keep write order, as a stable
// sort would.
bool InKeyOrder(const std::vector<BlockHandle>& hs, const std::vector<size_t>& chosen) {
  for (size_t j = 1; j < chosen.size(); ++j) {
    if (hs[chosen[j]].first_key < hs[chosen[j - 1]].last_key) return false;
  }
  return true;
}

// True iff `mem` (events of the memtables, immutable first) is in key order
// and starts at or after the end of the last of the blocks `chosen`, which
// InKeyOrder holds for: then blocks followed by memtable rows are in order.
bool MemRowsAfter(std::span<const MemTable::Event> mem, const std::vector<BlockHandle>& hs,
                  const std::vector<size_t>& chosen) {
  if (mem.empty()) return true;
  for (size_t j = 1; j < mem.size(); ++j) {
    if (mem[j].order_key < mem[j - 1].order_key) return false;
  }
  return chosen.empty() || mem.front().order_key >= hs[chosen.back()].last_key;
}

// Appends the memtable events `mem` of `user` to *out, projected by `decoder`.
Status DecodeMemRows(const rowcodec::RowDecoder& decoder, uint32_t table_id, uint64_t user,
                     std::span<const MemTable::Event> mem, Batch* out) {
  Status s = decoder.DecodeRows(user, mem, out);
  if (!s.ok()) {
    return s.WithContext("memtable table " + std::to_string(table_id) + " user " +
                         std::to_string(user));
  }
  return Status::OK();
}

// Keeps rows [begin, end) of every column of *b.
void KeepRows(size_t begin, size_t end, Batch* b) {
  const size_t n = b->num_rows();
  auto keep = [&](auto& v) {
    if (v.size() != n) return;
    v.erase(v.begin() + static_cast<ptrdiff_t>(end), v.end());
    v.erase(v.begin(), v.begin() + static_cast<ptrdiff_t>(begin));
  };
  for (ColumnVector& c : b->columns) {
    keep(c.ints);
    keep(c.uints);
    keep(c.floats);
    keep(c.strings);
    keep(c.nulls);
  }
}

// For a read whose blocks `chosen` all lie inside its key range and whose
// memtable rows (`mem_rows` of them, already cut to `limit`) follow them in
// key order: how many of the blocks' rows, counted from the oldest, are
// older than the newest `limit` events (0 if limit is 0: all are wanted).
uint64_t RowsToSkip(const std::vector<BlockHandle>& hs, const std::vector<size_t>& chosen,
                    uint64_t mem_rows, uint64_t limit) {
  if (limit == 0) return 0;
  const uint64_t from_blocks = limit - std::min(mem_rows, limit);
  uint64_t total = 0;
  for (size_t k : chosen) total += hs[k].count;
  return from_blocks < total ? total - from_blocks : 0;
}

// True iff every block `chosen` lies inside [lo, hi).
bool AllInside(const std::vector<BlockHandle>& hs, const std::vector<size_t>& chosen,
               std::optional<int64_t> lo, std::optional<int64_t> hi) {
  return std::all_of(chosen.begin(), chosen.end(), [&](size_t k) {
    return (!lo || hs[k].first_key >= *lo) && (!hi || hs[k].last_key < *hi);
  });
}

}  // namespace

Status DBImpl::DecodeFrame(const TableSchema& schema, uint32_t table_id, uint64_t user,
                           const BlockHandle& h, std::span<const uint8_t> frame,
                           const std::vector<int>& proj, uint32_t row_begin, Batch* out) const {
  LASER_ASSIGN_OR_RETURN(segment::FrameHeader hdr, CheckFrame(frame, h, table_id, user));
  Status st = format::DecodeBlockInto(
      schema,
      std::span<const uint8_t>(frame.data() + segment::kFrameHeaderSize, hdr.payload_length), proj,
      row_begin, out, /*verify_checksum=*/false);
  if (!st.ok()) {
    return st.WithContext("segment " + segment::SegmentFileName(dir_, h.segment) +
                          " frame at offset " + std::to_string(h.offset));
  }
  return Status::OK();
}

Status DBImpl::ReadOrderedRun(const TableSchema& schema, uint32_t table_id, uint64_t user,
                              const std::vector<BlockHandle>& hs, const std::vector<size_t>& chosen,
                              const std::vector<CachedBlock>& frames,
                              std::span<const uint32_t> dropped, size_t* next_frame,
                              std::span<const uint32_t> proj_columns, const std::vector<int>& proj,
                              const rowcodec::RowDecoder& mem_decoder, size_t key_pos,
                              std::optional<int64_t> lo, std::optional<int64_t> hi, uint64_t limit,
                              std::span<const MemTable::Event> mem, Batch* out) const {
  Batch& all = *out;
  rowcodec::ResetProjection(schema, proj_columns, &all);
  const bool inside = AllInside(hs, chosen, lo, hi);
  // The memtable rows are in range already and come after every block row.
  if (inside) {
    // Every event of the blocks is in range: skip the rows before the last
    // `limit` by count alone, whole blocks without reading them.
    const uint64_t skip = RowsToSkip(hs, chosen, mem.size(), limit);
    if (limit > 0 && mem.size() > limit) mem = mem.last(limit);
    uint64_t total = 0;
    for (size_t k : chosen) total += hs[k].count;
    // The answer's size is known: one allocation per column, no regrowth
    // while the blocks and the memtable rows are appended.
    for (ColumnVector& c : all.columns) c.Reserve(total - skip + mem.size());
    uint64_t start = 0;
    for (size_t k : chosen) {
      const uint64_t count = hs[k].count;
      const size_t f = (*next_frame)++;
      if (start + count > skip) {
        const auto row_begin = static_cast<uint32_t>(skip > start ? skip - start : 0);
        // A trimmed frame is the block without its first `d` rows, which
        // ReadFrames took only if this read needs none of them.
        const uint32_t d = dropped[f];
        if (d > row_begin) {
          return Status::Internal("a trimmed cached frame lacks rows the read needs");
        }
        BlockHandle h = hs[k];
        h.count -= d;
        h.length = static_cast<uint32_t>(frames[f].size());
        LASER_RETURN_IF_ERROR(
            DecodeFrame(schema, table_id, user, h, frames[f].span(), proj, row_begin - d, &all));
      }
      start += count;
    }
  } else {
    for (size_t k : chosen) {
      const size_t f = (*next_frame)++;
      assert(dropped[f] == 0);
      LASER_RETURN_IF_ERROR(
          DecodeFrame(schema, table_id, user, hs[k], frames[f].span(), proj, 0, &all));
    }
  }
  LASER_RETURN_IF_ERROR(DecodeMemRows(mem_decoder, table_id, user, mem, &all));
  if (!inside) {
    const std::vector<int64_t>& keys = all.columns[key_pos].ints;
    size_t begin =
        lo ? static_cast<size_t>(std::lower_bound(keys.begin(), keys.end(), *lo) - keys.begin())
           : 0;
    const size_t end =
        hi ? static_cast<size_t>(std::lower_bound(keys.begin(), keys.end(), *hi) - keys.begin())
           : keys.size();
    if (begin > end) begin = end;
    if (limit > 0 && end - begin > limit) begin = end - limit;
    KeepRows(begin, end, &all);
  }
  return Status::OK();
}

int64_t DBImpl::NowMs() const {
  if (options_.clock_ms) return options_.clock_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<int64_t> DBImpl::TtlCutoff(const TableSchema& schema) const {
  if (schema.retention.ttl_ms <= 0) return std::nullopt;
  // An event is expired iff its order key, in milliseconds, is below
  // now - ttl; in the key's own unit that is key < ceil(cutoff_ms * ns/ms / ns/unit).
  const __int128 cutoff_ms = static_cast<__int128>(NowMs()) - schema.retention.ttl_ms;
  const __int128 num = cutoff_ms * 1000000;
  const __int128 den = NanosPerUnit(schema.order_unit());
  __int128 q = num / den;
  if (num % den != 0 && num > 0) ++q;
  if (q > INT64_MAX) return INT64_MAX;
  if (q < INT64_MIN) return INT64_MIN;
  return static_cast<int64_t>(q);
}

void DBImpl::AddFilesLocked(std::span<const BlockHandle> handles, FilePins* files) const {
  for (const BlockHandle& h : handles) {
    const uint32_t seg = h.segment;
    if (std::any_of(files->begin(), files->end(), [&](const auto& f) { return f.first == seg; })) {
      continue;
    }
    auto it = segment_files_.find(seg);
    if (it != segment_files_.end()) files->emplace_back(seg, it->second);
  }
}

Result<std::vector<CachedBlock>> DBImpl::ReadFramesLocked(std::span<const BlockHandle> handles) {
  FilePins files;
  {
    std::shared_lock<std::shared_mutex> l(state_mu_);
    AddFilesLocked(handles, &files);
  }
  std::vector<CachedBlock> frames;
  LASER_RETURN_IF_ERROR(ReadFrames(handles, files, /*for_query=*/false, &frames));
  return frames;
}

Status DBImpl::ReadFrames(std::span<const BlockHandle> handles, const FilePins& files,
                          bool for_query, std::vector<CachedBlock>* frames,
                          std::span<const uint32_t> need_from, std::vector<uint32_t>* dropped) {
  assert(need_from.empty() || need_from.size() == handles.size());
  assert(need_from.empty() || dropped != nullptr);
  std::vector<CachedBlock>& out = *frames;
  out.assign(handles.size(), nullptr);
  if (dropped != nullptr) dropped->assign(handles.size(), 0);
  std::vector<size_t> misses;
  for (size_t i = 0; i < handles.size(); ++i) {
    if (cache_->enabled()) {
      const BlockHandle& h = handles[i];
      if (!for_query) {
        out[i] = cache_->Peek(h.segment, h.offset);
      } else if (dropped != nullptr) {
        out[i] = cache_->Lookup(h.segment, h.offset, need_from[i], &(*dropped)[i]);
      } else {
        out[i] = cache_->Lookup(h.segment, h.offset);
      }
    }
    if (out[i] == nullptr) misses.push_back(i);
  }
  if (misses.empty()) return Status::OK();
  std::sort(misses.begin(), misses.end(), [&](size_t a, size_t b) {
    // No std::pair: BlockHandle is packed, and a reference to its 64-bit
    // fields may be misaligned.
    const BlockHandle& x = handles[a];
    const BlockHandle& y = handles[b];
    return x.segment != y.segment ? x.segment < y.segment : x.offset < y.offset;
  });
  // Groups of misses adjacent on disk become one request each.
  struct Group {
    size_t first, last;  // indices into misses, inclusive
    uint64_t offset, length;
  };
  std::vector<Group> groups;
  for (size_t k = 0; k < misses.size(); ++k) {
    const BlockHandle& h = handles[misses[k]];
    if (!groups.empty()) {
      Group& g = groups.back();
      const BlockHandle& prev = handles[misses[g.last]];
      if (prev.segment == h.segment && g.offset + g.length == h.offset &&
          g.length + h.length <= kMaxCoalescedBytes) {
        g.last = k;
        g.length += h.length;
        continue;
      }
      if (prev.segment == h.segment && prev.offset == h.offset) {
        g.last = k;  // the same frame twice (a user asked for twice)
        continue;
      }
    }
    groups.push_back(Group{k, k, h.offset, h.length});
  }
  std::vector<ReadRequest> reqs;
  reqs.reserve(groups.size());
  for (const Group& g : groups) {
    const uint32_t seg = handles[misses[g.first]].segment;
    auto it =
        std::find_if(files.begin(), files.end(), [&](const auto& f) { return f.first == seg; });
    if (it == files.end()) {
      return Status::Internal("segment " + segment::SegmentFileName(dir_, seg) +
                              " is referenced by the index but not open");
    }
    reqs.push_back(ReadRequest{it->second.get(), g.offset, static_cast<uint32_t>(g.length)});
  }
  std::vector<ReadBuffer> bufs;
  LASER_RETURN_IF_ERROR(reader_->ReadBatch(reqs, &bufs));
  disk_reads_ += reqs.size();
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    const Group& g = groups[gi];
    std::span<const uint8_t> data = bufs[gi].data();
    for (size_t k = g.first; k <= g.last; ++k) {
      const size_t i = misses[k];
      const BlockHandle& h = handles[i];
      const uint64_t rel = h.offset - g.offset;
      if (k > g.first && handles[misses[k - 1]].offset == h.offset) {
        out[i] = out[misses[k - 1]];
        continue;
      }
      CachedBlock frame = SharedBytes::Copy(data.subspan(rel, h.length));
      // Checked once here, so that decoding a cached frame need not.
      LASER_RETURN_IF_ERROR(VerifyFrame(frame.span(), h));
      if (for_query) cache_->Insert(h.segment, h.offset, frame);
      out[i] = std::move(frame);
    }
  }
  return Status::OK();
}

Status DBImpl::VerifyFrame(std::span<const uint8_t> frame, const BlockHandle& h) const {
  LASER_ASSIGN_OR_RETURN(segment::FrameHeader hdr, FrameHeaderOf(frame, h));
  if (hdr.frame_length() != h.length) {
    return Status::Corruption("segment " + segment::SegmentFileName(dir_, h.segment) + " offset " +
                              std::to_string(h.offset) + ": frame of " +
                              std::to_string(hdr.frame_length()) +
                              " bytes where the index expects " + std::to_string(h.length));
  }
  if (hdr.count == 0) return Status::OK();  // a retiring frame holds no block
  Status st = format::VerifyBlockChecksum(
      std::span<const uint8_t>(frame.data() + segment::kFrameHeaderSize, hdr.payload_length));
  if (!st.ok()) {
    return st.WithContext("segment " + segment::SegmentFileName(dir_, h.segment) +
                          " frame at offset " + std::to_string(h.offset));
  }
  return Status::OK();
}

Result<segment::FrameHeader> DBImpl::FrameHeaderOf(std::span<const uint8_t> frame,
                                                   const BlockHandle& h) const {
  if (frame.size() != h.length || frame.size() < segment::kFrameHeaderSize) {
    return Status::Corruption("segment " + segment::SegmentFileName(dir_, h.segment) + " offset " +
                              std::to_string(h.offset) + ": short frame");
  }
  // The file name only goes into an error message: every read decodes a
  // header per block, so it is built only when decoding fails (the same
  // decode again, now naming the file).
  static const std::string kUnnamed;
  const std::span<const uint8_t> header(frame.data(), segment::kFrameHeaderSize);
  Result<segment::FrameHeader> hdr = segment::DecodeFrameHeader(header, kUnnamed, h.offset);
  if (hdr.ok()) return hdr;
  return segment::DecodeFrameHeader(header, segment::SegmentFileName(dir_, h.segment), h.offset);
}

Result<segment::FrameHeader> DBImpl::CheckFrame(std::span<const uint8_t> frame,
                                                const BlockHandle& h, uint32_t table_id,
                                                uint64_t user) const {
  LASER_ASSIGN_OR_RETURN(segment::FrameHeader hdr, FrameHeaderOf(frame, h));
  if (hdr.table_id != table_id || hdr.user != user || hdr.frame_length() != h.length ||
      hdr.count != h.count) {
    return Status::Corruption("segment " + segment::SegmentFileName(dir_, h.segment) + " offset " +
                              std::to_string(h.offset) + ": frame of table " +
                              std::to_string(hdr.table_id) + " user " + std::to_string(hdr.user) +
                              " where the index expects table " + std::to_string(table_id) +
                              " user " + std::to_string(user));
  }
  return hdr;
}

Result<Batch> DBImpl::Read(std::string_view table, uint64_t user, const ReadOptions& options) {
  Batch out;
  LASER_RETURN_IF_ERROR(ReadUsers(table, std::span<const uint64_t>(&user, 1), options, &out));
  return out;
}

Status DBImpl::ReadInto(std::string_view table, uint64_t user, const ReadOptions& options,
                        Batch* out) {
  return ReadUsers(table, std::span<const uint64_t>(&user, 1), options, out);
}

Result<std::vector<Batch>> DBImpl::ReadMany(std::string_view table, std::span<const uint64_t> users,
                                            const ReadOptions& options) {
  std::vector<Batch> out(users.size());
  LASER_RETURN_IF_ERROR(ReadUsers(table, users, options, out.data()));
  return out;
}

// A short read is a few microseconds, and its temporaries (a dozen vectors)
// would each be allocated and freed again: on a heap that ingest has
// fragmented, malloc alone took a sixth of such a read. So each thread keeps
// one scratch and reuses its capacity. Release() drops what pins memory
// elsewhere (cached frames, open files, rows in a memtable) as the read ends.
struct DBImpl::ReadScratch {
  // What the read gathers for each user: handles, memtable events (decoded
  // straight into the answer at the end), the blocks chosen (indices into
  // handles).
  struct User {
    std::vector<BlockHandle> handles;
    std::vector<MemTable::Event> mem_events;
    std::vector<size_t> chosen;
    // The blocks chosen are in key order and the memtable rows after them:
    // ReadOrderedRun answers.
    bool ordered = false;
  };
  // A read of more users than this uses a scratch of its own, so that a
  // thread does not keep a large read's memory.
  static constexpr size_t kMaxUsers = 16;

  // Sizes state for `n` users, each empty (capacity kept).
  void Reset(size_t n) {
    state.resize(n);
    for (User& u : state) {
      u.handles.clear();
      u.mem_events.clear();
      u.chosen.clear();
      u.ordered = false;
    }
    proj.clear();
    wanted.clear();
    need_from.clear();
  }
  void Release() {
    files.clear();
    frames.clear();
    for (User& u : state) {
      // A whole history read from a memtable can be long; the next read
      // would not need that much.
      if (u.mem_events.capacity() > kKeptEvents) {
        std::vector<MemTable::Event>().swap(u.mem_events);
      } else {
        u.mem_events.clear();
      }
    }
    in_use = false;
  }
  static constexpr size_t kKeptEvents = 4096;

  bool in_use = false;
  std::vector<User> state;
  FilePins files;
  std::vector<uint32_t> proj;
  std::vector<int> proj_int;  // proj, as the block decoder takes it
  std::vector<BlockHandle> wanted;
  std::vector<uint32_t> need_from;
  std::vector<uint32_t> dropped;
  std::vector<CachedBlock> frames;
};

Status DBImpl::ReadUsers(std::string_view table, std::span<const uint64_t> users,
                         const ReadOptions& opts, Batch* out) {
  thread_local ReadScratch kept;
  ReadScratch own;
  ReadScratch& scratch = users.size() <= ReadScratch::kMaxUsers && !kept.in_use ? kept : own;
  scratch.in_use = true;
  scratch.Reset(users.size());
  struct ReleaseAtEnd {
    ReadScratch* s;
    ~ReleaseAtEnd() { s->Release(); }
  } release_at_end{&scratch};
  std::shared_ptr<const TableSchema> schema_ptr;
  uint32_t table_id = 0;
  std::shared_ptr<MemTable> mem, imm;
  std::optional<std::pair<uint32_t, uint64_t>> imm_installed;
  std::vector<ReadScratch::User>& state = scratch.state;
  FilePins& files = scratch.files;
  {
    std::shared_lock<std::shared_mutex> l(state_mu_);
    TablePtr t = FindTableLocked(table);
    if (t == nullptr) return Status::NotFound("table " + std::string(table) + " does not exist");
    schema_ptr = t->schema;
    table_id = t->id;
    mem = mem_;
    imm = imm_;
    imm_installed = imm_installed_;
    for (size_t i = 0; i < users.size(); ++i) {
      t->index->Get(users[i], &state[i].handles);
      AddFilesLocked(state[i].handles, &files);
    }
  }
  // A short read usually wants a user's newest frames: their cache slots
  // load while the memtables are read.
  for (size_t i = 0; i < users.size() && i < ReadScratch::kMaxUsers; ++i) {
    const std::vector<BlockHandle>& hs = state[i].handles;
    for (size_t k = hs.size(); k > 0 && k + kPrefetchFrames > hs.size(); --k) {
      cache_->Prefetch(hs[k - 1].segment, hs[k - 1].offset);
    }
  }
  const TableSchema& schema = *schema_ptr;
  // The projection, plus the order key when it is not projected (needed to
  // merge and filter; dropped at the end).
  std::vector<uint32_t>& proj = scratch.proj;
  if (opts.columns.empty()) {
    for (size_t c = 0; c < schema.columns.size(); ++c) proj.push_back(static_cast<uint32_t>(c));
  } else {
    proj.reserve(opts.columns.size() + 1);
    for (const std::string& name : opts.columns) {
      const int c = schema.FindColumn(name);
      if (c < 0) {
        return Status::InvalidArgument("unknown column '" + name + "' in table " + schema.name);
      }
      proj.push_back(static_cast<uint32_t>(c));
    }
  }
  size_t key_pos = 0;
  bool added_key = false;
  {
    auto it = std::find(proj.begin(), proj.end(), schema.order_key);
    if (it == proj.end()) {
      proj.push_back(schema.order_key);
      added_key = true;
    }
    key_pos =
        static_cast<size_t>(std::find(proj.begin(), proj.end(), schema.order_key) - proj.begin());
  }
  std::vector<int>& proj_int = scratch.proj_int;
  proj_int.assign(proj.begin(), proj.end());

  // Retention first: the visible events are the newest max_events of the
  // unexpired ones; the caller's range and last_n apply to those.
  const std::optional<int64_t> cutoff = TtlCutoff(schema);
  const uint64_t max_events = schema.retention.max_events;
  const bool two_phase = max_events > 0 && (opts.min_order_key || opts.max_order_key);
  std::optional<int64_t> lo, hi;
  uint64_t limit = 0;
  if (two_phase) {
    lo = cutoff;
    limit = max_events;
  } else {
    lo = MaxOpt(opts.min_order_key, cutoff);
    hi = opts.max_order_key;
    limit = opts.last_n;
    if (max_events > 0 && (limit == 0 || max_events < limit)) limit = max_events;
  }
  const bool empty_range = lo && hi && *lo >= *hi;

  size_t num_wanted = 0;
  for (size_t i = 0; i < users.size(); ++i) {
    if (empty_range) continue;
    std::vector<MemTable::Event>& mev = state[i].mem_events;
    // Rows of imm whose blocks the index holds already are read from those.
    const bool imm_in_index = imm_installed && std::make_pair(table_id, users[i]) <= *imm_installed;
    const MemTable* tables[2] = {imm_in_index ? nullptr : imm.get(), mem.get()};
    for (const MemTable*& m : tables) {
      if (m != nullptr && m->NumUsers() == 0) m = nullptr;
    }
    // Only the newest `limit` of each memtable can be among the newest
    // `limit` of all.
    MemTable::CollectUserFrom(tables, table_id, users[i], lo, hi, limit, &mev);
    const std::vector<BlockHandle>& hs = state[i].handles;
    std::vector<size_t>& cand = state[i].chosen;
    for (size_t k = 0; k < hs.size(); ++k) {
      if (hs[k].count == 0) continue;  // a retiring frame holds no events
      if ((!hi || hs[k].first_key < *hi) && (!lo || hs[k].last_key >= *lo)) cand.push_back(k);
    }
    if (limit > 0) {
      // Newest blocks first (ties in write order); stop once `limit` events
      // are certain to be selected and no unselected block can hold a newer
      // one.
      std::sort(cand.begin(), cand.end(), [&](size_t a, size_t b) {
        const int64_t ka = hs[a].last_key, kb = hs[b].last_key;
        return ka != kb ? ka > kb : a < b;
      });
      uint64_t total = mev.size();
      int64_t min_sel = INT64_MAX;
      for (const MemTable::Event& e : mev) min_sel = std::min(min_sel, e.order_key);
      size_t num_sel = 0;
      for (size_t k : cand) {
        const BlockHandle& h = hs[k];
        // Copies: std::min binds references, and BlockHandle is packed.
        const int64_t first_key = h.first_key, last_key = h.last_key;
        const int64_t last = hi ? std::min(last_key, *hi - 1) : last_key;
        if (total >= limit && last < min_sel) break;
        ++num_sel;
        const bool inside = (!lo || h.first_key >= *lo) && (!hi || h.last_key < *hi);
        if (inside) total += h.count;
        min_sel = std::min(min_sel, lo ? std::max(first_key, *lo) : first_key);
      }
      // The selection is a prefix of cand: back to write order.
      cand.resize(num_sel);
      std::sort(cand.begin(), cand.end());
    }
    num_wanted += cand.size();
  }
  std::vector<BlockHandle>& wanted = scratch.wanted;
  wanted.reserve(num_wanted);
  // The first row of each wanted block that the answer needs: where the read
  // will skip rows by count (ReadOrderedRun), a trimmed cached frame that
  // dropped no more than that serves it.
  std::vector<uint32_t>& need_from = scratch.need_from;
  need_from.reserve(num_wanted);
  for (ReadScratch::User& us : state) {
    const std::vector<BlockHandle>& hs = us.handles;
    us.ordered = !two_phase && !empty_range && InKeyOrder(hs, us.chosen) &&
                 MemRowsAfter(us.mem_events, hs, us.chosen);
    const uint64_t skip = us.ordered && AllInside(hs, us.chosen, lo, hi)
                              ? RowsToSkip(hs, us.chosen, us.mem_events.size(), limit)
                              : 0;
    uint64_t start = 0;
    for (size_t k : us.chosen) {
      wanted.push_back(hs[k]);
      const uint64_t count = hs[k].count;
      need_from.push_back(static_cast<uint32_t>(skip > start ? std::min(skip - start, count) : 0));
      start += count;
    }
  }
  std::vector<CachedBlock>& frames = scratch.frames;
  std::vector<uint32_t>& dropped = scratch.dropped;
  LASER_RETURN_IF_ERROR(
      ReadFrames(wanted, files, /*for_query=*/true, &frames, need_from, &dropped));
  // Decoding a frame waits for its header, then for each column's bytes;
  // requested for every frame now, those misses overlap across frames
  // instead of coming one frame after another.
  for (const CachedBlock& f : frames) PrefetchFrame(f.span());

  const rowcodec::RowDecoder mem_decoder(schema, proj);
  size_t next_frame = 0;
  for (size_t i = 0; i < users.size(); ++i) {
    const std::vector<BlockHandle>& hs = state[i].handles;
    const std::vector<size_t>& chosen = state[i].chosen;
    const std::vector<MemTable::Event>& mem_events = state[i].mem_events;
    if (state[i].ordered) {
      // The common case: blocks in key order (as after a merge) and memtable
      // rows newer than all of them, so the answer is a contiguous tail and
      // only that tail needs decoding.
      LASER_RETURN_IF_ERROR(ReadOrderedRun(schema, table_id, users[i], hs, chosen, frames, dropped,
                                           &next_frame, proj, proj_int, mem_decoder, key_pos, lo,
                                           hi, limit, mem_events, &out[i]));
      if (added_key) {
        out[i].names.pop_back();
        out[i].columns.pop_back();
      }
      continue;
    }
    Batch all;
    rowcodec::InitProjection(schema, proj, &all);
    for (size_t k : chosen) {
      LASER_RETURN_IF_ERROR(DecodeFrame(schema, table_id, users[i], hs[k],
                                        frames[next_frame++].span(), proj_int, 0, &all));
    }
    LASER_RETURN_IF_ERROR(DecodeMemRows(mem_decoder, table_id, users[i], mem_events, &all));
    const std::vector<int64_t>& keys = all.columns[key_pos].ints;
    std::vector<uint32_t> rows;
    for (uint32_t r : compaction::OrderByKey(keys)) {
      if ((!lo || keys[r] >= *lo) && (!hi || keys[r] < *hi)) rows.push_back(r);
    }
    if (limit > 0 && rows.size() > limit) {
      rows.erase(rows.begin(), rows.end() - static_cast<ptrdiff_t>(limit));
    }
    if (two_phase) {
      std::erase_if(rows, [&](uint32_t r) {
        return (opts.min_order_key && keys[r] < *opts.min_order_key) ||
               (opts.max_order_key && keys[r] >= *opts.max_order_key);
      });
      if (opts.last_n > 0 && rows.size() > opts.last_n) {
        rows.erase(rows.begin(), rows.end() - static_cast<ptrdiff_t>(opts.last_n));
      }
    }
    if (empty_range) rows.clear();
    out[i] = compaction::TakeRows(all, rows);
    if (added_key) {
      out[i].names.pop_back();
      out[i].columns.pop_back();
    }
  }
  return Status::OK();
}

Result<std::vector<uint64_t>> DBImpl::ListUsers(std::string_view table,
                                                std::optional<uint64_t> after, size_t limit) {
  std::vector<uint64_t> out;
  {
    std::shared_lock<std::shared_mutex> l(state_mu_);
    TablePtr t = FindTableLocked(table);
    if (t == nullptr) return Status::NotFound("table " + std::string(table) + " does not exist");
    // Users whose only handle is a retiring frame have no events.
    std::optional<uint64_t> from = after;
    while (out.size() < limit) {
      std::vector<uint64_t> page = t->index->Users(from, limit);
      if (page.empty()) break;
      from = page.back();
      for (uint64_t u : page) {
        const std::vector<BlockHandle> hs = t->index->Get(u);
        if (std::any_of(hs.begin(), hs.end(), [](const BlockHandle& h) { return h.count > 0; })) {
          out.push_back(u);
        }
      }
    }
    for (const MemTable* m : {mem_.get(), imm_.get()}) {
      if (m == nullptr) continue;
      std::vector<uint64_t> us = m->ListUsers(t->id, after, limit);
      out.insert(out.end(), us.begin(), us.end());
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.size() > limit) out.resize(limit);
  return out;
}

std::vector<BlockHandle> DBImpl::HandlesOf(std::string_view table, uint64_t user) const {
  std::shared_lock<std::shared_mutex> l(state_mu_);
  TablePtr t = FindTableLocked(table);
  return t == nullptr ? std::vector<BlockHandle>{} : t->index->Get(user);
}

}  // namespace laser
