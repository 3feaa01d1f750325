// Laser vs RocksDB, side by side on the same behaviour sequences.
//
// One program generates a seeded heavy-tailed dataset (per-user lengths
// lognormal, a few users at the maximum), loads it into three systems:
//   - Laser (public API only: include/laser/db.hpp);
//   - RocksDB "rows": one key per event, key = user | ts | seq (big-endian),
//     value = varint item, action byte, varint category, f32 dwell; last N is
//     a reverse iteration from the user's upper bound (prefix bloom on user);
//   - RocksDB "blob": one value per user, fixed 25-byte records appended in
//     arrival order; last N is a Get and a decode of the tail; appends are
//     Merge operands of an append operator (whole-key bloom);
// with the same block-cache budget and direct I/O for all, then runs the same
// queries on all three (last N for uniformly chosen users and for users with
// at least --heavy-min events, on 1 and 2 threads), a real-time phase
// (appends interleaved across users with the WAL on while a thread queries),
// and one contiguous O_DIRECT io_uring read of a last-1000 query's bytes as
// the device's own time. The page cache cannot be dropped without root, so
// every system reads with O_DIRECT instead.
//
// Prints one Markdown table (ratios to the better RocksDB layout per row) and
// writes <out>/compare_latency.dat and <out>/compare.gp (gnuplot -> PNG).
// Every query's answer is hashed; the three systems must return the same
// rows for the same query, and the program exits 1 if they do not. --small
// runs a reduced workload as a correctness smoke test.
#include <fcntl.h>
#include <liburing.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "laser/db.hpp"

namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------- flags

struct Flags {
  std::string dir;
  std::string out = ".";
  uint64_t users = 40000;
  double median_len = 1000;
  double sigma = 1.3;
  uint64_t min_len = 10;
  uint64_t max_len = 100000;
  uint64_t max_users_div = 2000;  // users / this many users get exactly max_len events
  uint64_t items = 1000000;
  double zipf_s = 1.0;
  uint64_t categories = 500;
  uint64_t cache_mib = 256;
  uint64_t heavy_min = 10000;
  int queries = 2000;  // measured queries per (N, user class, threads) and system
  int warmup = 100;    // unmeasured queries before each measurement
  // Uniform last-N queries per system that fill its block cache before the
  // query rows and again after the real-time reopen; -1 = 3 x users, after
  // which 95% of the users have been read at least once.
  int64_t fill = -1;
  std::vector<uint64_t> last_ns = {100, 1000, 10000};
  int max_threads = 2;
  double rt_seconds = 10;
  int rt_batch = 10;       // events per write call, each for a random user
  double rt_rate = 0;      // events/s the writer offers; 0 = as fast as it can
  bool rt_sync = false;    // fsync every write (Laser kAlways, RocksDB sync=true)
  int device_reads = 200;  // O_DIRECT reads for the device's time
  uint64_t seed = 42;
  bool small = false;
  bool keep = false;
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "bench_compare: %s\n", what.c_str());
  std::exit(2);
}

void Check(const laser::Status& st, const std::string& what) {
  if (!st.ok()) Die("laser " + what + ": " + st.ToString());
}

void Check(const rocksdb::Status& st, const std::string& what) {
  if (!st.ok()) Die("rocksdb " + what + ": " + st.ToString());
}

const char* kUsage =
    "usage: bench_compare [--small] [--dir=PATH] [--out=DIR] [--users=40000] "
    "[--median-len=1000] [--sigma=1.3] [--min-len=10] [--max-len=100000] "
    "[--max-users-div=2000] [--items=1000000] [--zipf=1.0] [--categories=500] "
    "[--cache-mib=256] [--heavy-min=10000] [--queries=2000] [--warmup=100] [--fill=3*USERS] "
    "[--last-n=100,1000,10000] [--threads=2] [--rt-seconds=10] [--rt-batch=10] [--rt-rate=0] "
    "[--rt-sync] [--device-reads=200] [--seed=42] [--keep]";

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  // --small first, so that explicit flags override its values wherever they stand.
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--small") {
      f.small = true;
      f.users = 120;
      f.max_users_div = 60;
      f.max_len = 30000;
      f.items = 100000;
      f.cache_mib = 2;
      f.queries = 40;
      f.warmup = 10;
      f.rt_seconds = 1;
      f.device_reads = 20;
    }
  }
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const size_t eq = a.find('=');
    const std::string name = a.substr(0, eq);
    const std::string v = eq == std::string::npos ? "" : a.substr(eq + 1);
    auto u64 = [&] { return std::strtoull(v.c_str(), nullptr, 10); };
    auto dbl = [&] { return std::strtod(v.c_str(), nullptr); };
    if (name == "--small") {
      // Applied above.
    } else if (name == "--keep") {
      f.keep = true;
    } else if (name == "--rt-sync") {
      f.rt_sync = true;
    } else if (eq == std::string::npos) {
      Die("unknown argument " + a + "\n" + kUsage);
    } else if (name == "--dir") {
      f.dir = v;
    } else if (name == "--out") {
      f.out = v;
    } else if (name == "--users") {
      f.users = u64();
    } else if (name == "--median-len") {
      f.median_len = dbl();
    } else if (name == "--sigma") {
      f.sigma = dbl();
    } else if (name == "--min-len") {
      f.min_len = u64();
    } else if (name == "--max-len") {
      f.max_len = u64();
    } else if (name == "--max-users-div") {
      f.max_users_div = u64();
    } else if (name == "--items") {
      f.items = u64();
    } else if (name == "--zipf") {
      f.zipf_s = dbl();
    } else if (name == "--categories") {
      f.categories = u64();
    } else if (name == "--cache-mib") {
      f.cache_mib = u64();
    } else if (name == "--heavy-min") {
      f.heavy_min = u64();
    } else if (name == "--queries") {
      f.queries = std::atoi(v.c_str());
    } else if (name == "--warmup") {
      f.warmup = std::atoi(v.c_str());
    } else if (name == "--fill") {
      f.fill = std::strtoll(v.c_str(), nullptr, 10);
    } else if (name == "--last-n") {
      f.last_ns.clear();
      for (size_t p = 0; p < v.size();) {
        size_t c = v.find(',', p);
        if (c == std::string::npos) c = v.size();
        f.last_ns.push_back(std::strtoull(v.substr(p, c - p).c_str(), nullptr, 10));
        p = c + 1;
      }
    } else if (name == "--threads") {
      f.max_threads = std::atoi(v.c_str());
    } else if (name == "--rt-seconds") {
      f.rt_seconds = dbl();
    } else if (name == "--rt-batch") {
      f.rt_batch = std::atoi(v.c_str());
    } else if (name == "--rt-rate") {
      f.rt_rate = std::atof(v.c_str());
    } else if (name == "--device-reads") {
      f.device_reads = std::atoi(v.c_str());
    } else if (name == "--seed") {
      f.seed = u64();
    } else {
      Die("unknown argument " + a + "\n" + kUsage);
    }
  }
  if (f.users == 0 || f.min_len == 0 || f.max_len < f.min_len || f.items == 0 ||
      f.categories == 0 || f.queries <= 0 || f.warmup < 0 || f.max_threads <= 0 ||
      f.rt_batch <= 0 || f.rt_rate < 0 || f.last_ns.empty() || f.max_users_div == 0 ||
      f.fill < -1) {
    Die(std::string("sizes must be positive and --max-len >= --min-len\n") + kUsage);
  }
  for (uint64_t n : f.last_ns) {
    if (n == 0) Die("--last-n values must be positive");
  }
  if (f.dir.empty()) f.dir = (fs::temp_directory_path() / "laser_bench_compare").string();
  return f;
}

// ---------------------------------------------------------------- dataset

struct Event {
  int64_t ts;
  uint64_t item;
  uint8_t action;
  uint32_t category;
  float dwell;
};

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Zipf(s) over [0, n) by inversion of the tabulated CDF.
class Zipf {
 public:
  Zipf(uint64_t n, double s) : cdf_(n) {
    double sum = 0;
    for (uint64_t k = 0; k < n; ++k) {
      sum += 1.0 / std::pow(static_cast<double>(k + 1), s);
      cdf_[k] = sum;
    }
    for (double& c : cdf_) c /= sum;
  }
  uint64_t operator()(std::mt19937_64& rng) const {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    const auto it = std::lower_bound(cdf_.begin(), cdf_.end(), u);
    return static_cast<uint64_t>(std::min<size_t>(it - cdf_.begin(), cdf_.size() - 1));
  }

