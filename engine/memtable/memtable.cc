#include "engine/memtable/memtable.hpp"

#include <cassert>
#include <cstring>
#include <limits>
#include <string>

#include "engine/memtable/row_codec.hpp"

namespace laser {
namespace {

template <typename T>
int Cmp(T a, T b) {
  return a < b ? -1 : (a > b ? 1 : 0);
}

// A stack-allocated key for seeks: only the key fields are read.
MemTable::Entry Probe(uint32_t table_id, uint64_t user, int64_t order_key, uint64_t seq) {
  MemTable::Entry e{};
  e.table_id = table_id;
  e.user = user;
  e.order_key = order_key;
  e.seq = seq;
  return e;
}

}  // namespace

int MemTable::EntryCompare::operator()(const Entry* a, const Entry* b) const {
  if (int c = Cmp(a->table_id, b->table_id)) return c;
  if (int c = Cmp(a->user, b->user)) return c;
  if (int c = Cmp(a->order_key, b->order_key)) return c;
  return Cmp(a->seq, b->seq);
}

MemTable::MemTable() : list_(EntryCompare{}, &arena_) {}

void MemTable::Insert(uint32_t table_id, const TableSchema& schema, const Batch& rows,
                      uint64_t first_seq) {
  for (size_t r = 0; r < rows.num_rows(); ++r) InsertRow(table_id, schema, rows, r, first_seq + r);
}

void MemTable::InsertRow(uint32_t table_id, const TableSchema& schema, const Batch& rows,
                         size_t row, uint64_t seq) {
  assert(rows.num_columns() == schema.columns.size());
  const ColumnVector& ucol = rows.columns[schema.partition_key];
  const ColumnVector& kcol = rows.columns[schema.order_key];
  assert(!ucol.IsNull(row) && !kcol.IsNull(row));
  const uint64_t user = ucol.uints[row];
  const int64_t order_key = kcol.ints[row];

  std::string& encoded = scratch_;
  encoded.clear();
  rowcodec::EncodeRow(schema, rows, row, &encoded);
  assert(encoded.size() <= std::numeric_limits<uint32_t>::max());
  char* mem = arena_.Allocate(sizeof(Entry) + encoded.size());
  Entry* e = new (mem) Entry{};
  e->table_id = table_id;
  e->row_size = static_cast<uint32_t>(encoded.size());
  e->user = user;
  e->order_key = order_key;
  e->seq = seq;
  std::memcpy(mem + sizeof(Entry), encoded.data(), encoded.size());
  const Entry* const* before;
  const Entry* const* after;
  list_.Insert(e, &before, &after);

  // A group's entries are adjacent, so the group is new iff neither
  // neighbour of the new entry belongs to it.
  const auto same_group = [&](const Entry* const* n) {
    return n != nullptr && (*n)->table_id == table_id && (*n)->user == user;
  };
  if (!same_group(before) && !same_group(after)) users_.fetch_add(1, std::memory_order_release);
  if (seq > max_seq_.load(std::memory_order_relaxed)) {
    max_seq_.store(seq, std::memory_order_release);
  }
}

Result<size_t> MemTable::ReadUser(uint32_t table_id, uint64_t user, const TableSchema& schema,
                                  std::span<const uint32_t> projection,
                                  std::optional<int64_t> min_key, std::optional<int64_t> max_key,
                                  Batch* out) const {
  if (out->columns.empty()) rowcodec::InitProjection(schema, projection, out);
  const rowcodec::RowDecoder decoder(schema, projection);
  const Entry probe =
      Probe(table_id, user, min_key.value_or(std::numeric_limits<int64_t>::min()), 0);
  List::Iterator it(&list_);
  size_t n = 0;
  for (it.Seek(&probe); it.Valid(); it.Next()) {
    const Entry* e = it.key();
    if (e->table_id != table_id || e->user != user) break;
    if (max_key && e->order_key >= *max_key) break;
    Status s = decoder.Decode(e->user, e->order_key, e->row(), out);
    if (!s.ok()) {
      return s.WithContext("memtable table " + std::to_string(table_id) + " user " +
                           std::to_string(user) + " seq " + std::to_string(e->seq));
    }
    ++n;
  }
  return n;
}

std::vector<uint64_t> MemTable::ListUsers(uint32_t table_id, std::optional<uint64_t> after,
                                          size_t limit) const {
  std::vector<uint64_t> users;
  if (after && *after == std::numeric_limits<uint64_t>::max()) return users;
  // Seek to each next group directly: a user's events are never walked.
  List::Iterator li(&list_);
  uint64_t next = after ? *after + 1 : 0;
  while (users.size() < limit) {
    const Entry probe = Probe(table_id, next, std::numeric_limits<int64_t>::min(), 0);
    li.Seek(&probe);
    if (!li.Valid() || li.key()->table_id != table_id) break;
    const uint64_t u = li.key()->user;
    users.push_back(u);
    if (u == std::numeric_limits<uint64_t>::max()) break;
    next = u + 1;
  }
  return users;
}

MemTable::GroupIterator::GroupIterator(const MemTable* mem) : mem_(mem) {}

void MemTable::GroupIterator::SeekToFirst() { Seek(0, 0); }

void MemTable::GroupIterator::Seek(uint32_t table_id, uint64_t user) {
  const Entry probe = Probe(table_id, user, std::numeric_limits<int64_t>::min(), 0);
  List::Iterator it(&mem_->list_);
  it.Seek(&probe);
  first_ = it.Valid() ? it.key() : nullptr;
  Load();
}

void MemTable::GroupIterator::Next() {
  assert(Valid());
  // The entry after the group's last one starts the next group, unless an
  // entry was inserted behind it meanwhile; seeking past the group is exact.
  const Entry* last = entries_.back();
  List::Iterator it(&mem_->list_);
  if (last->user == std::numeric_limits<uint64_t>::max()) {
    if (last->table_id == std::numeric_limits<uint32_t>::max()) {
      first_ = nullptr;
      entries_.clear();
      return;
    }
    const Entry probe = Probe(last->table_id + 1, 0, std::numeric_limits<int64_t>::min(), 0);
    it.Seek(&probe);
  } else {
    const Entry probe =
        Probe(last->table_id, last->user + 1, std::numeric_limits<int64_t>::min(), 0);
    it.Seek(&probe);
  }
  first_ = it.Valid() ? it.key() : nullptr;
  Load();
}

void MemTable::GroupIterator::Load() {
  entries_.clear();
  if (first_ == nullptr) return;
  List::Iterator it(&mem_->list_);
  it.Seek(first_);
  for (; it.Valid(); it.Next()) {
    const Entry* e = it.key();
    if (e->table_id != first_->table_id || e->user != first_->user) break;
    entries_.push_back(e);
  }
}

Status MemTable::GroupIterator::AppendRows(const TableSchema& schema,
                                           std::span<const uint32_t> projection, Batch* out) const {
  assert(Valid());
  if (out->columns.empty()) rowcodec::InitProjection(schema, projection, out);
  const rowcodec::RowDecoder decoder(schema, projection);
  for (const Entry* e : entries_) {
    Status s = decoder.Decode(e->user, e->order_key, e->row(), out);
    if (!s.ok()) {
      return s.WithContext("memtable table " + std::to_string(e->table_id) + " user " +
                           std::to_string(e->user) + " seq " + std::to_string(e->seq));
    }
  }
  return Status::OK();
}

}  // namespace laser
