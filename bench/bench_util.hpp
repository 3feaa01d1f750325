// Timing helpers shared by the scoring benchmarks: wall and thread-CPU
// clocks, the core's measured float32 FMA peak, percentiles.
#pragma once

#include <immintrin.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

namespace laser::bench {

inline double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU time of this thread: the machine is shared, so rates are computed from
// the time this thread actually ran, next to the wall-clock latencies.
inline double CpuNow() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Peak float32 FLOP/s of one core: 12 independent FMA chains in named
// registers (enough to cover the FMA latency on current x86 cores).
#define LASER_FMA_PEAK(NAME, TARGET, VEC, SET1, FMA, STORE, LANES)                         \
  __attribute__((target(TARGET))) inline double NAME() {                                   \
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

inline double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace laser::bench