 private:
  std::vector<double> cdf_;
};

constexpr int64_t kTsBase = 1'700'000'000'000;  // ms since the epoch

// The dataset is a pure function of the flags: user u's events can be
// regenerated at any time (to load, and to check answers).
class Dataset {
 public:
  explicit Dataset(const Flags& f) : f_(f), zipf_(f.items, f.zipf_s) {
    std::mt19937_64 rng(f.seed);
    std::lognormal_distribution<double> len(std::log(f.median_len), f.sigma);
    lengths_.resize(f.users);
    const uint64_t at_max = f.users / f.max_users_div;
    for (uint64_t u = 0; u < f.users; ++u) {
      const double l = std::clamp(std::round(len(rng)), static_cast<double>(f.min_len),
                                  static_cast<double>(f.max_len));
      lengths_[u] = static_cast<uint64_t>(l);
    }
    // Spread the users at the maximum over the id space.
    for (uint64_t k = 0; k < at_max; ++k) lengths_[k * f.max_users_div] = f.max_len;
    for (uint64_t u = 0; u < f.users; ++u) {
      total_ += lengths_[u];
      if (lengths_[u] >= f.heavy_min) heavy_.push_back(u);
    }
  }

  uint64_t users() const { return lengths_.size(); }
  uint64_t length(uint64_t u) const { return lengths_[u]; }
  uint64_t total() const { return total_; }
  const std::vector<uint64_t>& heavy() const { return heavy_; }
  // The user id stored in every system (ids start at 1).
  static uint64_t Id(uint64_t u) { return u + 1; }

  std::vector<Event> Events(uint64_t u) const {
    std::mt19937_64 rng(SplitMix(f_.seed ^ SplitMix(u)));
    std::vector<Event> ev(lengths_[u]);
    int64_t ts = kTsBase + static_cast<int64_t>(rng() % (30ull * 86400 * 1000));
    for (Event& e : ev) {
      // Gaps of 0 ms happen: ties are kept in arrival order by every system.
      ts += static_cast<int64_t>(rng() % 120000);
      e.ts = ts;
      e.item = zipf_(rng);
      const uint64_t a = rng() % 100;
      e.action = a < 70 ? 0 : a < 85 ? 1 : a < 93 ? 2 : a < 98 ? 3 : 4;
      e.category = static_cast<uint32_t>(SplitMix(e.item) % f_.categories);
      e.dwell = static_cast<float>(rng() % 60000) / 1000.0f;
    }
    return ev;
  }

 private:
  const Flags& f_;
  Zipf zipf_;
  std::vector<uint64_t> lengths_;
  std::vector<uint64_t> heavy_;
  uint64_t total_ = 0;
};

// Every timestamp the generator produces is below this, so real-time appends
// stay at the tail of every user.
int64_t RealTimeTsBase(const Flags& f) {
  return kTsBase + static_cast<int64_t>(30ull * 86400 * 1000 + (f.max_len + 1) * 120000);
}

// ---------------------------------------------------------------- answers

// A query's answer in ascending order (oldest first), columnar as all three
// systems produce it.
struct Answer {
  std::vector<int64_t> ts;
  std::vector<uint64_t> item;
  std::vector<uint8_t> action;
  std::vector<uint32_t> category;
  std::vector<float> dwell;
  void Resize(size_t n) {
    ts.resize(n);
    item.resize(n);
    action.resize(n);
    category.resize(n);
    dwell.resize(n);
  }
};

uint64_t HashAnswer(const Answer& a) {
  uint64_t h = SplitMix(a.ts.size());
  for (size_t i = 0; i < a.ts.size(); ++i) {
    uint32_t d;
    std::memcpy(&d, &a.dwell[i], 4);
    h = SplitMix(h ^ static_cast<uint64_t>(a.ts[i]));
    h = SplitMix(h ^ a.item[i]);
    h = SplitMix(h ^ (static_cast<uint64_t>(a.action[i]) << 32 | a.category[i]));
    h = SplitMix(h ^ d);
  }
  return h;
}

uint64_t ExpectedHash(const Dataset& ds, uint64_t u, uint64_t n) {
  const std::vector<Event> ev = ds.Events(u);
  const size_t k = std::min<size_t>(n, ev.size());
  Answer a;
  a.Resize(k);
  for (size_t i = 0; i < k; ++i) {
    const Event& e = ev[ev.size() - k + i];
    a.ts[i] = e.ts;
    a.item[i] = e.item;
    a.action[i] = e.action;
    a.category[i] = e.category;
    a.dwell[i] = e.dwell;
  }
  return HashAnswer(a);
}

// ---------------------------------------------------------------- encodings

void PutBE64(char* p, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}
void PutBE32(char* p, uint32_t v) {
  for (int i = 3; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}
uint64_t GetBE64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | static_cast<uint8_t>(p[i]);
  return v;
}
void PutVarint(std::string* s, uint64_t v) {
  while (v >= 0x80) {
    s->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  s->push_back(static_cast<char>(v));
}
const char* GetVarint(const char* p, const char* end, uint64_t* v) {
  uint64_t r = 0;
  for (int shift = 0; p < end && shift < 64; shift += 7) {
    const uint8_t b = static_cast<uint8_t>(*p++);
    r |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (b < 0x80) {
      *v = r;
      return p;
    }
  }
  return nullptr;
}

// Rows layout: key = user | ts (sign bit flipped, so order is numeric) | seq.
constexpr size_t kRowKeyLen = 20;
void RowKey(char* k, uint64_t user, int64_t ts, uint32_t seq) {
  PutBE64(k, user);
  PutBE64(k + 8, static_cast<uint64_t>(ts) ^ (1ull << 63));
  PutBE32(k + 16, seq);
}
void RowValue(std::string* v, const Event& e) {
  v->clear();
  PutVarint(v, e.item);
  v->push_back(static_cast<char>(e.action));
  PutVarint(v, e.category);
  v->append(reinterpret_cast<const char*>(&e.dwell), 4);
}

// Blob layout: fixed records so the tail is addressable without decoding
// the head: ts i64, item u64, category u32, dwell f32, action u8 (little endian).
constexpr size_t kRec = 25;
void AppendRecord(std::string* blob, const Event& e) {
  char r[kRec];
  std::memcpy(r, &e.ts, 8);
  std::memcpy(r + 8, &e.item, 8);
  std::memcpy(r + 16, &e.category, 4);
  std::memcpy(r + 20, &e.dwell, 4);
  r[24] = static_cast<char>(e.action);
  blob->append(r, kRec);
}

class AppendOperator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger*) const override {
    new_value->clear();
    if (existing != nullptr) new_value->assign(existing->data(), existing->size());
    new_value->append(value.data(), value.size());
    return true;
  }
  const char* Name() const override { return "AppendOperator"; }
};

// ---------------------------------------------------------------- systems

class System {
 public:
  virtual ~System() = default;
  virtual const char* name() const = 0;
  virtual void Load(const std::vector<uint64_t>& users,
                    const std::vector<std::vector<Event>>& events) = 0;
  // Makes the loaded data durable and fully compacted.
  virtual void Settle() = 0;
  // Reopens with the WAL on for the real-time phase.
  virtual void ReopenForRealTime(bool sync) = 0;
  virtual void LastN(uint64_t user, uint64_t n, Answer* out) = 0;
  // Appends events, one per (user, event) pair, as one write.
  virtual void Write(const std::vector<uint64_t>& users, const std::vector<Event>& events) = 0;
  virtual std::string Extra() = 0;
  // The reader's block-cache misses so far, where the system counts them
  // apart from its own upkeep; -1 otherwise.
  virtual int64_t CacheMisses() { return -1; }
  // The system's own upkeep so far, where it counts it; nullopt otherwise.
  struct Upkeep {
    uint64_t flushes = 0, tail_folds = 0, merges = 0;
  };
  virtual std::optional<Upkeep> UpkeepSoFar() { return std::nullopt; }
  // The bytes the block cache needs to hold the newest n events of every
  // user at once, measured with an unbounded cache; nullopt if not measured.
  // Leaves the cache empty.
  virtual std::optional<uint64_t> WorkingSetBytes(const std::vector<uint64_t>&, uint64_t) {
    return std::nullopt;
  }
  const std::string& dir() const { return dir_; }

 protected:
  std::string dir_;
};

