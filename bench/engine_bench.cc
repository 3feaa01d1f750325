// Engine benchmark: prints a Markdown report of
//   - ingest rate with sync=interval and sync=always, several appending
//     threads (group commit), small batches as a ranking service sends them;
//   - bytes per event on disk after flush + compact, and the DRAM index's
//     bytes per user and per block;
//   - last-N latency (p50/p99), process CPU time and disk reads per query
//     for N = 100, 1000, 10000 on a dataset larger than the block cache,
//     direct I/O, for the io_uring and the pread backends.
//
//   bench_engine [--dir=PATH] [--users=1500] [--events-per-user=12000]
//                [--cache-mib=8] [--ingest-seconds=3] [--threads=4]
//                [--batch=10] [--queries=400] [--keep]
//
// With --io-fixed [--io-reads=10000] [--io-reps=5] it measures only the
// io_uring BlockReader: 12 KiB O_DIRECT reads of a 256 MiB file into
// registered buffers (IORING_OP_READ_FIXED) against plain reads, system and
// user CPU per read and latency, medians of the repetitions.
//
// The dataset is built with sync=none in batches of 1000 events spread over
// random users (as events arrive), flushed and compacted; then reopened
// read-only once per I/O backend.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/db/db_impl.hpp"
#include "engine/io/block_reader.hpp"
#include "laser/db.hpp"

namespace {

using laser::Batch;
using laser::Column;
using laser::DBImpl;
using laser::Options;
using laser::Status;
using laser::TableSchema;
using laser::Type;
using laser::Value;

struct Flags {
  std::string dir;
  uint64_t users = 1500;
  uint64_t events_per_user = 12000;
  uint64_t cache_mib = 8;
  double ingest_seconds = 3;
  int threads = 4;
  int batch = 10;
  int queries = 400;
  bool keep = false;
  bool io_fixed = false;
  int io_reads = 10000;
  int io_reps = 5;
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "bench_engine: %s\n", what.c_str());
  std::exit(1);
}

void Check(const Status& st, const char* what) {
  if (!st.ok()) Die(std::string(what) + ": " + st.ToString());
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&](const char* name) -> const char* {
      const std::string p = std::string("--") + name + "=";
      return a.rfind(p, 0) == 0 ? argv[i] + p.size() : nullptr;
    };
    if (const char* v = val("dir")) {
      f.dir = v;
    } else if (const char* v = val("users")) {
      f.users = std::strtoull(v, nullptr, 10);
    } else if (const char* v = val("events-per-user")) {
      f.events_per_user = std::strtoull(v, nullptr, 10);
    } else if (const char* v = val("cache-mib")) {
      f.cache_mib = std::strtoull(v, nullptr, 10);
    } else if (const char* v = val("ingest-seconds")) {
      f.ingest_seconds = std::strtod(v, nullptr);
    } else if (const char* v = val("threads")) {
      f.threads = std::atoi(v);
    } else if (const char* v = val("batch")) {
      f.batch = std::atoi(v);
    } else if (const char* v = val("queries")) {
      f.queries = std::atoi(v);
    } else if (a == "--keep") {
      f.keep = true;
    } else if (a == "--io-fixed") {
      f.io_fixed = true;
    } else if (const char* v = val("io-reads")) {
      f.io_reads = std::atoi(v);
    } else if (const char* v = val("io-reps")) {
      f.io_reps = std::atoi(v);
    } else {
      Die("unknown argument " + a +
          " (flags: --dir= --users= --events-per-user= --cache-mib= --ingest-seconds= "
          "--threads= --batch= --queries= --keep --io-fixed --io-reads= --io-reps=)");
    }
  }
  if (f.users == 0 || f.events_per_user == 0 || f.threads <= 0 || f.batch <= 0 || f.queries <= 0 ||
      f.io_reads <= 0 || f.io_reps <= 0) {
    Die("sizes must be positive");
  }
  if (f.dir.empty()) {
    f.dir = (std::filesystem::temp_directory_path() / "laser_bench_engine").string();
  }
  return f;
}

// A behaviour event as the paper's ranking service logs it.
TableSchema EventSchema() {
  TableSchema s;
  s.name = "events";
  auto col = [](const char* n, Type t, bool nullable = true) {
    Column c;
    c.name = n;
    c.type = t;
    c.nullable = nullable;
    return c;
  };
  s.columns.push_back(col("user", Type::kU64, false));
  s.columns.push_back(col("ts", Type::kTimestamp, false));
  s.columns.push_back(col("item", Type::kU64));
  Column kind = col("kind", Type::kEnum);
  kind.enum_values = {"pv", "click", "like", "collect", "share", "comment"};
  s.columns.push_back(kind);
  s.columns.push_back(col("category", Type::kU32));
  s.columns.push_back(col("duration_ms", Type::kI32));
  s.columns.push_back(col("author", Type::kU64));
  s.partition_key = 0;
  s.order_key = 1;
  return s;
}

