// The C++ Connection facade and the C API, on a real database directory.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "laser/laser.h"
#include "laser/laser.hpp"

namespace {

std::string TempDir(const std::string& name) {
  const auto p = std::filesystem::temp_directory_path() /
                 ("laser_api_" + name + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(p);
  return p.string();
}

const char* kCreate =
    "CREATE TABLE events (user_id U64 PARTITION KEY, ts TIMESTAMP(ms) ORDER KEY, item_id U64, "
    "action ENUM('pv','buy','cart','fav'), dwell F32)";

}  // namespace

TEST_CASE("Connection runs several statements and returns column batches") {
  const std::string dir = TempDir("exec");
  laser::Options o;
  o.sync = laser::SyncMode::kNone;
  auto c = laser::Connection::Open(dir, o);
  REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  auto& conn = *c;
  auto all = conn->ExecuteAll(std::string(kCreate) +
                              "; INSERT INTO events VALUES (1, 10, 100, 'pv', 1.5), (1, 20, 101, "
                              "'buy', 2.5), (2, 15, 100, 'cart', NULL);"
                              "SELECT user_id, item_id, action FROM events ORDER BY ts");
  REQUIRE_MESSAGE(all.ok(), all.status().ToString());
  REQUIRE(all->size() == 3);
  CHECK((*all)[1].rows_affected == 3);
  const laser::QueryResult& r = (*all)[2];
  REQUIRE(r.columns.size() == 3);
  CHECK(r.columns[0].name == "user_id");
  CHECK(r.columns[0].type == laser::Type::kU64);
  CHECK(r.columns[2].type == laser::Type::kString);  // ENUMs come back as labels
  REQUIRE(r.num_rows() == 3);
  CHECK(r.Get(1, 0) == laser::Value::UInt(2));
  CHECK(r.Get(2, 2) == laser::Value::String("buy"));
  CHECK(r.GetString(0, 2) == "pv");

  // An error in the second statement stops there, with its position.
  auto bad = conn->Execute("SELECT 1;\nSELECT nope FROM events");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("at 2:8") != std::string::npos);
  CHECK(conn->Execute("").ok());
  std::filesystem::remove_all(dir);
}

TEST_CASE("prepared statements bind by index and run many times") {
  const std::string dir = TempDir("prep");
  laser::Options o;
  o.sync = laser::SyncMode::kNone;
  auto c = laser::Connection::Open(dir, o);
  REQUIRE(c.ok());
  auto& conn = *c;
  REQUIRE(conn->Execute(kCreate).ok());
  auto ins = conn->Prepare("INSERT INTO events VALUES (?, ?, ?, ?, ?)");
  REQUIRE_MESSAGE(ins.ok(), ins.status().ToString());
  CHECK((*ins)->num_params() == 5);
  for (int i = 0; i < 10; ++i) {
    REQUIRE((*ins)->Bind(1, laser::Value::UInt(static_cast<uint64_t>(i % 3))).ok());
    REQUIRE((*ins)->Bind(2, laser::Value::Int(1000 + i)).ok());
    REQUIRE((*ins)->Bind(3, laser::Value::Int(i)).ok());
    REQUIRE((*ins)->Bind(4, laser::Value::String(i % 2 ? "buy" : "pv")).ok());
    REQUIRE((*ins)->Bind(5, i == 4 ? laser::Value::Null() : laser::Value::Float(0.5 * i)).ok());
    auto r = (*ins)->Execute();
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(r->rows_affected == 1);
  }
  CHECK_FALSE((*ins)->Bind(0, laser::Value::Int(1)).ok());
  CHECK_FALSE((*ins)->Bind(6, laser::Value::Int(1)).ok());

  auto q = conn->Prepare("SELECT item_id FROM events WHERE user_id = ? AND action = ? LAST ?");
  REQUIRE(q.ok());
  REQUIRE((*q)->Bind(1, laser::Value::Int(1)).ok());
  REQUIRE((*q)->Bind(2, laser::Value::String("buy")).ok());
  // Unbound parameter 3.
  auto unbound = (*q)->Execute();
  REQUIRE_FALSE(unbound.ok());
  CHECK(unbound.status().message().find("?3") != std::string::npos);
  REQUIRE((*q)->Bind(3, laser::Value::Int(2)).ok());
  auto r = (*q)->Execute();
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  // user 1 has i = 1, 4, 7 ; buy = odd i -> 1, 7; the newest two are 1 and 7.
  REQUIRE(r->num_rows() == 2);
  CHECK(r->Get(0, 0) == laser::Value::UInt(1));
  CHECK(r->Get(1, 0) == laser::Value::UInt(7));
  REQUIRE((*q)->Bind(3, laser::Value::Int(1)).ok());
  auto r1 = (*q)->Execute();
  REQUIRE(r1.ok());
  CHECK(r1->num_rows() == 1);
  // Execute refuses placeholders.
  CHECK_FALSE(conn->Execute("SELECT ? + 1").ok());
  std::filesystem::remove_all(dir);
}

