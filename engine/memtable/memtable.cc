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

// A log record: order_key, seq, row size, then the row's bytes.
constexpr size_t kRecordHeader = sizeof(int64_t) + sizeof(uint64_t) + sizeof(uint32_t);
// A group's first chunk holds a few events; each next one doubles, up to a
// size that keeps the slack of a group's last chunk small.
constexpr size_t kFirstChunkBytes = 256;
constexpr size_t kMaxChunkBytes = 8192;
constexpr size_t kCacheLine = 64;

uint64_t PackState(uint64_t count, uint64_t bytes) { return (count << 32) | bytes; }

MemTable::Event ReadRecord(const char** p) {
  MemTable::Event e;
  uint32_t size = 0;
  std::memcpy(&e.order_key, *p, sizeof e.order_key);
  std::memcpy(&e.seq, *p + 8, sizeof e.seq);
  std::memcpy(&size, *p + 16, sizeof size);
  e.row = std::string_view(*p + kRecordHeader, size);
  *p += kRecordHeader + size;
  return e;
}

void WriteRecord(char* p, int64_t order_key, uint64_t seq, std::string_view row) {
  const auto size = static_cast<uint32_t>(row.size());
  std::memcpy(p, &order_key, sizeof order_key);
  std::memcpy(p + 8, &seq, sizeof seq);
  std::memcpy(p + 16, &size, sizeof size);
  std::memcpy(p + kRecordHeader, row.data(), row.size());
}

// Events of one user order by (order_key, seq).
int CompareEvents(int64_t key_a, uint64_t seq_a, int64_t key_b, uint64_t seq_b) {
  if (int c = Cmp(key_a, key_b)) return c;
  return Cmp(seq_a, seq_b);
}

bool Before(const MemTable::Event& a, const MemTable::Event& b) {
  return CompareEvents(a.order_key, a.seq, b.order_key, b.seq) < 0;
}

}  // namespace

int MemTable::LateCompare::operator()(const LateEntry* a, const LateEntry* b) const {
  return CompareEvents(a->order_key, a->seq, b->order_key, b->seq);
}

int MemTable::GroupCompare::operator()(const GroupKey* a, const GroupKey* b) const {
  if (int c = Cmp(a->table_id, b->table_id)) return c;
  return Cmp(a->user, b->user);
}

MemTable::MemTable() : groups_(GroupCompare{}, &arena_) {}

size_t MemTable::SlotOf(uint32_t table_id, uint64_t user, size_t mask) {
  // Fibonacci hashing spreads sequential user ids over the table.
  const uint64_t h = (user ^ (static_cast<uint64_t>(table_id) << 40)) * 0x9E3779B97F4A7C15ull;
  return static_cast<size_t>(h >> 32) & mask;
}

size_t MemTable::Probe(const GroupTable& t, uint32_t table_id, uint64_t user, Confirm confirm) {
  for (size_t i = SlotOf(table_id, user, t.mask);; i = (i + 1) & t.mask) {
    const Slot& slot = t.slots[i];
    const Group* g = slot.group.load(std::memory_order_acquire);
    if (g == nullptr) return i;
    if (slot.user != user) continue;
    const uint32_t found = confirm == Confirm::kOnListing ? t.listings[i].table_id : g->table_id;
    if (found == table_id) return i;
  }
}

MemTable::Found MemTable::Find(uint32_t table_id, uint64_t user) const {
  const GroupTable* t = table_.load(std::memory_order_acquire);
  if (t == nullptr) return {nullptr, nullptr};
  const size_t i = Probe(*t, table_id, user, Confirm::kOnListing);
  return {t->slots[i].group.load(std::memory_order_acquire), &t->listings[i]};
}

MemTable::GroupTable* MemTable::NewTable(size_t slots) {
  assert((slots & (slots - 1)) == 0);
  auto* t = new (arena_.Allocate(sizeof(GroupTable), alignof(GroupTable))) GroupTable;
  t->slots = reinterpret_cast<Slot*>(arena_.Allocate(slots * sizeof(Slot), kCacheLine));
  t->listings = reinterpret_cast<Listing*>(arena_.Allocate(slots * sizeof(Listing), kCacheLine));
  for (size_t i = 0; i < slots; ++i) {
    new (&t->slots[i]) Slot{0, nullptr};
    new (&t->listings[i]) Listing{0, {}};
  }
  t->mask = slots - 1;
  return t;
}