// Appends `n` events of random users (1..users) with increasing timestamps.
Batch MakeEvents(const TableSchema& s, std::mt19937_64& rng, size_t n, uint64_t users,
                 int64_t* ts) {
  Batch b;
  for (const Column& c : s.columns) b.AddColumn(c.name, c.type);
  for (auto& c : b.columns) c.Reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t item = rng() % 5'000'000;
    b.columns[0].Append(Value::UInt(1 + rng() % users));
    b.columns[1].Append(Value::Int((*ts)++));
    b.columns[2].Append(Value::UInt(item));
    b.columns[3].Append(Value::Int(static_cast<int64_t>(rng() % 100 < 80 ? 0 : 1 + rng() % 5)));
    b.columns[4].Append(Value::UInt(item % 3000));
    b.columns[5].Append(Value::Int(static_cast<int64_t>(rng() % 60000)));
    b.columns[6].Append(Value::UInt(item / 97));
  }
  return b;
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double ProcessCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

std::unique_ptr<DBImpl> OpenOrDie(const std::string& dir, const Options& o) {
  auto db = DBImpl::OpenWithEnv(dir, o, laser::Env::Default());
  if (!db.ok()) Die("open " + dir + ": " + db.status().ToString());
  return std::move(db).value();
}

struct IngestResult {
  double events_per_s = 0;
  double appends_per_s = 0;
  double p99_append_ms = 0;
};

// `threads` appenders, each sending batches of `batch` events for `seconds`.
IngestResult Ingest(const Flags& f, laser::SyncMode sync) {
  const std::string dir = f.dir + "/ingest";
  std::filesystem::remove_all(dir);
  Options o;
  o.sync = sync;
  auto db = OpenOrDie(dir, o);
  const TableSchema s = EventSchema();
  Check(db->CreateTable(s), "create table");
  std::atomic<uint64_t> appends{0};
  std::vector<std::vector<double>> lat(static_cast<size_t>(f.threads));
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                               std::chrono::duration<double>(f.ingest_seconds));
  std::vector<std::thread> ts;
  for (int t = 0; t < f.threads; ++t) {
    ts.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<uint64_t>(t) + 1);
      int64_t ts_ms = 1'700'000'000'000 + t;
      while (std::chrono::steady_clock::now() < end) {
        Batch b = MakeEvents(s, rng, static_cast<size_t>(f.batch), 100000, &ts_ms);
        const auto t0 = std::chrono::steady_clock::now();
        Check(db->Append("events", b), "append");
        lat[static_cast<size_t>(t)].push_back(Seconds(std::chrono::steady_clock::now() - t0));
        appends++;
      }
    });
  }
  for (auto& th : ts) th.join();
  const double secs = Seconds(std::chrono::steady_clock::now() - start);
  std::vector<double> all;
  for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  IngestResult r;
  r.appends_per_s = static_cast<double>(appends.load()) / secs;
  r.events_per_s = r.appends_per_s * f.batch;
  r.p99_append_ms = all.empty() ? 0 : all[all.size() * 99 / 100] * 1e3;
  Check(db->Close(), "close");
  db.reset();
  std::filesystem::remove_all(dir);
  return r;
}

struct Layout {
  double build_s = 0, compact_s = 0;
  uint64_t events = 0, users = 0, disk_bytes = 0, segment_bytes = 0;
  uint64_t index_bytes = 0, index_entries = 0;
};

Layout BuildDataset(const Flags& f, const std::string& dir) {
  std::filesystem::remove_all(dir);
  Options o;
  o.sync = laser::SyncMode::kNone;
  o.background_merge = false;  // one Compact at the end
  auto db = OpenOrDie(dir, o);
  const TableSchema s = EventSchema();
  Check(db->CreateTable(s), "create table");
  std::mt19937_64 rng(7);
  int64_t ts = 1'600'000'000'000;
  const uint64_t total = f.users * f.events_per_user;
  Layout l;
  const auto t0 = std::chrono::steady_clock::now();
  for (uint64_t done = 0; done < total;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(1000, total - done));
    Check(db->Append("events", MakeEvents(s, rng, n, f.users, &ts)), "append");
    done += n;
  }
  Check(db->Flush(), "flush");
  l.build_s = Seconds(std::chrono::steady_clock::now() - t0);
  const auto t1 = std::chrono::steady_clock::now();
  Check(db->Compact(), "compact");
  l.compact_s = Seconds(std::chrono::steady_clock::now() - t1);
  Check(db->Close(), "close");
  db.reset();
  // Measured on a fresh open, as a server would hold the index.
  Options ro;
  ro.read_only = true;
  db = OpenOrDie(dir, ro);
  const laser::Stats st = db->GetStats();
  l.events = st.events;
  l.users = st.users;
  l.disk_bytes = st.disk_bytes;
  l.segment_bytes = st.segment_bytes;
  l.index_bytes = st.index_bytes;
  l.index_entries = st.index_entries;
  return l;
}

