#include "engine/memtable/memtable.hpp"

#include <algorithm>
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
  // Entries of one list share (table_id, user).
  if (int c = Cmp(a->order_key, b->order_key)) return c;
  return Cmp(a->seq, b->seq);
}

int MemTable::GroupCompare::operator()(const GroupKey* a, const GroupKey* b) const {
  if (int c = Cmp(a->table_id, b->table_id)) return c;
  return Cmp(a->user, b->user);
}

MemTable::MemTable() : groups_(GroupCompare{}, &arena_) {}

const MemTable::Group* MemTable::FindGroup(uint32_t table_id, uint64_t user) const {
  GroupKey probe{table_id, user};
  GroupList::Iterator it(&groups_);
  it.Seek(&probe);
  if (!it.Valid() || it.key()->table_id != table_id || it.key()->user != user) return nullptr;
  return static_cast<const Group*>(it.key());
}

size_t MemTable::SlotOf(uint32_t table_id, uint64_t user, size_t mask) {
  // Fibonacci hashing spreads sequential user ids over the table.
  const uint64_t h = (user ^ (static_cast<uint64_t>(table_id) << 40)) * 0x9E3779B97F4A7C15ull;
  return static_cast<size_t>(h >> 32) & mask;
}

MemTable::Group* MemTable::IndexFind(uint32_t table_id, uint64_t user) const {
  if (index_.empty()) return nullptr;
  const size_t mask = index_.size() - 1;
  for (size_t i = SlotOf(table_id, user, mask);; i = (i + 1) & mask) {
    const IndexSlot& s = index_[i];
    if (s.group == nullptr) return nullptr;
    if (s.user == user && s.table_id == table_id) return s.group;
  }
}

void MemTable::IndexPlace(std::vector<IndexSlot>* table, const IndexSlot& slot) {
  const size_t mask = table->size() - 1;
  size_t i = SlotOf(slot.table_id, slot.user, mask);
  while ((*table)[i].group != nullptr) i = (i + 1) & mask;
  (*table)[i] = slot;
}

void MemTable::IndexAdd(Group* g) {
  const uint64_t groups = users_.load(std::memory_order_relaxed) + 1;
  if (groups * 2 > index_.size()) {
    std::vector<IndexSlot> grown(std::max<size_t>(1024, index_.size() * 2),
                                 IndexSlot{0, nullptr, 0});
    for (const IndexSlot& s : index_) {
      if (s.group != nullptr) IndexPlace(&grown, s);
    }
    index_.swap(grown);
    index_bytes_.store(index_.size() * sizeof(IndexSlot), std::memory_order_relaxed);
  }
  IndexPlace(&index_, IndexSlot{g->user, g, g->table_id});
}

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
  char* mem = arena_.Allocate(sizeof(Entry) + encoded.size(), alignof(Entry));
  Entry* e = new (mem) Entry{};
  e->table_id = table_id;
  e->row_size = static_cast<uint32_t>(encoded.size());
  e->user = user;
  e->order_key = order_key;
  e->seq = seq;
  std::memcpy(mem + sizeof(Entry), encoded.data(), encoded.size());

  Group* g = last_group_;
  if (g == nullptr || g->table_id != table_id || g->user != user) {
    g = IndexFind(table_id, user);
  }
  if (g != nullptr) {
    if (order_key > g->last_key || (order_key == g->last_key && seq > g->last_seq)) {
      g->events.Append(e);
      g->last_key = order_key;
      g->last_seq = seq;
    } else {
      g->events.Insert(e);
    }
  } else {
    // The first event goes in before the group is published, so readers
    // never see an empty group.
    g = new (arena_.Allocate(sizeof(Group), alignof(Group))) Group(table_id, user, &arena_);
    g->events.Append(e);
    g->last_key = order_key;
    g->last_seq = seq;
    groups_.Insert(g);
    IndexAdd(g);
    users_.fetch_add(1, std::memory_order_release);
  }
  last_group_ = g;
  events_.fetch_add(1, std::memory_order_release);
  if (seq > max_seq_.load(std::memory_order_relaxed)) {
    max_seq_.store(seq, std::memory_order_release);
  }
}

Result<size_t> MemTable::ReadUser(uint32_t table_id, uint64_t user, const TableSchema& schema,
                                  std::span<const uint32_t> projection,
                                  std::optional<int64_t> min_key, std::optional<int64_t> max_key,
                                  Batch* out, uint64_t last_n) const {
  if (out->columns.empty()) rowcodec::InitProjection(schema, projection, out);
  const Group* g = FindGroup(table_id, user);
  if (g == nullptr) return size_t{0};
  const rowcodec::RowDecoder decoder(schema, projection);
  const Entry probe =
      Probe(table_id, user, min_key.value_or(std::numeric_limits<int64_t>::min()), 0);
  EntryList::Iterator it(&g->events);
  // The entries in range first (the list only walks forward), then the
  // decode of the ones wanted.
  thread_local std::vector<const Entry*> hits;
  hits.clear();
  for (it.Seek(&probe); it.Valid(); it.Next()) {
    const Entry* e = it.key();
    if (max_key && e->order_key >= *max_key) break;
    hits.push_back(e);
  }
  const size_t first = last_n > 0 && hits.size() > last_n ? hits.size() - last_n : 0;
  for (size_t i = first; i < hits.size(); ++i) {
    const Entry* e = hits[i];
    Status s = decoder.Decode(e->user, e->order_key, e->row(), out);
    if (!s.ok()) {
      return s.WithContext("memtable table " + std::to_string(table_id) + " user " +
                           std::to_string(user) + " seq " + std::to_string(e->seq));
    }
  }
  return hits.size() - first;
}

std::vector<uint64_t> MemTable::ListUsers(uint32_t table_id, std::optional<uint64_t> after,
                                          size_t limit) const {
  std::vector<uint64_t> users;
  if (after && *after == std::numeric_limits<uint64_t>::max()) return users;
  GroupKey probe{table_id, after ? *after + 1 : 0};
  GroupList::Iterator it(&groups_);
  for (it.Seek(&probe); it.Valid() && users.size() < limit; it.Next()) {
    if (it.key()->table_id != table_id) break;
    users.push_back(it.key()->user);
  }
  return users;
}

MemTable::GroupIterator::GroupIterator(const MemTable* mem) : it_(&mem->groups_) {}

void MemTable::GroupIterator::SeekToFirst() {
  it_.SeekToFirst();
  Load();
}

void MemTable::GroupIterator::Seek(uint32_t table_id, uint64_t user) {
  GroupKey probe{table_id, user};
  it_.Seek(&probe);
  Load();
}

void MemTable::GroupIterator::Next() {
  assert(Valid());
  it_.Next();
  Load();
}

void MemTable::GroupIterator::Load() {
  entries_.clear();
  group_ = it_.Valid() ? static_cast<const Group*>(it_.key()) : nullptr;
  if (group_ == nullptr) return;
  EntryList::Iterator it(&group_->events);
  for (it.SeekToFirst(); it.Valid(); it.Next()) entries_.push_back(it.key());
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