laser::TableSchema EventSchema() {
  laser::TableSchema s;
  s.name = "events";
  auto col = [](const char* n, laser::Type t) {
    laser::Column c;
    c.name = n;
    c.type = t;
    c.nullable = false;
    return c;
  };
  s.columns = {col("user", laser::Type::kU64),     col("ts", laser::Type::kTimestamp),
               col("item", laser::Type::kU64),     col("action", laser::Type::kU8),
               col("category", laser::Type::kU32), col("dwell", laser::Type::kF32)};
  s.partition_key = 0;
  s.order_key = 1;
  return s;
}

class LaserSystem : public System {
 public:
  LaserSystem(const std::string& dir, uint64_t cache_bytes) : cache_bytes_(cache_bytes) {
    dir_ = dir;
    laser::Options o;
    o.sync = laser::SyncMode::kNone;
    o.background_merge = false;  // one Compact after the load
    o.direct_io = true;
    o.block_cache_bytes = cache_bytes;
    Open(o);
    Check(db_->CreateTable(EventSchema()), "create table events in " + dir);
    ro_.columns = {"ts", "item", "action", "category", "dwell"};
  }
  const char* name() const override { return "Laser"; }

  void Load(const std::vector<uint64_t>& users,
            const std::vector<std::vector<Event>>& events) override {
    laser::Batch b = NewBatch();
    for (size_t i = 0; i < users.size(); ++i) {
      for (const Event& e : events[i]) AddRow(&b, users[i], e);
    }
    Check(db_->Append("events", b), "append (load)");
  }
  void Settle() override {
    Check(db_->Flush(), "flush");
    Check(db_->Compact(), "compact");
  }
  void ReopenForRealTime(bool sync) override {
    db_.reset();
    laser::Options o;
    o.sync = sync ? laser::SyncMode::kAlways : laser::SyncMode::kNone;
    o.background_merge = true;
    o.direct_io = true;
    o.block_cache_bytes = cache_bytes_;
    Open(o);
  }
  void LastN(uint64_t user, uint64_t n, Answer* out) override {
    laser::ReadOptions ro = ro_;
    ro.last_n = n;
    // One answer batch per reader thread, reused as a serving loop would.
    thread_local laser::Batch b;
    const laser::Status st = db_->ReadInto("events", user, ro, &b);
    if (!st.ok()) Die("laser read user " + std::to_string(user) + ": " + st.ToString());
    const size_t rows = b.num_rows();
    out->Resize(rows);
    const auto& ts = b.columns[0].ints;
    const auto& item = b.columns[1].uints;
    const auto& action = b.columns[2].uints;
    const auto& cat = b.columns[3].uints;
    const auto& dwell = b.columns[4].floats;
    for (size_t i = 0; i < rows; ++i) {
      out->ts[i] = ts[i];
      out->item[i] = item[i];
      out->action[i] = static_cast<uint8_t>(action[i]);
      out->category[i] = static_cast<uint32_t>(cat[i]);
      out->dwell[i] = static_cast<float>(dwell[i]);
    }
  }
  void Write(const std::vector<uint64_t>& users, const std::vector<Event>& events) override {
    laser::Batch b = NewBatch();
    for (size_t i = 0; i < users.size(); ++i) AddRow(&b, users[i], events[i]);
    Check(db_->Append("events", b), "append (real time)");
  }
  int64_t CacheMisses() override { return static_cast<int64_t>(db_->GetStats().cache_misses); }
  std::optional<Upkeep> UpkeepSoFar() override {
    const laser::Stats st = db_->GetStats();
    return Upkeep{st.flushes, st.tail_folds, st.merges};
  }
  std::optional<uint64_t> WorkingSetBytes(const std::vector<uint64_t>& users, uint64_t n) override {
    laser::Options o = options_;
    o.block_cache_bytes = uint64_t{1} << 40;
    db_.reset();
    Open(o);
    laser::ReadOptions ro = ro_;
    ro.last_n = n;
    for (uint64_t u : users) {
      auto r = db_->Read("events", u, ro);
      if (!r.ok()) Die("laser read user " + std::to_string(u) + ": " + r.status().ToString());
    }
    const uint64_t bytes = db_->GetStats().cache_bytes;
    db_.reset();
    Open(options_);
    return bytes;
  }
  std::string Extra() override {
    const laser::Stats st = db_->GetStats();
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "Laser: I/O backend %s%s%s; block cache hits %llu, misses %llu; index %.1f MiB "
                  "for %llu blocks; merges %llu; tail folds %llu",
                  st.io_backend.c_str(), st.io_fallback_reason.empty() ? "" : " (fallback: ",
                  st.io_fallback_reason.empty() ? "" : (st.io_fallback_reason + ")").c_str(),
                  static_cast<unsigned long long>(st.cache_hits),
                  static_cast<unsigned long long>(st.cache_misses),
                  static_cast<double>(st.index_bytes) / 1048576.0,
                  static_cast<unsigned long long>(st.index_entries),
                  static_cast<unsigned long long>(st.merges),
                  static_cast<unsigned long long>(st.tail_folds));
    return buf;
  }

 private:
  void Open(const laser::Options& o) {
    auto db = laser::DB::Open(dir_, o);
    if (!db.ok()) Die("laser open " + dir_ + ": " + db.status().ToString());
    db_ = std::move(db).value();
    options_ = o;
  }
  static laser::Batch NewBatch() {
    laser::Batch b;
    for (const laser::Column& c : EventSchema().columns) b.AddColumn(c.name, c.type);
    return b;
  }
  static void AddRow(laser::Batch* b, uint64_t user, const Event& e) {
    b->columns[0].uints.push_back(user);
    b->columns[1].ints.push_back(e.ts);
    b->columns[2].uints.push_back(e.item);
    b->columns[3].uints.push_back(e.action);
    b->columns[4].uints.push_back(e.category);
    b->columns[5].floats.push_back(e.dwell);
  }

  uint64_t cache_bytes_;
  laser::Options options_;  // of the open database
  laser::ReadOptions ro_;
  std::unique_ptr<laser::DB> db_;
};

// What a production user would choose: LZ4, bloom filters, 16 KiB blocks,
// index and filter blocks in the (same-sized) LRU cache, direct I/O.
rocksdb::Options RocksOptions(uint64_t cache_bytes, bool rows) {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.use_direct_reads = true;
  o.use_direct_io_for_flush_and_compaction = true;
  o.compression = rocksdb::kLZ4Compression;
  o.max_background_jobs = 2;
  rocksdb::BlockBasedTableOptions t;
  t.block_size = 16 * 1024;
  t.block_cache = rocksdb::NewLRUCache(cache_bytes);
  t.cache_index_and_filter_blocks = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  if (rows) {
    o.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(8));
    t.whole_key_filtering = false;
  } else {
    o.merge_operator = std::make_shared<AppendOperator>();
  }
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  return o;
}

class RocksSystem : public System {
 public:
  RocksSystem(const std::string& dir, uint64_t cache_bytes, bool rows)
      : rows_(rows), options_(RocksOptions(cache_bytes, rows)) {
    dir_ = dir;
    Open();
  }
  const char* name() const override { return rows_ ? "RocksDB rows" : "RocksDB blob"; }

