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
  Result<size_t> ReadUser(uint32_t table_id, uint64_t user, const TableSchema& schema,
                          std::span<const uint32_t> projection, std::optional<int64_t> min_key,
                          std::optional<int64_t> max_key, Batch* out) const;

  // Up to `limit` distinct users of table_id with at least one event here,
  // ascending, each > *after when given.
  std::vector<uint64_t> ListUsers(uint32_t table_id, std::optional<uint64_t> after,
                                  size_t limit) const;

  // Bytes of memory held (arena blocks); grows monotonically.
  size_t ApproximateBytes() const { return arena_.MemoryUsage(); }
  // Distinct (table_id, user) groups, summed over tables.
  uint64_t NumUsers() const { return users_.load(std::memory_order_acquire); }
  uint64_t NumEvents() const { return list_.size(); }
  // Largest seq inserted so far, 0 if empty.
  uint64_t MaxSeq() const { return max_seq_.load(std::memory_order_acquire); }

  // Walks the (table_id, user) groups in key order, e.g. for a flush. Each
  // group's events are in (order_key, seq) order. Safe concurrently with the
  // writer, though a flush normally runs on an immutable memtable.
  class GroupIterator {
   public:
    explicit GroupIterator(const MemTable* mem);
    // Returns true iff positioned at a group.
    bool Valid() const { return first_ != nullptr; }
    void SeekToFirst();
    // Positions at the first group >= (table_id, user).
    void Seek(uint32_t table_id, uint64_t user);
    // REQUIRES Valid().
    void Next();
    uint32_t table_id() const { return first_->table_id; }
    uint64_t user() const { return first_->user; }
    // The group's events, in order. REQUIRES Valid(). Stable while positioned.
    const std::vector<const Entry*>& entries() const { return entries_; }
    // Appends the group's events to *out, as MemTable::ReadUser does.
    Status AppendRows(const TableSchema& schema, std::span<const uint32_t> projection,
                      Batch* out) const;

   private:
    void Load();
    const MemTable* mem_;
    const Entry* first_ = nullptr;
    std::vector<const Entry*> entries_;
  };

 private:
  struct EntryCompare {
    int operator()(const Entry* a, const Entry* b) const;
  };
  using List = SkipList<const Entry*, EntryCompare>;

  Arena arena_;
  List list_;
  std::atomic<uint64_t> users_{0};
  std::atomic<uint64_t> max_seq_{0};
  std::string scratch_;  // the writer's row encoding buffer
};

}  // namespace laser
