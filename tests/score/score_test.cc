// SCORE(...) end to end: the dialect through laser::Connection on a real
// database directory, against model::Score on the same histories and against
// the reference outputs in tests/model/golden/.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "laser/laser.hpp"
#include "operators/model/model.hpp"
#include "operators/model/safetensors.hpp"
#include "operators/model/scorer.hpp"

namespace laser {
namespace {

std::string GoldenDir() { return std::string(LASER_SOURCE_DIR) + "/tests/model/golden/"; }

class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_((std::filesystem::temp_directory_path() /
               ("laser_score_" + name + "_" + std::to_string(getpid())))
                  .string()) {
    std::filesystem::remove_all(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::unique_ptr<Connection> Open(const std::string& dir) {
  Options o;
  o.sync = SyncMode::kNone;
  o.background_merge = false;
  auto c = Connection::Open(dir, o);
  REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  return std::move(c).value();
}

QueryResult Exec(Connection* c, const std::string& sql) {
  auto r = c->Execute(sql);
  REQUIRE_MESSAGE(r.ok(), sql << "\n" << r.status().ToString());
  return std::move(r).value();
}

// The error of a statement that must fail.
Status Fails(Connection* c, const std::string& sql) {
  auto r = c->Execute(sql);
  REQUIRE_MESSAGE(!r.ok(), "expected an error: " << sql);
  return r.status();
}

bool Contains(const Status& s, const std::string& part) {
  return s.message().find(part) != std::string::npos;
}

std::shared_ptr<const model::Model> LoadGoldenModel(const std::string& name) {
  auto m = model::Model::Load(GoldenDir() + name + ".safetensors", model::ModelOptions{});
  REQUIRE_MESSAGE(m.ok(), m.status().ToString());
  return *m;
}

struct History {
  std::vector<uint64_t> items;
  std::vector<int64_t> actions;
};

// `events`: item_id U64, action ENUM (ordinal = action) or I64.
std::string CreateEvents(const std::string& table, const char* action_type) {
  return "CREATE TABLE " + table +
         " (user_id U64 PARTITION KEY, ts TIMESTAMP(ms) ORDER KEY, item_id U64, action " +
         action_type + ", dwell F32)";
}
constexpr const char* kEnum = "ENUM('pv','buy','cart','fav')";

// Appends events [begin, end) of `h` for `user` with ts = 1000 + i.
void Append(DB* db, const std::string& table, Type action_type, uint64_t user, const History& h,
            size_t begin, size_t end) {
  Batch b;
  b.AddColumn("user_id", Type::kU64);
  b.AddColumn("ts", Type::kTimestamp);
  b.AddColumn("item_id", Type::kU64);
  b.AddColumn("action", action_type);
  // References only after the last AddColumn: it may move the columns.
  ColumnVector& u = b.columns[0];
  ColumnVector& ts = b.columns[1];
  ColumnVector& item = b.columns[2];
  ColumnVector& action = b.columns[3];
  for (size_t i = begin; i < end; ++i) {
    u.uints.push_back(user);
    ts.ints.push_back(1000 + static_cast<int64_t>(i));
    item.uints.push_back(h.items[i]);
    action.ints.push_back(h.actions[i]);
  }
  Status st = db->Append(table, b);
  REQUIRE_MESSAGE(st.ok(), st.ToString());
}

History RandomHistory(std::mt19937_64* rng, size_t n, uint64_t max_item, int actions) {
  History h;
  for (size_t i = 0; i < n; ++i) {
    h.items.push_back((*rng)() % (max_item + 1));
    h.actions.push_back(static_cast<int64_t>((*rng)() % static_cast<uint64_t>(actions)));
  }
  return h;
}

std::string List(const std::vector<uint64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

model::ScoreOutput Direct(const model::Model& m, const History& h,
                          const std::vector<uint64_t>& targets,
                          model::ScoreMethod method = model::ScoreMethod::kSta) {
  model::ScoreOptions o;
  o.method = method;
  o.want_interest = true;
  model::ScoreOutput out;
  model::ScoreScratch scratch;
  Status st = model::Score(m, h.items, h.actions, targets, o, &out, &scratch);
  REQUIRE_MESSAGE(st.ok(), st.ToString());
  return out;
}

double AsDouble(const Value& v) {
  REQUIRE(std::holds_alternative<double>(v.v));
  return std::get<double>(v.v);
}
uint64_t AsU64(const Value& v) {
  REQUIRE(std::holds_alternative<uint64_t>(v.v));
  return std::get<uint64_t>(v.v);
}

std::vector<double> ParseVector(const std::string& s) {
  REQUIRE(s.size() >= 2);
  REQUIRE(s.front() == '[');
  REQUIRE(s.back() == ']');
  std::vector<double> out;
  const char* p = s.c_str() + 1;
  while (*p != ']') {
    char* end = nullptr;
    out.push_back(std::strtod(p, &end));
    REQUIRE(end != p);
    p = end;
    if (*p == ',') p += 2;
  }
  return out;
}

// Rows of `r` (SELECT * FROM SCORE(...)) from `row0` for `user` must equal
// `want` for `targets`, in order.
void CheckRows(const QueryResult& r, size_t row0, uint64_t user,
               const std::vector<uint64_t>& targets, const model::ScoreOutput& want,
               double tol = 0) {
  REQUIRE(r.num_rows() >= row0 + targets.size());
  for (size_t k = 0; k < targets.size(); ++k) {
    CHECK(AsU64(r.Get(row0 + k, 0)) == user);
    CHECK(AsU64(r.Get(row0 + k, 1)) == targets[k]);
    CHECK(std::abs(AsDouble(r.Get(row0 + k, 2)) - want.score[k]) <= tol);
    CHECK(std::abs(AsDouble(r.Get(row0 + k, 3)) - want.logit[k]) <= tol);
  }
}

}  // namespace

TEST_CASE("SCORE through SQL equals model::Score on the same history") {
  TempDir dir("direct");
  auto conn = Open(dir.path());
  auto m = LoadGoldenModel("demo");  // L = 40, w = 10, item ids 1..60, 4 actions
  Exec(conn.get(), CreateEvents("events", kEnum));
  Exec(conn.get(), "CREATE MODEL m FROM '" + GoldenDir() + "demo.safetensors'");
  std::mt19937_64 rng(42);
  std::map<uint64_t, History> users;
  for (size_t n : {1, 9, 10, 11, 40, 41, 95}) {
    const uint64_t user = 100 + n;
    users[user] = RandomHistory(&rng, n, 70, 4);  // ids 61..70 are unknown
    Append(conn->db(), "events", Type::kEnum, user, users[user], 0, n);
  }
  // Events written through INSERT land in the same history.
  Exec(conn.get(),
       "INSERT INTO events VALUES (42, 1000, 7, 'buy', 1.0), (42, 1001, 13, 'pv', 2.0), "
       "(42, 1002, 19, 'cart', NULL), (42, 1003, 8, 'fav', 0.5)");
  users[42] = History{{7, 13, 19, 8}, {1, 0, 2, 3}};

  const std::vector<uint64_t> targets = {1, 7, 13, 19, 25, 31, 8, 2, 3, 60, 0, 999, 1ull << 40};
  for (const auto& [u, h] : users) {
    const uint64_t user = u;  // CAPTURE's lambda may not name a structured binding
    CAPTURE(user);
    const QueryResult r =
        Exec(conn.get(), "SELECT * FROM SCORE(m, events, user => " + std::to_string(user) +
                             ", targets => " + List(targets) + ")");
    REQUIRE(r.columns.size() == 4);
    CHECK(r.columns[0].name == "user");
    CHECK(r.columns[1].name == "target");
    CHECK(r.columns[2].name == "score");
    CHECK(r.columns[3].name == "logit");
    CHECK(r.columns[2].type == Type::kF64);
    REQUIRE(r.num_rows() == targets.size());
    CheckRows(r, 0, user, targets, Direct(*m, h, targets));
  }

  // The query of the dialect's example: the ten best targets, best first.
  const QueryResult top =
      Exec(conn.get(), "SELECT target, score FROM SCORE(m, events, user => 42, targets => " +
                           List(targets) + ") ORDER BY score DESC LIMIT 10");
  const model::ScoreOutput want = Direct(*m, users[42], targets);
  std::vector<float> sorted = want.score;
  std::sort(sorted.begin(), sorted.end(), std::greater<float>());
  REQUIRE(top.num_rows() == 10);
  for (size_t i = 0; i < 10; ++i) {
    CHECK(AsDouble(top.Get(i, 1)) == sorted[i]);
    const uint64_t t = AsU64(top.Get(i, 0));
    const size_t k = std::find(targets.begin(), targets.end(), t) - targets.begin();
    REQUIRE(k < targets.size());
    CHECK(want.score[k] == sorted[i]);
  }
  // The demo model ranks the categories (item % 6) of 42's recent items first.
  CHECK(std::set<uint64_t>{7, 13, 19, 25, 31, 1}.count(AsU64(top.Get(0, 0))) == 1);
}

TEST_CASE("SCORE matches the reference outputs in tests/model/golden") {
  TempDir dir("golden");
  auto conn = Open(dir.path());
  for (const std::string name : {"small", "odd", "demo"}) {
    CAPTURE(name);
    auto golden = model::SafetensorsFile::ReadFile(GoldenDir() + name + ".golden.safetensors");
    REQUIRE_MESSAGE(golden.ok(), golden.status().ToString());
    auto read = [&](const std::string& t, auto* out) {
      const model::TensorInfo* info = golden->Find(t);
      REQUIRE_MESSAGE(info != nullptr, t);
      out->resize(info->num_elements);
      auto raw = golden->Data(*info);
      REQUIRE(raw.size() == out->size() * sizeof((*out)[0]));
      if (!raw.empty()) std::memcpy(out->data(), raw.data(), raw.size());
    };
    const int cases = std::stoi(golden->metadata().at("cases"));
    // Golden actions include values outside the model's rows (-1, A, 2^40,
    // -2^62): an I64 action column holds them all.
    Exec(conn.get(), CreateEvents("ev_" + name, "I64"));
    Exec(conn.get(), "CREATE MODEL " + name + " FROM '" + GoldenDir() + name + ".safetensors'");
    std::vector<History> hs(cases);
    for (int k = 0; k < cases; ++k) {
      const std::string p = "case" + std::to_string(k) + ".";
      read(p + "items", &hs[k].items);
      read(p + "actions", &hs[k].actions);
    }
    // The older half of every history goes to flushed blocks, the newer half
    // stays in the memtable: reads merge both.
    for (int k = 0; k < cases; ++k) {
      Append(conn->db(), "ev_" + name, Type::kI64, k + 1, hs[k], 0, hs[k].items.size() / 2);
    }
    REQUIRE(conn->db()->Flush().ok());
    for (int k = 0; k < cases; ++k) {
      Append(conn->db(), "ev_" + name, Type::kI64, k + 1, hs[k], hs[k].items.size() / 2,
             hs[k].items.size());
    }
    for (int k = 0; k < cases; ++k) {
      CAPTURE(k);
      const std::string p = "case" + std::to_string(k) + ".";
      std::vector<uint64_t> targets;
      std::vector<double> score, logit, u;
      read(p + "targets", &targets);
      read(p + "score", &score);
      read(p + "logit", &logit);
      read(p + "u", &u);
      const std::string method = golden->metadata().at(p + "method");
      const QueryResult r =
          Exec(conn.get(), "SELECT * FROM SCORE(" + name + ", ev_" + name + ", user => " +
                               std::to_string(k + 1) + ", targets => " + List(targets) +
                               ", method => '" + method + "', interest => true)");
      REQUIRE(r.columns.size() == 5);
      CHECK(r.columns[4].name == "interest");
      REQUIRE(r.num_rows() == targets.size());
      const size_t d = u.size() / targets.size();
      for (size_t t = 0; t < targets.size(); ++t) {
        CHECK(AsU64(r.Get(t, 1)) == targets[t]);
        CHECK(std::abs(AsDouble(r.Get(t, 2)) - score[t]) <= 1e-5);
        CHECK(std::abs(AsDouble(r.Get(t, 3)) - logit[t]) <= 1e-4);
        const std::vector<double> got = ParseVector(r.GetString(t, 4));
        REQUIRE(got.size() == d);
        double diff = 0, norm = 0;
        for (size_t i = 0; i < d; ++i) {
          diff += (got[i] - u[t * d + i]) * (got[i] - u[t * d + i]);
          norm += u[t * d + i] * u[t * d + i];
        }
        CHECK(std::sqrt(diff) <= std::max(1e-4 * std::sqrt(norm), 1e-6));
      }
    }
  }
}

TEST_CASE("SCORE over many users: batched reads, order kept, empty histories defined") {
  TempDir dir("users");
  auto conn = Open(dir.path());
  auto m = LoadGoldenModel("demo");
  Exec(conn.get(), CreateEvents("events", kEnum));
  Exec(conn.get(), "CREATE MODEL m FROM '" + GoldenDir() + "demo.safetensors'");
  std::mt19937_64 rng(7);
  std::map<uint64_t, History> hs;
  std::vector<uint64_t> users;
  for (uint64_t u = 1000; u < 1150; ++u) {
    users.push_back(u);
    if (u % 7 == 0) continue;  // no events at all
    hs[u] = RandomHistory(&rng, rng() % 120, 65, 4);
    Append(conn->db(), "events", Type::kEnum, u, hs[u], 0, hs[u].items.size());
    if (u == 1075) REQUIRE(conn->db()->Flush().ok());
  }
  users.push_back(5);     // never seen
  users.push_back(1003);  // twice
  std::shuffle(users.begin(), users.end(), rng);
  const std::vector<uint64_t> targets = {3, 9, 0, 42, 64};
  const QueryResult r = Exec(conn.get(), "SELECT * FROM SCORE(m, events, users => " + List(users) +
                                             ", targets => " + List(targets) + ")");
  REQUIRE(users.size() > 2 * 64);
  REQUIRE(r.num_rows() == users.size() * targets.size());
  for (size_t i = 0; i < users.size(); ++i) {
    CAPTURE(users[i]);
    CheckRows(r, i * targets.size(), users[i], targets, Direct(*m, hs[users[i]], targets));
  }

  // A user with no history scores with S = 0 (u_M = u_0), as model::Score does.
  const QueryResult empty = Exec(conn.get(),
                                 "SELECT * FROM SCORE(m, events, user => 1001, "
                                 "targets => [3, 9], interest => true)");
  REQUIRE(empty.num_rows() == 2);
  CheckRows(empty, 0, 1001, {3, 9}, Direct(*m, History{}, {3, 9}));
  // An empty users list or targets list is no rows, not an error.
  CHECK(
      Exec(conn.get(), "SELECT * FROM SCORE(m, events, users => [], targets => [1])").num_rows() ==
      0);
  CHECK(
      Exec(conn.get(), "SELECT * FROM SCORE(m, events, user => 1001, targets => [])").num_rows() ==
      0);
}

TEST_CASE("SCORE options: unknown targets, method full, interest, targets subquery") {
  TempDir dir("options");
  auto conn = Open(dir.path());
  auto m = LoadGoldenModel("demo");
  Exec(conn.get(), CreateEvents("events", kEnum));
  Exec(conn.get(), "CREATE MODEL m FROM '" + GoldenDir() + "demo.safetensors'");
  std::mt19937_64 rng(3);
  const History h = RandomHistory(&rng, 33, 60, 4);
  Append(conn->db(), "events", Type::kEnum, 1, h, 0, h.items.size());

  // Targets the model does not know all take the unknown row 0.
  const QueryResult unk = Exec(conn.get(),
                               "SELECT score FROM SCORE(m, events, user => 1, targets "
                               "=> [0, 61, 123456789, 18446744073709551615])");
  REQUIRE(unk.num_rows() == 4);
  for (size_t i = 1; i < 4; ++i) CHECK(AsDouble(unk.Get(i, 0)) == AsDouble(unk.Get(0, 0)));

  // method => 'full' is the full-softmax target attention of model::Score.
  const std::vector<uint64_t> targets = {1, 2, 3, 4, 5, 6, 0};
  const QueryResult full =
      Exec(conn.get(), "SELECT * FROM SCORE(m, events, user => 1, targets => " + List(targets) +
                           ", method => 'full', interest => true)");
  const model::ScoreOutput want_full = Direct(*m, h, targets, model::ScoreMethod::kFull);
  CheckRows(full, 0, 1, targets, want_full);
  const model::ScoreOutput want_sta = Direct(*m, h, targets);
  const QueryResult sta =
      Exec(conn.get(), "SELECT * FROM SCORE(m, events, user => 1, targets => " + List(targets) +
                           ", method => 'STA', interest => true)");
  CheckRows(sta, 0, 1, targets, want_sta);
  CHECK(AsDouble(sta.Get(0, 2)) != AsDouble(full.Get(0, 2)));
  // interest: u_M exactly as model::Score returns it (shortest round-trip text).
  const int d = m->config().d;
  for (size_t k = 0; k < targets.size(); ++k) {
    const std::vector<double> got = ParseVector(sta.GetString(k, 4));
    REQUIRE(got.size() == static_cast<size_t>(d));
    for (int i = 0; i < d; ++i) CHECK(static_cast<float>(got[i]) == want_sta.interest[k * d + i]);
    const std::vector<double> f = ParseVector(full.GetString(k, 4));
    for (int i = 0; i < d; ++i) CHECK(static_cast<float>(f[i]) == want_full.interest[k * d + i]);
  }

  // targets => (SELECT ...): the subquery's rows, in its order (one per item).
  const QueryResult sub = Exec(conn.get(),
                               "SELECT * FROM SCORE(m, events, user => 1, targets => (SELECT "
                               "item_id FROM events WHERE user_id = 1 GROUP BY item_id))");
  std::vector<uint64_t> got_targets;
  for (size_t i = 0; i < sub.num_rows(); ++i) got_targets.push_back(AsU64(sub.Get(i, 1)));
  CHECK(std::set<uint64_t>(got_targets.begin(), got_targets.end()) ==
        std::set<uint64_t>(h.items.begin(), h.items.end()));
  CHECK(got_targets.size() == std::set<uint64_t>(h.items.begin(), h.items.end()).size());
  CheckRows(sub, 0, 1, got_targets, Direct(*m, h, got_targets));
  // A prepared statement binds the user and reuses the plan shape.
  auto prep = conn->Prepare("SELECT score FROM SCORE(m, events, user => ?, targets => [1, 2])");
  REQUIRE_MESSAGE(prep.ok(), prep.status().ToString());
  REQUIRE((*prep)->Bind(1, Value::UInt(1)).ok());
  auto pr = (*prep)->Execute();
  REQUIRE_MESSAGE(pr.ok(), pr.status().ToString());
  REQUIRE(pr->num_rows() == 2);
  CHECK(AsDouble(pr->Get(1, 0)) == Direct(*m, h, {1, 2}).score[1]);
}

TEST_CASE("SCORE reads only the newest L events, across memtable and flushed blocks") {
  TempDir dir("last_l");
  auto conn = Open(dir.path());
  auto m = LoadGoldenModel("small");  // L = 50
  const size_t L = static_cast<size_t>(m->config().L);
  Exec(conn.get(), CreateEvents("events", kEnum));
  Exec(conn.get(), "CREATE MODEL m FROM '" + GoldenDir() + "small.safetensors'");
  std::mt19937_64 rng(11);
  const History h = RandomHistory(&rng, 3 * L + 7, 800, 4);
  // User 1: the whole history in three parts, flushed in between.
  Append(conn->db(), "events", Type::kEnum, 1, h, 0, L);
  REQUIRE(conn->db()->Flush().ok());
  Append(conn->db(), "events", Type::kEnum, 1, h, L, 2 * L + 3);
  REQUIRE(conn->db()->Flush().ok());
  Append(conn->db(), "events", Type::kEnum, 1, h, 2 * L + 3, h.items.size());
  // User 2: only the newest L events of the same history.
  Append(conn->db(), "events", Type::kEnum, 2, h, h.items.size() - L, h.items.size());
  const History newest{{h.items.end() - L, h.items.end()}, {h.actions.end() - L, h.actions.end()}};
  const std::vector<uint64_t> targets = {h.items.back(), h.items[0], 0, 41, 61};
  const QueryResult r = Exec(conn.get(),
                             "SELECT * FROM SCORE(m, events, users => [1, 2], "
                             "targets => " +
                                 List(targets) + ")");
  REQUIRE(r.num_rows() == 2 * targets.size());
  const model::ScoreOutput want = Direct(*m, newest, targets);
  CheckRows(r, 0, 1, targets, want);
  CheckRows(r, targets.size(), 2, targets, want);
  // ... and the older events do matter when they are among the newest L.
  const History older{{h.items.begin(), h.items.begin() + L},
                      {h.actions.begin(), h.actions.begin() + L}};
  CHECK(Direct(*m, older, targets).score[0] != want.score[0]);
}

TEST_CASE("SCORE errors name what is wrong") {
  TempDir dir("errors");
  auto conn = Open(dir.path());
  Exec(conn.get(), CreateEvents("events", kEnum));
  Exec(conn.get(),
       "CREATE TABLE clicks (user_id U64 PARTITION KEY, ts TIMESTAMP(ms) ORDER KEY, item_id U64, "
       "kind ENUM('pv','buy'))");
  Exec(conn.get(),
       "CREATE TABLE texts (user_id U64 PARTITION KEY, ts TIMESTAMP(ms) ORDER KEY, item_id STRING, "
       "action ENUM('pv','buy'))");
  Exec(conn.get(), "CREATE MODEL m FROM '" + GoldenDir() + "demo.safetensors'");
  Exec(conn.get(), "INSERT INTO events VALUES (1, 1, 5, 'pv', 1.0)");

  Status s = Fails(conn.get(), "SELECT * FROM SCORE(nope, events, user => 1, targets => [1])");
  CHECK(Contains(s, "model 'nope' does not exist"));
  CHECK(Contains(s, "1:21"));
  s = Fails(conn.get(), "SELECT * FROM SCORE(m, nope, user => 1, targets => [1])");
  CHECK(Contains(s, "table 'nope' does not exist"));
  s = Fails(conn.get(), "SELECT * FROM SCORE(m, clicks, user => 1, targets => [1])");
  CHECK(Contains(s, "'action'"));
  CHECK(Contains(s, "'clicks'"));
  s = Fails(conn.get(), "SELECT * FROM SCORE(m, texts, user => 1, targets => [1])");
  CHECK(Contains(s, "'item_id'"));
  CHECK(Contains(s, "STRING"));

  // More targets than the documented limit (model::kMaxTargetsPerCall).
  std::vector<uint64_t> many(model::kMaxTargetsPerCall + 1);
  for (size_t i = 0; i < many.size(); ++i) many[i] = i;
  s = Fails(conn.get(), "SELECT * FROM SCORE(m, events, user => 1, targets => " + List(many) + ")");
  CHECK(Contains(s, "4097 targets exceed the limit of 4096"));
  many.pop_back();
  CHECK(Exec(conn.get(), "SELECT * FROM SCORE(m, events, user => 1, targets => " + List(many) + ")")
            .num_rows() == model::kMaxTargetsPerCall);
  {
    History lots;
    for (uint64_t i = 0; i <= model::kMaxTargetsPerCall; ++i) {
      lots.items.push_back(i + 1);
      lots.actions.push_back(0);
    }
    Append(conn->db(), "events", Type::kEnum, 9, lots, 0, lots.items.size());
  }
  s = Fails(conn.get(),
            "SELECT * FROM SCORE(m, events, user => 1, targets => (SELECT item_id FROM events "
            "WHERE user_id = 9))");
  CHECK(s.code() == Status::Code::kResourceExhausted);
  CHECK(Contains(s, "more than the limit of 4096"));
  s = Fails(conn.get(),
            "SELECT * FROM SCORE(m, events, user => 1, targets => (SELECT dwell FROM events))");
  CHECK(Contains(s, "targets subquery must return an integer"));

  // Argument errors point at the argument.
  s = Fails(conn.get(), "SELECT * FROM SCORE(m, events, user => 'x', targets => [1])");
  CHECK(Contains(s, "user must be a non-negative integer"));
  s = Fails(conn.get(), "SELECT * FROM SCORE(m, events, user => 1, targets => [-3])");
  CHECK(Contains(s, "targets must be a non-negative integer"));
  s = Fails(conn.get(), "SELECT * FROM SCORE(m, events, user => 1, targets => [1], method => 'x')");
  CHECK(Contains(s, "method must be 'sta' or 'full'"));
  s = Fails(conn.get(), "SELECT * FROM SCORE(m, events, targets => [1])");
  CHECK(Contains(s, "SCORE needs user"));
  s = Fails(conn.get(), "SELECT * FROM SCORE(m, events, user => 1)");
  CHECK(Contains(s, "SCORE needs targets"));
  s = Fails(conn.get(), "SELECT * FROM SCORE(m, events, user => 1, targets => [1], k => 3)");
  CHECK(Contains(s, "no argument 'k'"));

  // CREATE MODEL refuses a file that is not a valid model, naming the problem.
  std::ifstream in(GoldenDir() + "demo.safetensors", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(bytes.size() > 1000);
  const std::string truncated = dir.path() + "_truncated.safetensors";
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() - 100);
  s = Fails(conn.get(), "CREATE MODEL broken FROM '" + truncated + "'");
  CHECK(Contains(s, "CREATE MODEL broken"));
  CHECK(Contains(s, truncated));
  std::filesystem::remove(truncated);
  s = Fails(conn.get(), "CREATE MODEL broken FROM '" + dir.path() + "_missing.safetensors'");
  CHECK(Contains(s, "_missing.safetensors"));
  s = Fails(conn.get(), "SELECT * FROM SCORE(broken, events, user => 1, targets => [1])");
  CHECK(Contains(s, "model 'broken' does not exist"));
}

TEST_CASE("models persist with the database; DROP MODEL removes them") {
  TempDir dir("persist");
  std::vector<uint64_t> targets = {1, 2, 3};
  double before = 0;
  {
    auto conn = Open(dir.path());
    Exec(conn.get(), CreateEvents("events", kEnum));
    Exec(conn.get(), "CREATE MODEL ranker FROM '" + GoldenDir() + "demo.safetensors'");
    Exec(conn.get(), "INSERT INTO events VALUES (1, 1, 3, 'buy', 1.0), (1, 2, 9, 'pv', 1.0)");
    before = AsDouble(
        Exec(conn.get(), "SELECT score FROM SCORE(ranker, events, user => 1, targets => [3])")
            .Get(0, 0));
  }
  auto conn = Open(dir.path());
  const QueryResult models = Exec(conn.get(), "SHOW MODELS");
  REQUIRE(models.num_rows() == 1);
  CHECK(models.GetString(0, 0) == "ranker");
  CHECK(AsDouble(Exec(conn.get(),
                      "SELECT score FROM SCORE(ranker, events, user => 1, targets => "
                      "[3])")
                     .Get(0, 0)) == before);
  Exec(conn.get(), "DROP MODEL ranker");
  CHECK(
      Contains(Fails(conn.get(), "SELECT * FROM SCORE(ranker, events, user => 1, targets => [3])"),
               "model 'ranker' does not exist"));
  // A new model under the old name is loaded afresh, not served from the cache.
  Exec(conn.get(), "CREATE MODEL ranker FROM '" + GoldenDir() + "small.safetensors'");
  auto small = LoadGoldenModel("small");
  const QueryResult r =
      Exec(conn.get(), "SELECT * FROM SCORE(ranker, events, user => 1, targets => [3])");
  CheckRows(r, 0, 1, {3}, Direct(*small, History{{3, 9}, {1, 0}}, {3}));
}

}  // namespace laser
