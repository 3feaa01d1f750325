// MemTable: the in-memory tail of every sequence table, ordered by
// (table_id, user, order_key, seq). seq is the global arrival sequence
// number, so events with equal order keys keep their arrival order.
//
// Thread safety: one writer (Insert*) at a time, externally serialised (the
// WAL group commit's apply step); any number of readers (ReadUser, ListUsers,
// GroupIterator, the counters) concurrently with that writer, without locks.
// A reader sees a consistent sorted subset of the events that includes every
// event whose Insert returned before the read began.
//
// A MemTable only grows; it is flushed whole and then destroyed, after every
// reader of it is gone (hold it by shared_ptr).
//
// Layout: a skip list of (table_id, user) groups (for ordered scans) and an
// open-addressing hash of the same groups (for point lookups by readers and
// the writer). Each group keeps its events in a log of arena chunks that the
// writer appends to and readers walk front to back: an in-order event (the
// common case) costs one copy into the group's current chunk, and a read of
// one user touches a few contiguous chunks instead of one scattered node per
// event. An event older than the group's newest goes to a small per-group
// skip list of late events instead, and reads merge the two.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/memtable/arena.hpp"
#include "engine/memtable/row_codec.hpp"
#include "engine/memtable/skiplist.hpp"
#include "laser/batch.hpp"
#include "laser/schema.hpp"
#include "laser/status.hpp"

namespace laser {

class MemTable {
 private:
  // An event that arrived after a newer one of its user: kept in a per-group
  // skip list, ordered by (order_key, seq), the row's bytes after it.
  struct LateEntry {
    int64_t order_key;
    uint64_t seq;
    uint32_t row_size;
    std::string_view row() const { return {reinterpret_cast<const char*>(this + 1), row_size}; }
  };
  struct LateCompare {
    int operator()(const LateEntry* a, const LateEntry* b) const;
  };
  // The group's key fields; a probe for seeks is just this part.
  struct GroupKey {
    uint32_t table_id;
    uint64_t user;
  };
  struct GroupCompare {
    int operator()(const GroupKey* a, const GroupKey* b) const;
  };
  // A piece of a group's log: records (order_key i64, seq u64, row size
  // u32, row bytes; unaligned) back to back in data[]. `state` packs the
  // published record count (high 32 bits) and bytes (low 32 bits), stored
  // with release order after the record's bytes; `next` is set, with
  // release order, only once nothing more will be written to this chunk.
  struct Chunk {
    std::atomic<uint64_t> state{0};
    std::atomic<Chunk*> next{nullptr};
    uint32_t capacity = 0;
    char* data() { return reinterpret_cast<char*>(this + 1); }
    const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  };
  using LateList = SkipList<const LateEntry*, LateCompare, 8>;
  struct Listing;
  struct Group : GroupKey {
    Group(uint32_t t, uint64_t u) : GroupKey{t, u} {}
    // Created at the group's first late event, published with release order
    // once that event is in it.
    std::atomic<LateList*> late{nullptr};
    // Set before the group is published; never changes.
    const Chunk* first = nullptr;
    // The group's listing in the current hash, null until the group is in
    // it (a GroupIterator can see it before); stored with release order
    // once the listing is filled.
    std::atomic<Listing*> listing{nullptr};
    // Writer only.
    Chunk* tail = nullptr;
    int64_t last_key = 0;
    uint64_t last_seq = 0;
  };
  using GroupList = SkipList<GroupKey*, GroupCompare>;
  // The group hash: a power-of-two number of slots, linear probing, at most
  // half full. A slot only ever goes from empty to a group; a full table is
  // replaced by a copy twice its size, and the old one stays in the arena
  // for readers still probing it. A slot holds its group's user too, so a
  // probe past other groups compares in the slot array instead of loading
  // each group (a likely cache miss apiece).
  struct Slot {
    uint64_t user;  // written before group is published, read after
    std::atomic<Group*> group;
  };
  // Beside each slot, in an array of its own (the writer's probes stay in
  // the dense slot array), the rest of what a reader needs to start: the
  // group's table, and where its first chunks are. A reader requests a
  // user's slot and listing together, then the group and the listed chunks
  // together, instead of waiting for the group's line to learn where its
  // chunks are (each a likely cache miss, one after the other).
  static constexpr size_t kChunkDirectory = 5;
  struct Listing {
    uint32_t table_id;  // written before the slot's group is published
    // Entry i is set once the group's i-th chunk is linked (entry 0 before
    // the group is published). Hints for prefetching only, never followed:
    // a reader walks the chunks by their links, and the listings of a
    // replaced table are no longer updated.
    std::atomic<const Chunk*> chunks[kChunkDirectory];
  };
  struct GroupTable {
    size_t mask;
    Slot* slots;
    Listing* listings;
  };