void MemTable::IndexAdd(Group* g) {
  // x's listing in t takes the chunks its previous one named; a new group
  // has only its first.
  auto place = [](GroupTable* t, Group* x) {
    // x is not in t: its probe ends at the empty slot x takes.
    const size_t i = Probe(*t, x->table_id, x->user, Confirm::kOnGroup);
    Listing& l = t->listings[i];
    l.table_id = x->table_id;
    const Listing* old = x->listing.load(std::memory_order_relaxed);
    for (size_t k = 0; k < kChunkDirectory; ++k) {
      const Chunk* c = old != nullptr ? old->chunks[k].load(std::memory_order_relaxed)
                                      : (k == 0 ? x->first : nullptr);
      l.chunks[k].store(c, std::memory_order_relaxed);
    }
    t->slots[i].user = x->user;
    t->slots[i].group.store(x, std::memory_order_release);
    x->listing.store(&l, std::memory_order_release);
  };
  GroupTable* t = table_.load(std::memory_order_relaxed);
  const uint64_t groups = users_.load(std::memory_order_relaxed) + 1;
  if (t == nullptr || groups * 2 > t->mask + 1) {
    GroupTable* grown = NewTable(t == nullptr ? 1024 : (t->mask + 1) * 2);
    if (t != nullptr) {
      for (size_t i = 0; i <= t->mask; ++i) {
        if (Group* x = t->slots[i].group.load(std::memory_order_relaxed)) place(grown, x);
      }
    }
    table_.store(grown, std::memory_order_release);
    t = grown;
  }
  place(t, g);
}

void MemTable::AppendToLog(Group* g, int64_t order_key, uint64_t seq, std::string_view row) {
  const size_t need = kRecordHeader + row.size();
  Chunk* c = g->tail;
  const uint64_t state = c != nullptr ? c->state.load(std::memory_order_relaxed) : 0;
  const uint64_t count = state >> 32;
  const uint64_t used = state & 0xFFFFFFFFu;
  if (c != nullptr && used + need <= c->capacity) {
    WriteRecord(c->data() + used, order_key, seq, row);
    c->state.store(PackState(count + 1, used + need), std::memory_order_release);
    return;
  }
  size_t capacity =
      c == nullptr ? kFirstChunkBytes : std::min<size_t>(size_t{c->capacity} * 2, kMaxChunkBytes);
  capacity = std::max(capacity, need);
  assert(capacity <= std::numeric_limits<uint32_t>::max());
  Chunk* n = new (arena_.Allocate(sizeof(Chunk) + capacity, alignof(Chunk))) Chunk;
  n->capacity = static_cast<uint32_t>(capacity);
  WriteRecord(n->data(), order_key, seq, row);
  n->state.store(PackState(1, need), std::memory_order_release);
  // Linked only now: a reader that finds c->next set knows c's state is final.
  if (c == nullptr) {
    g->first = n;  // a new group, not yet in the hash (IndexAdd lists it)
  } else {
    Listing* l = g->listing.load(std::memory_order_relaxed);
    for (std::atomic<const Chunk*>& entry : l->chunks) {
      if (entry.load(std::memory_order_relaxed) == nullptr) {
        entry.store(n, std::memory_order_relaxed);
        break;
      }
    }
    c->next.store(n, std::memory_order_release);
  }
  g->tail = n;
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
  assert(encoded.size() <= std::numeric_limits<uint32_t>::max() - kRecordHeader);

  Group* g = last_group_;
  if (g == nullptr || g->table_id != table_id || g->user != user) {
    // The writer confirms the table on the group's line, which it is about
    // to write, rather than on the listing's (Find).
    g = nullptr;
    if (const GroupTable* t = table_.load(std::memory_order_relaxed)) {
      g = t->slots[Probe(*t, table_id, user, Confirm::kOnGroup)].group.load(
          std::memory_order_relaxed);
    }
  }
  if (g == nullptr) {
    // The first event goes in before the group is published, so readers
    // never see an empty group.
    g = new (arena_.Allocate(sizeof(Group), kCacheLine)) Group(table_id, user);
    AppendToLog(g, order_key, seq, encoded);
    g->last_key = order_key;
    g->last_seq = seq;
    groups_.Insert(g);
    IndexAdd(g);
    users_.fetch_add(1, std::memory_order_release);
  } else if (CompareEvents(order_key, seq, g->last_key, g->last_seq) > 0) {
    AppendToLog(g, order_key, seq, encoded);
    g->last_key = order_key;
    g->last_seq = seq;
  } else {
    char* mem = arena_.Allocate(sizeof(LateEntry) + encoded.size(), alignof(LateEntry));
    auto* e = new (mem) LateEntry{order_key, seq, static_cast<uint32_t>(encoded.size())};
    std::memcpy(mem + sizeof(LateEntry), encoded.data(), encoded.size());
    LateList* late = g->late.load(std::memory_order_relaxed);
    if (late == nullptr) {
      late = new (arena_.Allocate(sizeof(LateList), alignof(LateList)))
          LateList(LateCompare{}, &arena_);
      late->Insert(e);
      g->late.store(late, std::memory_order_release);
    } else {
      late->Insert(e);
    }
  }
  last_group_ = g;
  events_.fetch_add(1, std::memory_order_release);
  if (seq > max_seq_.load(std::memory_order_relaxed)) {
    max_seq_.store(seq, std::memory_order_release);
  }
}