struct LastN {
  uint64_t n = 0;
  double p50_ms = 0, p99_ms = 0, cpu_us = 0, reads = 0, rows = 0;
};

struct BackendRun {
  std::string backend, fallback;
  std::vector<LastN> rows;
  double cache_hit_rate = 0;
};

BackendRun MeasureReads(const Flags& f, const std::string& dir, laser::IoBackend backend) {
  Options o;
  o.read_only = true;
  o.direct_io = true;
  o.io_backend = backend;
  o.block_cache_bytes = f.cache_mib << 20;
  auto db = OpenOrDie(dir, o);
  BackendRun run;
  const laser::Stats st0 = db->GetStats();
  run.backend = st0.io_backend;
  run.fallback = st0.io_fallback_reason;
  std::mt19937_64 rng(11);
  for (uint64_t n : {uint64_t{100}, uint64_t{1000}, uint64_t{10000}}) {
    laser::ReadOptions ro;
    ro.last_n = n;
    // Warm-up: fills the cache with a random working set, as in steady state.
    for (int i = 0; i < f.queries / 4; ++i) {
      auto r = db->Read("events", 1 + rng() % f.users, ro);
      if (!r.ok()) Die("read: " + r.status().ToString());
    }
    std::vector<double> lat;
    uint64_t rows = 0;
    const uint64_t reads0 = db->disk_reads();
    const double cpu0 = ProcessCpuSeconds();
    for (int i = 0; i < f.queries; ++i) {
      const uint64_t user = 1 + rng() % f.users;
      const auto t0 = std::chrono::steady_clock::now();
      auto r = db->Read("events", user, ro);
      lat.push_back(Seconds(std::chrono::steady_clock::now() - t0));
      if (!r.ok()) Die("read: " + r.status().ToString());
      rows += r->num_rows();
    }
    const double cpu = ProcessCpuSeconds() - cpu0;
    std::sort(lat.begin(), lat.end());
    LastN row;
    row.n = n;
    row.p50_ms = lat[lat.size() / 2] * 1e3;
    row.p99_ms = lat[std::min(lat.size() - 1, lat.size() * 99 / 100)] * 1e3;
    row.cpu_us = cpu / f.queries * 1e6;
    row.reads = static_cast<double>(db->disk_reads() - reads0) / f.queries;
    row.rows = static_cast<double>(rows) / f.queries;
    run.rows.push_back(row);
  }
  const laser::Stats st = db->GetStats();
  const double lookups = static_cast<double>(st.cache_hits + st.cache_misses);
  run.cache_hit_rate = lookups > 0 ? static_cast<double>(st.cache_hits) / lookups : 0;
  return run;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double ThreadSeconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
}

struct IoRep {
  double cpu_us = 0, sys_us = 0, user_us = 0, p50_us = 0, p99_us = 0;
};

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// `reads` batches of `batch` 12 KiB reads at random 4 KiB-aligned offsets,
// on one ring with `slots` registered buffers (0 = plain reads).
IoRep MeasureIoRep(const laser::RandomAccessFile* file, uint64_t file_bytes, unsigned slots,
                   int reads, int batch, uint64_t seed) {
  laser::BlockReaderOptions o;
  o.uring_rings = 1;
  o.uring_fixed_slots = slots;
  std::string reason;
  auto reader = laser::NewBlockReader(laser::IoBackend::kUring, &reason, o);
  Check(reader.status(), "io_uring block reader");
  if (!reason.empty()) Die(reason);
  constexpr uint32_t kLen = 12 << 10;
  std::mt19937_64 rng(seed);
  std::vector<laser::ReadRequest> reqs(static_cast<size_t>(batch));
  std::vector<laser::ReadBuffer> out;
  std::vector<double> lat;
  rusage r0, r1;
  getrusage(RUSAGE_THREAD, &r0);
  const double c0 = ThreadCpuSeconds();
  for (int k = 0; k < reads; k += batch) {
    for (auto& q : reqs) q = {file, (rng() % ((file_bytes - kLen) / 4096)) * 4096, kLen};
    const auto t = std::chrono::steady_clock::now();
    Check((*reader)->ReadBatch(reqs, &out), "ReadBatch");
    lat.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t).count());
  }
  const double c1 = ThreadCpuSeconds();
  getrusage(RUSAGE_THREAD, &r1);
  if (slots > 0 && (*reader)->fixed_reads() == 0) Die("no read used a registered buffer");
  const double n = static_cast<double>(lat.size()) * batch;
  IoRep rep;
  rep.cpu_us = (c1 - c0) * 1e6 / n;
  rep.sys_us = (ThreadSeconds(r1.ru_stime) - ThreadSeconds(r0.ru_stime)) * 1e6 / n;
  rep.user_us = (ThreadSeconds(r1.ru_utime) - ThreadSeconds(r0.ru_utime)) * 1e6 / n;
  std::sort(lat.begin(), lat.end());
  rep.p50_us = lat[lat.size() / 2];
  rep.p99_us = lat[lat.size() * 99 / 100];
  return rep;
}

