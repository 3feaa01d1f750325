// Numeric kernels of the scorer, one table per SIMD level. The AVX2 and
// AVX-512 tables are compiled from the same templates (kernels_impl.hpp) with
// that level's instructions; the level is chosen at run time from the CPU
// and may be lowered with LASER_SIMD=scalar|avx2|avx512 (docs/model.md).
#pragma once

#include <cstdint>
#include <vector>

namespace laser::model {

enum class SimdLevel : unsigned char { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

const char* SimdLevelName(SimdLevel level);

struct KernelTable {
  SimdLevel level;
  // C[m x n] (row stride ldc) = (accumulate ? C : 0) + A[m x k] (lda) * B[k x n] (ldb).
  void (*gemm)(int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c,
               int ldc, bool accumulate);
  // x[i] = 1 / (1 + exp(-(x[i] * scale + bias))).
  void (*sigmoid)(float* x, int n, float scale, float bias);
  // x[i] = exp(x[i] - sub).
  void (*exp_sub)(float* x, int n, float sub);
  // Each of `rows` rows of x (stride ld, width n): x = LN(x) * gamma + beta, eps 1e-5.
  void (*layer_norm)(float* x, int rows, int n, int ld, const float* gamma, const float* beta);
  // y[i] = y[i] * scale + b[i] for rows of y (stride ld, width n).
  void (*scale_bias)(float* y, int rows, int n, int ld, float scale, const float* b);
  // y[i] = max(y[i], 0) for rows of y (stride ld, width n).
  void (*relu)(float* y, int rows, int n, int ld);
  // y[i] += a * x[i].
  void (*axpy)(float* y, const float* x, int n, float a);
  // Returns sum_i x[i] * y[i].
  float (*dot)(const float* x, const float* y, int n);
  // y[i] = max(y[i], x[i]).
  void (*vmax)(float* y, const float* x, int n);
};

// C[m x n] = (accumulate ? C : 0) + bf16(A[m x k]) * B, with B packed by
// PackBf16Pairs and float32 accumulation (AVX512_BF16 dot products).
// REQUIRES n % 16 == 0.
using GemmBf16Fn = void (*)(int m, int n, int k, const float* a, int lda, const uint16_t* b,
                            float* c, int ldc, bool accumulate);
// The bf16 GEMM iff `level` is kAvx512 and the CPU has AVX512_BF16, else null.
GemmBf16Fn Bf16GemmFor(SimdLevel level);
// Packs B (k x n floats, row-major) as bf16 pairs along k:
// out[(p * n + j) * 2 + q] = bf16(B[2p + q][j]); an odd k gets a zero row.
std::vector<uint16_t> PackBf16Pairs(const float* b, int k, int n);

// The table of a level. REQUIRES the CPU supports it (see BestSimdLevel).
const KernelTable& KernelsFor(SimdLevel level);
// The best level this CPU supports, lowered by LASER_SIMD if set.
SimdLevel BestSimdLevel();
// True iff the CPU supports `level`.
bool CpuSupports(SimdLevel level);

// Float <-> bf16 (round to nearest even; NaN kept NaN).
uint16_t FloatToBf16(float f);
float Bf16ToFloat(uint16_t h);

}  // namespace laser::model
