// End-to-end SCORE benchmark: a real database on disk holds users with n
// events each (n in {1000, 10000}); one request is one SQL statement
//   SELECT * FROM SCORE(m, events, user => ?, targets => [K ids])
// through laser::Connection (prepared once, the user bound per request):
// index lookup, read of the newest L events (item and action columns only),
// decode, scoring of K in {1, 64, 512} targets. Measured with the history
// on SSD (block cache off, O_DIRECT reads, a different user each request)
// and cached (block cache large enough for every user, warmed), for STA and
// method => 'full'; GFLOP/s from this thread's CPU time against the core's
// FMA peak measured as in bench/score_bench.cc.
//
//   bench_score_engine MODEL.safetensors [DB_DIR] [--quick]
//
// DB_DIR (default ./score_engine_bench.db) is created, filled and removed.
#include <immintrin.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_util.hpp"
#include "laser/laser.hpp"
#include "operators/model/model.hpp"
#include "operators/model/scorer.hpp"

using laser::model::ScoreMethod;

using namespace laser::bench;

namespace {

constexpr size_t kUsersPerGroup = 24;  // users of each history length
constexpr uint64_t kLongUserBase = 1'000'000;

uint64_t UserOf(size_t n, size_t i) { return (n >= 10000 ? kLongUserBase : 1) + i; }

int Fail(const laser::Status& s) {
  std::fprintf(stderr, "%s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.safetensors [DB_DIR] [--quick]\n", argv[0]);
    return 2;
  }
  std::string dir = "score_engine_bench.db";
  bool quick = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") {
      quick = true;
    } else {
      dir = a;
    }
  }
  auto loaded = laser::model::Model::Load(argv[1], laser::model::ModelOptions{});
  if (!loaded.ok()) return Fail(loaded.status());
  const laser::model::Model& model = **loaded;
  const auto& ids = model.weights().item_ids;
  const size_t L = static_cast<size_t>(model.config().L);

  // Fill the database: kUsersPerGroup users with 1000 and with 10000 events,
  // then flush and merge so each history is stored as on a long-running server.
  std::filesystem::remove_all(dir);
  laser::Options write_opts;
  write_opts.sync = laser::SyncMode::kNone;
  std::mt19937_64 rng(42);
  {
    auto conn = laser::Connection::Open(dir, write_opts);
    if (!conn.ok()) return Fail(conn.status());
    auto r = (*conn)->Execute(
        "CREATE TABLE events (user_id U64 PARTITION KEY, ts TIMESTAMP(ms) ORDER KEY, item_id U64, "
        "action ENUM('pv','buy','cart','fav'), category U32, dwell F32);"
        "CREATE MODEL m FROM '" +
        std::string(argv[1]) + "'");
    if (!r.ok()) return Fail(r.status());
    for (size_t n : {size_t{1000}, size_t{10000}}) {
      for (size_t u = 0; u < kUsersPerGroup; ++u) {
        std::vector<uint64_t> user, item, cat;
        std::vector<int64_t> ts, action;
        std::vector<double> dwell;
        for (size_t i = 0; i < n; ++i) {
          user.push_back(UserOf(n, u));
          ts.push_back(1'700'000'000'000 + static_cast<int64_t>(i) * 1000);
          item.push_back(ids[rng() % ids.size()]);
          action.push_back(static_cast<int64_t>(rng() % 4));
          cat.push_back(rng() % 16);
          dwell.push_back(static_cast<double>(rng() % 1000) / 10.0);
        }
        laser::Batch b;
        b.AddColumn("user_id", laser::Type::kU64).uints = std::move(user);
        b.AddColumn("ts", laser::Type::kTimestamp).ints = std::move(ts);
        b.AddColumn("item_id", laser::Type::kU64).uints = std::move(item);
        b.AddColumn("action", laser::Type::kEnum).ints = std::move(action);
        b.AddColumn("category", laser::Type::kU32).uints = std::move(cat);
        b.AddColumn("dwell", laser::Type::kF32).floats = std::move(dwell);
        laser::Status st = (*conn)->db()->Append("events", b);
        if (!st.ok()) return Fail(st);
      }
    }
    laser::Status st = (*conn)->db()->Flush();
    if (st.ok()) st = (*conn)->db()->Compact();
    if (!st.ok()) return Fail(st);
  }

  const double peak = __builtin_cpu_supports("avx512f") ? FmaPeakAvx512() : FmaPeakAvx2();
  std::printf(
      "model d=%d L=%zu; %zu users x n events each; measured FMA peak %.1f GFLOP/s (one core)\n\n",
      model.config().d, L, kUsersPerGroup, peak / 1e9);
  std::printf(
      "| storage | method | K | n | read p50 ms | request p50 ms | request p99 ms | cpu p50 ms | "
      "MFLOP/target | GFLOP/s | %% peak |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");

  for (bool cached : {false, true}) {
    laser::Options o;
    o.sync = laser::SyncMode::kNone;
    o.background_merge = false;
    o.block_cache_bytes = cached ? (size_t{1} << 30) : 0;
    o.direct_io = true;
    auto conn = laser::Connection::Open(dir, o);
    if (!conn.ok()) return Fail(conn.status());
    laser::DB* db = (*conn)->db();
    laser::ReadOptions ro;
    ro.columns = {model.config().item_column, model.config().action_column};
    ro.last_n = L;
    if (cached) {  // warm: every user's blocks into the cache
      for (size_t n : {size_t{1000}, size_t{10000}}) {
        for (size_t u = 0; u < kUsersPerGroup; ++u) {
          auto h = db->Read("events", UserOf(n, u), ro);
          if (!h.ok()) return Fail(h.status());
        }
      }
    }
    for (ScoreMethod method : {ScoreMethod::kSta, ScoreMethod::kFull}) {
      for (size_t n : {size_t{1000}, size_t{10000}}) {
        for (size_t K : {size_t{1}, size_t{64}, size_t{512}}) {
          std::string sql = "SELECT * FROM SCORE(m, events, user => ?, targets => [";
          std::vector<uint64_t> targets(K);
          for (size_t k = 0; k < K; ++k) {
            targets[k] = ids[rng() % ids.size()];
            sql += (k ? ", " : "") + std::to_string(targets[k]);
          }
          sql +=
              std::string("], method => '") + (method == ScoreMethod::kSta ? "sta" : "full") + "')";
          auto prep = (*conn)->Prepare(sql);
          if (!prep.ok()) return Fail(prep.status());
          std::vector<double> lat, cpu, read;
          const double budget = quick ? 0.3 : 1.5;
          const double start = Now();
          size_t req = 0;
          while ((Now() - start < budget || lat.size() < 8) && lat.size() < 1000) {
            // A different user each request: with the cache off every
            // request reads its history from the segment file.
            const uint64_t user = UserOf(n, req++ % kUsersPerGroup);
            const double r0 = Now();
            auto h = db->Read("events", user, ro);
            read.push_back(Now() - r0);
            if (!h.ok() || h->num_rows() != std::min(n, L)) {
              return Fail(h.ok() ? laser::Status::Internal("short history") : h.status());
            }
            laser::Status st = (*prep)->Bind(1, laser::Value::UInt(user));
            if (!st.ok()) return Fail(st);
            const double t0 = Now(), c0 = CpuNow();
            auto res = (*prep)->Execute();
            lat.push_back(Now() - t0);
            cpu.push_back(CpuNow() - c0);
            if (!res.ok()) return Fail(res.status());
            if (res->num_rows() != K) return Fail(laser::Status::Internal("wrong row count"));
          }
          laser::model::ScoreOptions so;
          so.method = method;
          const auto f = laser::model::CountFlops(model, std::min(n, L), K, so);
          const double flops = f.scorer_per_target * static_cast<double>(K) + f.per_history;
          const double c50 = Percentile(cpu, 0.5);
          std::printf(
              "| %s | %s | %zu | %zu | %.3f | %.3f | %.3f | %.3f | %.2f | %.1f | %.1f%% |\n",
              cached ? "cached" : "SSD (O_DIRECT, no cache)",
              method == ScoreMethod::kSta ? "STA" : "full", K, n, Percentile(read, 0.5) * 1e3,
              Percentile(lat, 0.5) * 1e3, Percentile(lat, 0.99) * 1e3, c50 * 1e3,
              f.scorer_per_target / 1e6, flops / c50 / 1e9, 100.0 * flops / c50 / peak);
          std::fflush(stdout);
        }
      }
    }
    if (!cached) {
      const laser::Stats s = db->GetStats();
      std::printf("\n(io backend %s%s%s)\n\n", s.io_backend.c_str(),
                  s.io_fallback_reason.empty() ? "" : ": ", s.io_fallback_reason.c_str());
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}
