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
// Layout: a skip list of (table_id, user) groups, each holding its own skip
// list of events ordered by (order_key, seq). An insert finds the group once
// (the writer also remembers the last group it used) and then appends to a
// short per-user list, in O(1) when events arrive in order-key order,
// instead of searching one list of every event.
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
#include "engine/memtable/skiplist.hpp"
#include "laser/batch.hpp"
#include "laser/schema.hpp"
#include "laser/status.hpp"

namespace laser {

class MemTable {
 public:
  struct Entry;

 private:
  struct EntryCompare {
    int operator()(const Entry* a, const Entry* b) const;
  };
  // The group's key fields; a probe for seeks is just this part.
  struct GroupKey {
    uint32_t table_id;
    uint64_t user;
  };
  struct GroupCompare {
    int operator()(const GroupKey* a, const GroupKey* b) const;
  };
  // Height 8 covers ~65k events per user at full speed, with a small head.
  using EntryList = SkipList<const Entry*, EntryCompare, 8>;
  struct Group : GroupKey {
    Group(uint32_t t, uint64_t u, Arena* arena) : GroupKey{t, u}, events(EntryCompare{}, arena) {}
    EntryList events;
    // Writer only: the largest (order_key, seq) in `events`, so that an
    // in-order append is recognised without reading the last entry.
    int64_t last_key = 0;
    uint64_t last_seq = 0;
  };
  using GroupList = SkipList<GroupKey*, GroupCompare>;

 public:
  // One stored event; lives in the arena. `row` is the row codec encoding of
  // the non-key columns (engine/memtable/row_codec.hpp).
  struct Entry {
    uint32_t table_id;
    uint32_t row_size;
    uint64_t user;
    int64_t order_key;
    uint64_t seq;
    std::string_view row() const { return {reinterpret_cast<const char*>(this + 1), row_size}; }
  };

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

  // Up to `limit` distinct users of table_id with at least one event here,
  // ascending, each > *after when given.
  std::vector<uint64_t> ListUsers(uint32_t table_id, std::optional<uint64_t> after,
                                  size_t limit) const;

  // Bytes of memory held (arena blocks and the writer's group index); grows
  // monotonically.
  size_t ApproximateBytes() const {
    return arena_.MemoryUsage() + index_bytes_.load(std::memory_order_relaxed);
  }
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
    const std::vector<const Entry*>& entries() const { return entries_; }
    // Appends the group's events to *out, as MemTable::ReadUser does.
    Status AppendRows(const TableSchema& schema, std::span<const uint32_t> projection,
                      Batch* out) const;

   private:
    void Load();
    GroupList::Iterator it_;
    const Group* group_ = nullptr;
    std::vector<const Entry*> entries_;
  };

 private:
  // The group of (table_id, user), or nullptr. Safe for readers.
  const Group* FindGroup(uint32_t table_id, uint64_t user) const;

  // The writer's hash index of every group (open addressing, linear
  // probing): one probe instead of a search of the group list, whose nodes
  // are scattered over the whole arena. Readers never touch it.
  struct IndexSlot {
    uint64_t user;
    Group* group;  // nullptr: empty slot
    uint32_t table_id;
  };
  static size_t SlotOf(uint32_t table_id, uint64_t user, size_t mask);
  Group* IndexFind(uint32_t table_id, uint64_t user) const;
  static void IndexPlace(std::vector<IndexSlot>* table, const IndexSlot& slot);
  // REQUIRES g is not in the index; users_ does not count it yet.
  void IndexAdd(Group* g);

  Arena arena_;
  GroupList groups_;
  std::atomic<uint64_t> users_{0};
  std::atomic<uint64_t> events_{0};
  std::atomic<uint64_t> max_seq_{0};
  std::atomic<size_t> index_bytes_{0};
  std::vector<IndexSlot> index_;  // size a power of two, at most half full
  Group* last_group_ = nullptr;   // the writer's most recently used group
  std::string scratch_;           // the writer's row encoding buffer
};

}  // namespace laser
