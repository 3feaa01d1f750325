// Shared helpers of the engine tests: scratch directories, a schema with
// every type, deterministic events, and an in-memory oracle of what a read
// must return.
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/db/db_impl.hpp"
#include "laser/db.hpp"
#include "tests/support/temp_dir.hpp"

namespace laser::testing {

class ScratchDir {
 public:
  ScratchDir() { path_ = NewTempDir("laser_engine_"); }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string db() const { return path_ + "/db"; }

 private:
  std::string path_;
};

// One event: a Value per schema column, in schema order, in the column's lane.
using Event = std::vector<Value>;

inline Column Col(std::string name, Type t, bool nullable = true) {
  Column c;
  c.name = std::move(name);
  c.type = t;
  c.nullable = nullable;
  return c;
}

// user U64 | ts TIMESTAMP(ms) | kind ENUM(pv,click,buy) | item U64 | price F64 |
// tag STRING | flag BOOL | small I8 | score F32 | cnt I32 | u16 U16 | big I64 |
// i16 I16 | u8 U8 | u32 U32
inline TableSchema EventsSchema(std::string name = "events") {
  TableSchema s;
  s.name = std::move(name);
  s.columns.push_back(Col("user", Type::kU64, false));
  s.columns.push_back(Col("ts", Type::kTimestamp, false));
  Column kind = Col("kind", Type::kEnum);
  kind.enum_values = {"pv", "click", "buy"};
  s.columns.push_back(kind);
  s.columns.push_back(Col("item", Type::kU64));
  s.columns.push_back(Col("price", Type::kF64));
  s.columns.push_back(Col("tag", Type::kString));
  s.columns.push_back(Col("flag", Type::kBool));
  s.columns.push_back(Col("small", Type::kI8));
  s.columns.push_back(Col("score", Type::kF32));
  s.columns.push_back(Col("cnt", Type::kI32));
  s.columns.push_back(Col("u16", Type::kU16));
  s.columns.push_back(Col("big", Type::kI64));
  s.columns.push_back(Col("i16", Type::kI16));
  s.columns.push_back(Col("u8", Type::kU8));
  s.columns.push_back(Col("u32", Type::kU32));
  s.partition_key = 0;
  s.order_key = 1;
  return s;
}

// A deterministic event of `user` with order key `ts`; `i` varies the values
// (NULLs, edge values, strings of several lengths).
inline Event MakeEvent(uint64_t user, int64_t ts, uint64_t i) {
  Event e;
  e.push_back(Value::UInt(user));
  e.push_back(Value::Int(ts));
  e.push_back(i % 7 == 3 ? Value::Null() : Value::Int(static_cast<int64_t>(i % 3)));
  e.push_back(Value::UInt(i % 11 == 0 ? UINT64_MAX : i * 7919));
  e.push_back(i % 13 == 5 ? Value::Null() : Value::Float(static_cast<double>(i) * 0.25 - 3));
  e.push_back(i % 5 == 1 ? Value::Null()
                         : Value::String(i % 4 == 0 ? std::string()
                                                    : "tag-" + std::to_string(i % 17) +
                                                          std::string(i % 9, 'x')));
  e.push_back(Value::Int(static_cast<int64_t>(i % 2)));
  e.push_back(Value::Int(i % 10 == 0 ? -128 : static_cast<int64_t>(i % 100) - 50));
  e.push_back(Value::Float(static_cast<double>(i % 1000) * 0.5));
  e.push_back(Value::Int(i % 9 == 0 ? INT32_MIN : static_cast<int64_t>(i) * 3));
  e.push_back(Value::UInt(i % 65536));
  e.push_back(Value::Int(i % 8 == 0 ? INT64_MIN : -static_cast<int64_t>(i) * 1000003));
  e.push_back(Value::Int(i % 6 == 0 ? INT16_MAX : static_cast<int64_t>(i % 300)));
  e.push_back(i % 12 == 7 ? Value::Null() : Value::UInt(i % 256));
  e.push_back(Value::UInt(i % 14 == 0 ? UINT32_MAX : i));
  return e;
}

// A batch with every schema column (named as in the schema) holding `events`.
inline Batch MakeBatch(const TableSchema& s, const std::vector<Event>& events) {
  Batch b;
  for (const Column& c : s.columns) b.AddColumn(c.name, c.type);
  for (const Event& e : events) {
    for (size_t c = 0; c < e.size(); ++c) b.columns[c].Append(e[c]);
  }
  return b;
}

// What a read must return, computed from every acknowledged event.
class Oracle {
 public:
  explicit Oracle(TableSchema s) : schema_(std::move(s)) {}
  void Add(const Event& e) { users_[std::get<uint64_t>(e[0].v)].push_back(e); }
  void Add(const std::vector<Event>& es) {
    for (const Event& e : es) Add(e);
  }
  const TableSchema& schema() const { return schema_; }
  void set_schema(TableSchema s) { schema_ = std::move(s); }
  std::vector<uint64_t> users() const {
    std::vector<uint64_t> out;
    for (const auto& [u, es] : users_) out.push_back(u);
    return out;
  }