  void Load(const std::vector<uint64_t>& users,
            const std::vector<std::vector<Event>>& events) override {
    rocksdb::WriteBatch wb;
    std::string v;
    char key[kRowKeyLen];
    for (size_t i = 0; i < users.size(); ++i) {
      if (rows_) {
        for (size_t s = 0; s < events[i].size(); ++s) {
          RowKey(key, users[i], events[i][s].ts, static_cast<uint32_t>(s));
          RowValue(&v, events[i][s]);
          wb.Put(rocksdb::Slice(key, kRowKeyLen), v);
        }
      } else {
        v.clear();
        for (const Event& e : events[i]) AppendRecord(&v, e);
        PutBE64(key, users[i]);
        wb.Put(rocksdb::Slice(key, 8), v);
      }
    }
    rocksdb::WriteOptions wo;
    wo.disableWAL = true;  // bulk load; Settle() flushes
    Check(db_->Write(wo, &wb), "write (load)");
    if (rows_) {
      for (size_t i = 0; i < users.size(); ++i) next_seq_[users[i]] = events[i].size();
    }
  }
  void Settle() override {
    Check(db_->Flush(rocksdb::FlushOptions()), "flush");
    rocksdb::CompactRangeOptions c;
    c.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    Check(db_->CompactRange(c, nullptr, nullptr), "compact range");
  }
  void ReopenForRealTime(bool sync) override {
    sync_ = sync;
    db_.reset();
    Open();
  }
  void LastN(uint64_t user, uint64_t n, Answer* out) override {
    if (rows_) {
      RowsLastN(user, n, out);
    } else {
      BlobLastN(user, n, out);
    }
  }
  void Write(const std::vector<uint64_t>& users, const std::vector<Event>& events) override {
    rocksdb::WriteBatch wb;
    std::string v;
    char key[kRowKeyLen];
    for (size_t i = 0; i < users.size(); ++i) {
      if (rows_) {
        RowKey(key, users[i], events[i].ts, static_cast<uint32_t>(next_seq_[users[i]]++));
        RowValue(&v, events[i]);
        wb.Put(rocksdb::Slice(key, kRowKeyLen), v);
      } else {
        v.clear();
        AppendRecord(&v, events[i]);
        PutBE64(key, users[i]);
        wb.Merge(rocksdb::Slice(key, 8), v);
      }
    }
    rocksdb::WriteOptions wo;
    wo.sync = sync_;
    Check(db_->Write(wo, &wb), "write (real time)");
  }
  std::string Extra() override {
    uint64_t cache_usage = 0;
    db_->GetIntProperty("rocksdb.block-cache-usage", &cache_usage);
    char buf[128];
    std::snprintf(buf, sizeof buf, "%s: block cache usage %.1f MiB", name(),
                  static_cast<double>(cache_usage) / 1048576.0);
    return buf;
  }

 private:
  void Open() {
    rocksdb::DB* db = nullptr;
    Check(rocksdb::DB::Open(options_, dir_, &db), "open " + dir_);
    db_.reset(db);
  }

  void RowsLastN(uint64_t user, uint64_t n, Answer* out) {
    char lower[8];
    char upper[8];
    PutBE64(lower, user);
    PutBE64(upper, user + 1);
    rocksdb::Slice lo(lower, 8);
    rocksdb::Slice hi(upper, 8);
    rocksdb::ReadOptions ro;
    ro.iterate_lower_bound = &lo;
    ro.iterate_upper_bound = &hi;
    ro.prefix_same_as_start = true;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
    char last[kRowKeyLen];
    std::memcpy(last, lower, 8);
    std::memset(last + 8, 0xff, kRowKeyLen - 8);
    // Filled newest first from the back, then the unused front is cut.
    out->Resize(n);
    size_t k = n;
    for (it->SeekForPrev(rocksdb::Slice(last, kRowKeyLen)); it->Valid() && k > 0; it->Prev()) {
      const rocksdb::Slice key = it->key();
      const rocksdb::Slice val = it->value();
      if (key.size() != kRowKeyLen) Die("rocksdb rows: bad key length");
      --k;
      out->ts[k] = static_cast<int64_t>(GetBE64(key.data() + 8) ^ (1ull << 63));
      const char* p = val.data();
      const char* end = p + val.size();
      uint64_t cat = 0;
      p = GetVarint(p, end, &out->item[k]);
      if (p == nullptr || p == end) Die("rocksdb rows: bad value");
      out->action[k] = static_cast<uint8_t>(*p++);
      p = GetVarint(p, end, &cat);
      if (p == nullptr || end - p != 4) Die("rocksdb rows: bad value");
      out->category[k] = static_cast<uint32_t>(cat);
      std::memcpy(&out->dwell[k], p, 4);
    }
    Check(it->status(), "iterate user " + std::to_string(user));
    if (k > 0) {
      out->ts.erase(out->ts.begin(), out->ts.begin() + static_cast<ptrdiff_t>(k));
      out->item.erase(out->item.begin(), out->item.begin() + static_cast<ptrdiff_t>(k));
      out->action.erase(out->action.begin(), out->action.begin() + static_cast<ptrdiff_t>(k));
      out->category.erase(out->category.begin(), out->category.begin() + static_cast<ptrdiff_t>(k));
      out->dwell.erase(out->dwell.begin(), out->dwell.begin() + static_cast<ptrdiff_t>(k));
    }
  }

  void BlobLastN(uint64_t user, uint64_t n, Answer* out) {
    char key[8];
    PutBE64(key, user);
    rocksdb::PinnableSlice blob;
    const rocksdb::Status st =
        db_->Get(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), rocksdb::Slice(key, 8), &blob);
    if (st.IsNotFound()) {
      out->Resize(0);
      return;
    }
    Check(st, "get user " + std::to_string(user));
    if (blob.size() % kRec != 0) Die("rocksdb blob: bad blob size");
    const size_t count = blob.size() / kRec;
    const size_t k = std::min<size_t>(n, count);
    out->Resize(k);
    const char* p = blob.data() + (count - k) * kRec;
    for (size_t i = 0; i < k; ++i, p += kRec) {
      std::memcpy(&out->ts[i], p, 8);
      std::memcpy(&out->item[i], p + 8, 8);
      std::memcpy(&out->category[i], p + 16, 4);
      std::memcpy(&out->dwell[i], p + 20, 4);
      out->action[i] = static_cast<uint8_t>(p[24]);
    }
  }

  bool rows_;
  bool sync_ = false;
  rocksdb::Options options_;
  std::unique_ptr<rocksdb::DB> db_;
  // Next arrival number per user, for the rows layout's key.
  std::unordered_map<uint64_t, uint64_t> next_seq_;
};

// ---------------------------------------------------------------- measurement

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double ThreadCpu() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// Kernel CPU time of the calling thread (tick-sampled by the kernel: only
// meaningful summed over many queries).
double ThreadSysCpu() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  return static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) * 1e-6;
}

double ProcessCpu() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  return v[i];
}

// du: allocated bytes of every file under dir.
uint64_t DiskUsage(const std::string& dir) {
  uint64_t bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    struct stat st {};
    if (::lstat(e.path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      bytes += static_cast<uint64_t>(st.st_blocks) * 512;
    }
  }
  return bytes;
}

struct Phase {
  uint64_t n = 0;
  bool heavy = false;
  int threads = 1;
  // Per system.
  std::vector<std::vector<double>> lat_ms;
  std::vector<double> cpu_us;       // thread CPU per query
  std::vector<double> proc_cpu_us;  // process CPU per query (includes helper threads)
  std::vector<double> sys_cpu_us;   // kernel part of the querying threads' CPU per query
  std::vector<std::vector<uint64_t>> hashes;
  std::vector<uint64_t> users;
};

void RunPhase(const std::vector<System*>& systems, const std::vector<uint64_t>& warm_users,
              Phase* ph) {
  const size_t q = ph->users.size();
  ph->lat_ms.assign(systems.size(), std::vector<double>(q));
  ph->hashes.assign(systems.size(), std::vector<uint64_t>(q));
  ph->cpu_us.assign(systems.size(), 0);
  ph->proc_cpu_us.assign(systems.size(), 0);
  ph->sys_cpu_us.assign(systems.size(), 0);
  for (size_t s = 0; s < systems.size(); ++s) {
    System* sys = systems[s];
    std::vector<double> cpu(static_cast<size_t>(ph->threads), 0);
    std::vector<double> sys_cpu(static_cast<size_t>(ph->threads), 0);
    auto worker = [&](int t, const std::vector<uint64_t>& users, bool measure) {
      Answer a;
      const double s0 = ThreadSysCpu();
      for (size_t i = static_cast<size_t>(t); i < users.size();
           i += static_cast<size_t>(ph->threads)) {
        const double c0 = ThreadCpu();
        const double t0 = Now();
        sys->LastN(users[i], ph->n, &a);
        const double t1 = Now();
        const double c1 = ThreadCpu();
        if (measure) {
          ph->lat_ms[s][i] = (t1 - t0) * 1e3;
          cpu[static_cast<size_t>(t)] += c1 - c0;
          ph->hashes[s][i] = HashAnswer(a);
        }
      }
      sys_cpu[static_cast<size_t>(t)] = ThreadSysCpu() - s0;
    };
    auto run = [&](const std::vector<uint64_t>& users, bool measure) {
      std::vector<std::thread> th;
      for (int t = 0; t < ph->threads; ++t) th.emplace_back(worker, t, std::cref(users), measure);
      for (auto& x : th) x.join();
    };
    run(warm_users, false);
    const double p0 = ProcessCpu();
    run(ph->users, true);
    ph->proc_cpu_us[s] = (ProcessCpu() - p0) / static_cast<double>(q) * 1e6;
    double total = 0;
    for (double c : cpu) total += c;
    ph->cpu_us[s] = total / static_cast<double>(q) * 1e6;
    double sys_total = 0;
    for (double c : sys_cpu) sys_total += c;
    ph->sys_cpu_us[s] = sys_total / static_cast<double>(q) * 1e6;
  }
}

