// Differential test: the same generated events are loaded into Laser (via
// INSERT through the C++ API) and into SQLite; at least 500 generated SELECTs
// (filters, expressions, aggregates, ORDER BY, LIMIT/OFFSET, LAST n written in
// SQLite as a ROW_NUMBER() window) must return the same rows.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "laser/laser.hpp"
#include "tests/sql/support/mem_db.hpp"

namespace {

// A cell reduced to what both engines agree on: NULL, a number, or text.
struct Cell {
  int kind = 0;  // 0 NULL, 1 number, 2 text
  double num = 0;
  std::string text;
  bool operator<(const Cell& o) const {
    if (kind != o.kind) return kind < o.kind;
    if (kind == 1) return num < o.num;
    return text < o.text;
  }
};
using Row = std::vector<Cell>;

bool Same(const Cell& a, const Cell& b) {
  if (a.kind != b.kind) return false;
  if (a.kind == 1) {
    return a.num == b.num ||
           std::fabs(a.num - b.num) <= 1e-9 * std::max(std::fabs(a.num), std::fabs(b.num));
  }
  return a.text == b.text;
}

std::string Show(const std::vector<Row>& rows) {
  std::string s;
  for (size_t i = 0; i < rows.size() && i < 20; ++i) {
    for (const Cell& c : rows[i]) {
      s += c.kind == 0 ? "NULL" : c.kind == 1 ? std::to_string(c.num) : c.text;
      s += " | ";
    }
    s += "\n";
  }
  return s;
}

const char* kActions[] = {"pv", "buy", "cart", "fav"};

class Gen {
 public:
  explicit Gen(uint32_t seed) : rnd_(seed) {}
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rnd_); }
  bool Coin(int pct) { return Int(1, 100) <= pct; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, static_cast<int>(v.size()) - 1))];
  }

  std::string Atom() {
    switch (Int(0, 11)) {
      case 0:
        return "user_id = " + std::to_string(Int(0, 32));
      case 1: {
        std::string s = "user_id IN (";
        const int n = Int(1, 4);
        for (int i = 0; i < n; ++i) s += (i ? ", " : "") + std::to_string(Int(0, 32));
        return s + ")";
      }
      case 2:
        return "ts >= " + std::to_string(1000 + Int(0, 6000));
      case 3:
        return "ts < " + std::to_string(1000 + Int(0, 6000));
      case 4: {
        const int a = 1000 + Int(0, 6000);
        return "ts BETWEEN " + std::to_string(a) + " AND " + std::to_string(a + Int(0, 3000));
      }
      case 5:
        return "item_id " + Pick<std::string>({">", "<", "=", "<>", ">=", "<="}) + " " +
               std::to_string(Int(1, 50));
      case 6:
        return "category = " + std::to_string(Int(1, 5));
      case 7:
        return std::string("action = '") + kActions[Int(0, 3)] + "'";
      case 8:
        return std::string("action IN ('") + kActions[Int(0, 3)] + "', '" + kActions[Int(0, 3)] +
               "')";
      case 9:
        return Coin(50) ? "dwell IS NULL" : "dwell IS NOT NULL";
      case 10:
        return "price " + Pick<std::string>({">", "<", ">=", "<="}) + " " +
               std::to_string(Int(-100, 100));
      default:
        return "(item_id + category) % 3 = " + std::to_string(Int(0, 2));
    }
  }

  std::string Pred(int depth = 0) {
    const int r = Int(0, 9);
    if (depth < 2 && r < 3) return "(" + Pred(depth + 1) + " AND " + Pred(depth + 1) + ")";
    if (depth < 2 && r < 5) return "(" + Pred(depth + 1) + " OR " + Pred(depth + 1) + ")";
    if (depth < 2 && r < 6) return "NOT (" + Pred(depth + 1) + ")";
    return Atom();
  }

  std::string Expr() {
    switch (Int(0, 9)) {
      case 0:
        return "item_id + category";
      case 1:
        return "price * 2 - item_id";
      case 2:
        return "dwell / 2";
      case 3:
        return "price % 7";
      case 4:
        return "price / 3";
      case 5:
        return "CASE WHEN price > 0 THEN 'pos' WHEN price < 0 THEN 'neg' ELSE 'zero' END";
      case 6:
        return "coalesce(dwell, -1)";
      case 7:
        return "abs(price)";
      case 8:
        return "item_id > 25";
      default:
        return "ts - 1000";
    }
  }

 private:
  std::mt19937 rnd_;
};

struct Query {
  std::string laser;
  std::string sqlite;
  bool ordered;  // compare in order (else as multisets)
};

