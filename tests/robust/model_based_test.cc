// Randomized model-based test: seeded random sequences of appends (random
// users, order keys with ties and out-of-order events, every column type,
// NULLs, absent columns taking defaults, rejected batches), reads (last N,
// ranges, projections, ReadMany, ListUsers paging), Flush, Compact, merges,
// ADD COLUMN with a default, close + reopen and crash + reopen, run against
// the engine and against an in-memory oracle; every answer must be identical.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/robust/robust_util.hpp"

namespace laser::robust {
namespace {

constexpr const char* kTable = "seq";

// The oracle: every acknowledged row per user in arrival order; a row holds
// the columns the schema had when it was appended.
class Oracle {
 public:
  explicit Oracle(TableSchema s) : schema_(std::move(s)) {}
  const TableSchema& schema() const { return schema_; }
  void AddColumn(const Column& c) {
    schema_.columns.push_back(c);
    schema_.version++;
  }
  void Add(const std::vector<Row>& rows) {
    for (const Row& r : rows) users_[std::get<uint64_t>(r[0].v)].push_back(r);
  }
  std::vector<uint64_t> Users() const {
    std::vector<uint64_t> out;
    for (const auto& [u, rows] : users_) out.push_back(u);
    return out;
  }

  std::vector<Row> Expect(uint64_t user, const ReadOptions& o) const {
    std::vector<Row> rows;
    if (auto it = users_.find(user); it != users_.end()) rows = it->second;
    std::stable_sort(rows.begin(), rows.end(),
                     [](const Row& a, const Row& b) { return Key(a) < Key(b); });
    const uint64_t max_events = schema_.retention.max_events;
    if (max_events > 0 && rows.size() > max_events) {
      rows.erase(rows.begin(), rows.end() - static_cast<ptrdiff_t>(max_events));
    }
    std::erase_if(rows, [&](const Row& r) {
      return (o.min_order_key && Key(r) < *o.min_order_key) ||
             (o.max_order_key && Key(r) >= *o.max_order_key);
    });
    if (o.last_n > 0 && rows.size() > o.last_n) {
      rows.erase(rows.begin(), rows.end() - static_cast<ptrdiff_t>(o.last_n));
    }
    std::vector<size_t> proj;
    if (o.columns.empty()) {
      for (size_t c = 0; c < schema_.columns.size(); ++c) proj.push_back(c);
    } else {
      for (const std::string& n : o.columns) {
        proj.push_back(static_cast<size_t>(schema_.FindColumn(n)));
      }
    }
    std::vector<Row> out;
    for (const Row& r : rows) {
      Row p;
      for (size_t c : proj) p.push_back(c < r.size() ? r[c] : schema_.columns[c].default_value);
      out.push_back(std::move(p));
    }
    return out;
  }

 private:
  static int64_t Key(const Row& r) { return std::get<int64_t>(r[1].v); }
  TableSchema schema_;
  std::map<uint64_t, std::vector<Row>> users_;
};

struct Variant {
  const char* name;
  bool background = false;  // background flushes and merges while the test runs
  uint64_t max_events = 0;  // retention
  SyncMode sync = SyncMode::kNone;
  IoBackend backend = IoBackend::kAuto;
};

std::string Describe(const ReadOptions& o) {
  std::ostringstream s;
  s << "last_n=" << o.last_n;
  if (o.min_order_key) s << " min=" << *o.min_order_key;
  if (o.max_order_key) s << " max=" << *o.max_order_key;
  s << " columns=[";
  for (const std::string& c : o.columns) s << c << ",";
  s << "]";
  return s.str();
}

class Runner {
 public:
  Runner(const Variant& v, uint64_t seed, const std::string& root)
      : v_(v), rng_(seed), root_(root), oracle_(InitialSchema(v)) {
    dir_ = root_ + "/db0";
    Open();
    Status st = db_->CreateTable(oracle_.schema());
    REQUIRE_MESSAGE(st.ok(), st.ToString());
  }

  void Run(int steps) {
    for (step_ = 0; step_ < steps; ++step_) {
      const uint32_t r = static_cast<uint32_t>(rng_() % 1000);
      if (r < 350) {
        AppendValid();
      } else if (r < 380) {
        AppendInvalid();
      } else if (r < 640) {
        ReadOne();
      } else if (r < 720) {
        ReadMany();
      } else if (r < 770) {
        ListUsers();
      } else if (r < 830) {
        Expect(db_->Flush(), "Flush");
      } else if (r < 860) {
        Expect(db_->Compact(), "Compact");
      } else if (r < 890) {
        Expect(db_->MergeDirtyUsers().status(), "MergeDirtyUsers");
      } else if (r < 915) {
        AddColumn();
      } else if (r < 955) {
        Expect(db_->Close(), "Close");
        db_.reset();
        Open();
      } else if (r < 985) {
        if (v_.background) {
          ChildCrash();
        } else {
          CrashImage();
        }
      } else {
        ChildCrash();
      }
    }
    // Everything, at the end.
    for (uint64_t u : oracle_.Users()) Check(u, ReadOptions{});
    Expect(db_->Close(), "Close");
    db_.reset();
  }