// Brings a system's block cache to its steady state, as a service that has
// run for a while has it: uniformly chosen users' last n events, on every
// query thread, none of it measured. Without this the cache of every system
// is still filling during the query rows, each miss lands in memory never
// touched before, and the rows measure a cold start rather than a cache
// several times smaller than the data.
void FillCache(const Flags& f, const Dataset& ds, System* sys, uint64_t n, uint64_t queries) {
  std::vector<std::thread> th;
  for (int t = 0; t < f.max_threads; ++t) {
    th.emplace_back([&, t] {
      std::mt19937_64 rng(f.seed + 3003 + static_cast<uint64_t>(t));
      Answer a;
      for (uint64_t i = static_cast<uint64_t>(t); i < queries;
           i += static_cast<uint64_t>(f.max_threads)) {
        sys->LastN(Dataset::Id(rng() % ds.users()), n, &a);
      }
    });
  }
  for (auto& x : th) x.join();
}

struct ComputeLoop {
  double step_ms = 0;  // the step's p50
  double p99_ms = 0;
  double stalls_per_s = 0;  // steps at least 30 us longer than the p50
};

struct RealTime {
  double events_per_s = 0;
  double query_p99_ms = 0;
  double query_p50_ms = 0;
  uint64_t queries = 0;
  // The same reader for the same time just before, with no writer: the idle
  // p99 in the cache state of the ingest window (the query rows run earlier,
  // after fewer queries, and so with more first-touch misses).
  double idle_p99_ms = 0;
  uint64_t idle_queries = 0;
  // The same reader beside a thread that only spins on the CPU (no I/O, no
  // database call): what sharing the machine with a busy writer costs any
  // reader, whatever the store. 0 if not measured.
  double burn_p99_ms = 0;
  // The reader's cache misses per query, in % (CacheLookups); -1 if the
  // system does not count them.
  double idle_miss_pct = -1;
  double ingest_miss_pct = -1;
  double idle_p50_ms = 0;
  // The same reader for the same time right after ingest (iff burn): the
  // data ingest added, and whatever upkeep it left running, without the
  // writer. Set beside the window before, it separates what the data's
  // growth costs (a working set that outgrows the cache) from what the
  // writer's presence costs.
  double after_p99_ms = 0;
  double after_p50_ms = 0;
  double after_miss_pct = -1;
  // The machine's own tail (iff burn): a compute-only loop (no memory, no
  // system call) whose steps last as long as the idle query's p50, and one
  // whose steps last as long as the ingest query's p50, each timed step by
  // step for --rt-seconds like the reader (RunComputeLoops). A VM that
  // stalls its vCPUs adds the same tail to any operation, and more often to
  // a longer one.
  ComputeLoop loop_idle, loop_ingest;
  // The system's upkeep during the ingest window (memtables flushed, tails
  // folded, merges), where it counts it: flush timing moves the window's
  // cache misses from run to run.
  std::optional<System::Upkeep> ingest_upkeep;
};

// Two compute-only loops, of steps lasting `short_ms` and `long_ms`, each
// timed step by step for `seconds` in all. They take turns in slices of a
// quarter second, so that both meet the same machine: how often a VM stops
// its vCPUs drifts over seconds, and so does what the database still does
// in the background after a window.
std::pair<ComputeLoop, ComputeLoop> RunComputeLoops(double short_ms, double long_ms,
                                                    double seconds) {
  uint64_t x = 88172645463325252ull;
  auto step = [&x](uint64_t rounds) {
    for (uint64_t i = 0; i < rounds; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }
  };
  // Calibrated on the median of short runs, so that a stall does not skew it.
  const uint64_t probe_rounds = 1000;
  std::vector<double> probe;
  for (int i = 0; i < 201; ++i) {
    const double t = Now();
    step(probe_rounds);
    probe.push_back((Now() - t) * 1e3);
  }
  const double per_round = Quantile(probe, 0.5) / static_cast<double>(probe_rounds);
  auto rounds_for = [&](double ms) {
    return per_round > 0 ? std::max<uint64_t>(1, static_cast<uint64_t>(ms / per_round))
                         : probe_rounds;
  };
  const uint64_t rounds[2] = {rounds_for(short_ms), rounds_for(long_ms)};
  std::vector<double> lat[2];
  const double slice = 0.25;
  for (double done = 0; done < seconds; done += slice) {
    for (int k = 0; k < 2; ++k) {
      const double t0 = Now();
      while (Now() - t0 < slice) {
        const double t = Now();
        step(rounds[k]);
        lat[k].push_back((Now() - t) * 1e3);
      }
    }
  }
  ComputeLoop r[2];
  for (int k = 0; k < 2; ++k) {
    r[k].step_ms = Quantile(lat[k], 0.5);
    r[k].p99_ms = Quantile(lat[k], 0.99);
    size_t stalls = 0;
    for (double l : lat[k]) stalls += l >= r[k].step_ms + 0.030 ? 1 : 0;
    r[k].stalls_per_s = static_cast<double>(stalls) / seconds;
  }
  if (x == 42) std::printf(" ");  // keeps the loops from being optimised away
  return {r[0], r[1]};
}

// One reader runs last-n queries for random users for --rt-seconds, first
// alone, then (iff burn) beside a CPU-bound thread, then while one writer
// appends --rt-batch events per write for random users.
RealTime RunRealTime(const Flags& f, const Dataset& ds, System* sys, uint64_t n, bool burn) {
  auto read_for = [&](uint64_t seed, std::vector<double>* lat) {
    std::mt19937_64 rng(seed);
    Answer a;
    const double t0 = Now();
    while (Now() - t0 < f.rt_seconds) {
      const uint64_t u = Dataset::Id(rng() % ds.users());
      const double q0 = Now();
      sys->LastN(u, n, &a);
      lat->push_back((Now() - q0) * 1e3);
    }
    return Now() - t0;
  };
  RealTime r;
  // Misses per query over one window, from the counters before and after.
  auto miss_pct = [&](int64_t before, size_t queries) {
    const int64_t after = sys->CacheMisses();
    if (before < 0 || after < 0 || queries == 0) return -1.0;
    return 100.0 * static_cast<double>(after - before) / static_cast<double>(queries);
  };
  std::vector<double> idle;
  int64_t counts = sys->CacheMisses();
  read_for(f.seed + 2001, &idle);
  r.idle_miss_pct = miss_pct(counts, idle.size());
  r.idle_p99_ms = Quantile(idle, 0.99);
  r.idle_p50_ms = Quantile(idle, 0.5);
  r.idle_queries = idle.size();
  if (burn) {
    std::atomic<bool> done{false};
    std::atomic<uint64_t> sink{0};
    std::thread spinner([&] {
      uint64_t x = 88172645463325252ull;
      while (!done.load(std::memory_order_relaxed)) {
        for (int i = 0; i < 4096; ++i) {
          x ^= x << 13;
          x ^= x >> 7;
          x ^= x << 17;
        }
        sink.fetch_add(x, std::memory_order_relaxed);
      }
    });
    std::vector<double> beside;
    read_for(f.seed + 2003, &beside);
    done = true;
    spinner.join();
    r.burn_p99_ms = Quantile(beside, 0.99);
  }

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> written{0};
  std::thread writer([&] {
    std::mt19937_64 rng(f.seed + 1001);
    int64_t ts = RealTimeTsBase(f);
    std::vector<uint64_t> users(static_cast<size_t>(f.rt_batch));
    std::vector<Event> ev(static_cast<size_t>(f.rt_batch));
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t sent = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      if (f.rt_rate > 0) {
        // Paced: batch k leaves at t0 + k * batch / rate, as a service's
        // traffic arrives, whatever the store's speed.
        std::this_thread::sleep_until(
            t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                     std::chrono::duration<double>(static_cast<double>(sent) / f.rt_rate)));
        if (stop.load(std::memory_order_relaxed)) break;
      }
      for (int i = 0; i < f.rt_batch; ++i) {
        users[static_cast<size_t>(i)] = Dataset::Id(rng() % ds.users());
        Event& e = ev[static_cast<size_t>(i)];
        e.ts = ts++;
        e.item = rng() % f.items;
        e.action = static_cast<uint8_t>(rng() % 5);
        e.category = static_cast<uint32_t>(SplitMix(e.item) % f.categories);
        e.dwell = static_cast<float>(rng() % 60000) / 1000.0f;
      }
      sys->Write(users, ev);
      sent += users.size();
      written.fetch_add(users.size(), std::memory_order_relaxed);
    }
  });
  std::vector<double> lat;
  counts = sys->CacheMisses();
  const std::optional<System::Upkeep> upkeep0 = sys->UpkeepSoFar();
  const double secs = read_for(f.seed + 2002, &lat);
  stop = true;
  writer.join();
  if (const std::optional<System::Upkeep> upkeep1 = sys->UpkeepSoFar(); upkeep0 && upkeep1) {
    r.ingest_upkeep = System::Upkeep{upkeep1->flushes - upkeep0->flushes,
                                     upkeep1->tail_folds - upkeep0->tail_folds,
                                     upkeep1->merges - upkeep0->merges};
  }
  r.ingest_miss_pct = miss_pct(counts, lat.size());
  r.events_per_s = static_cast<double>(written.load()) / secs;
  r.query_p99_ms = Quantile(lat, 0.99);
  r.query_p50_ms = Quantile(lat, 0.5);
  r.queries = lat.size();
  if (burn) {
    std::vector<double> after;
    counts = sys->CacheMisses();
    read_for(f.seed + 2004, &after);
    r.after_miss_pct = miss_pct(counts, after.size());
    r.after_p99_ms = Quantile(after, 0.99);
    r.after_p50_ms = Quantile(after, 0.5);
    std::tie(r.loop_idle, r.loop_ingest) =
        RunComputeLoops(r.idle_p50_ms, r.query_p50_ms, f.rt_seconds);
  }
  return r;
}

