// Readers concurrently with a writer, automatic flushes and the background
// merge: every read sees a consistent prefix of each user's events.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "tests/engine/engine_test_util.hpp"

namespace laser::testing {

TEST_CASE("readers during appends, flushes and background merge see consistent prefixes") {
  ScratchDir dir;
  Options opts = TestOptions();
  opts.memtable_bytes = 64 << 10;  // frequent automatic flushes
  opts.background_merge = true;
  opts.block_cache_bytes = 1 << 20;
  EngineTuning tuning;
  tuning.background_poll_ms = 5;
  tuning.segment_target_bytes = 256 << 10;
  // Flushes install the 8 users' blocks 3 at a time: reads run between the
  // chunks and must skip the installed users' memtable rows, and only theirs.
  tuning.install_chunk_users = 3;
  auto db = OpenDb(dir.db(), opts, Env::Default(), tuning);
  const TableSchema schema = EventsSchema();
  REQUIRE(db->CreateTable(schema).ok());
  constexpr uint64_t kUsers = 8;
  constexpr int kRounds = 300;
  // acked[u] = number of events of user u acknowledged so far; event i of a
  // user has order key i.
  std::atomic<int64_t> acked[kUsers];
  for (auto& a : acked) a = 0;
  std::atomic<bool> done{false};
  std::atomic<uint64_t> failures{0};
  std::atomic<uint64_t> reads{0};

  std::thread writer([&] {
    uint64_t counter = 0;
    for (int r = 0; r < kRounds; ++r) {
      std::vector<Event> events;
      for (uint64_t u = 0; u < kUsers; ++u) {
        for (int k = 0; k < 5; ++k) events.push_back(MakeEvent(u, r * 5 + k, counter++));
      }
      if (!db->Append("events", MakeBatch(schema, events)).ok()) failures++;
      for (auto& a : acked) a = (r + 1) * 5;
    }
    done = true;
  });
  auto reader = [&](uint64_t seed) {
    uint64_t i = seed;
    while (!done) {
      const uint64_t u = i++ % kUsers;
      const int64_t before = acked[u];
      ReadOptions o;
      o.last_n = 1 + (i * 37) % 120;
      o.columns = {"ts", "item"};
      auto got = db->Read("events", u, o);
      if (!got.ok()) {
        failures++;
        continue;
      }
      const auto& ts = got->columns[0].ints;
      // A suffix of 0, 1, 2, ...: consecutive, and not older than what was
      // acknowledged when the read began.
      bool good = ts.size() <= o.last_n;
      for (size_t k = 1; k < ts.size(); ++k) good = good && ts[k] == ts[k - 1] + 1;
      if (before > 0) {
        good = good && !ts.empty() && ts.back() >= before - 1 &&
               ts.size() == std::min<uint64_t>(o.last_n, static_cast<uint64_t>(ts.back() + 1));
      }
      if (!good) failures++;
      reads++;
      if (i % 16 == 0) {
        std::vector<uint64_t> all = {0, 1, 2, 3, 4, 5, 6, 7};
        if (!db->ReadMany("events", all, o).ok()) failures++;
      }
    }
  };
  std::thread r1(reader, 1), r2(reader, 2);
  writer.join();
  r1.join();
  r2.join();
  CHECK(failures == 0);
  CHECK(reads > 0);
  REQUIRE(db->Compact().ok());
  for (uint64_t u = 0; u < kUsers; ++u) {
    auto got = db->Read("events", u, ReadOptions{});
    REQUIRE(got.ok());
    REQUIRE(got->num_rows() == kRounds * 5);
    for (size_t k = 0; k < got->num_rows(); ++k) {
      CHECK(got->columns[1].ints[k] == static_cast<int64_t>(k));
    }
  }
  const Stats st = db->GetStats();
  CHECK(st.events == kUsers * kRounds * 5);
  CHECK(st.users == kUsers);
  CHECK(st.index_entries > 0);
  CHECK(st.index_bytes > 0);
}

}  // namespace laser::testing