 private:
  static TableSchema InitialSchema(const Variant& v) {
    TableSchema s = AllTypesSchema(kTable);
    s.retention.max_events = v.max_events;
    // Defaults for some columns, used when a batch leaves them out.
    s.columns[3].default_value = Value::UInt(7);            // item
    s.columns[7].default_value = Value::Int(-3);            // small
    s.columns[15].default_value = Value::String("absent");  // tag
    return s;
  }

  Options MakeOptions() const {
    Options o;
    o.sync = v_.sync;
    o.io_backend = v_.backend;
    o.block_cache_bytes = 256u << 10;  // some reads hit, most go to the files
    o.background_merge = v_.background;
    o.memtable_bytes = v_.background ? (24u << 10) : (size_t{1} << 30);
    o.sync_interval_ms = 5;
    return o;
  }

  EngineTuning Tuning() const {
    // Small segments: flushes and merges roll over to new files, sealed
    // ones get sparse and are relocated.
    EngineTuning t;
    t.segment_target_bytes = 40u << 10;
    t.merge_batch_users = 3;
    t.background_poll_ms = v_.background ? 1 : 200;
    return t;
  }

  void Open() {
    auto opened = DBImpl::OpenWithEnv(dir_, MakeOptions(), Env::Default(), Tuning());
    REQUIRE_MESSAGE(opened.ok(), Where() << "open: " << opened.status().ToString());
    db_ = std::move(opened).value();
  }

  std::string Where() const {
    return std::string(v_.name) + " step " + std::to_string(step_) + ": ";
  }

  void Expect(const Status& st, const char* what) {
    REQUIRE_MESSAGE(st.ok(), Where() << what << ": " << st.ToString());
  }

  uint64_t RandomUser() {
    static const uint64_t kPool[] = {0,  1,  2,  3,   4,    5,          6,          7,
                                     10, 11, 99, 100, 1000, 1ull << 33, 1ull << 63, UINT64_MAX};
    return kPool[rng_() % std::size(kPool)];
  }

  int64_t RandomKey() {
    switch (rng_() % 10) {
      case 0:
      case 1:
        return last_key_;  // a tie
      case 2:
        return last_key_ - static_cast<int64_t>(rng_() % 400);  // out of order
      default:
        last_key_ += static_cast<int64_t>(rng_() % 5);
        return last_key_;
    }
  }

  Row RandomRow() {
    const TableSchema& s = oracle_.schema();
    Row r;
    for (size_t c = 0; c < s.columns.size(); ++c) {
      if (c == s.partition_key) {
        r.push_back(Value::UInt(RandomUser()));
      } else if (c == s.order_key) {
        r.push_back(Value::Int(RandomKey()));
      } else {
        r.push_back(RandomValue(s.columns[c], rng_));
      }
    }
    return r;
  }

  // A batch of `rows` giving a random subset of the columns in a random
  // order (absent ones take their default); returns the rows as stored.
  Batch Encode(std::vector<Row>* rows) {
    const TableSchema& s = oracle_.schema();
    std::vector<size_t> cols;
    for (size_t c = 0; c < s.columns.size(); ++c) {
      const Column& col = s.columns[c];
      const bool required = c == s.partition_key || c == s.order_key ||
                            (!col.nullable && col.default_value.is_null());
      if (required || rng_() % 5 != 0) cols.push_back(c);
    }
    std::shuffle(cols.begin(), cols.end(), rng_);
    Batch b;
    for (size_t c : cols) {
      std::string name = s.columns[c].name;
      if (rng_() % 4 == 0) {
        for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      }
      b.AddColumn(name, s.columns[c].type);
    }
    for (Row& r : *rows) {
      for (size_t i = 0; i < cols.size(); ++i) b.columns[i].Append(r[cols[i]]);
      for (size_t c = 0; c < s.columns.size(); ++c) {
        if (std::find(cols.begin(), cols.end(), c) == cols.end()) r[c] = s.columns[c].default_value;
      }
    }
    return b;
  }

  std::vector<Row> RandomRows() {
    const size_t n = rng_() % 8 == 0 ? 40 + rng_() % 200 : 1 + rng_() % 12;
    std::vector<Row> rows;
    for (size_t i = 0; i < n; ++i) rows.push_back(RandomRow());
    return rows;
  }