struct DeviceRead {
  double p50_ms = 0;
  double p99_ms = 0;
  uint64_t bytes = 0;
  std::string file;
};

// One contiguous O_DIRECT read of `bytes` (rounded up to 4 KiB) at random
// aligned offsets of the largest file under `dir`, through io_uring.
DeviceRead MeasureDevice(const Flags& f, const std::string& dir, uint64_t bytes) {
  DeviceRead d;
  uint64_t best = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.file_size() > best) {
      best = e.file_size();
      d.file = e.path().string();
    }
  }
  constexpr uint64_t kAlign = 4096;
  d.bytes = std::max<uint64_t>(kAlign, (bytes + kAlign - 1) / kAlign * kAlign);
  if (best < d.bytes) d.bytes = best / kAlign * kAlign;
  if (d.bytes == 0) Die("device read: no file of at least 4 KiB under " + dir);
  const int fd = ::open(d.file.c_str(), O_RDONLY | O_DIRECT);
  if (fd < 0) Die("device read: open O_DIRECT " + d.file + ": " + std::strerror(errno));
  void* buf = nullptr;
  if (posix_memalign(&buf, kAlign, d.bytes) != 0) Die("device read: posix_memalign");
  io_uring ring;
  const int rc = io_uring_queue_init(4, &ring, 0);
  if (rc < 0) Die(std::string("device read: io_uring_queue_init: ") + std::strerror(-rc));
  std::mt19937_64 rng(f.seed + 3003);
  std::vector<double> lat;
  const uint64_t slots = (best - d.bytes) / kAlign + 1;
  for (int i = 0; i < f.device_reads; ++i) {
    const uint64_t off = (rng() % slots) * kAlign;
    const double t0 = Now();
    uint64_t done = 0;
    while (done < d.bytes) {  // a short read continues where it stopped
      io_uring_sqe* sqe = io_uring_get_sqe(&ring);
      io_uring_prep_read(sqe, fd, static_cast<char*>(buf) + done,
                         static_cast<unsigned>(d.bytes - done), off + done);
      io_uring_submit(&ring);
      io_uring_cqe* cqe = nullptr;
      int w = io_uring_wait_cqe(&ring, &cqe);
      while (w == -EINTR) w = io_uring_wait_cqe(&ring, &cqe);
      if (w < 0) Die(std::string("device read: wait: ") + std::strerror(-w));
      const int res = cqe->res;
      io_uring_cqe_seen(&ring, cqe);
      if (res == -EINTR || res == -EAGAIN) continue;
      if (res <= 0) {
        Die("device read: " + d.file + " at offset " + std::to_string(off + done) + ": " +
            (res == 0 ? std::string("unexpected end of file") : std::strerror(-res)));
      }
      done += static_cast<uint64_t>(res);
    }
    lat.push_back((Now() - t0) * 1e3);
  }
  io_uring_queue_exit(&ring);
  std::free(buf);
  ::close(fd);
  d.p50_ms = Quantile(lat, 0.5);
  d.p99_ms = Quantile(lat, 0.99);
  return d;
}

// ---------------------------------------------------------------- report

// "x.xx×" of laser over the better (smaller, or larger if higher_better)
// RocksDB figure.
std::string Ratio(double laser, double rows, double blob, bool higher_better) {
  const double best = higher_better ? std::max(rows, blob) : std::min(rows, blob);
  if (best <= 0) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fx", laser / best);
  return buf;
}

std::string Verdict(double ratio, double target, bool at_most) {
  if (ratio <= 0) return "";
  return (at_most ? ratio <= target : ratio >= target) ? "met" : "**not met**";
}

}  // namespace

