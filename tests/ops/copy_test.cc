// COPY atomicity and streaming, chunking of large results, on MemDB (whose
// appends can be made to fail) and with a tiny staging budget to force the
// two-pass path.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "laser/laser.hpp"
#include "tests/sql/support/mem_db.hpp"

namespace {

const char* kCreate =
    "CREATE TABLE events (user_id U64 PARTITION KEY, ts TIMESTAMP(ms) ORDER KEY, item_id U64, "
    "category U32, action ENUM('pv','buy','cart','fav'))";

std::string WriteTaobao(const std::string& name, int rows, const std::string& last_line) {
  const auto p =
      std::filesystem::temp_directory_path() / (name + "_" + std::to_string(getpid()) + ".csv");
  std::ofstream out(p);
  const char* acts[] = {"pv", "buy", "cart", "fav"};
  for (int i = 0; i < rows; ++i) {
    out << (i % 97) << "," << (1000 + i) << "," << (i % 13) << "," << acts[i % 4] << ","
        << (1511544000 + i) << "\n";
  }
  out << last_line;
  return p.string();
}

const char* kOpts = "(FORMAT csv, COLUMNS (user_id, item_id, category, action, ts), TIME_UNIT 's')";

}  // namespace

TEST_CASE("COPY: a bad row at the end ingests nothing, and names line and column") {
  for (size_t staging : {size_t{256} << 20, size_t{4096}}) {
    laser::testing::MemDB db;
    laser::QueryOptions q;
    q.copy_staging_bytes = staging;  // 4096: validate-then-append in chunks
    auto conn = laser::Connection::Wrap(&db, q);
    REQUIRE(conn->Execute(kCreate).ok());
    const std::string path = WriteTaobao("bad_end", 10000, "5,1,2,pv,not_a_time\n");
    auto r = conn->Execute("COPY events FROM '" + path + "' " + kOpts);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("line 10001, column 'ts' (field 5)") != std::string::npos);
    CHECK(r.status().message().find("nothing was ingested") != std::string::npos);
    CHECK(db.appends() == 0);
    auto n = conn->Execute("SELECT count(*) FROM events");
    REQUIRE(n.ok());
    CHECK(n->Get(0, 0) == laser::Value::Int(0));
    std::filesystem::remove(path);
  }
}

TEST_CASE("COPY: small files commit with one append, large ones stream in chunks") {
  laser::testing::MemDB db;
  auto conn = laser::Connection::Wrap(&db);
  REQUIRE(conn->Execute(kCreate).ok());
  const std::string path = WriteTaobao("good", 200000, "");
  auto r = conn->Execute("COPY events FROM '" + path + "' " + kOpts);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->rows_affected == 200000);
  CHECK(db.appends() == 1);

  laser::testing::MemDB db2;
  laser::QueryOptions q;
  q.copy_staging_bytes = 1 << 16;
  auto conn2 = laser::Connection::Wrap(&db2, q);
  REQUIRE(conn2->Execute(kCreate).ok());
  auto r2 = conn2->Execute("COPY events FROM '" + path + "' " + kOpts);
  REQUIRE_MESSAGE(r2.ok(), r2.status().ToString());
  CHECK(db2.appends() > 1);
  for (auto* c : {conn.get(), conn2.get()}) {
    auto n =
        c->Execute("SELECT count(*), count(DISTINCT user_id), min(ts), max(item_id) FROM events");
    REQUIRE(n.ok());
    CHECK(n->Get(0, 0) == laser::Value::Int(200000));
    CHECK(n->Get(0, 1) == laser::Value::Int(97));
    CHECK(n->Get(0, 2) == laser::Value::Int(1511544000000));  // seconds -> ms
    CHECK(n->Get(0, 3) == laser::Value::UInt(200999));
  }
  std::filesystem::remove(path);
}

TEST_CASE("COPY: a failing append ingests nothing") {
  laser::testing::MemDB db;
  auto conn = laser::Connection::Wrap(&db);
  REQUIRE(conn->Execute(kCreate).ok());
  const std::string path = WriteTaobao("fail", 100, "");
  db.FailNextAppend();
  auto r = conn->Execute("COPY events FROM '" + path + "' " + kOpts);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("nothing was ingested") != std::string::npos);
  auto n = conn->Execute("SELECT count(*) FROM events");
  CHECK(n->Get(0, 0) == laser::Value::Int(0));
  std::filesystem::remove(path);
}

TEST_CASE("CSV quoting, NULL strings, delimiters and header mapping") {
  laser::testing::MemDB db;
  auto conn = laser::Connection::Wrap(&db);
  REQUIRE(conn->Execute("CREATE TABLE t (u U64 PARTITION KEY, ts I64 ORDER KEY, s STRING, f F64)")
              .ok());
  const auto p =
      std::filesystem::temp_directory_path() / ("q_" + std::to_string(getpid()) + ".csv");
  {
    std::ofstream out(p);
    out << "f;extra;ts;u;s\n";
    out << "1.5;x;1;1;\"a;b\"\n";
    out << "NA;y;2;1;\"multi\nline \"\"quoted\"\"\"\n";
    out << "2;z;3;2;NA\n";
  }
  auto r =
      conn->Execute("COPY t FROM '" + p.string() + "' (HEADER true, DELIMITER ';', NULL 'NA')");
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  auto q = conn->Execute("SELECT u, ts, s, f FROM t");
  REQUIRE(q.ok());
  REQUIRE(q->num_rows() == 3);
  CHECK(q->Get(0, 2) == laser::Value::String("a;b"));
  CHECK(q->Get(1, 2) == laser::Value::String("multi\nline \"quoted\""));
  CHECK(q->Get(1, 3).is_null());
  CHECK(q->Get(2, 2).is_null());
  std::filesystem::remove(p);
}

TEST_CASE("results larger than a chunk arrive in batches of at most 2048 rows") {
  laser::testing::MemDB db;
  auto conn = laser::Connection::Wrap(&db);
  REQUIRE(conn->Execute(kCreate).ok());
  std::string values;
  for (int i = 0; i < 5000; ++i) {
    values += std::string(i ? "," : "") + "(1," + std::to_string(i) + "," + std::to_string(i) +
              ",1,'pv')";
  }
  REQUIRE(conn->Execute("INSERT INTO events VALUES " + values).ok());
  auto r = conn->Execute("SELECT item_id FROM events WHERE item_id % 2 = 0");
  REQUIRE(r.ok());
  CHECK(r->num_rows() == 2500);
  for (const auto& b : r->batches) CHECK(b.num_rows() <= 2048);
  auto last = conn->Execute("SELECT item_id FROM events WHERE user_id = 1 LAST 3000");
  REQUIRE(last.ok());
  CHECK(last->num_rows() == 3000);
  CHECK(last->Get(0, 0) == laser::Value::UInt(2000));
  CHECK(db.users_read() >= 2);
  const uint64_t before = db.users_read();
  REQUIRE(conn->Execute("SELECT count(*) FROM events WHERE user_id = 77").ok());
  CHECK(db.users_read() == before + 1);  // one user's blocks only
}