  void AppendValid() {
    std::vector<Row> rows = RandomRows();
    Batch b = Encode(&rows);
    Expect(db_->Append(kTable, b), "Append");
    oracle_.Add(rows);
  }

  // A batch with one bad row somewhere: rejected whole, nothing stored.
  void AppendInvalid() {
    std::vector<Row> rows = RandomRows();
    const TableSchema& s = oracle_.schema();
    Batch b = MakeBatch(s, rows);
    const size_t bad = rng_() % rows.size();
    std::string what;
    switch (rng_() % 4) {
      case 0:  // an unknown column
        b.AddColumn("no_such_column", Type::kI64);
        for (size_t i = 0; i < rows.size(); ++i) b.columns.back().Append(Value::Int(1));
        what = "unknown column";
        break;
      case 1:  // NULL order key
        b.columns[s.order_key].nulls.assign(rows.size(), 0);
        b.columns[s.order_key].nulls[bad] = 1;
        what = "NULL key";
        break;
      case 2:  // I8 out of range
        b.columns[7].nulls.clear();
        for (size_t i = 0; i < rows.size(); ++i) {
          b.columns[7].ints[i] = i == bad ? 300 : 1;
        }
        what = "I8 out of range";
        break;
      default:  // an enum ordinal with no label
        b.columns[2].nulls.clear();
        for (size_t i = 0; i < rows.size(); ++i) b.columns[2].ints[i] = i == bad ? 4 : 0;
        what = "enum ordinal out of range";
        break;
    }
    Status st = db_->Append(kTable, b);
    REQUIRE_MESSAGE(st.IsInvalidArgument(),
                    Where() << "append with " << what << " returned " << st.ToString());
  }

  ReadOptions RandomReadOptions() {
    const TableSchema& s = oracle_.schema();
    ReadOptions o;
    if (rng_() % 2 == 0) {
      const size_t k = 1 + rng_() % 4;
      std::vector<size_t> cols(s.columns.size());
      for (size_t c = 0; c < cols.size(); ++c) cols[c] = c;
      std::shuffle(cols.begin(), cols.end(), rng_);
      for (size_t i = 0; i < k && i < cols.size(); ++i)
        o.columns.push_back(s.columns[cols[i]].name);
    }
    switch (rng_() % 6) {
      case 0:
        o.last_n = 1;
        break;
      case 1:
        o.last_n = 1 + rng_() % 60;
        break;
      case 2:
        o.last_n = 5000;
        break;
      default:
        break;
    }
    if (rng_() % 3 == 0) o.min_order_key = last_key_ - static_cast<int64_t>(rng_() % 3000);
    if (rng_() % 3 == 0) {
      o.max_order_key = o.min_order_key ? *o.min_order_key + static_cast<int64_t>(rng_() % 2000)
                                        : last_key_ - static_cast<int64_t>(rng_() % 1500);
    }
    return o;
  }

  void Check(uint64_t user, const ReadOptions& o) {
    auto got = db_->Read(kTable, user, o);
    REQUIRE_MESSAGE(got.ok(), Where() << "Read: " << got.status().ToString());
    const std::string d = DiffRows(*got, oracle_.Expect(user, o));
    REQUIRE_MESSAGE(d.empty(), Where() << "Read user " << user << " " << Describe(o) << ": " << d);
  }

  void ReadOne() { Check(RandomUser(), RandomReadOptions()); }

  void ReadMany() {
    std::vector<uint64_t> users;
    const size_t n = 1 + rng_() % 10;
    for (size_t i = 0; i < n; ++i) users.push_back(RandomUser());  // repeats too
    const ReadOptions o = RandomReadOptions();
    auto got = db_->ReadMany(kTable, users, o);
    REQUIRE_MESSAGE(got.ok(), Where() << "ReadMany: " << got.status().ToString());
    REQUIRE(got->size() == users.size());
    for (size_t i = 0; i < users.size(); ++i) {
      const std::string d = DiffRows((*got)[i], oracle_.Expect(users[i], o));
      REQUIRE_MESSAGE(d.empty(), Where() << "ReadMany[" << i << "] user " << users[i] << " "
                                         << Describe(o) << ": " << d);
    }
  }

  void ListUsers() {
    const size_t page = 1 + rng_() % 7;
    std::vector<uint64_t> all;
    std::optional<uint64_t> after;
    while (true) {
      auto got = db_->ListUsers(kTable, after, page);
      REQUIRE_MESSAGE(got.ok(), Where() << "ListUsers: " << got.status().ToString());
      REQUIRE(got->size() <= page);
      all.insert(all.end(), got->begin(), got->end());
      if (got->size() < page) break;
      after = got->back();
    }
    REQUIRE_MESSAGE(all == oracle_.Users(),
                    Where() << "ListUsers (page " << page << ") differs from the oracle");
  }