Query MakeQuery(Gen& g) {
  const std::vector<std::string> cols = {"user_id",  "ts",    "item_id", "action",
                                         "category", "dwell", "price"};
  const std::string where = g.Coin(85) ? " WHERE " + g.Pred() : "";
  Query q;
  const int kind = g.Int(0, 4);
  if (kind == 0 || kind == 1) {
    // Projection + filter, maybe ORDER BY + LIMIT.
    std::string sel;
    const int n = g.Int(1, 4);
    for (int i = 0; i < n; ++i) {
      sel += (i ? ", " : "") + (g.Coin(60) ? g.Pick(cols) : g.Expr());
    }
    std::string tail;
    q.ordered = false;
    if (kind == 1) {
      const std::string k = g.Pick(cols);
      tail = " ORDER BY " + k + (g.Coin(50) ? " DESC" : "") + ", user_id, ts";
      if (g.Coin(70)) {
        tail += " LIMIT " + std::to_string(g.Int(0, 30));
        if (g.Coin(40)) tail += " OFFSET " + std::to_string(g.Int(0, 10));
      }
      q.ordered = true;
    }
    q.laser = "SELECT " + sel + " FROM events" + where + tail;
    q.sqlite = q.laser;
    return q;
  }
  if (kind == 2) {
    // Aggregates, optionally grouped.
    const std::vector<std::string> keys = {"user_id", "action", "category", "item_id % 4",
                                           "price > 0"};
    const std::vector<std::string> aggs = {
        "count(*)",     "count(dwell)", "count(DISTINCT item_id)",
        "sum(price)",   "sum(dwell)",   "min(price)",
        "max(item_id)", "avg(dwell)",   "avg(price)",
        "min(ts)",      "max(dwell)"};
    std::string gk;
    if (g.Coin(75)) gk = g.Pick(keys);
    if (!gk.empty() && g.Coin(30)) {
      std::string k2 = g.Pick(keys);
      if (k2 != gk) gk += ", " + k2;
    }
    std::string sel = gk;
    const int n = g.Int(1, 3);
    for (int i = 0; i < n; ++i) sel += (sel.empty() ? "" : ", ") + g.Pick(aggs);
    std::string tail;
    if (!gk.empty()) {
      tail = " GROUP BY " + gk;
      if (g.Coin(30)) tail += " HAVING count(*) > " + std::to_string(g.Int(0, 5));
      tail += " ORDER BY " + gk;
    }
    q.laser = "SELECT " + sel + " FROM events" + where + tail;
    q.sqlite = q.laser;
    q.ordered = true;
    return q;
  }
  // LAST n per user, optionally aggregated.
  const int last = g.Int(1, 8);
  const std::string inner =
      "(SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY ts DESC) AS rn "
      "FROM events" +
      where + ")";
  if (kind == 3) {
    std::string sel;
    const int n = g.Int(1, 3);
    for (int i = 0; i < n; ++i) sel += (i ? ", " : "") + g.Pick(cols);
    q.laser =
        "SELECT user_id, ts, " + sel + " FROM events" + where + " LAST " + std::to_string(last);
    q.sqlite = "SELECT user_id, ts, " + sel + " FROM " + inner +
               " WHERE rn <= " + std::to_string(last) + " ORDER BY user_id, ts";
    q.ordered = true;  // Laser emits users ascending, each in order-key order
    return q;
  }
  q.laser = "SELECT user_id, count(*), sum(price), max(ts) FROM events" + where + " LAST " +
            std::to_string(last) + " GROUP BY user_id ORDER BY user_id";
  q.sqlite = "SELECT user_id, count(*), sum(price), max(ts) FROM " + inner +
             " WHERE rn <= " + std::to_string(last) + " GROUP BY user_id ORDER BY user_id";
  q.ordered = true;
  return q;
}

}  // namespace