TEST_CASE("Interrupt aborts the running statement, and only that one") {
  const std::string dir = TempDir("intr");
  laser::Options o;
  o.sync = laser::SyncMode::kNone;
  auto c = laser::Connection::Open(dir, o);
  REQUIRE(c.ok());
  auto& conn = *c;
  REQUIRE(conn->Execute(kCreate).ok());
  std::string values;
  for (int i = 0; i < 5000; ++i) {
    values += std::string(i ? "," : "") + "(" + std::to_string(i % 50) + "," + std::to_string(i) +
              ",1,'pv',1)";
  }
  REQUIRE(conn->Execute("INSERT INTO events VALUES " + values).ok());
  auto s = conn->Stream("SELECT * FROM events");
  REQUIRE(s.ok());
  laser::Batch b;
  auto first = (*s)->Next(&b);
  REQUIRE(first.ok());
  CHECK(*first);
  conn->Interrupt();  // as the shell's Ctrl-C handler does from another thread
  auto next = (*s)->Next(&b);
  REQUIRE_FALSE(next.ok());
  CHECK(next.status().code() == laser::Status::Code::kAborted);
  // The next statement runs normally.
  auto r = conn->Execute("SELECT count(*) FROM events");
  REQUIRE(r.ok());
  CHECK(r->Get(0, 0) == laser::Value::Int(5000));
  std::filesystem::remove_all(dir);
}

TEST_CASE("a per-query memory limit turns a runaway query into a clear error") {
  const std::string dir = TempDir("mem");
  laser::Options o;
  o.sync = laser::SyncMode::kNone;
  laser::QueryOptions q;
  q.memory_limit_bytes = 1 << 20;
  auto c = laser::Connection::Open(dir, o, q);
  REQUIRE(c.ok());
  auto& conn = *c;
  REQUIRE(conn->Execute(kCreate).ok());
  std::string values;
  for (int i = 0; i < 50000; ++i) {
    values += std::string(i ? "," : "") + "(" + std::to_string(i % 100) + "," + std::to_string(i) +
              "," + std::to_string(i) + ",'pv',1)";
  }
  REQUIRE(conn->Execute("INSERT INTO events VALUES " + values).ok());
  auto sorted = conn->Execute("SELECT * FROM events ORDER BY item_id DESC");
  REQUIRE_FALSE(sorted.ok());
  CHECK(sorted.status().code() == laser::Status::Code::kResourceExhausted);
  CHECK(sorted.status().message().find("Sort") != std::string::npos);
  auto grouped = conn->Execute("SELECT item_id, count(*) FROM events GROUP BY item_id");
  REQUIRE_FALSE(grouped.ok());
  CHECK(grouped.status().message().find("HashAggregate") != std::string::npos);
  // Streaming work stays within the limit: top-n keeps only n rows.
  auto top = conn->Execute("SELECT item_id FROM events ORDER BY item_id DESC LIMIT 3");
  REQUIRE_MESSAGE(top.ok(), top.status().ToString());
  CHECK(top->Get(0, 0) == laser::Value::UInt(49999));
  std::filesystem::remove_all(dir);
}

namespace {

int CountRows(void* arg, int ncols, const char* const* values, const char* const* names) {
  auto* n = static_cast<int*>(arg);
  ++*n;
  CHECK(ncols == 2);
  CHECK(std::strcmp(names[0], "item_id") == 0);
  CHECK(values[0] != nullptr);
  return 0;
}

}  // namespace

