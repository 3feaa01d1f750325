// The AVX-512 level (16 floats per vector), plus the AVX512_BF16 GEMM.
// Compiled with -mavx512f/bw/vl/dq/bf16 -mfma; only called after
// CpuSupports(SimdLevel::kAvx512) (and avx512bf16 for gemm_bf16).
// GCC 12 reports its own AVX-512 intrinsics (which start from
// _mm512_undefined_*) as reading uninitialised values once inlined here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>

#include "operators/model/kernels/kernels.hpp"
#include "operators/model/kernels/kernels_impl.hpp"

namespace laser::model {
namespace avx512_level {

struct Traits {
  using V = __m512;
  static constexpr int W = 16;
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V set1(float f) { return _mm512_set1_ps(f); }
  static V zero() { return _mm512_setzero_ps(); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V div(V a, V b) { return _mm512_div_ps(a, b); }
  static V max(V a, V b) { return _mm512_max_ps(a, b); }
  static V min(V a, V b) { return _mm512_min_ps(a, b); }
  static V round(V a) {
    return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  static V pow2n(V n) {
    __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
    return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
  }
  static float hsum(V a) { return _mm512_reduce_add_ps(a); }
};

using K = impl::Kernels<Traits>;

const KernelTable kTable = {SimdLevel::kAvx512, K::Gemm, K::Sigmoid, K::ExpSub, K::LayerNorm,
                            K::ScaleBias,       K::Relu, K::Axpy,    K::Dot,    K::VMax};

// The bf16 GEMM: A is rounded to bf16 pairs (two consecutive k) per chunk of
// kChunk columns, then every pair of A, broadcast, meets 16 packed column
// pairs of B in one VDPBF16PS.
constexpr int kChunk = 512;

template <int MR, int NV>
void MicroBf16(int kp, const uint32_t* ap, int aps, const uint16_t* b, int n, float* c, int ldc,
               bool accumulate) {
  __m512 acc[MR][NV];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      acc[i][v] = accumulate ? _mm512_loadu_ps(c + i * ldc + v * 16) : _mm512_setzero_ps();
    }
  }
  for (int p = 0; p < kp; ++p) {
    __m512bh bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      bv[v] = (__m512bh)_mm512_loadu_si512(b + (static_cast<size_t>(p) * n + v * 16) * 2);
    }
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const __m512bh av = (__m512bh)_mm512_set1_epi32(static_cast<int>(ap[i * aps + p]));
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_dpbf16_ps(acc[i][v], av, bv[v]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) _mm512_storeu_ps(c + i * ldc + v * 16, acc[i][v]);
  }
}

template <int NV>
void MicroBf16Rows(int rows, int kp, const uint32_t* ap, int aps, const uint16_t* b, int n,
                   float* c, int ldc, bool accumulate) {
  switch (rows) {
    case 1:
      return MicroBf16<1, NV>(kp, ap, aps, b, n, c, ldc, accumulate);
    case 2:
      return MicroBf16<2, NV>(kp, ap, aps, b, n, c, ldc, accumulate);
    case 3:
      return MicroBf16<3, NV>(kp, ap, aps, b, n, c, ldc, accumulate);
    case 4:
      return MicroBf16<4, NV>(kp, ap, aps, b, n, c, ldc, accumulate);
    case 5:
      return MicroBf16<5, NV>(kp, ap, aps, b, n, c, ldc, accumulate);
    default:
      return MicroBf16<6, NV>(kp, ap, aps, b, n, c, ldc, accumulate);
  }
}

void GemmBf16(int m, int n, int k, const float* a, int lda, const uint16_t* b, float* c, int ldc,
              bool accumulate) {
  constexpr int kMR = 6, kPairs = kChunk / 2;
  uint32_t abuf[kMR * kPairs];
  for (int i0 = 0; i0 < m; i0 += kMR) {
    const int rows = std::min(kMR, m - i0);
    for (int k0 = 0; k0 < k; k0 += kChunk) {
      const int kc = std::min(kChunk, k - k0);
      const int kp = (kc + 1) / 2;
      for (int i = 0; i < rows; ++i) {
        const float* src = a + static_cast<size_t>(i0 + i) * lda + k0;
        uint32_t* dst = abuf + i * kPairs;
        int q = 0;
        for (; q + 32 <= kc; q += 32) {
          __m512bh h = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + q + 16), _mm512_loadu_ps(src + q));
          _mm512_storeu_si512(dst + q / 2, (__m512i)h);
        }
        for (; q < kc; q += 2) {
          const uint32_t lo = FloatToBf16(src[q]);
          const uint32_t hi = q + 1 < kc ? FloatToBf16(src[q + 1]) : 0u;
          dst[q / 2] = lo | (hi << 16);
        }
      }
      const uint16_t* bk = b + static_cast<size_t>(k0 / 2) * n * 2;
      const bool acc = accumulate || k0 > 0;
      float* ci = c + static_cast<size_t>(i0) * ldc;
      int j = 0;
      for (; j + 32 <= n; j += 32) {
        MicroBf16Rows<2>(rows, kp, abuf, kPairs, bk + j * 2, n, ci + j, ldc, acc);
      }
      for (; j < n; j += 16) {
        MicroBf16Rows<1>(rows, kp, abuf, kPairs, bk + j * 2, n, ci + j, ldc, acc);
      }
    }
  }
}

}  // namespace avx512_level

const KernelTable& KernelsAvx512() { return avx512_level::kTable; }
GemmBf16Fn GemmBf16Avx512() { return avx512_level::GemmBf16; }

}  // namespace laser::model