 public:
  // One event as a read sees it; `row` (the row codec encoding of the
  // non-key columns) points into the memtable.
  using Event = rowcodec::EncodedRow;

  MemTable();
  MemTable(const MemTable&) = delete;
  MemTable& operator=(const MemTable&) = delete;

  // Inserts every row of `rows`; row i gets sequence number first_seq + i.
  // REQUIRES rows is schema-ordered for `schema` (row_codec.hpp: columns in
  // schema order with the schema's types; key columns non-NULL); the
  // (table_id, user, order_key, seq) keys are new; one writer at a time.
  void Insert(uint32_t table_id, const TableSchema& schema, const Batch& rows, uint64_t first_seq);

  // Inserts row `row` of `rows` with sequence number `seq`. Same REQUIRES.
  void InsertRow(uint32_t table_id, const TableSchema& schema, const Batch& rows, size_t row,
                 uint64_t seq);

  // Appends to *out the events of (table_id, user) with min_key <= order_key
  // < max_key (an absent bound is unbounded), in (order_key, seq) order,
  // projected onto schema columns `projection` (schema indices; key columns
  // allowed). If out has no columns they are first created as in
  // rowcodec::InitProjection; otherwise REQUIRES out's columns match the
  // projection's types. `schema` is the table's current schema (the same as or
  // newer than the one each row was written with). Returns the number of rows
  // appended, or Corruption iff a stored row does not decode (a bug).
  // With last_n > 0 only the newest last_n of those events are appended (the
  // others are skipped without decoding).
  Result<size_t> ReadUser(uint32_t table_id, uint64_t user, const TableSchema& schema,
                          std::span<const uint32_t> projection, std::optional<int64_t> min_key,
                          std::optional<int64_t> max_key, Batch* out, uint64_t last_n = 0) const;

  // Appends to *out the events ReadUser would decode (the same bounds and
  // last_n), in (order_key, seq) order, without decoding them: each row
  // points into this memtable and is valid while it lives. Safe for readers.
  void CollectUser(uint32_t table_id, uint64_t user, std::optional<int64_t> min_key,
                   std::optional<int64_t> max_key, uint64_t last_n, std::vector<Event>* out) const;

  // Appends to *out the events that CollectUser on each of `tables`, in
  // turn, would append. The same result, but the memory of every table's
  // group is requested before any is walked, so that the reader waits for
  // the tables' cache misses once instead of once per table. REQUIRES
  // tables.size() <= kMaxCollectTables; null entries are skipped.
  static constexpr size_t kMaxCollectTables = 4;
  static void CollectUserFrom(std::span<const MemTable* const> tables, uint32_t table_id,
                              uint64_t user, std::optional<int64_t> min_key,
                              std::optional<int64_t> max_key, uint64_t last_n,
                              std::vector<Event>* out);

  // Up to `limit` distinct users of table_id with at least one event here,
  // ascending, each > *after when given.
  std::vector<uint64_t> ListUsers(uint32_t table_id, std::optional<uint64_t> after,
                                  size_t limit) const;