void MemTable::PrefetchSlot(uint32_t table_id, uint64_t user) const {
  const GroupTable* t = table_.load(std::memory_order_acquire);
  if (t == nullptr) return;
  const size_t i = SlotOf(table_id, user, t->mask);
  __builtin_prefetch(&t->slots[i]);
  const char* l = reinterpret_cast<const char*>(&t->listings[i]);
  __builtin_prefetch(l);
  __builtin_prefetch(l + sizeof(Listing) - 1);
}

size_t MemTable::PrefetchListed(const Found& f) {
  __builtin_prefetch(f.group);
  if (f.listing == nullptr) return 0;
  // Every chunk but the last is full; the last is requested whole too, as
  // its fill is in the header this is meant not to wait for.
  size_t capacity = kFirstChunkBytes;
  size_t n = 0;
  for (; n < kChunkDirectory; ++n) {
    const Chunk* c = f.listing->chunks[n].load(std::memory_order_relaxed);
    if (c == nullptr) break;
    const char* p = reinterpret_cast<const char*>(c);
    for (size_t off = 0; off < sizeof(Chunk) + capacity; off += kCacheLine) {
      __builtin_prefetch(p + off);
    }
    capacity = std::min(capacity * 2, kMaxChunkBytes);
  }
  return n;
}

void MemTable::CollectEvents(const Group* g, std::optional<int64_t> min_key,
                             std::optional<int64_t> max_key, uint64_t last_n, size_t requested,
                             std::vector<Event>* out) {
  const size_t base = out->size();
  // The published part of every chunk first, so that the walk below knows
  // how many records there are and reads nothing unpublished. A chunk whose
  // successor is linked is final, so its state is loaded after its link.
  struct Piece {
    const Chunk* chunk;
    uint64_t count, bytes;
  };
  thread_local std::vector<Piece> pieces;
  pieces.clear();
  uint64_t total = 0;
  for (const Chunk* c = g->first; c != nullptr;) {
    const Chunk* next = c->next.load(std::memory_order_acquire);
    const uint64_t state = c->state.load(std::memory_order_acquire);
    pieces.push_back(Piece{c, state >> 32, state & 0xFFFFFFFFu});
    total += state >> 32;
    c = next;
  }
  const LateList* late = g->late.load(std::memory_order_acquire);
  // Without late events or bounds the newest last_n are the log's last
  // last_n records.
  uint64_t skip = 0;
  if (late == nullptr && !min_key && !max_key && last_n > 0 && total > last_n) {
    skip = total - last_n;
  }
  // At most this many records are taken from the log: one allocation.
  out->reserve(base + (total - skip));
  // Whole chunks before the first wanted record are skipped unread.
  size_t first = 0;
  while (first < pieces.size() && skip >= pieces[first].count) skip -= pieces[first++].count;
  // The walk below finds each record's start from the one before, so its
  // loads would miss one after another on a cold group; prefetching every
  // line it will read lets those misses overlap.
  for (size_t i = std::max(first, requested); i < pieces.size(); ++i) {
    const char* p = pieces[i].chunk->data();
    for (uint64_t off = 0; off < pieces[i].bytes; off += kCacheLine) __builtin_prefetch(p + off);
  }
  bool past_max = false;
  for (size_t i = first; i < pieces.size() && !past_max; ++i) {
    const char* p = pieces[i].chunk->data();
    const char* end = p + pieces[i].bytes;
    while (p < end) {
      const Event e = ReadRecord(&p);
      if (skip > 0) {
        --skip;
      } else if (max_key && e.order_key >= *max_key) {
        past_max = true;  // the log is in order: nothing after e is in range
        break;
      } else if (!min_key || e.order_key >= *min_key) {
        out->push_back(e);
      }
    }
  }
  if (late != nullptr) {
    thread_local std::vector<Event> late_events;
    late_events.clear();
    LateEntry probe{min_key.value_or(std::numeric_limits<int64_t>::min()), 0, 0};
    LateList::Iterator it(late);
    for (it.Seek(&probe); it.Valid(); it.Next()) {
      const LateEntry* e = it.key();
      if (max_key && e->order_key >= *max_key) break;
      late_events.push_back(Event{e->order_key, e->seq, e->row()});
    }
    const size_t log_events = out->size();
    out->insert(out->end(), late_events.begin(), late_events.end());
    std::inplace_merge(out->begin() + static_cast<ptrdiff_t>(base),
                       out->begin() + static_cast<ptrdiff_t>(log_events), out->end(), Before);
  }
  if (last_n > 0 && out->size() - base > last_n) {
    out->erase(out->begin() + static_cast<ptrdiff_t>(base),
               out->end() - static_cast<ptrdiff_t>(last_n));
  }
}