int RunIoFixed(const Flags& f) {
  const std::string path = f.dir + "/io_fixed.dat";
  constexpr uint64_t kFileBytes = uint64_t{256} << 20;
  {
    std::vector<uint8_t> chunk(1 << 20);
    std::mt19937_64 rng(1);
    for (auto& b : chunk) b = static_cast<uint8_t>(rng());
    auto w = laser::Env::Default()->NewWritableFile(path, laser::WritableFileOptions{});
    Check(w.status(), "create io_fixed.dat");
    for (uint64_t k = 0; k < kFileBytes / chunk.size(); ++k) Check((*w)->Append(chunk), "append");
    Check((*w)->Sync(), "sync");
    Check((*w)->Close(), "close");
  }
  auto file = laser::Env::Default()->NewRandomAccessFile(path, /*direct=*/true);
  Check(file.status(), "open io_fixed.dat");
  if ((*file)->direct_alignment() == 0) Die(path + ": the file system refuses O_DIRECT");
  std::printf("## io_uring registered buffers: 12 KiB O_DIRECT reads\n\n");
  std::printf(
      "Command: `bench_engine --io-fixed --io-reads=%d --io-reps=%d`; one ring, one thread, a "
      "256 MiB file, random 4 KiB-aligned offsets; per read; medians of %d repetitions "
      "(fixed and plain alternate within each).\n\n",
      f.io_reads, f.io_reps, f.io_reps);
  std::printf(
      "| batch | reads | thread CPU (us) | sys CPU (us) | user CPU (us) | batch p50 (us) | "
      "batch p99 (us) |\n|---:|---|---:|---:|---:|---:|---:|\n");
  std::vector<std::string> diffs;
  for (int batch : {1, 16}) {
    std::vector<IoRep> reps[2];  // [0] fixed, [1] plain
    for (int r = 0; r < f.io_reps; ++r) {
      for (int m = 0; m < 2; ++m) {
        const int which = (r + m) % 2;  // alternate which mode runs first
        reps[which].push_back(MeasureIoRep(file->get(), kFileBytes, which == 0 ? 64 : 0, f.io_reads,
                                           batch, 1000 + static_cast<uint64_t>(r)));
      }
    }
    for (int m = 0; m < 2; ++m) {
      auto med = [&](double IoRep::*field) {
        std::vector<double> v;
        for (const IoRep& x : reps[m]) v.push_back(x.*field);
        return Median(v);
      };
      std::printf("| %d | %s | %.2f | %.2f | %.2f | %.1f | %.1f |\n", batch,
                  m == 0 ? "fixed" : "plain", med(&IoRep::cpu_us), med(&IoRep::sys_us),
                  med(&IoRep::user_us), med(&IoRep::p50_us), med(&IoRep::p99_us));
    }
    // Repetition r ran both modes back to back: their difference cancels
    // most of the machine's drift.
    std::vector<double> cpu, sys, p50;
    for (int r = 0; r < f.io_reps; ++r) {
      cpu.push_back(reps[1][r].cpu_us - reps[0][r].cpu_us);
      sys.push_back(reps[1][r].sys_us - reps[0][r].sys_us);
      p50.push_back(reps[1][r].p50_us - reps[0][r].p50_us);
    }
    char line[160];
    std::snprintf(line, sizeof(line),
                  "- batch %d, plain minus fixed, median of the paired differences: thread CPU "
                  "%.2f us, sys CPU %.2f us per read, batch p50 %.1f us\n",
                  batch, Median(cpu), Median(sys), Median(p50));
    diffs.push_back(line);
  }
  std::printf("\n");
  for (const std::string& d : diffs) std::printf("%s", d.c_str());
  file->reset();
  std::filesystem::remove(path);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Flags f = ParseFlags(argc, argv);
  std::filesystem::create_directories(f.dir);
  if (f.io_fixed) return RunIoFixed(f);
  const auto t0 = std::chrono::steady_clock::now();

  const IngestResult interval = Ingest(f, laser::SyncMode::kInterval);
  const IngestResult always = Ingest(f, laser::SyncMode::kAlways);

  const std::string data = f.dir + "/data";
  const Layout l = BuildDataset(f, data);
  std::vector<BackendRun> runs;
  runs.push_back(MeasureReads(f, data, laser::IoBackend::kUring));
  runs.push_back(MeasureReads(f, data, laser::IoBackend::kPread));

  std::printf("## Laser engine benchmark\n\n");
  std::printf(
      "Command: `bench_engine --users=%llu --events-per-user=%llu --cache-mib=%llu "
      "--ingest-seconds=%g --threads=%d --batch=%d --queries=%d`; %u hardware threads; "
      "total %.0f s.\n\n",
      static_cast<unsigned long long>(f.users), static_cast<unsigned long long>(f.events_per_user),
      static_cast<unsigned long long>(f.cache_mib), f.ingest_seconds, f.threads, f.batch, f.queries,
      std::thread::hardware_concurrency(), Seconds(std::chrono::steady_clock::now() - t0));
  std::printf("### Ingest (%d appending threads, %d events per Append)\n\n", f.threads, f.batch);
  std::printf("| sync | events/s | appends/s | append p99 (ms) |\n|---|---:|---:|---:|\n");
  std::printf("| interval (100 ms) | %.0f | %.0f | %.2f |\n", interval.events_per_s,
              interval.appends_per_s, interval.p99_append_ms);
  std::printf("| always | %.0f | %.0f | %.2f |\n\n", always.events_per_s, always.appends_per_s,
              always.p99_append_ms);
  std::printf("### Layout after flush + compact\n\n");
  std::printf("| figure | value |\n|---|---:|\n");
  std::printf("| events | %llu |\n| users | %llu |\n", static_cast<unsigned long long>(l.events),
              static_cast<unsigned long long>(l.users));
  std::printf("| dataset build (append + flush, sync=none) | %.1f s (%.0f events/s) |\n", l.build_s,
              static_cast<double>(l.events) / l.build_s);
  std::printf("| compact | %.1f s |\n", l.compact_s);
  std::printf("| disk bytes (all files) | %.1f MiB |\n",
              static_cast<double>(l.disk_bytes) / 1048576);
  std::printf("| bytes per event on disk | %.2f |\n",
              static_cast<double>(l.disk_bytes) / static_cast<double>(l.events));
  std::printf("| segment bytes per event | %.2f |\n",
              static_cast<double>(l.segment_bytes) / static_cast<double>(l.events));
  std::printf("| index bytes | %llu |\n| blocks indexed | %llu |\n",
              static_cast<unsigned long long>(l.index_bytes),
              static_cast<unsigned long long>(l.index_entries));
  std::printf("| index bytes per user | %.1f |\n",
              static_cast<double>(l.index_bytes) / static_cast<double>(l.users));
  std::printf("| index bytes per block | %.1f |\n\n",
              static_cast<double>(l.index_bytes) / static_cast<double>(l.index_entries));
  std::printf(
      "### Last-N reads (block cache %llu MiB, direct I/O, %d queries per N, random "
      "users, one thread)\n\n",
      static_cast<unsigned long long>(f.cache_mib), f.queries);
  std::printf(
      "| backend | N | rows per query | p50 (ms) | p99 (ms) | CPU per query (us) | "
      "disk reads per query |\n|---|---:|---:|---:|---:|---:|---:|\n");
  for (const BackendRun& r : runs) {
    for (const LastN& n : r.rows) {
      std::printf("| %s | %llu | %.0f | %.3f | %.3f | %.0f | %.2f |\n", r.backend.c_str(),
                  static_cast<unsigned long long>(n.n), n.rows, n.p50_ms, n.p99_ms, n.cpu_us,
                  n.reads);
    }
  }
  std::printf("\n");
  for (const BackendRun& r : runs) {
    std::printf("- %s: block cache hit rate %.1f%%%s%s\n", r.backend.c_str(),
                r.cache_hit_rate * 100,
                r.fallback.empty() ? "" : "; io_uring not used: ", r.fallback.c_str());
  }
  if (!f.keep) std::filesystem::remove_all(f.dir);
  return 0;
}
