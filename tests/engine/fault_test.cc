// Disk full and EIO while appending, flushing and merging: the call fails
// with the error, the database stays consistent, reopens with everything
// acknowledged, and nothing that was refused.
#include <doctest/doctest.h>

#include "tests/engine/engine_test_util.hpp"

namespace laser::testing {
namespace {

std::vector<Event> Events(uint64_t users, int per_user, int64_t ts0, uint64_t* counter) {
  std::vector<Event> out;
  for (int i = 0; i < per_user; ++i) {
    for (uint64_t u = 0; u < users; ++u) out.push_back(MakeEvent(u, ts0 + i, (*counter)++));
  }
  return out;
}

void CheckUsers(DBImpl* db, const Oracle& oracle) {
  for (uint64_t u : oracle.users()) {
    auto got = db->Read("events", u, ReadOptions{});
    REQUIRE_MESSAGE(got.ok(), got.status().ToString());
    CheckRows(*got, oracle.Expect(u, ReadOptions{}));
  }
}

}  // namespace

TEST_CASE("ENOSPC and EIO during append, flush and merge; reopen keeps what was acknowledged") {
  ScratchDir dir;
  FaultInjectionEnv env(Env::Default());
  Oracle oracle(EventsSchema());
  uint64_t counter = 0;
  {
    auto db = OpenDb(dir.db(), TestOptions(), &env);
    REQUIRE(db->CreateTable(oracle.schema()).ok());
    auto ok_batch = Events(4, 50, 0, &counter);
    REQUIRE(db->Append("events", MakeBatch(oracle.schema(), ok_batch)).ok());
    oracle.Add(ok_batch);
    REQUIRE(db->Flush().ok());

    SUBCASE("append on a full disk") {
      env.SetWriteBudget(100);
      auto refused = Events(4, 200, 100, &counter);
      Status st = db->Append("events", MakeBatch(oracle.schema(), refused));
      CHECK(st.IsIOError());
      CHECK_MESSAGE(st.message().find("No space left") != std::string::npos, st.message());
      env.Reset();
    }
    SUBCASE("append with EIO") {
      env.SetIOError(true);
      auto refused = Events(4, 20, 100, &counter);
      CHECK(db->Append("events", MakeBatch(oracle.schema(), refused)).IsIOError());
      env.Reset();
    }
    CheckUsers(db.get(), oracle);
    // Appends work again once the disk does.
    auto more = Events(4, 30, 1000, &counter);
    Status st = db->Append("events", MakeBatch(oracle.schema(), more));
    REQUIRE_MESSAGE(st.ok(), st.ToString());
    oracle.Add(more);

    // Flush on a full disk: fails, the memtable stays readable, a retry works.
    env.SetWriteBudget(2000);
    CHECK(db->Flush().IsIOError());
    env.Reset();
    CheckUsers(db.get(), oracle);
    env.SetSyncError(true);
    CHECK(!db->Flush().ok());
    env.Reset();
    CheckUsers(db.get(), oracle);
    REQUIRE(db->Flush().ok());
    // The users were read, so that flush (and the two that failed) folded
    // each user's last frame into its new one.
    CHECK(db->GetStats().tail_folds == 4);
    CheckUsers(db.get(), oracle);

    // Merge with EIO: fails, answers unchanged, a retry works. Each round's
    // events are older than the users' newest, so that every flush adds a
    // frame (no fold) and the merge has frames to rewrite.
    for (int round = 0; round < 4; ++round) {
      auto small = Events(4, 10, 500 - 100 * round, &counter);
      REQUIRE(db->Append("events", MakeBatch(oracle.schema(), small)).ok());
      oracle.Add(small);
      REQUIRE(db->Flush().ok());
    }
    env.SetIOError(true);
    CHECK(!db->Compact().ok());
    env.Reset();
    CheckUsers(db.get(), oracle);
    env.SetWriteBudget(3000);
    CHECK(!db->Compact().ok());
    env.Reset();
    CheckUsers(db.get(), oracle);
    REQUIRE(db->Compact().ok());
    CheckUsers(db.get(), oracle);

    // A last acknowledged tail that only the WAL holds.
    auto tail = Events(2, 5, 9000, &counter);
    REQUIRE(db->Append("events", MakeBatch(oracle.schema(), tail)).ok());
    oracle.Add(tail);
    // Close fails to flush on a broken disk; the WAL still has the tail.
    env.SetIOError(true);
    CHECK(!db->Close().ok());
    env.Reset();
  }
  auto db = OpenDb(dir.db(), TestOptions());
  CheckUsers(db.get(), oracle);
  REQUIRE(db->Compact().ok());
  CheckUsers(db.get(), oracle);
}

}  // namespace laser::testing