  // Bytes of memory held (arena blocks); grows monotonically.
  size_t ApproximateBytes() const { return arena_.MemoryUsage(); }
  // Distinct (table_id, user) groups, summed over tables.
  uint64_t NumUsers() const { return users_.load(std::memory_order_acquire); }
  uint64_t NumEvents() const { return events_.load(std::memory_order_acquire); }
  // Largest seq inserted so far, 0 if empty.
  uint64_t MaxSeq() const { return max_seq_.load(std::memory_order_acquire); }

  // Walks the (table_id, user) groups in key order, e.g. for a flush. Each
  // group's events are in (order_key, seq) order. Safe concurrently with the
  // writer, though a flush normally runs on an immutable memtable.
  class GroupIterator {
   public:
    explicit GroupIterator(const MemTable* mem);
    // Returns true iff positioned at a group.
    bool Valid() const { return group_ != nullptr; }
    void SeekToFirst();
    // Positions at the first group >= (table_id, user).
    void Seek(uint32_t table_id, uint64_t user);
    // REQUIRES Valid().
    void Next();
    uint32_t table_id() const { return group_->table_id; }
    uint64_t user() const { return group_->user; }
    // The group's events, in order. REQUIRES Valid(). Stable while positioned.
    const std::vector<Event>& entries() const { return entries_; }
    // Appends the group's events to *out, as MemTable::ReadUser does.
    Status AppendRows(const TableSchema& schema, std::span<const uint32_t> projection,
                      Batch* out) const;

   private:
    void Load();
    GroupList::Iterator it_;
    const Group* group_ = nullptr;
    std::vector<Event> entries_;
  };

 private:
  // Where a group was found: its slot's group and listing.
  struct Found {
    const Group* group;
    const Listing* listing;
  };
  // The group of (table_id, user) and its listing; group is nullptr iff
  // there is none. Safe for readers.
  Found Find(uint32_t table_id, uint64_t user) const;
  // Where a probe confirms a candidate's table: on its listing (a read,
  // which needs the listing next and the group's line not yet) or on its
  // group's line (the writer, which is about to write that line).
  enum class Confirm { kOnListing, kOnGroup };
  // The index of the slot in t that holds (table_id, user)'s group, or of
  // the empty slot that ends its probe.
  static size_t Probe(const GroupTable& t, uint32_t table_id, uint64_t user, Confirm confirm);
  // Hints that start loading (table_id, user)'s home slot and listing, the
  // first things a read of it waits for. Safe for readers.
  void PrefetchSlot(uint32_t table_id, uint64_t user) const;
  // Hints that start loading f's group and the chunks its listing (if any)
  // names, whole: their capacities follow from their places in the log.
  // Returns how many chunks it requested. REQUIRES f.group. Safe for readers.
  static size_t PrefetchListed(const Found& f);
  // Appends to *out g's events with min_key <= order_key < max_key, in
  // (order_key, seq) order; with last_n > 0 only the newest last_n of them.
  // Safe for readers. The walk prefetches the chunks after g's first
  // `requested`, which the caller requested already (PrefetchListed).
  static void CollectEvents(const Group* g, std::optional<int64_t> min_key,
                            std::optional<int64_t> max_key, uint64_t last_n, size_t requested,
                            std::vector<Event>* out);

  static size_t SlotOf(uint32_t table_id, uint64_t user, size_t mask);
  // Writer only: adds g to the hash, growing it first if it would pass half
  // full, and points g->listing at its listing. REQUIRES g is not in it; users_
  // does not count it yet.
  void IndexAdd(Group* g);
  GroupTable* NewTable(size_t slots);
  // Writer only: appends one record to g's log.
  void AppendToLog(Group* g, int64_t order_key, uint64_t seq, std::string_view row);

  Arena arena_;
  GroupList groups_;
  std::atomic<GroupTable*> table_{nullptr};
  std::atomic<uint64_t> users_{0};
  std::atomic<uint64_t> events_{0};
  std::atomic<uint64_t> max_seq_{0};
  Group* last_group_ = nullptr;  // the writer's most recently used group
  std::string scratch_;          // the writer's row encoding buffer
};

}  // namespace laser
