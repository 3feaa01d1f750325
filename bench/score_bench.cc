// Scoring benchmark: latency per request (one user, K targets, a history of
// n events held in memory) for K in {1, 64, 512} x n in {1000, 10000}, STA and
// full attention, and the GFLOP/s achieved against the core's FMA peak,
// measured here with a register-only FMA loop.
//
//   score_bench MODEL.safetensors [--quick] [--precompute] [--bf16] [--simd scalar|avx2|avx512]
//
// Only the newest L events of a history count, so n = 10000 costs the same
// compute as n = L; the extra events are skipped, as the scan does.
#include <immintrin.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_util.hpp"
#include "operators/model/model.hpp"
#include "operators/model/scorer.hpp"

using namespace laser::model;

using namespace laser::bench;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s MODEL.safetensors [--quick] [--precompute] [--bf16] [--simd LEVEL]\n",
                 argv[0]);
    return 2;
  }
  bool quick = false;
  ModelOptions mopt;
  ScoreOptions base;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") quick = true;
    if (a == "--precompute") mopt.precompute = true;
    if (a == "--bf16") mopt.bf16_ffn = true;
    if (a == "--simd" && i + 1 < argc) {
      std::string l = argv[++i];
      base.simd = l == "scalar" ? SimdLevel::kScalar
                  : l == "avx2" ? SimdLevel::kAvx2
                                : SimdLevel::kAvx512;
    }
  }
  const double t_load = Now();
  auto loaded = Model::Load(argv[1], mopt);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().ToString().c_str());
    return 1;
  }
  const Model& model = **loaded;
  const ModelConfig& c = model.config();
  std::printf("model %s: d=%d (d_i=%d d_a=%d) L=%d w=%d H=%d d_q=%d M=%d H_g=%d F=%d, %d items\n",
              argv[1], c.d, c.d_i, c.d_a, c.L, c.w, c.H, c.d_q, c.M, c.H_g, c.ffn, c.num_items);
  std::printf("load %.1f ms, weights+derived %.1f MiB, precomputed rows %.1f MiB\n",
              (Now() - t_load) * 1e3, model.memory_bytes() / 1048576.0,
              model.precomputed_bytes() / 1048576.0);
  const SimdLevel level = base.simd.value_or(BestSimdLevel());
  const double peak = level == SimdLevel::kAvx512 ? FmaPeakAvx512()
                      : level == SimdLevel::kAvx2 ? FmaPeakAvx2()
                                                  : FmaPeakAvx2() / 8;
  std::printf("simd %s%s, measured FMA peak %.1f GFLOP/s (one core, thread CPU time)\n",
              SimdLevelName(level),
              mopt.bf16_ffn && Bf16GemmFor(level) != nullptr ? " + bf16 W2" : "", peak / 1e9);
  std::printf("%-5s %5s %6s %9s %9s %9s %11s %10s %8s %6s\n", "meth", "K", "n", "p50 ms", "p99 ms",
              "cpu50 ms", "naive MF/tg", "ours MF/tg", "GFLOP/s", "%peak");
  std::mt19937_64 rng(42);
  const auto& ids = model.weights().item_ids;
  for (ScoreMethod method : {ScoreMethod::kSta, ScoreMethod::kFull}) {
    for (size_t n : {size_t{1000}, size_t{10000}}) {
      for (size_t K : {size_t{1}, size_t{64}, size_t{512}}) {
        std::vector<uint64_t> items(n), targets(K);
        std::vector<int64_t> actions(n);
        for (size_t i = 0; i < n; ++i) {
          items[i] = ids[rng() % ids.size()];
          actions[i] = static_cast<int64_t>(rng() % 4);
        }
        for (auto& t : targets) t = ids[rng() % ids.size()];
        ScoreOptions opt = base;
        opt.method = method;
        ScoreOutput out;
        ScoreScratch scratch;
        (void)Score(model, items, actions, targets, opt, &out, &scratch);  // warm up
        std::vector<double> lat, cpu;
        const double budget = quick ? 0.3 : 1.5;
        const double start = Now();
        while ((Now() - start < budget || lat.size() < 5) && lat.size() < 2000) {
          const double t0 = Now(), c0 = CpuNow();
          laser::Status st = Score(model, items, actions, targets, opt, &out, &scratch);
          lat.push_back(Now() - t0);
          cpu.push_back(CpuNow() - c0);
          if (!st.ok()) {
            std::fprintf(stderr, "%s\n", st.ToString().c_str());
            return 1;
          }
        }
        const FlopCount f = CountFlops(model, n, K, opt);
        const double flops = f.scorer_per_target * static_cast<double>(K) + f.per_history;
        const double c50 = Percentile(cpu, 0.5);
        std::printf("%-5s %5zu %6zu %9.3f %9.3f %9.3f %11.2f %10.2f %8.1f %5.1f%%\n",
                    method == ScoreMethod::kSta ? "sta" : "full", K, n, Percentile(lat, 0.5) * 1e3,
                    Percentile(lat, 0.99) * 1e3, c50 * 1e3, f.naive_per_target / 1e6,
                    f.scorer_per_target / 1e6, flops / c50 / 1e9, 100.0 * flops / c50 / peak);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
