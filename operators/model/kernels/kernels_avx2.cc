// The AVX2 + FMA level (8 floats per vector). Compiled with -mavx2 -mfma;
// only called after CpuSupports(SimdLevel::kAvx2).
#include <immintrin.h>

#include "operators/model/kernels/kernels.hpp"
#include "operators/model/kernels/kernels_impl.hpp"

namespace laser::model {
namespace avx2_level {

struct Traits {
  using V = __m256;
  static constexpr int W = 8;
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V set1(float f) { return _mm256_set1_ps(f); }
  static V zero() { return _mm256_setzero_ps(); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V div(V a, V b) { return _mm256_div_ps(a, b); }
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static V min(V a, V b) { return _mm256_min_ps(a, b); }
  static V round(V a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V pow2n(V n) {
    __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
    return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
  }
  static float hsum(V a) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
  }
};

using K = impl::Kernels<Traits>;

const KernelTable kTable = {SimdLevel::kAvx2, K::Gemm, K::Sigmoid, K::ExpSub, K::LayerNorm,
                            K::ScaleBias,     K::Relu, K::Axpy,    K::Dot,    K::VMax};

}  // namespace avx2_level

const KernelTable& KernelsAvx2() { return avx2_level::kTable; }

}  // namespace laser::model
