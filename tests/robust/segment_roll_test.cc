// A flush or merge that fills more than one new segment file: every segment
// it wrote must be committed with its id and its size (and be durable)
// before the manifest names it, so the database reopens with all the data.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <vector>

#include "tests/robust/robust_util.hpp"

namespace laser::robust {
namespace {

TEST_CASE("segment roll: a flush and a merge spanning several new segments reopen intact") {
  ScratchDir tmp;
  const std::string dir = tmp.Sub("db");
  EngineTuning t;
  t.segment_target_bytes = 8u << 10;  // one flush fills several segments
  Options o;
  o.sync = SyncMode::kNone;
  o.background_merge = false;
  o.memtable_bytes = size_t{1} << 30;
  const TableSchema s = AllTypesSchema("t");
  std::mt19937_64 rng(5);
  std::map<uint64_t, std::vector<Row>> want;
  {
    auto db = DBImpl::OpenWithEnv(dir, o, Env::Default(), t);
    REQUIRE_MESSAGE(db.ok(), db.status().ToString());
    REQUIRE((*db)->CreateTable(s).ok());
    for (int round = 0; round < 3; ++round) {
      std::vector<Row> rows;
      for (int i = 0; i < 600; ++i) {
        Row r;
        for (size_t c = 0; c < s.columns.size(); ++c) {
          if (c == 0) {
            r.push_back(Value::UInt(rng() % 20));
          } else if (c == 1) {
            r.push_back(Value::Int(round * 1000 + i));
          } else {
            r.push_back(RandomValue(s.columns[c], rng));
          }
        }
        want[std::get<uint64_t>(r[0].v)].push_back(r);
        rows.push_back(std::move(r));
      }
      REQUIRE((*db)->Append("t", MakeBatch(s, rows)).ok());
      Status st = (*db)->Flush();
      REQUIRE_MESSAGE(st.ok(), st.ToString());
    }
    Status st = (*db)->Compact();
    REQUIRE_MESSAGE(st.ok(), st.ToString());
    st = (*db)->Close();
    REQUIRE_MESSAGE(st.ok(), st.ToString());
  }
  auto db = DBImpl::OpenWithEnv(dir, o, Env::Default(), t);
  REQUIRE_MESSAGE(db.ok(), "reopen: " << db.status().ToString());
  for (const auto& [u, rows] : want) {
    const uint64_t user = u;  // CHECK_MESSAGE's lambda may not name a structured binding
    auto got = (*db)->Read("t", user, ReadOptions{});
    REQUIRE_MESSAGE(got.ok(), got.status().ToString());
    CHECK_MESSAGE(DiffRows(*got, rows) == "", "user " << user);
  }
}

}  // namespace
}  // namespace laser::robust