void RunDifferential(laser::Connection* conn) {
  sqlite3* sq = nullptr;
  REQUIRE(sqlite3_open(":memory:", &sq) == SQLITE_OK);
  auto exec = [&](const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(sq, sql.c_str(), nullptr, nullptr, &err);
    INFO(sql << ": " << (err ? err : ""));
    REQUIRE(rc == SQLITE_OK);
  };
  REQUIRE(
      conn->Execute("CREATE TABLE events (user_id U64 PARTITION KEY, ts TIMESTAMP(ms) ORDER KEY, "
                    "item_id U64, action ENUM('pv','buy','cart','fav'), category U32, dwell F64, "
                    "price I64)")
          .ok());
  exec(
      "CREATE TABLE events (user_id INTEGER, ts INTEGER, item_id INTEGER, action TEXT, category "
      "INTEGER, "
      "dwell REAL, price INTEGER)");

  Gen g(20261128);
  std::string values;
  size_t rows = 0;
  for (int u = 0; u <= 30; ++u) {
    const int n = u % 7 == 3 ? 0 : g.Int(0, 60);
    std::vector<int> ts;
    while (static_cast<int>(ts.size()) < n) {
      const int t = 1000 + g.Int(0, 6000);
      if (std::find(ts.begin(), ts.end(), t) == ts.end()) ts.push_back(t);
    }
    for (int t : ts) {
      const std::string dwell = g.Coin(20) ? "NULL" : std::to_string(g.Int(0, 40) * 0.25);
      const std::string price = g.Coin(10) ? "NULL" : std::to_string(g.Int(-100, 100));
      values += std::string(values.empty() ? "" : ", ") + "(" + std::to_string(u) + ", " +
                std::to_string(t) + ", " + std::to_string(g.Int(1, 50)) + ", '" +
                kActions[g.Int(0, 3)] + "', " + std::to_string(g.Int(1, 5)) + ", " + dwell + ", " +
                price + ")";
      ++rows;
    }
  }
  REQUIRE(rows > 500);
  auto ins = conn->Execute("INSERT INTO events VALUES " + values);
  REQUIRE_MESSAGE(ins.ok(), ins.status().ToString());
  exec("INSERT INTO events VALUES " + values);

  int compared = 0, nonempty = 0;
  for (int i = 0; i < 600; ++i) {
    // Halfway, the data moves from the memtable to segment files.
    if (i == 300) REQUIRE(conn->db()->Flush().ok());
    const Query q = MakeQuery(g);
    INFO("query " << i << ": " << q.laser << "\nsqlite: " << q.sqlite);
    auto r = conn->Execute(q.laser);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    std::vector<Row> mine;
    for (size_t row = 0; row < r->num_rows(); ++row) {
      Row out;
      for (size_t c = 0; c < r->columns.size(); ++c) {
        const laser::Value v = r->Get(row, c);
        Cell cell;
        if (v.is_null()) {
          cell.kind = 0;
        } else if (auto* s = std::get_if<std::string>(&v.v)) {
          cell.kind = 2;
          cell.text = *s;
        } else if (auto* x = std::get_if<int64_t>(&v.v)) {
          cell.kind = 1;
          cell.num = static_cast<double>(*x);
        } else if (auto* u = std::get_if<uint64_t>(&v.v)) {
          cell.kind = 1;
          cell.num = static_cast<double>(*u);
        } else {
          cell.kind = 1;
          cell.num = std::get<double>(v.v);
        }
        out.push_back(cell);
      }
      mine.push_back(std::move(out));
    }
    sqlite3_stmt* st = nullptr;
    REQUIRE_MESSAGE(sqlite3_prepare_v2(sq, q.sqlite.c_str(), -1, &st, nullptr) == SQLITE_OK,
                    sqlite3_errmsg(sq));
    std::vector<Row> theirs;
    while (sqlite3_step(st) == SQLITE_ROW) {
      Row out;
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        Cell cell;
        switch (sqlite3_column_type(st, c)) {
          case SQLITE_NULL:
            cell.kind = 0;
            break;
          case SQLITE_INTEGER:
            cell.kind = 1;
            cell.num = static_cast<double>(sqlite3_column_int64(st, c));
            break;
          case SQLITE_FLOAT:
            cell.kind = 1;
            cell.num = sqlite3_column_double(st, c);
            break;
          default:
            cell.kind = 2;
            cell.text = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
        }
        out.push_back(cell);
      }
      theirs.push_back(std::move(out));
    }
    sqlite3_finalize(st);
    if (!q.ordered) {
      std::sort(mine.begin(), mine.end());
      std::sort(theirs.begin(), theirs.end());
    }
    INFO("laser:\n" << Show(mine) << "sqlite:\n" << Show(theirs));
    REQUIRE(mine.size() == theirs.size());
    for (size_t k = 0; k < mine.size(); ++k) {
      REQUIRE(mine[k].size() == theirs[k].size());
      for (size_t c = 0; c < mine[k].size(); ++c) REQUIRE(Same(mine[k][c], theirs[k][c]));
    }
    ++compared;
    if (!mine.empty()) ++nonempty;
  }
  CHECK(compared == 600);
  // The generator must produce meaningful queries, not mostly empty results.
  CHECK(nonempty > 300);
  sqlite3_close(sq);
}

TEST_CASE("Laser on MemDB and SQLite agree on 600 generated SELECTs") {
  laser::testing::MemDB db;
  auto conn = laser::Connection::Wrap(&db);
  RunDifferential(conn.get());
}

TEST_CASE("Laser on a database directory and SQLite agree on 600 generated SELECTs") {
  const std::string dir = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") +
                          "/laser_differential_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  laser::Options o;
  o.sync = laser::SyncMode::kNone;
  o.memtable_bytes = 64 << 10;  // several flushes: reads merge segments and the memtable
  auto conn = laser::Connection::Open(dir, o);
  REQUIRE_MESSAGE(conn.ok(), conn.status().ToString());
  RunDifferential(conn->get());
  conn->reset();
  std::filesystem::remove_all(dir);
}
