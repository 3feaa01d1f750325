// The kernels of kernels.hpp written once over a SIMD traits type T, which
// each level's translation unit defines before including this file:
//   using V; static constexpr int W (floats per V);
//   V load(const float*), void store(float*, V), V set1(float), V zero(),
//   V fmadd(V a, V b, V c) (a*b+c), add, sub, mul, div, max, min,
//   V round(V) (to nearest), V pow2n(V n) (2^n for integral n in [-126, 127]),
//   float hsum(V).
// Only included by kernels_{scalar,avx2,avx512}.cc; each instantiates it in
// its own namespace so the levels never share an inline symbol.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace laser::model::impl {

template <class T>
struct Kernels {
  using V = typename T::V;
  static constexpr int W = T::W;

  // exp(x) for x clamped to [-87.3, 88.3]: Cody-Waite reduction by ln 2 and
  // the degree-5 minimax polynomial of Cephes' expf (relative error ~2e-7).
  static V Exp(V x) {
    x = T::min(T::max(x, T::set1(-87.3f)), T::set1(88.3f));
    V n = T::round(T::mul(x, T::set1(1.44269504088896341f)));
    V r = T::fmadd(n, T::set1(-0.693359375f), x);
    r = T::fmadd(n, T::set1(2.12194440e-4f), r);
    V p = T::set1(1.9875691500e-4f);
    p = T::fmadd(p, r, T::set1(1.3981999507e-3f));
    p = T::fmadd(p, r, T::set1(8.3334519073e-3f));
    p = T::fmadd(p, r, T::set1(4.1665795894e-2f));
    p = T::fmadd(p, r, T::set1(1.6666665459e-1f));
    p = T::fmadd(p, r, T::set1(5.0000001201e-1f));
    V r2 = T::mul(r, r);
    p = T::fmadd(p, r2, T::add(r, T::set1(1.0f)));
    return T::mul(p, T::pow2n(n));
  }

