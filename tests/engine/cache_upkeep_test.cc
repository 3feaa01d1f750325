// The block cache across flushes and merges: a user being read keeps its
// data cached as new blocks are written and old ones rewritten; the blocks
// of users nobody reads are neither cached nor left behind.
#include <doctest/doctest.h>

#include "tests/engine/engine_test_util.hpp"

namespace laser::testing {
namespace {

void AppendFor(DBImpl* db, Oracle* oracle, const std::vector<uint64_t>& users, int n, int64_t ts0,
               uint64_t* counter) {
  std::vector<Event> events;
  for (int i = 0; i < n; ++i) {
    for (uint64_t u : users) events.push_back(MakeEvent(u, ts0 + i, (*counter)++));
  }
  const Status st = db->Append("events", MakeBatch(oracle->schema(), events));
  REQUIRE_MESSAGE(st.ok(), st.ToString());
  oracle->Add(events);
}

// Reads every event of `user`, checks them, and returns the disk reads it took.
uint64_t ReadAll(DBImpl* db, const Oracle& oracle, uint64_t user) {
  const uint64_t before = db->disk_reads();
  auto got = db->Read("events", user, ReadOptions{});
  REQUIRE_MESSAGE(got.ok(), got.status().ToString());
  CheckRows(*got, oracle.Expect(user, ReadOptions{}));
  return db->disk_reads() - before;
}

// Reads `opts` of `user`, checks the answer, and returns the disk reads it took.
uint64_t ReadChecked(DBImpl* db, const Oracle& oracle, uint64_t user, const ReadOptions& opts) {
  const uint64_t before = db->disk_reads();
  auto got = db->Read("events", user, opts);
  REQUIRE_MESSAGE(got.ok(), got.status().ToString());
  CheckRows(*got, oracle.Expect(user, opts));
  return db->disk_reads() - before;
}

// user | ts | item | score: narrow rows, so that blocks hold their full
// 1024 events (wide rows reach the block's raw-byte bound first).
TableSchema NarrowSchema() {
  TableSchema s;
  s.name = "events";
  s.columns = {Col("user", Type::kU64, false), Col("ts", Type::kTimestamp, false),
               Col("item", Type::kU64), Col("score", Type::kF32)};
  s.partition_key = 0;
  s.order_key = 1;
  return s;
}

void AppendNarrow(DBImpl* db, Oracle* oracle, const std::vector<uint64_t>& users, int n,
                  int64_t ts0, uint64_t* counter) {
  std::vector<Event> events;
  for (int i = 0; i < n; ++i) {
    for (uint64_t u : users) {
      const uint64_t c = (*counter)++;
      events.push_back({Value::UInt(u), Value::Int(ts0 + i), Value::UInt(c * 7919 % 100003),
                        Value::Float(static_cast<double>(c % 1000) * 0.5)});
    }
  }
  const Status st = db->Append("events", MakeBatch(oracle->schema(), events));
  REQUIRE_MESSAGE(st.ok(), st.ToString());
  oracle->Add(events);
}

ReadOptions LastN(uint64_t n) {
  ReadOptions o;
  o.last_n = n;
  return o;
}

}  // namespace

TEST_CASE("after a flush a hot user's older cached block keeps only the rows its tail needs") {
  ScratchDir dir;
  auto db = OpenDb(dir.db(), TestOptions());
  Oracle oracle(NarrowSchema());
  REQUIRE(db->CreateTable(oracle.schema()).ok());
  uint64_t counter = 0;
  // One extent of 3000 events: blocks of 952, 1024 and 1024 (the newest).
  AppendNarrow(db.get(), &oracle, {1, 2}, 3000, 0, &counter);
  REQUIRE(db->Compact().ok());
  REQUIRE(db->HandlesOf("events", 1).size() == 3);
  CHECK(ReadChecked(db.get(), oracle, 1, LastN(1000)) > 0);
  CHECK(ReadChecked(db.get(), oracle, 1, LastN(1000)) == 0);

  // 100 new events: the flush caches their frame, and the newest extent
  // block drops the 100 rows that the newest 1024 events no longer reach,
  // so the cache holds about what it held before.
  const BlockCacheStats before = db->cache_stats();
  AppendNarrow(db.get(), &oracle, {1, 2}, 100, 5000, &counter);
  REQUIRE(db->Flush().ok());
  const std::vector<BlockHandle> hs = db->HandlesOf("events", 1);
  REQUIRE(hs.size() == 4);
  const BlockCacheStats after = db->cache_stats();
  CHECK(after.entries == before.entries + 1);
  CHECK(after.bytes < before.bytes + hs[3].length / 2);
  // Reads of up to 1024 events are served by the trimmed block.
  CHECK(ReadChecked(db.get(), oracle, 1, LastN(1000)) == 0);
  CHECK(ReadChecked(db.get(), oracle, 1, LastN(1024)) == 0);
  CHECK(ReadChecked(db.get(), oracle, 1, LastN(50)) == 0);
  // One row more needs a row the trimmed block lacks: the whole block comes
  // from disk and replaces it in the cache.
  CHECK(db->cache_stats().misses == after.misses);
  CHECK(ReadChecked(db.get(), oracle, 1, LastN(1025)) == 1);
  CHECK(db->cache_stats().misses == after.misses + 1);
  CHECK(ReadChecked(db.get(), oracle, 1, LastN(1025)) == 0);
  // A range read that does not skip rows by count never uses a trimmed block.
  AppendNarrow(db.get(), &oracle, {1, 2}, 200, 6000, &counter);
  REQUIRE(db->Flush().ok());
  ReadOptions range;
  range.min_order_key = 2500;
  CHECK(ReadChecked(db.get(), oracle, 1, range) > 0);
  CHECK(ReadChecked(db.get(), oracle, 1, LastN(1000)) == 0);

  // Merges read the blocks they rewrite whole, from disk if only a trimmed
  // one is cached; every answer holds through them and a reopen.
  AppendNarrow(db.get(), &oracle, {1, 2}, 900, 7000, &counter);
  REQUIRE(db->Flush().ok());
  CHECK(ReadChecked(db.get(), oracle, 1, LastN(1000)) == 0);
  REQUIRE(db->Compact().ok());
  // (ReadChecked checks every answer against the oracle.)
  for (uint64_t n : {1u, 1000u, 1024u, 3000u, 0u}) {
    (void)ReadChecked(db.get(), oracle, 1, LastN(n));
    (void)ReadChecked(db.get(), oracle, 2, LastN(n));
  }
  db.reset();
  db = OpenDb(dir.db(), TestOptions());
  for (uint64_t u : {1, 2}) CHECK(ReadAll(db.get(), oracle, u) > 0);
}

TEST_CASE("trimming can be turned off, and stops at blocks out of key order") {
  for (uint64_t tail : {uint64_t{1024}, uint64_t{0}}) {
    CAPTURE(tail);
    ScratchDir dir;
    EngineTuning tuning;
    tuning.cache_tail_events = tail;
    auto db = OpenDb(dir.db(), TestOptions(), Env::Default(), tuning);
    Oracle oracle(NarrowSchema());
    REQUIRE(db->CreateTable(oracle.schema()).ok());
    uint64_t counter = 0;
    AppendNarrow(db.get(), &oracle, {1}, 2048, 1000, &counter);
    REQUIRE(db->Compact().ok());
    CHECK(ReadChecked(db.get(), oracle, 1, LastN(1000)) > 0);
    // In key order: with trimming on, the old tail block shrinks as the new
    // frame comes in; off, the cache grows by the whole new frame.
    BlockCacheStats before = db->cache_stats();
    AppendNarrow(db.get(), &oracle, {1}, 300, 9000, &counter);
    REQUIRE(db->Flush().ok());
    uint32_t new_len = db->HandlesOf("events", 1).back().length;
    if (tail == 0) {
      CHECK(db->cache_stats().bytes == before.bytes + new_len);
    } else {
      CHECK(db->cache_stats().bytes < before.bytes + new_len);
    }
    CHECK(ReadChecked(db.get(), oracle, 1, LastN(1000)) == 0);
    // Events older than all others: their block sorts first, so the walk
    // from the newest block stops there and trims nothing behind it.
    before = db->cache_stats();
    AppendNarrow(db.get(), &oracle, {1}, 300, 0, &counter);
    REQUIRE(db->Flush().ok());
    new_len = db->HandlesOf("events", 1).back().length;
    CHECK(db->cache_stats().bytes == before.bytes + new_len);
    CHECK(ReadChecked(db.get(), oracle, 1, LastN(1000)) == 0);
    (void)ReadChecked(db.get(), oracle, 1, LastN(2648));
    (void)ReadChecked(db.get(), oracle, 1, ReadOptions{});
  }
}

TEST_CASE("a merge of a read user caches only what its newest events reach of what was cached") {
  // cache_tail_events: 1024 (the default), 600 (the newest merged frame is
  // trimmed) and 0 (merged frames over cached keys are cached whole).
  for (uint64_t tail : {uint64_t{1024}, uint64_t{600}, uint64_t{0}}) {
    CAPTURE(tail);
    ScratchDir dir;
    EngineTuning tuning;
    tuning.cache_tail_events = tail;
    auto db = OpenDb(dir.db(), TestOptions(), Env::Default(), tuning);
    TableSchema schema = NarrowSchema();
    schema.retention.max_events = 4000;
    Oracle oracle(schema);
    REQUIRE(db->CreateTable(schema).ok());
    uint64_t counter = 0;
    AppendNarrow(db.get(), &oracle, {1}, 4000, 0, &counter);
    REQUIRE(db->Compact().ok());
    REQUIRE(db->HandlesOf("events", 1).size() == 4);
    CHECK(ReadChecked(db.get(), oracle, 1, LastN(1000)) > 0);
    // 1100 new events: the flush caches their two frames (76 and 1024
    // events).
    AppendNarrow(db.get(), &oracle, {1}, 1100, 10000, &counter);
    REQUIRE(db->Flush().ok());
    CHECK(db->HandlesOf("events", 1).size() == 6);
    CHECK(ReadChecked(db.get(), oracle, 1, LastN(1000)) == 0);
    // 5100 events > 4000 + 25%: the merge rewrites the whole sequence and
    // keeps the newest 4000, in four frames of 1024 events but the first.
    // The three newest overlap the keys of the frames cached before; of
    // those only the newest holds any of the newest 1024 events.
    const uint64_t misses = db->cache_stats().misses;
    REQUIRE(db->Compact().ok());
    const std::vector<BlockHandle> hs = db->HandlesOf("events", 1);
    REQUIRE(hs.size() == 4);
    const BlockCacheStats after = db->cache_stats();
    CHECK(after.misses == misses);
    if (tail == 1024) {
      CHECK(after.entries == 1);
      CHECK(after.bytes == hs[3].length);
      CHECK(ReadChecked(db.get(), oracle, 1, LastN(1024)) == 0);
      CHECK(ReadChecked(db.get(), oracle, 1, LastN(1025)) == 1);
    } else if (tail == 600) {
      // The newest frame without the 424 rows beyond the newest 600.
      CHECK(after.entries == 1);
      CHECK(after.bytes < hs[3].length * 3 / 4);
      CHECK(ReadChecked(db.get(), oracle, 1, LastN(600)) == 0);
      CHECK(ReadChecked(db.get(), oracle, 1, LastN(601)) == 1);
      CHECK(ReadChecked(db.get(), oracle, 1, LastN(1024)) == 0);
    } else {
      // Nothing trimmed the old extent's newest block either, so the three
      // merged frames over its keys and the flushed ones are cached whole.
      CHECK(after.entries == 3);
      CHECK(after.bytes == hs[1].length + hs[2].length + hs[3].length);
      CHECK(ReadChecked(db.get(), oracle, 1, LastN(3072)) == 0);
    }
    // Every answer holds, from the cache or the disk.
    for (uint64_t n : {1u, 599u, 1000u, 2049u, 4000u}) {
      (void)ReadChecked(db.get(), oracle, 1, LastN(n));
    }
  }
}

TEST_CASE("a read user's new and rewritten blocks are cached as written; others' are not") {
  ScratchDir dir;
  auto db = OpenDb(dir.db(), TestOptions());
  Oracle oracle(EventsSchema());
  REQUIRE(db->CreateTable(oracle.schema()).ok());
  uint64_t counter = 0;
  // Users 1 (read), 2 (read once, later) and 3 (never read), merged into
  // one extent each.
  AppendFor(db.get(), &oracle, {1, 2, 3}, 300, 0, &counter);
  REQUIRE(db->Compact().ok());
  CHECK(ReadAll(db.get(), oracle, 1) > 0);  // cold: from disk, now cached
  CHECK(ReadAll(db.get(), oracle, 1) == 0);

  // A flush: user 1's new block goes into the cache with the write.
  AppendFor(db.get(), &oracle, {1, 2, 3}, 40, 1000, &counter);
  REQUIRE(db->Flush().ok());
  CHECK(db->HandlesOf("events", 1).size() == 2);
  CHECK(ReadAll(db.get(), oracle, 1) == 0);
  // User 2 was not being read: its new block is on disk only.
  CHECK(ReadAll(db.get(), oracle, 2) > 0);
  CHECK(ReadAll(db.get(), oracle, 2) == 0);

  // The merge rewrites every user's tail. Users 1 and 2 are read: their new
  // extents are cached as written and their old frames dropped. User 3 is
  // not: the frames the merge read for it were not cached either.
  const BlockCacheStats before = db->cache_stats();
  REQUIRE(db->Compact().ok());
  const BlockCacheStats after = db->cache_stats();
  CHECK(db->HandlesOf("events", 1).size() == 1);
  CHECK(after.entries == before.entries - 2);  // each read user: two frames out, one in
  // The merge's own reads are not queries: no hit or miss is counted.
  CHECK(after.hits == before.hits);
  CHECK(after.misses == before.misses);
  CHECK(ReadAll(db.get(), oracle, 1) == 0);
  CHECK(ReadAll(db.get(), oracle, 2) == 0);
  CHECK(ReadAll(db.get(), oracle, 3) > 0);

  // Every answer survives a reopen (the cached frames are the frames on disk).
  db.reset();
  db = OpenDb(dir.db(), TestOptions());
  for (uint64_t u : {1, 2, 3}) CHECK(ReadAll(db.get(), oracle, u) > 0);
}

TEST_CASE("a merge's new frames take the room of the frames they replace, not other users'") {
  ScratchDir dir;
  Oracle oracle(EventsSchema());
  uint64_t counter = 0;
  uint64_t full = 0;  // the cache bytes of all three users' frames
  {
    auto db = OpenDb(dir.db(), TestOptions());
    REQUIRE(db->CreateTable(oracle.schema()).ok());
    AppendFor(db.get(), &oracle, {1, 2, 3}, 300, 0, &counter);
    REQUIRE(db->Compact().ok());
    // Users 1 and 2 get a second frame each, which the merge will fold in.
    AppendFor(db.get(), &oracle, {1, 2}, 40, 1000, &counter);
    REQUIRE(db->Flush().ok());
    REQUIRE(db->HandlesOf("events", 1).size() == 2);
    for (uint64_t u : {3, 1, 2}) CHECK(ReadAll(db.get(), oracle, u) > 0);
    full = db->cache_stats().bytes;
  }
  // A cache with 1 KiB to spare beside the three users' frames, user 3's the
  // least recently used. (A merged frame can take a few hundred bytes more
  // than the frames it replaces.)
  Options o = TestOptions();
  o.block_cache_bytes = full + 1024;
  auto db = OpenDb(dir.db(), o);
  REQUIRE(db->cache_stats().capacity == full + 1024);
  for (uint64_t u : {3, 1, 2}) CHECK(ReadAll(db.get(), oracle, u) > 0);
  REQUIRE(db->cache_stats().bytes == full);
  const BlockCacheStats before = db->cache_stats();
  // The merge caches users 1 and 2's new frames before it drops the old
  // ones: evicting to make room for them first would push out user 3.
  REQUIRE(db->Compact().ok());
  REQUIRE(db->HandlesOf("events", 1).size() == 1);
  const BlockCacheStats after = db->cache_stats();
  CHECK(after.evictions == before.evictions);
  CHECK(after.entries == 3);
  CHECK(after.bytes <= full + 1024);
  for (uint64_t u : {3, 1, 2}) CHECK(ReadAll(db.get(), oracle, u) == 0);
}

TEST_CASE("a flush's new frames take the room of the rows it trims, not other users'") {
  ScratchDir dir;
  Oracle oracle(NarrowSchema());
  uint64_t counter = 0;
  uint64_t full = 0;  // the cache bytes of all three users' newest blocks
  {
    auto db = OpenDb(dir.db(), TestOptions());
    REQUIRE(db->CreateTable(oracle.schema()).ok());
    AppendNarrow(db.get(), &oracle, {1, 2, 3}, 2048, 0, &counter);
    REQUIRE(db->Compact().ok());
    for (uint64_t u : {3, 1, 2}) CHECK(ReadChecked(db.get(), oracle, u, LastN(1000)) > 0);
    full = db->cache_stats().bytes;
  }
  // A cache with 1 KiB to spare beside the three users' newest blocks, user
  // 3's the least recently used.
  Options o = TestOptions();
  o.block_cache_bytes = full + 1024;
  auto db = OpenDb(dir.db(), o);
  for (uint64_t u : {3, 1, 2}) CHECK(ReadChecked(db.get(), oracle, u, LastN(1000)) > 0);
  REQUIRE(db->cache_stats().bytes == full);
  const BlockCacheStats before = db->cache_stats();
  // 300 new events for users 1 and 2: the flush caches their new frames and
  // trims 300 rows off each one's newest block, about the same bytes. Had
  // it evicted for the new frames, or for the trimmed blocks while over
  // budget, user 3 would have been pushed out.
  AppendNarrow(db.get(), &oracle, {1, 2}, 300, 5000, &counter);
  REQUIRE(db->Flush().ok());
  const BlockCacheStats after = db->cache_stats();
  CHECK(after.evictions == before.evictions);
  CHECK(after.entries == 5);
  CHECK(after.bytes <= full + 1024);
  for (uint64_t u : {3, 1, 2}) CHECK(ReadChecked(db.get(), oracle, u, LastN(1000)) == 0);
}

TEST_CASE("a flush folds a read user's short last frame into the frame it writes") {
  ScratchDir dir;
  auto db = OpenDb(dir.db(), TestOptions());
  Oracle oracle(NarrowSchema());
  REQUIRE(db->CreateTable(oracle.schema()).ok());
  uint64_t counter = 0;
  // One extent of two blocks each; user 1 is read, user 2 is not.
  AppendNarrow(db.get(), &oracle, {1, 2}, 2048, 0, &counter);
  REQUIRE(db->Compact().ok());
  REQUIRE(db->HandlesOf("events", 1).size() == 2);
  CHECK(ReadChecked(db.get(), oracle, 1, LastN(1000)) > 0);
  // Flushes of 30 events a user. The extent's last block is long, so the
  // first flush adds a frame; from then on each rewrites user 1's tail
  // frame with the new rows, until that frame holds 256 events or more.
  // User 2's frames pile up (its tail is the merge's business).
  int64_t ts = 10000;
  const uint64_t flushes = db->GetStats().flushes;
  for (int round = 1; round <= 10; ++round) {
    CAPTURE(round);
    AppendNarrow(db.get(), &oracle, {1, 2}, 30, ts, &counter);
    ts += 100;
    REQUIRE(db->Flush().ok());
    CHECK(db->GetStats().flushes == flushes + static_cast<uint64_t>(round));
    const std::vector<BlockHandle> hs = db->HandlesOf("events", 1);
    if (round <= 9) {
      REQUIRE(hs.size() == 3);
      CHECK(hs.back().count == 30u * static_cast<uint32_t>(round));
    } else {
      // 270 events before this flush: a new frame starts.
      REQUIRE(hs.size() == 4);
      CHECK(hs[2].count == 270);
      CHECK(hs[3].count == 30);
    }
    CHECK(db->GetStats().tail_folds == static_cast<uint64_t>(std::min(round - 1, 8)));
    CHECK(db->HandlesOf("events", 2).size() == 2u + static_cast<size_t>(round));
    // The folded frame left the cache and the new one is in it.
    CHECK(ReadChecked(db.get(), oracle, 1, LastN(1000)) == 0);
  }
  // An empty memtable is not flushed.
  REQUIRE(db->Flush().ok());
  CHECK(db->GetStats().flushes == flushes + 10);
  for (uint64_t n : {1u, 100u, 300u, 1000u, 3000u, 0u}) {
    (void)ReadChecked(db.get(), oracle, 1, LastN(n));
    (void)ReadChecked(db.get(), oracle, 2, LastN(n));
  }
  // A reopen from the index checkpoint, then one that rebuilds the index
  // from the segments: the folded frames stay retired.
  db.reset();
  db = OpenDb(dir.db(), TestOptions());
  CHECK(db->HandlesOf("events", 1).size() == 4);
  for (uint64_t u : {1, 2}) (void)ReadAll(db.get(), oracle, u);
  db.reset();
  REQUIRE(Env::Default()->RemoveFile(dir.db() + "/INDEX").ok());
  db = OpenDb(dir.db(), TestOptions());
  CHECK(db->index_source().find("rebuilt") == 0);
  CHECK(db->HandlesOf("events", 1).size() == 4);
  for (uint64_t u : {1, 2}) (void)ReadAll(db.get(), oracle, u);
  // The merge then takes both users' tails into their extents.
  REQUIRE(db->Compact().ok());
  for (uint64_t u : {1, 2}) (void)ReadAll(db.get(), oracle, u);
}

TEST_CASE("a fold waits for a tail in key order, and can be turned off") {
  for (uint64_t fold : {uint64_t{256}, uint64_t{0}}) {
    CAPTURE(fold);
    ScratchDir dir;
    EngineTuning tuning;
    tuning.fold_tail_events = fold;
    auto db = OpenDb(dir.db(), TestOptions(), Env::Default(), tuning);
    Oracle oracle(NarrowSchema());
    REQUIRE(db->CreateTable(oracle.schema()).ok());
    uint64_t counter = 0;
    AppendNarrow(db.get(), &oracle, {1}, 1024, 0, &counter);
    REQUIRE(db->Compact().ok());
    CHECK(ReadChecked(db.get(), oracle, 1, LastN(1000)) > 0);
    AppendNarrow(db.get(), &oracle, {1}, 50, 5000, &counter);
    REQUIRE(db->Flush().ok());
    // Events older than the tail's newest: a frame of their own.
    AppendNarrow(db.get(), &oracle, {1}, 20, 2000, &counter);
    REQUIRE(db->Flush().ok());
    CHECK(db->HandlesOf("events", 1).size() == 3);
    CHECK(db->GetStats().tail_folds == 0);
    // In key order again: folded iff folding is on.
    AppendNarrow(db.get(), &oracle, {1}, 20, 6000, &counter);
    REQUIRE(db->Flush().ok());
    CHECK(db->HandlesOf("events", 1).size() == (fold > 0 ? 3u : 4u));
    CHECK(db->GetStats().tail_folds == (fold > 0 ? 1u : 0u));
    for (uint64_t n : {1u, 30u, 1000u, 0u}) (void)ReadChecked(db.get(), oracle, 1, LastN(n));
    db.reset();
    db = OpenDb(dir.db(), TestOptions());
    (void)ReadAll(db.get(), oracle, 1);
  }
}

TEST_CASE("the flush an append does itself, behind the background, folds nothing") {
  ScratchDir dir;
  Oracle oracle(NarrowSchema());
  uint64_t counter = 0;
  {
    auto db = OpenDb(dir.db(), TestOptions());
    REQUIRE(db->CreateTable(oracle.schema()).ok());
    AppendNarrow(db.get(), &oracle, {1, 2}, 2048, 0, &counter);
    REQUIRE(db->Compact().ok());
  }
  // A budget of four arena blocks: small appends stay below it.
  Options o = TestOptions();
  o.memtable_bytes = 256u << 10;
  FaultInjectionEnv env(Env::Default());
  auto db = OpenDb(dir.db(), o, &env);
  CHECK(ReadChecked(db.get(), oracle, 1, LastN(1000)) > 0);
  AppendNarrow(db.get(), &oracle, {1, 2}, 30, 5000, &counter);
  REQUIRE(db->Flush().ok());
  REQUIRE(db->HandlesOf("events", 1).size() == 3);  // the extent's two blocks and a tail
  // A flush that fails leaves its memtable immutable, as one still being
  // flushed in the background would be.
  AppendNarrow(db.get(), &oracle, {1, 2}, 30, 6000, &counter);
  env.SetSyncError(true);
  CHECK(!db->Flush().ok());
  env.Reset();
  // 30 more events of user 1, then an append of user 2's past twice the
  // budget: the appender flushes both memtables itself, and user 1's
  // tails, short and cached, are not folded (the immutable memtable's
  // flush is behind the appends; the other is the appender's own).
  AppendNarrow(db.get(), &oracle, {1}, 30, 7000, &counter);
  AppendNarrow(db.get(), &oracle, {2}, 16000, 7000, &counter);
  CHECK(db->GetStats().memtable_bytes < o.memtable_bytes);  // flushed, both
  CHECK(db->GetStats().tail_folds == 0);
  CHECK(db->HandlesOf("events", 1).size() == 5);
  (void)ReadChecked(db.get(), oracle, 1, LastN(1000));
  // An explicit flush folds again.
  const size_t before = db->HandlesOf("events", 1).size();
  AppendNarrow(db.get(), &oracle, {1, 2}, 30, 21000, &counter);
  REQUIRE(db->Flush().ok());
  CHECK(db->GetStats().tail_folds == 1);
  CHECK(db->HandlesOf("events", 1).size() == before);
  for (uint64_t u : {1, 2}) (void)ReadAll(db.get(), oracle, u);
}

TEST_CASE("with the cache disabled, flushes and merges cache nothing and answers hold") {
  ScratchDir dir;
  Options o = TestOptions();
  o.block_cache_bytes = 0;
  auto db = OpenDb(dir.db(), o);
  Oracle oracle(EventsSchema());
  REQUIRE(db->CreateTable(oracle.schema()).ok());
  uint64_t counter = 0;
  AppendFor(db.get(), &oracle, {7, 8}, 200, 0, &counter);
  REQUIRE(db->Compact().ok());
  CHECK(ReadAll(db.get(), oracle, 7) > 0);
  AppendFor(db.get(), &oracle, {7, 8}, 30, 1000, &counter);
  REQUIRE(db->Flush().ok());
  CHECK(ReadAll(db.get(), oracle, 7) > 0);
  REQUIRE(db->Compact().ok());
  CHECK(ReadAll(db.get(), oracle, 7) > 0);
  CHECK(ReadAll(db.get(), oracle, 8) > 0);
  CHECK(db->cache_stats().entries == 0);
}

TEST_CASE("between the chunks of a flush's index install, reads see each event once") {
  ScratchDir dir;
  Oracle oracle(EventsSchema());
  DBImpl* raw = nullptr;
  int chunks = 0;
  uint64_t events = 0;  // appended so far
  EngineTuning tuning;
  tuning.install_chunk_users = 1;
  // Reads run between the chunks: users 1..k have their new blocks in the
  // index and their rows still in the immutable memtable, the others only
  // there. Either way each event must be read exactly once.
  tuning.after_install_chunk = [&] {
    ++chunks;
    for (uint64_t u : {1, 2, 3}) {
      auto got = raw->Read("events", u, ReadOptions{});
      REQUIRE_MESSAGE(got.ok(), got.status().ToString());
      CheckRows(*got, oracle.Expect(u, ReadOptions{}));
    }
    CHECK(raw->GetStats().events == events);
  };
  auto db = OpenDb(dir.db(), TestOptions(), Env::Default(), tuning);
  raw = db.get();
  REQUIRE(db->CreateTable(oracle.schema()).ok());
  uint64_t counter = 0;
  AppendFor(db.get(), &oracle, {1, 2, 3}, 100, 0, &counter);
  events = 300;
  REQUIRE(db->Flush().ok());
  AppendFor(db.get(), &oracle, {1, 2, 3}, 40, 1000, &counter);
  events = 420;
  chunks = 0;
  REQUIRE(db->Flush().ok());
  CHECK(chunks == 3);
  // The reads between the first flush's chunks cached each user's frame, so
  // this flush folded each into its new frame, installed in place of the
  // old one between the reads; so does the next.
  CHECK(db->GetStats().tail_folds == 3);
  AppendFor(db.get(), &oracle, {1, 2, 3}, 25, 2000, &counter);
  events = 495;
  chunks = 0;
  REQUIRE(db->Flush().ok());
  CHECK(chunks == 3);
  CHECK(db->GetStats().tail_folds == 6);
  for (uint64_t u : {1, 2, 3}) {
    const std::vector<BlockHandle> hs = db->HandlesOf("events", u);
    REQUIRE(hs.size() == 1);
    CHECK(hs[0].count == 165);
  }
}

}  // namespace laser::testing
