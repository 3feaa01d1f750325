#include "engine/wal/group_commit.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "engine/io/env.hpp"
#include "engine/wal/wal_reader.hpp"
#include "log_test_util.hpp"

namespace laser::wal {
namespace {

using laser::testing::TempDir;

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

// Every record of every WAL file in dir, as strings, in log order.
std::vector<std::string> ReplayAll(Env* env, const std::string& dir) {
  std::vector<std::string> out;
  auto r = ReplayWalDir(env, dir, 0, [&](const WalRecord& rec) {
    out.emplace_back(rec.payload.begin(), rec.payload.end());
    return Status::OK();
  });
  REQUIRE(r.ok());
  CHECK(r->tail.dropped_bytes == 0);
  return out;
}

// Waits (bounded) until pred() holds; returns pred().
template <typename Pred>
bool WaitFor(Pred pred) {
  for (int i = 0; i < 2000 && !pred(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

GroupCommitOptions Opts(SyncMode mode) {
  GroupCommitOptions o;
  o.sync = mode;
  o.sync_interval_ms = 5;
  return o;
}

TEST_CASE("group commit appends and applies in order in every sync mode") {
  for (SyncMode mode : {SyncMode::kAlways, SyncMode::kInterval, SyncMode::kNone}) {
    CAPTURE(static_cast<int>(mode));
    TempDir dir;
    std::vector<std::string> applied;
    {
      auto gc = GroupCommit::Open(Env::Default(), dir.path(), 1, Opts(mode));
      REQUIRE(gc.ok());
      for (int i = 0; i < 50; ++i) {
        const std::string p = "rec-" + std::to_string(i);
        REQUIRE(
            (*gc)->Append(RecordType::kAppendBatch, Bytes(p), [&] { applied.push_back(p); }).ok());
      }
      const GroupCommitStats st = (*gc)->stats();
      CHECK(st.records == 50);
      if (mode == SyncMode::kAlways) CHECK(st.syncs == st.groups);
      if (mode == SyncMode::kNone) CHECK(st.syncs == 0);
    }
    CHECK(applied.size() == 50);
    CHECK(ReplayAll(Env::Default(), dir.path()) == applied);
  }
}

TEST_CASE("group commit: concurrent appenders share fsyncs and every record is readable in order") {
  TempDir dir;
  constexpr int kThreads = 6;
  std::vector<std::string> applied;  // only the leader's apply touches it
  GroupCommitStats st;
  {
    auto gcr = GroupCommit::Open(Env::Default(), dir.path(), 1, Opts(SyncMode::kAlways));
    REQUIRE(gcr.ok());
    GroupCommit* gc = gcr->get();

    // Phase 1, deterministic: the first record's apply holds the leadership
    // until every other appender is queued, so they form one group.
    std::atomic<bool> in_apply{false};
    std::thread first([&] {
      const std::string p = "first";
      Status s = gc->Append(RecordType::kAppendBatch, Bytes(p), [&] {
        in_apply = true;
        CHECK(WaitFor([&] { return gc->QueueDepth() == kThreads; }));
        applied.push_back(p);
      });
      CHECK(s.ok());
    });
    REQUIRE(WaitFor([&] { return in_apply.load(); }));
    std::vector<std::thread> others;
    for (int t = 1; t < kThreads; ++t) {
      others.emplace_back([&, t] {
        const std::string p = "phase1-" + std::to_string(t);
        CHECK(
            gc->Append(RecordType::kAppendBatch, Bytes(p), [&, p] { applied.push_back(p); }).ok());
      });
    }
    first.join();
    for (auto& t : others) t.join();
    const GroupCommitStats p1 = gc->stats();
    CHECK(p1.records == kThreads);
    CHECK(p1.groups == 2);
    CHECK(p1.syncs == 2);

    // Phase 2: a free-for-all.
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 100; ++i) {
          const std::string p = "t" + std::to_string(t) + "-" + std::to_string(i);
          CHECK(gc->Append(RecordType::kAppendBatch, Bytes(p), [&, p] {
                    applied.push_back(p);
                  }).ok());
        }
      });
    }
    for (auto& t : threads) t.join();
    st = gc->stats();
  }
  const uint64_t total = kThreads + kThreads * 100;
  CHECK(st.records == total);
  CHECK(st.syncs == st.groups);
  CHECK(st.syncs < total);
  REQUIRE(applied.size() == total);
  CHECK(ReplayAll(Env::Default(), dir.path()) == applied);
  // Each thread's own records keep its order.
  for (int t = 0; t < kThreads; ++t) {
    int next = 0;
    const std::string prefix = "t" + std::to_string(t) + "-";
    for (const std::string& p : applied) {
      if (p.rfind(prefix, 0) == 0) CHECK(p == prefix + std::to_string(next++));
    }
    CHECK(next == 100);
  }
}

TEST_CASE(
    "group commit: disk full mid-record fails the append, applies nothing, log stays readable") {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  std::vector<std::string> applied;
  auto append = [&](GroupCommit* gc, const std::string& p) {
    return gc->Append(RecordType::kAppendBatch, Bytes(p), [&, p] { applied.push_back(p); });
  };
  {
    auto gcr = GroupCommit::Open(&env, dir.path(), 1, Opts(SyncMode::kAlways));
    REQUIRE(gcr.ok());
    GroupCommit* gc = gcr->get();
    for (int i = 0; i < 3; ++i) REQUIRE(append(gc, "good-" + std::to_string(i)).ok());
    const uint64_t good_size = env.FileSize(WalFileName(dir.path(), 1)).value();

    env.SetWriteBudget(20);  // the next record's header fits, its payload does not
    Status s = append(gc, "lost-" + std::string(100, 'x'));
    REQUIRE(s.IsIOError());
    CHECK(s.message().find("No space left") != std::string::npos);
    CHECK(s.message().find("000001.wal") != std::string::npos);
    CHECK(applied.size() == 3);
    // Cut back to the last good record.
    CHECK(env.FileSize(WalFileName(dir.path(), 1)).value() == good_size);
    // Still full: a new file cannot even take its header.
    CHECK_FALSE(append(gc, "lost-again").ok());
    CHECK(applied.size() == 3);

    env.Reset();
    REQUIRE(append(gc, "after").ok());
    CHECK(gc->current_number() == 2);
    CHECK(gc->stats().failed_groups == 2);
  }
  CHECK(applied == std::vector<std::string>{"good-0", "good-1", "good-2", "after"});
  CHECK(ReplayAll(&env, dir.path()) == applied);
}

TEST_CASE("group commit: EIO on fsync fails the whole group and applies none of it") {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  constexpr int kFollowers = 4;
  std::vector<std::string> applied;
  std::vector<Status> results(kFollowers);
  {
    auto gcr = GroupCommit::Open(&env, dir.path(), 1, Opts(SyncMode::kAlways));
    REQUIRE(gcr.ok());
    GroupCommit* gc = gcr->get();
    REQUIRE(gc->Append(RecordType::kAppendBatch, Bytes("a"), [&] { applied.push_back("a"); }).ok());

    // "b" holds the leadership until the followers are queued, then arms
    // the fault: their group's fsync fails.
    std::atomic<bool> in_apply{false};
    std::thread leader([&] {
      CHECK(gc->Append(RecordType::kAppendBatch, Bytes("b"), [&] {
                in_apply = true;
                CHECK(WaitFor([&] { return gc->QueueDepth() == kFollowers + 1; }));
                applied.push_back("b");
                env.SetSyncError(true);
              }).ok());
    });
    REQUIRE(WaitFor([&] { return in_apply.load(); }));
    std::vector<std::thread> followers;
    for (int t = 0; t < kFollowers; ++t) {
      followers.emplace_back([&, t] {
        const std::string p = "f" + std::to_string(t);
        results[t] =
            gc->Append(RecordType::kAppendBatch, Bytes(p), [&, p] { applied.push_back(p); });
      });
    }
    leader.join();
    for (auto& t : followers) t.join();
    for (const Status& s : results) {
      CHECK(s.IsIOError());
      CHECK(s.message().find("fdatasync") != std::string::npos);
    }
    CHECK(applied == std::vector<std::string>{"a", "b"});

    env.Reset();
    REQUIRE(gc->Append(RecordType::kAppendBatch, Bytes("c"), [&] { applied.push_back("c"); }).ok());
  }
  CHECK(applied == std::vector<std::string>{"a", "b", "c"});
  CHECK(ReplayAll(&env, dir.path()) == applied);
}

TEST_CASE(
    "group commit: interval mode syncs in the background; a failed background sync moves on") {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  std::vector<std::string> applied;
  {
    auto gcr = GroupCommit::Open(&env, dir.path(), 1, Opts(SyncMode::kInterval));
    REQUIRE(gcr.ok());
    GroupCommit* gc = gcr->get();
    REQUIRE(gc->Append(RecordType::kAppendBatch, Bytes("x"), [&] { applied.push_back("x"); }).ok());
    CHECK(WaitFor([&] { return gc->stats().syncs >= 1; }));
    CHECK(gc->background_status().ok());

    env.SetSyncError(true);
    REQUIRE(gc->Append(RecordType::kAppendBatch, Bytes("y"), [&] { applied.push_back("y"); }).ok());
    CHECK(WaitFor([&] { return !gc->background_status().ok(); }));
    env.Reset();
    REQUIRE(gc->Append(RecordType::kAppendBatch, Bytes("z"), [&] { applied.push_back("z"); }).ok());
    CHECK(gc->current_number() == 2);
  }
  CHECK(ReplayAll(&env, dir.path()) == std::vector<std::string>{"x", "y", "z"});
}

TEST_CASE("group commit: SwitchFile starts the next file with no append in flight") {
  TempDir dir;
  Env* env = Env::Default();
  auto gcr = GroupCommit::Open(env, dir.path(), 10, Opts(SyncMode::kInterval));
  REQUIRE(gcr.ok());
  GroupCommit* gc = gcr->get();
  REQUIRE(gc->Append(RecordType::kAppendBatch, Bytes("old"), nullptr).ok());
  bool called = false;
  auto n = gc->SwitchFile([&] { called = true; });
  REQUIRE(n.ok());
  CHECK(*n == 11);
  CHECK(called);
  CHECK(gc->current_number() == 11);
  REQUIRE(gc->Append(RecordType::kAppendBatch, Bytes("new"), nullptr).ok());
  REQUIRE(gc->SyncNow().ok());

  auto old_records = ReplayWalDir(env, dir.path(), 10, [](const WalRecord& r) {
    return r.file.ends_with("000010.wal") || r.file.ends_with("000011.wal")
               ? Status::OK()
               : Status::Internal("unexpected file " + r.file);
  });
  REQUIRE(old_records.ok());
  CHECK(old_records->records == 2);
  CHECK(old_records->max_number == 11);
  size_t in_new = 0;
  REQUIRE(ReplayWalDir(env, dir.path(), 11, [&](const WalRecord&) {
            ++in_new;
            return Status::OK();
          }).ok());
  CHECK(in_new == 1);
}

TEST_CASE("group commit refuses a payload above the maximum without applying it") {
  TempDir dir;
  auto gcr = GroupCommit::Open(Env::Default(), dir.path(), 1, Opts(SyncMode::kNone));
  REQUIRE(gcr.ok());
  const size_t n = static_cast<size_t>(kMaxPayload) + 1;
  std::unique_ptr<uint8_t[]> big(new uint8_t[n]);
  bool applied = false;
  Status s = (*gcr)->Append(RecordType::kAppendBatch, std::span<const uint8_t>(big.get(), n),
                            [&] { applied = true; });
  CHECK(s.code() == Status::Code::kResourceExhausted);
  CHECK_FALSE(applied);
}

}  // namespace
}  // namespace laser::wal