  // The register tile: MR x NV vectors of C stay in registers across k
  // (the loops over them are unrolled so the accumulators are scalars).
  template <int MR, int NV>
  static void Micro(int k, const float* a, int lda, const float* b, int ldb, float* c, int ldc,
                    bool accumulate) {
    V acc[MR][NV];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        acc[i][v] = accumulate ? T::load(c + i * ldc + v * W) : T::zero();
      }
    }
    for (int p = 0; p < k; ++p) {
      V bv[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) bv[v] = T::load(b + static_cast<size_t>(p) * ldb + v * W);
#pragma GCC unroll 8
      for (int i = 0; i < MR; ++i) {
        V av = T::set1(a[i * lda + p]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[i][v] = T::fmadd(av, bv[v], acc[i][v]);
      }
    }
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) T::store(c + i * ldc + v * W, acc[i][v]);
    }
  }

  template <int NV>
  static void MicroRows(int rows, int k, const float* a, int lda, const float* b, int ldb, float* c,
                        int ldc, bool accumulate) {
    switch (rows) {
      case 1:
        return Micro<1, NV>(k, a, lda, b, ldb, c, ldc, accumulate);
      case 2:
        return Micro<2, NV>(k, a, lda, b, ldb, c, ldc, accumulate);
      case 3:
        return Micro<3, NV>(k, a, lda, b, ldb, c, ldc, accumulate);
      case 4:
        return Micro<4, NV>(k, a, lda, b, ldb, c, ldc, accumulate);
      case 5:
        return Micro<5, NV>(k, a, lda, b, ldb, c, ldc, accumulate);
      default:
        return Micro<6, NV>(k, a, lda, b, ldb, c, ldc, accumulate);
    }
  }

  static void Gemm(int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c,
                   int ldc, bool accumulate) {
    if (k == 0) {
      // A·B is zero; a and b may be null, so no pointer arithmetic on them.
      if (!accumulate) {
        for (int i = 0; i < m; ++i) std::fill_n(c + static_cast<size_t>(i) * ldc, n, 0.0f);
      }
      return;
    }
    constexpr int kMR = 6;
    constexpr int kNV = W == 1 ? 4 : 2;
    int j = 0;
    for (; j + kNV * W <= n; j += kNV * W) {
      for (int i = 0; i < m; i += kMR) {
        MicroRows<kNV>(std::min(kMR, m - i), k, a + static_cast<size_t>(i) * lda, lda, b + j, ldb,
                       c + static_cast<size_t>(i) * ldc + j, ldc, accumulate);
      }
    }
    for (; j + W <= n; j += W) {
      for (int i = 0; i < m; i += kMR) {
        MicroRows<1>(std::min(kMR, m - i), k, a + static_cast<size_t>(i) * lda, lda, b + j, ldb,
                     c + static_cast<size_t>(i) * ldc + j, ldc, accumulate);
      }
    }
    for (; j < n; ++j) {
      for (int i = 0; i < m; ++i) {
        float s = accumulate ? c[static_cast<size_t>(i) * ldc + j] : 0.0f;
        for (int p = 0; p < k; ++p) {
          s += a[static_cast<size_t>(i) * lda + p] * b[static_cast<size_t>(p) * ldb + j];
        }
        c[static_cast<size_t>(i) * ldc + j] = s;
      }
    }
  }

  static void Sigmoid(float* x, int n, float scale, float bias) {
    const V vs = T::set1(-scale), vb = T::set1(-bias), one = T::set1(1.0f);
    int i = 0;
    for (; i + W <= n; i += W) {
      V e = Exp(T::fmadd(T::load(x + i), vs, vb));
      T::store(x + i, T::div(one, T::add(one, e)));
    }
    if (i < n) {
      float tmp[W] = {};
      std::memcpy(tmp, x + i, sizeof(float) * (n - i));
      V e = Exp(T::fmadd(T::load(tmp), vs, vb));
      T::store(tmp, T::div(one, T::add(one, e)));
      std::memcpy(x + i, tmp, sizeof(float) * (n - i));
    }
  }

  static void ExpSub(float* x, int n, float sub) {
    const V vs = T::set1(sub);
    int i = 0;
    for (; i + W <= n; i += W) T::store(x + i, Exp(T::sub(T::load(x + i), vs)));
    if (i < n) {
      float tmp[W] = {};
      std::memcpy(tmp, x + i, sizeof(float) * (n - i));
      T::store(tmp, Exp(T::sub(T::load(tmp), vs)));
      std::memcpy(x + i, tmp, sizeof(float) * (n - i));
    }
  }

  static float Dot(const float* x, const float* y, int n) {
    V acc = T::zero();
    int i = 0;
    for (; i + W <= n; i += W) acc = T::fmadd(T::load(x + i), T::load(y + i), acc);
    float s = T::hsum(acc);
    for (; i < n; ++i) s += x[i] * y[i];
    return s;
  }

  static void Axpy(float* y, const float* x, int n, float a) {
    const V va = T::set1(a);
    int i = 0;
    for (; i + W <= n; i += W) T::store(y + i, T::fmadd(va, T::load(x + i), T::load(y + i)));
    for (; i < n; ++i) y[i] += a * x[i];
  }

  static void VMax(float* y, const float* x, int n) {
    int i = 0;
    for (; i + W <= n; i += W) T::store(y + i, T::max(T::load(y + i), T::load(x + i)));
    for (; i < n; ++i) y[i] = std::max(y[i], x[i]);
  }

  static float Sum(const float* x, int n) {
    V acc = T::zero();
    int i = 0;
    for (; i + W <= n; i += W) acc = T::add(acc, T::load(x + i));
    float s = T::hsum(acc);
    for (; i < n; ++i) s += x[i];
    return s;
  }

  static void LayerNorm(float* x, int rows, int n, int ld, const float* gamma, const float* beta) {
    for (int r = 0; r < rows; ++r) {
      float* row = x + static_cast<size_t>(r) * ld;
      const float mean = Sum(row, n) / static_cast<float>(n);
      const V vm = T::set1(mean);
      V acc = T::zero();
      int i = 0;
      for (; i + W <= n; i += W) {
        V dlt = T::sub(T::load(row + i), vm);
        acc = T::fmadd(dlt, dlt, acc);
      }
      float var = T::hsum(acc);
      for (; i < n; ++i) var += (row[i] - mean) * (row[i] - mean);
      var /= static_cast<float>(n);
      const float inv = 1.0f / std::sqrt(var + 1e-5f);
      const V vi = T::set1(inv);
      i = 0;
      for (; i + W <= n; i += W) {
        V y = T::mul(T::sub(T::load(row + i), vm), vi);
        T::store(row + i, T::fmadd(y, T::load(gamma + i), T::load(beta + i)));
      }
      for (; i < n; ++i) row[i] = (row[i] - mean) * inv * gamma[i] + beta[i];
    }
  }

  static void ScaleBias(float* y, int rows, int n, int ld, float scale, const float* b) {
    const V vs = T::set1(scale);
    for (int r = 0; r < rows; ++r) {
      float* row = y + static_cast<size_t>(r) * ld;
      int i = 0;
      for (; i + W <= n; i += W) T::store(row + i, T::fmadd(T::load(row + i), vs, T::load(b + i)));
      for (; i < n; ++i) row[i] = row[i] * scale + b[i];
    }
  }

  static void Relu(float* y, int rows, int n, int ld) {
    const V z = T::zero();
    for (int r = 0; r < rows; ++r) {
      float* row = y + static_cast<size_t>(r) * ld;
      int i = 0;
      for (; i + W <= n; i += W) T::store(row + i, T::max(T::load(row + i), z));
      for (; i < n; ++i) row[i] = std::max(row[i], 0.0f);
    }
  }
};

}  // namespace laser::model::impl