  void AddColumn() {
    static const Type kTypes[] = {Type::kI32,  Type::kString, Type::kF64,      Type::kEnum,
                                  Type::kBool, Type::kU16,    Type::kTimestamp};
    Column c = Col("added" + std::to_string(added_++), kTypes[rng_() % std::size(kTypes)]);
    if (c.type == Type::kEnum) c.enum_values = {"x", "y", "z"};
    if (rng_() % 3 != 0) {
      Column probe = c;
      probe.nullable = false;  // a default, never NULL
      c.default_value = RandomValue(probe, rng_);
      c.nullable = rng_() % 2 == 0;
    }
    Expect(db_->AddColumn(kTable, c), "AddColumn");
    oracle_.AddColumn(c);
    auto schema = db_->GetTable(kTable);
    REQUIRE(schema.ok());
    REQUIRE(schema->columns.size() == oracle_.schema().columns.size());
  }

  // The files as a killed process leaves them: copied while the database is
  // open and idle (no background work in this variant), then opened.
  void CrashImage() {
    const std::string next = root_ + "/db" + std::to_string(++generation_);
    CopyDir(dir_, next);
    Expect(db_->Close(), "Close");
    db_.reset();
    std::filesystem::remove_all(dir_);
    dir_ = next;
    Open();
  }

  // A child process opens the database, appends batches (and maybe flushes),
  // and exits without closing it; the parent reopens.
  void ChildCrash() {
    std::vector<std::vector<Row>> batches;
    std::vector<Batch> encoded;
    const size_t n = 1 + rng_() % 5;
    for (size_t i = 0; i < n; ++i) {
      std::vector<Row> rows = RandomRows();
      encoded.push_back(Encode(&rows));
      batches.push_back(std::move(rows));
    }
    const bool flush = rng_() % 2 == 0;
    Expect(db_->Close(), "Close");
    db_.reset();
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      auto opened = DBImpl::OpenWithEnv(dir_, MakeOptions(), Env::Default(), Tuning());
      if (!opened.ok()) ::_exit(2);
      for (size_t i = 0; i < encoded.size(); ++i) {
        if (!(*opened)->Append(kTable, encoded[i]).ok()) ::_exit(3);
        if (flush && i == 0 && !(*opened)->Flush().ok()) ::_exit(4);
      }
      ::_exit(0);  // no Close: what a crash right after the last ack leaves
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE_MESSAGE((WIFEXITED(status) && WEXITSTATUS(status) == 0),
                    Where() << "child failed, status " << status);
    for (const auto& rows : batches) oracle_.Add(rows);
    Open();
  }

  const Variant v_;
  std::mt19937_64 rng_;
  std::string root_;
  std::string dir_;
  Oracle oracle_;
  std::unique_ptr<DBImpl> db_;
  int step_ = 0;
  int64_t last_key_ = -2000;
  int added_ = 0;
  int generation_ = 0;
};

uint64_t BaseSeed() {
  const char* s = std::getenv("LASER_ROBUST_SEED");
  return s != nullptr ? std::strtoull(s, nullptr, 0) : 42;
}

void RunSeeds(const Variant& v, int seeds, int steps) {
  for (int i = 0; i < seeds; ++i) {
    const uint64_t seed = BaseSeed() * 1000 + static_cast<uint64_t>(i);
    CAPTURE(seed);
    ScratchDir tmp;
    Runner(v, seed, tmp.path()).Run(steps);
  }
}

// sync=none throughout: a process crash keeps every acknowledged append in
// every mode, and fsyncs would only slow the test (crash_test covers
// sync=always).
TEST_CASE("model: explicit flushes and merges, process crashes, pread and io_uring") {
  RunSeeds(Variant{"explicit/pread", false, 0, SyncMode::kNone, IoBackend::kPread}, 1, 300);
  RunSeeds(Variant{"explicit/auto", false, 0, SyncMode::kNone, IoBackend::kAuto}, 1, 300);
}

TEST_CASE("model: background flushes and merges while reading") {
  RunSeeds(Variant{"background", true, 0, SyncMode::kNone, IoBackend::kAuto}, 1, 300);
}

TEST_CASE("model: retention keeps the newest max_events per user") {
  RunSeeds(Variant{"retention", false, 25, SyncMode::kNone, IoBackend::kPread}, 1, 300);
  RunSeeds(Variant{"retention/background", true, 10, SyncMode::kNone, IoBackend::kAuto}, 1, 250);
}

}  // namespace
}  // namespace laser::robust