  // Events of user per opts (no retention), each projected.
  std::vector<Event> Expect(uint64_t user, const ReadOptions& opts, int64_t ttl_cutoff = INT64_MIN,
                            uint64_t max_events = 0) const {
    std::vector<Event> es;
    auto it = users_.find(user);
    if (it != users_.end()) es = it->second;
    std::stable_sort(es.begin(), es.end(), [](const Event& a, const Event& b) {
      return std::get<int64_t>(a[1].v) < std::get<int64_t>(b[1].v);
    });
    std::erase_if(es, [&](const Event& e) { return std::get<int64_t>(e[1].v) < ttl_cutoff; });
    if (max_events > 0 && es.size() > max_events) es.erase(es.begin(), es.end() - max_events);
    std::erase_if(es, [&](const Event& e) {
      const int64_t k = std::get<int64_t>(e[1].v);
      return (opts.min_order_key && k < *opts.min_order_key) ||
             (opts.max_order_key && k >= *opts.max_order_key);
    });
    if (opts.last_n > 0 && es.size() > opts.last_n) es.erase(es.begin(), es.end() - opts.last_n);
    std::vector<int> proj;
    if (opts.columns.empty()) {
      for (size_t c = 0; c < schema_.columns.size(); ++c) proj.push_back(static_cast<int>(c));
    } else {
      for (const std::string& n : opts.columns) proj.push_back(schema_.FindColumn(n));
    }
    std::vector<Event> out;
    for (const Event& e : es) {
      Event p;
      for (int c : proj) {
        p.push_back(static_cast<size_t>(c) < e.size() ? e[c] : schema_.columns[c].default_value);
      }
      out.push_back(std::move(p));
    }
    return out;
  }

 private:
  TableSchema schema_;
  std::map<uint64_t, std::vector<Event>> users_;
};

// CHECKs that `got` holds exactly `want`, row by row.
inline void CheckRows(const Batch& got, const std::vector<Event>& want) {
  REQUIRE(got.num_rows() == want.size());
  for (size_t r = 0; r < want.size(); ++r) {
    REQUIRE(got.num_columns() == want[r].size());
    for (size_t c = 0; c < want[r].size(); ++c) {
      const Value v = got.columns[c].Get(r);
      if (!(v == want[r][c])) {
        FAIL("row " << r << " column " << got.names[c] << ": got " << v.ToString() << ", want "
                    << want[r][c].ToString());
      }
    }
  }
}

inline Options TestOptions() {
  Options o;
  o.sync = SyncMode::kNone;
  o.background_merge = false;
  o.memtable_bytes = size_t{1} << 30;  // flushes only when a test asks
  o.block_cache_bytes = 8u << 20;
  return o;
}

inline std::unique_ptr<DBImpl> OpenDb(const std::string& dir, const Options& o,
                                      Env* env = Env::Default(), const EngineTuning& t = {}) {
  auto db = DBImpl::OpenWithEnv(dir, o, env, t);
  REQUIRE_MESSAGE(db.ok(), db.status().ToString());
  return std::move(db).value();
}

}  // namespace laser::testing