int main(int argc, char** argv) {
  const Flags f = ParseFlags(argc, argv);
  const double start = Now();
  fs::remove_all(f.dir);
  fs::create_directories(f.dir);
  fs::create_directories(f.out);
  const uint64_t cache = f.cache_mib << 20;

  const Dataset ds(f);
  std::fprintf(stderr, "dataset: %llu users, %llu events, %zu users with >= %llu events\n",
               static_cast<unsigned long long>(ds.users()),
               static_cast<unsigned long long>(ds.total()), ds.heavy().size(),
               static_cast<unsigned long long>(f.heavy_min));
  if (ds.heavy().empty()) Die("no user has --heavy-min events; raise --users or --max-len");

  auto laser_owned = std::make_unique<LaserSystem>(f.dir + "/laser", cache);
  auto rows_owned = std::make_unique<RocksSystem>(f.dir + "/rocksdb_rows", cache, true);
  auto blob_owned = std::make_unique<RocksSystem>(f.dir + "/rocksdb_blob", cache, false);
  const std::vector<System*> systems = {laser_owned.get(), rows_owned.get(), blob_owned.get()};

  // Load in chunks of whole users (about 256 K events each).
  std::vector<double> load_s(systems.size(), 0);
  {
    std::vector<uint64_t> users;
    std::vector<std::vector<Event>> events;
    uint64_t pending = 0;
    auto flush = [&] {
      for (size_t s = 0; s < systems.size(); ++s) {
        const double t0 = Now();
        systems[s]->Load(users, events);
        load_s[s] += Now() - t0;
      }
      users.clear();
      events.clear();
      pending = 0;
    };
    for (uint64_t u = 0; u < ds.users(); ++u) {
      users.push_back(Dataset::Id(u));
      events.push_back(ds.Events(u));
      pending += events.back().size();
      if (pending >= (256u << 10)) flush();
    }
    if (!users.empty()) flush();
  }
  std::vector<double> settle_s(systems.size(), 0);
  std::vector<uint64_t> disk(systems.size(), 0);
  for (size_t s = 0; s < systems.size(); ++s) {
    const double t0 = Now();
    systems[s]->Settle();
    settle_s[s] = Now() - t0;
    disk[s] = DiskUsage(systems[s]->dir());
    std::fprintf(stderr, "%s: load %.1f s, flush+compact %.1f s, %.2f MiB on disk\n",
                 systems[s]->name(), load_s[s], settle_s[s],
                 static_cast<double>(disk[s]) / 1048576.0);
  }

  const uint64_t rt_n =
      std::find(f.last_ns.begin(), f.last_ns.end(), 1000) != f.last_ns.end() ? 1000 : f.last_ns[0];
  const uint64_t fill = f.fill < 0 ? 3 * ds.users() : static_cast<uint64_t>(f.fill);
  for (System* s : systems) {
    const double t0 = Now();
    FillCache(f, ds, s, rt_n, fill);
    std::fprintf(stderr, "%s: cache filled with %llu queries in %.1f s\n", s->name(),
                 static_cast<unsigned long long>(fill), Now() - t0);
  }

  // Query phases: the same users, in the same order, for every system.
  std::vector<Phase> phases;
  std::mt19937_64 rng(f.seed + 7);
  for (uint64_t n : f.last_ns) {
    for (bool heavy : {false, true}) {
      for (int threads = 1; threads <= f.max_threads; ++threads) {
        Phase ph;
        ph.n = n;
        ph.heavy = heavy;
        ph.threads = threads;
        auto pick = [&] {
          return Dataset::Id(heavy ? ds.heavy()[rng() % ds.heavy().size()] : rng() % ds.users());
        };
        std::vector<uint64_t> warm(static_cast<size_t>(f.warmup));
        for (auto& u : warm) u = pick();
        ph.users.resize(static_cast<size_t>(f.queries));
        for (auto& u : ph.users) u = pick();
        RunPhase(systems, warm, &ph);
        std::fprintf(stderr, "last %llu, %s users, %d thread(s): p50 %.3f / %.3f / %.3f ms\n",
                     static_cast<unsigned long long>(n), heavy ? "heavy" : "uniform", threads,
                     Quantile(ph.lat_ms[0], 0.5), Quantile(ph.lat_ms[1], 0.5),
                     Quantile(ph.lat_ms[2], 0.5));
        phases.push_back(std::move(ph));
      }
    }
  }

  // Correctness: every system gives the same answer for every query, and a
  // sample (every query in --small) equals the generator's.
  uint64_t mismatches = 0;
  for (const Phase& ph : phases) {
    for (size_t i = 0; i < ph.users.size(); ++i) {
      const bool check_truth = f.small || i < 5;
      const uint64_t truth =
          check_truth ? ExpectedHash(ds, ph.users[i] - 1, ph.n) : ph.hashes[0][i];
      for (size_t s = 0; s < systems.size(); ++s) {
        if (ph.hashes[s][i] != truth) {
          if (++mismatches <= 10) {
            std::fprintf(stderr, "MISMATCH: %s, last %llu of user %llu differs from %s\n",
                         systems[s]->name(), static_cast<unsigned long long>(ph.n),
                         static_cast<unsigned long long>(ph.users[i]),
                         check_truth ? "the generated events" : "Laser's answer");
          }
        }
      }
    }
  }
  std::fprintf(stderr, "answers: %llu mismatches\n", static_cast<unsigned long long>(mismatches));

  std::vector<std::string> extras;
  for (System* s : systems) extras.push_back(s->Extra());

  // Device: one contiguous read of what Laser stores for 1000 events.
  const double laser_bpe = static_cast<double>(disk[0]) / static_cast<double>(ds.total());
  const DeviceRead dev =
      MeasureDevice(f, systems[0]->dir(), static_cast<uint64_t>(std::ceil(laser_bpe * 1000)));

  // Laser's last-N working set against its cache budget: whether the
  // newest events of every user fit decides how much room appends find.
  std::vector<uint64_t> all_users(ds.users());
  for (uint64_t i = 0; i < ds.users(); ++i) all_users[i] = Dataset::Id(i);
  const std::optional<uint64_t> working_set = systems[0]->WorkingSetBytes(all_users, rt_n);

  // Real time, WAL on.
  std::vector<RealTime> rt(systems.size());
  for (size_t s = 0; s < systems.size(); ++s) {
    systems[s]->ReopenForRealTime(f.rt_sync);
    FillCache(f, ds, systems[s], rt_n, fill);
    rt[s] = RunRealTime(f, ds, systems[s], rt_n, /*burn=*/s == 0);
    std::fprintf(stderr,
                 "%s real time: %.0f events/s, query p99 %.3f ms (%llu queries); without the "
                 "writer %.3f ms (%llu queries)\n",
                 systems[s]->name(), rt[s].events_per_s, rt[s].query_p99_ms,
                 static_cast<unsigned long long>(rt[s].queries), rt[s].idle_p99_ms,
                 static_cast<unsigned long long>(rt[s].idle_queries));
  }

  // ---- table
  std::printf("## Laser vs RocksDB\n\n");
  std::printf("Command: `bench_compare");
  for (int i = 1; i < argc; ++i) std::printf(" %s", argv[i]);
  std::printf("`  \n");
  std::printf(
      "Dataset: %llu users, %llu events (%zu users with >= %llu events); block cache %llu MiB "
      "per system, filled by %llu uniform last-%llu queries before the query rows and again "
      "before the real-time phase; O_DIRECT reads for all; %d measured queries per row and "
      "system; %u hardware threads; run took %.0f s.\n\n",
      static_cast<unsigned long long>(ds.users()), static_cast<unsigned long long>(ds.total()),
      ds.heavy().size(), static_cast<unsigned long long>(f.heavy_min),
      static_cast<unsigned long long>(f.cache_mib), static_cast<unsigned long long>(fill),
      static_cast<unsigned long long>(rt_n), f.queries, std::thread::hardware_concurrency(),
      Now() - start);
  std::printf(
      "| figure | Laser | RocksDB rows | RocksDB blob | Laser / better RocksDB | target |\n"
      "|---|---:|---:|---:|---:|---|\n");
  auto row = [&](const std::string& what, double a, double b, double c, bool higher_better,
                 const char* fmt, double target) {
    char va[32], vb[32], vc[32];
    std::snprintf(va, sizeof va, fmt, a);
    std::snprintf(vb, sizeof vb, fmt, b);
    std::snprintf(vc, sizeof vc, fmt, c);
    const std::string r = Ratio(a, b, c, higher_better);
    std::string t;
    if (target > 0) {
      char tb[64];
      std::snprintf(tb, sizeof tb, "%s %.2fx: ", higher_better ? ">=" : "<=", target);
      const double best = higher_better ? std::max(b, c) : std::min(b, c);
      t = tb + Verdict(best > 0 ? a / best : 0, target, !higher_better);
    }
    std::printf("| %s | %s | %s | %s | %s | %s |\n", what.c_str(), va, vb, vc, r.c_str(),
                t.c_str());
  };
  for (const Phase& ph : phases) {
    char what[96];
    std::snprintf(what, sizeof what, "last %llu, %s, %d thr", static_cast<unsigned long long>(ph.n),
                  ph.heavy ? "heavy users" : "uniform users", ph.threads);
    const bool key = ph.n == 1000;
    std::vector<double> p50(3), p99(3);
    for (size_t s = 0; s < 3; ++s) {
      p50[s] = Quantile(ph.lat_ms[s], 0.5);
      p99[s] = Quantile(ph.lat_ms[s], 0.99);
    }
    row(std::string(what) + ": p50 ms", p50[0], p50[1], p50[2], false, "%.3f", 0);
    row(std::string(what) + ": p99 ms", p99[0], p99[1], p99[2], false, "%.3f", key ? 0.5 : 0);
    row(std::string(what) + ": CPU us/query (thread)", ph.cpu_us[0], ph.cpu_us[1], ph.cpu_us[2],
        false, "%.0f", key ? 0.25 : 0);
    row(std::string(what) + ": CPU us/query (process)", ph.proc_cpu_us[0], ph.proc_cpu_us[1],
        ph.proc_cpu_us[2], false, "%.0f", 0);
    row(std::string(what) + ": of which kernel us/query", ph.sys_cpu_us[0], ph.sys_cpu_us[1],
        ph.sys_cpu_us[2], false, "%.0f", 0);
  }
  std::vector<double> bpe(3);
  for (size_t s = 0; s < 3; ++s) {
    bpe[s] = static_cast<double>(disk[s]) / static_cast<double>(ds.total());
  }
  row("bytes on disk per event (du after flush + compaction)", bpe[0], bpe[1], bpe[2], false,
      "%.2f", 0.5);
  row("load (bulk, no WAL) + flush + compaction, s", load_s[0] + settle_s[0],
      load_s[1] + settle_s[1], load_s[2] + settle_s[2], false, "%.1f", 0);
  // Paced, every system is offered the same rate: the row shows that each
  // kept up, and the throughput target needs an unpaced run.
  char paced[96] = "";
  if (f.rt_rate > 0) std::snprintf(paced, sizeof paced, " (paced: %.0f offered)", f.rt_rate);
  row(std::string("real time: events/s with the WAL") + (f.rt_sync ? " (fsync each write)" : "") +
          paced,
      rt[0].events_per_s, rt[1].events_per_s, rt[2].events_per_s, true, "%.0f",
      f.rt_rate > 0 ? 0 : 2.0);
  char rtq[64];
  std::snprintf(rtq, sizeof rtq, "real time: last-%llu query p99 ms during ingest",
                static_cast<unsigned long long>(rt_n));
  row(rtq, rt[0].query_p99_ms, rt[1].query_p99_ms, rt[2].query_p99_ms, false, "%.3f", 0);
  row("real time: the same reader without ingest, p99 ms", rt[0].idle_p99_ms, rt[1].idle_p99_ms,
      rt[2].idle_p99_ms, false, "%.3f", 0);
  std::printf(
      "| real time: the same reader beside a CPU-bound thread (no I/O), p99 ms; / without "
      "ingest | %.3f; %.2fx | | | (own ratio) | |\n",
      rt[0].burn_p99_ms, rt[0].idle_p99_ms > 0 ? rt[0].burn_p99_ms / rt[0].idle_p99_ms : 0);
  if (rt[0].loop_idle.p99_ms > 0 && rt[0].loop_ingest.p99_ms > 0) {
    const ComputeLoop& a = rt[0].loop_idle;
    const ComputeLoop& b = rt[0].loop_ingest;
    std::printf(
        "| real time: the machine alone: a compute-only loop of steps as long as the idle / "
        "ingest query p50 (%.1f / %.1f us), p99 ms; stalls of 30+ us per s | %.3f / %.3f; "
        "%.0f / %.0f | | | (machine) | |\n",
        a.step_ms * 1e3, b.step_ms * 1e3, a.p99_ms, b.p99_ms, a.stalls_per_s, b.stalls_per_s);
    std::printf(
        "| real time: the machine alone: p99 of the longer loop / of the shorter | %.2fx | | | "
        "(machine) | |\n",
        a.p99_ms > 0 ? b.p99_ms / a.p99_ms : 0);
  }
  if (rt[0].idle_miss_pct >= 0) {
    std::printf(
        "| real time: the reader's cache misses per query, without ingest / during ingest | "
        "%.2f%% / %.2f%% | | | | |\n",
        rt[0].idle_miss_pct, rt[0].ingest_miss_pct);
  }
  if (const std::optional<System::Upkeep>& u = rt[0].ingest_upkeep) {
    std::printf(
        "| real time: during ingest, memtables flushed; tail folds; merges | %llu; %llu; %llu "
        "| | | | |\n",
        static_cast<unsigned long long>(u->flushes), static_cast<unsigned long long>(u->tail_folds),
        static_cast<unsigned long long>(u->merges));
  }
  if (rt[0].after_p99_ms > 0) {
    std::printf(
        "| real time: the same reader right after ingest (no writer), p99 ms; p50 ms; cache "
        "misses per query | %.3f; %.3f; %.2f%% | | | | |\n",
        rt[0].after_p99_ms, rt[0].after_p50_ms, rt[0].after_miss_pct);
    std::printf(
        "| real time: query p99 during ingest / the same reader's p99 right after ingest | "
        "%.2fx | | | (own ratio) | |\n",
        rt[0].query_p99_ms / rt[0].after_p99_ms);
  }
  if (working_set) {
    std::printf(
        "| real time: cache bytes for the newest %llu events of every user (MiB); / cache "
        "budget | %.1f; %.2fx | | | | |\n",
        static_cast<unsigned long long>(rt_n), static_cast<double>(*working_set) / 1048576.0,
        static_cast<double>(*working_set) / (static_cast<double>(f.cache_mib) * 1048576.0));
  }
  // Two idle baselines: the reader's own idle window just before ingest (the
  // target's), and the uniform one-thread query row of the same N.
  std::vector<double> idle_row(3, 0);
  for (const Phase& ph : phases) {
    if (ph.n == rt_n && !ph.heavy && ph.threads == 1) {
      for (size_t s = 0; s < 3; ++s) idle_row[s] = Quantile(ph.lat_ms[s], 0.99);
    }
  }
  auto own_ratio = [&](const char* label, const std::vector<double>& idle, bool target) {
    std::vector<std::string> cell(3);
    for (size_t s = 0; s < 3; ++s) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.2fx", idle[s] > 0 ? rt[s].query_p99_ms / idle[s] : 0);
      cell[s] = buf;
    }
    const double r = idle[0] > 0 ? rt[0].query_p99_ms / idle[0] : 0;
    std::printf("| %s | %s | %s | %s | (own ratio) | %s |\n", label, cell[0].c_str(),
                cell[1].c_str(), cell[2].c_str(),
                target ? ("<= 1.20x: " + Verdict(r, 1.2, true)).c_str() : "");
  };
  std::vector<double> idle_window(3);
  for (size_t s = 0; s < 3; ++s) idle_window[s] = rt[s].idle_p99_ms;
  own_ratio("real time: query p99 during ingest / the same reader's p99 without ingest",
            idle_window, true);
  own_ratio("real time: query p99 during ingest / the uniform 1-thread row's p99", idle_row, false);
  {
    double p50_1000 = 0;
    for (const Phase& ph : phases) {
      if (ph.n == rt_n && !ph.heavy && ph.threads == 1) p50_1000 = Quantile(ph.lat_ms[0], 0.5);
    }
    const double r = dev.p50_ms > 0 ? p50_1000 / dev.p50_ms : 0;
    std::printf(
        "| device: one O_DIRECT io_uring read of %llu bytes (Laser's last-%llu size), p50 / p99 "
        "ms | %.3f / %.3f | | | Laser last-%llu p50 / device p50 = %.2fx | <= 1.50x: %s |\n",
        static_cast<unsigned long long>(dev.bytes), static_cast<unsigned long long>(rt_n),
        dev.p50_ms, dev.p99_ms, static_cast<unsigned long long>(rt_n), r,
        Verdict(r, 1.5, true).c_str());
  }
  std::printf("\n");
  for (const std::string& e : extras) std::printf("- %s\n", e.c_str());
  std::printf("- answers compared: %llu mismatches across %zu queries per system\n",
              static_cast<unsigned long long>(mismatches), phases.size() * f.queries);

  // ---- plot data: latency CDF per system for every uniform one-thread phase.
  const std::string dat = f.out + "/compare_latency.dat";
  FILE* d = std::fopen(dat.c_str(), "w");
  if (d == nullptr) Die("cannot write " + dat);
  std::vector<std::string> titles;
  for (const Phase& ph : phases) {
    if (ph.heavy || ph.threads != 1) continue;
    for (size_t s = 0; s < systems.size(); ++s) {
      std::vector<double> v = ph.lat_ms[s];
      std::sort(v.begin(), v.end());
      std::fprintf(d, "# %s last %llu\n", systems[s]->name(),
                   static_cast<unsigned long long>(ph.n));
      for (size_t i = 0; i < v.size(); ++i) {
        std::fprintf(d, "%.6f %.6f\n", v[i],
                     static_cast<double>(i + 1) / static_cast<double>(v.size()));
      }
      std::fprintf(d, "\n\n");
    }
    titles.push_back("last " + std::to_string(ph.n));
  }
  std::fclose(d);
  const std::string gp = f.out + "/compare.gp";
  FILE* g = std::fopen(gp.c_str(), "w");
  if (g == nullptr) Die("cannot write " + gp);
  std::fprintf(g,
               "# gnuplot -e \"out='compare.png'\" compare.gp (run in this directory)\n"
               "if (!exists(\"out\")) out = 'compare.png'\n"
               "set terminal png size %zu,480\nset output out\n"
               "set multiplot layout 1,%zu title 'last-N latency CDF, uniform users, 1 thread, "
               "cache %llu MiB'\n"
               "set logscale x\nset xlabel 'latency (ms)'\nset ylabel 'fraction of queries'\n"
               "set yrange [0:1]\nset key bottom right\nset grid\n",
               480 * titles.size(), titles.size(), static_cast<unsigned long long>(f.cache_mib));
  for (size_t p = 0; p < titles.size(); ++p) {
    std::fprintf(g, "set title '%s'\nplot ", titles[p].c_str());
    for (size_t s = 0; s < systems.size(); ++s) {
      std::fprintf(g, "%s'compare_latency.dat' index %zu using 1:2 with lines lw 2 title '%s'",
                   s == 0 ? "" : ", ", p * systems.size() + s, systems[s]->name());
    }
    std::fprintf(g, "\n");
  }
  std::fprintf(g, "unset multiplot\n");
  std::fclose(g);

  laser_owned.reset();
  rows_owned.reset();
  blob_owned.reset();
  if (!f.keep) fs::remove_all(f.dir);
  if (mismatches != 0) {
    std::fprintf(stderr, "bench_compare: %llu answers differ\n",
                 static_cast<unsigned long long>(mismatches));
    return 1;
  }
  return 0;
}
