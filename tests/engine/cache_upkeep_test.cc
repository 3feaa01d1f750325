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

}  // namespace

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
}

}  // namespace laser::testing
