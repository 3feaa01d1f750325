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

#include "operators/model/model.hpp"
#include "operators/model/scorer.hpp"

using namespace laser::model;

namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU time of this thread: the machine is shared, so rates are computed from
// the time this thread actually ran, next to the wall-clock latencies.
double CpuNow() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Peak float32 FLOP/s of one core: 12 independent FMA chains in named
// registers (enough to cover the FMA latency on current x86 cores).
#define LASER_FMA_PEAK(NAME, TARGET, VEC, SET1, FMA, STORE, LANES)                         \
  __attribute__((target(TARGET))) double NAME() {                                          \
    VEC a0 = SET1(0.f), a1 = SET1(1.f), a2 = SET1(2.f), a3 = SET1(3.f), a4 = SET1(4.f);    \
    VEC a5 = SET1(5.f), a6 = SET1(6.f), a7 = SET1(7.f), a8 = SET1(8.f), a9 = SET1(9.f);    \
    VEC a10 = SET1(10.f), a11 = SET1(11.f);                                                \
    const VEC m = SET1(0.999999f), b = SET1(1e-7f);                                        \
    const long iters = 20'000'000;                                                         \
    const double t0 = CpuNow();                                                            \
    for (long it = 0; it < iters; ++it) {                                                  \
      a0 = FMA(a0, m, b);                                                                  \
      a1 = FMA(a1, m, b);                                                                  \
      a2 = FMA(a2, m, b);                                                                  \
      a3 = FMA(a3, m, b);                                                                  \
      a4 = FMA(a4, m, b);                                                                  \
      a5 = FMA(a5, m, b);                                                                  \
      a6 = FMA(a6, m, b);                                                                  \
      a7 = FMA(a7, m, b);                                                                  \
      a8 = FMA(a8, m, b);                                                                  \
      a9 = FMA(a9, m, b);                                                                  \
      a10 = FMA(a10, m, b);                                                                \
      a11 = FMA(a11, m, b);                                                                \
      __asm__ volatile("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4), "+x"(a5));   \
      __asm__ volatile("" : "+x"(a6), "+x"(a7), "+x"(a8), "+x"(a9), "+x"(a10), "+x"(a11)); \
    }                                                                                      \
    const double dt = CpuNow() - t0;                                                       \
    float out[LANES];                                                                      \
    STORE(out, a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);               \
    if (out[0] == 12345.0f) std::printf(" ");                                              \
    return static_cast<double>(iters) * 12 * LANES * 2 / dt;                               \
  }

LASER_FMA_PEAK(FmaPeakAvx512, "avx512f,fma", __m512, _mm512_set1_ps, _mm512_fmadd_ps,
               _mm512_storeu_ps, 16)
LASER_FMA_PEAK(FmaPeakAvx2, "avx2,fma", __m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_storeu_ps,
               8)

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

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