Result<size_t> MemTable::ReadUser(uint32_t table_id, uint64_t user, const TableSchema& schema,
                                  std::span<const uint32_t> projection,
                                  std::optional<int64_t> min_key, std::optional<int64_t> max_key,
                                  Batch* out, uint64_t last_n) const {
  if (out->columns.empty()) rowcodec::InitProjection(schema, projection, out);
  thread_local std::vector<Event> events;
  events.clear();
  CollectUser(table_id, user, min_key, max_key, last_n, &events);
  if (events.empty()) return size_t{0};
  // Sized once: appending row by row would regrow every column's lane
  // about log2(rows) times.
  for (ColumnVector& c : out->columns) c.Reserve(c.size() + events.size());
  const rowcodec::RowDecoder decoder(schema, projection);
  Status s = decoder.DecodeRows(user, events, out);
  if (!s.ok()) {
    return s.WithContext("memtable table " + std::to_string(table_id) + " user " +
                         std::to_string(user));
  }
  return events.size();
}

void MemTable::CollectUser(uint32_t table_id, uint64_t user, std::optional<int64_t> min_key,
                           std::optional<int64_t> max_key, uint64_t last_n,
                           std::vector<Event>* out) const {
  const Found f = Find(table_id, user);
  if (f.group == nullptr) return;
  const size_t requested = PrefetchListed(f);
  CollectEvents(f.group, min_key, max_key, last_n, requested, out);
}

void MemTable::CollectUserFrom(std::span<const MemTable* const> tables, uint32_t table_id,
                               uint64_t user, std::optional<int64_t> min_key,
                               std::optional<int64_t> max_key, uint64_t last_n,
                               std::vector<Event>* out) {
  assert(tables.size() <= kMaxCollectTables);
  // Each step requests what the next one reads, for every table, before any
  // table takes that next step: the slots, then the groups and their chunks.
  for (const MemTable* m : tables) {
    if (m != nullptr) m->PrefetchSlot(table_id, user);
  }
  const Group* groups[kMaxCollectTables] = {};
  size_t requested[kMaxCollectTables] = {};
  for (size_t i = 0; i < tables.size(); ++i) {
    if (tables[i] == nullptr) continue;
    const Found f = tables[i]->Find(table_id, user);
    if (f.group == nullptr) continue;
    groups[i] = f.group;
    requested[i] = PrefetchListed(f);
  }
  for (size_t i = 0; i < tables.size(); ++i) {
    if (groups[i] != nullptr) {
      CollectEvents(groups[i], min_key, max_key, last_n, requested[i], out);
    }
  }
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
  const size_t requested =
      PrefetchListed(Found{group_, group_->listing.load(std::memory_order_acquire)});
  CollectEvents(group_, std::nullopt, std::nullopt, 0, requested, &entries_);
}

Status MemTable::GroupIterator::AppendRows(const TableSchema& schema,
                                           std::span<const uint32_t> projection, Batch* out) const {
  assert(Valid());
  if (out->columns.empty()) rowcodec::InitProjection(schema, projection, out);
  const rowcodec::RowDecoder decoder(schema, projection);
  Status s = decoder.DecodeRows(group_->user, entries_, out);
  if (!s.ok()) {
    return s.WithContext("memtable table " + std::to_string(group_->table_id) + " user " +
                         std::to_string(group_->user));
  }
  return Status::OK();
}

}  // namespace laser