TEST_CASE("C API: open, exec, prepare, bind, step, column access, errors") {
  const std::string dir = TempDir("capi");
  laser_db* db = nullptr;
  REQUIRE(laser_open(dir.c_str(), &db) == LASER_OK);
  REQUIRE(laser_exec(db, kCreate, nullptr, nullptr) == LASER_OK);
  laser_stmt* ins = nullptr;
  REQUIRE(laser_prepare(db, "INSERT INTO events VALUES (?, ?, ?, ?, ?)", &ins) == LASER_OK);
  CHECK(laser_bind_parameter_count(ins) == 5);
  for (int i = 0; i < 4; ++i) {
    REQUIRE(laser_bind_uint64(ins, 1, 7) == LASER_OK);
    REQUIRE(laser_bind_int64(ins, 2, 100 + i) == LASER_OK);
    REQUIRE(laser_bind_int64(ins, 3, 40 + i) == LASER_OK);
    REQUIRE(laser_bind_text(ins, 4, i % 2 ? "buy" : "pv", -1) == LASER_OK);
    if (i == 3) {
      REQUIRE(laser_bind_null(ins, 5) == LASER_OK);
    } else {
      REQUIRE(laser_bind_double(ins, 5, 0.5 + i) == LASER_OK);
    }
    REQUIRE(laser_step(ins) == LASER_DONE);
    CHECK(laser_changes(ins) == 1);
    REQUIRE(laser_reset(ins) == LASER_OK);
  }
  CHECK(laser_bind_int64(ins, 9, 1) == LASER_ERROR);
  CHECK(std::string(laser_errmsg(db)).find("out of range") != std::string::npos);
  laser_finalize(ins);

  laser_stmt* q = nullptr;
  REQUIRE(laser_prepare(db,
                        "SELECT item_id, action, dwell, ts FROM events WHERE user_id = ? LAST 3",
                        &q) == LASER_OK);
  REQUIRE(laser_bind_int64(q, 1, 7) == LASER_OK);
  std::vector<int64_t> items;
  int rc = 0;
  while ((rc = laser_step(q)) == LASER_ROW) {
    CHECK(laser_column_count(q) == 4);
    CHECK(std::strcmp(laser_column_name(q, 0), "item_id") == 0);
    CHECK(laser_column_type(q, 0) == LASER_TYPE_UINT64);
    CHECK(laser_column_type(q, 1) == LASER_TYPE_TEXT);
    CHECK(laser_column_type(q, 2) == LASER_TYPE_DOUBLE);
    CHECK(laser_column_type(q, 3) == LASER_TYPE_TIMESTAMP);
    items.push_back(laser_column_int64(q, 0));
    if (items.size() == 3) {
      CHECK(laser_column_is_null(q, 2) == 1);
      CHECK(laser_column_text(q, 2) == nullptr);
      CHECK(std::string(laser_column_text(q, 1)) == "buy");
      CHECK(laser_column_int64(q, 3) == 103);
    } else {
      CHECK(laser_column_is_null(q, 2) == 0);
    }
  }
  CHECK(rc == LASER_DONE);
  CHECK(items == std::vector<int64_t>{41, 42, 43});
  CHECK(laser_step(q) == LASER_DONE);
  laser_finalize(q);

  int rows = 0;
  REQUIRE(laser_exec(db, "SELECT item_id, action FROM events", CountRows, &rows) == LASER_OK);
  CHECK(rows == 4);

  laser_stmt* bad = nullptr;
  CHECK(laser_prepare(db, "SELECT nope FROM events", &bad) == LASER_OK);  // binding happens at step
  CHECK(laser_step(bad) == LASER_ERROR);
  CHECK(std::string(laser_errmsg(db)).find("column 'nope' does not exist") != std::string::npos);
  laser_finalize(bad);
  CHECK(laser_prepare(db, "SELEC 1", &bad) == LASER_ERROR);
  CHECK(std::string(laser_errmsg(db)).find("1:1") != std::string::npos);
  CHECK(bad == nullptr);
  CHECK(laser_exec(db, "SELECT 1; SELECT x FROM nowhere", nullptr, nullptr) == LASER_ERROR);
  laser_close(db);
  std::filesystem::remove_all(dir);
}
