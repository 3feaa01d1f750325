// The kernels of every SIMD level against plain double-precision loops, on
// sizes with and without vector tails.
#include "operators/model/kernels/kernels.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace laser::model {
namespace {

std::vector<float> Random(size_t n, std::mt19937* rng) {
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(*rng);
  return v;
}

TEST_CASE("kernels: gemm, sigmoid, exp, layer norm agree with double loops at every level") {
  std::mt19937 rng(5);
  for (SimdLevel level : {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    if (!CpuSupports(level)) continue;
    const KernelTable& k = KernelsFor(level);
    CHECK(k.level == level);
    for (const auto& shape : {std::tuple{1, 1, 1},
                              {7, 45, 13},
                              {12, 384, 10},
                              {13, 128, 256},
                              {6, 33, 0},
                              {5, 17, 3}}) {
      // Plain variables: INFO's lambda may not name a structured binding.
      const int m = std::get<0>(shape), n = std::get<1>(shape), kk = std::get<2>(shape);
      INFO(SimdLevelName(level) << " m=" << m << " n=" << n << " k=" << kk);
      const auto a = Random(static_cast<size_t>(m) * kk, &rng);
      const auto b = Random(static_cast<size_t>(kk) * n, &rng);
      auto c = Random(static_cast<size_t>(m) * n, &rng);
      const auto c0 = c;
      k.gemm(m, n, kk, a.data(), kk, b.data(), n, c.data(), n, true);
      for (int i = 0; i < m; ++i) {
        for (int j = 0; j < n; ++j) {
          double s = c0[static_cast<size_t>(i) * n + j];
          for (int p = 0; p < kk; ++p) {
            s += double{a[static_cast<size_t>(i) * kk + p]} * b[static_cast<size_t>(p) * n + j];
          }
          REQUIRE(std::abs(c[static_cast<size_t>(i) * n + j] - s) <= 1e-4 * (1 + std::abs(s)));
        }
      }
    }
    std::vector<float> x = {-100.f, -20.f, -1.f, -1e-3f, 0.f, 0.5f, 3.f, 15.f, 88.f, 100.f, 2.f};
    auto sg = x;
    k.sigmoid(sg.data(), static_cast<int>(sg.size()), 0.5f, 0.25f);
    auto ex = x;
    k.exp_sub(ex.data(), static_cast<int>(ex.size()), 1.0f);
    for (size_t i = 0; i < x.size(); ++i) {
      const double want = 1.0 / (1.0 + std::exp(-(x[i] * 0.5 + 0.25)));
      CHECK(std::abs(sg[i] - want) <= 1e-6);
      // exp_sub clamps its argument (in float) to [-87.3, 88.3]; near the
      // bottom the result is subnormal, hence the absolute slack.
      const double e = std::exp(std::clamp(double{x[i] - 1.0f}, double{-87.3f}, double{88.3f}));
      CHECK(std::abs(ex[i] - e) <= 1e-6 * e + 1e-37);
    }
    auto rows = Random(3 * 37, &rng);
    const auto gamma = Random(37, &rng), beta = Random(37, &rng);
    auto ln = rows;
    k.layer_norm(ln.data(), 3, 37, 37, gamma.data(), beta.data());
    for (int r = 0; r < 3; ++r) {
      double mean = 0, var = 0;
      for (int i = 0; i < 37; ++i) mean += rows[static_cast<size_t>(r) * 37 + i] / 37.0;
      for (int i = 0; i < 37; ++i) {
        const double dl = rows[static_cast<size_t>(r) * 37 + i] - mean;
        var += dl * dl / 37.0;
      }
      for (int i = 0; i < 37; ++i) {
        const double want =
            (rows[static_cast<size_t>(r) * 37 + i] - mean) / std::sqrt(var + 1e-5) * gamma[i] +
            beta[i];
        CHECK(std::abs(ln[static_cast<size_t>(r) * 37 + i] - want) <= 1e-5 * (1 + std::abs(want)));
      }
    }
  }
}

TEST_CASE("kernels: LASER_SIMD caps the level chosen at run time") {
  const char* before = std::getenv("LASER_SIMD");
  const std::string saved = before != nullptr ? before : "";
  unsetenv("LASER_SIMD");
  const SimdLevel best = BestSimdLevel();
  CHECK(CpuSupports(best));
  setenv("LASER_SIMD", "scalar", 1);
  CHECK(BestSimdLevel() == SimdLevel::kScalar);
  setenv("LASER_SIMD", "avx2", 1);
  CHECK(BestSimdLevel() == (CpuSupports(SimdLevel::kAvx2) ? SimdLevel::kAvx2 : SimdLevel::kScalar));
  setenv("LASER_SIMD", "avx512", 1);
  CHECK(BestSimdLevel() == best);  // a cap never raises the level
  unsetenv("LASER_SIMD");
  CHECK(BestSimdLevel() == best);
  if (before != nullptr) setenv("LASER_SIMD", saved.c_str(), 1);
}

TEST_CASE("kernels: bf16 GEMM stays within bf16 rounding of the float32 product") {
  GemmBf16Fn g = Bf16GemmFor(SimdLevel::kAvx512);
  CHECK((Bf16GemmFor(SimdLevel::kAvx2) == nullptr));
  if (g == nullptr) return;  // no AVX512_BF16 on this CPU
  std::mt19937 rng(9);
  for (auto [m, n, kk] : {std::tuple{12, 128, 256}, {7, 48, 33}, {1, 16, 1}, {13, 32, 1100}}) {
    const auto a = Random(static_cast<size_t>(m) * kk, &rng);
    const auto b = Random(static_cast<size_t>(kk) * n, &rng);
    const auto packed = PackBf16Pairs(b.data(), kk, n);
    std::vector<float> c(static_cast<size_t>(m) * n, 1.0f);
    g(m, n, kk, a.data(), kk, packed.data(), c.data(), n, true);
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < n; ++j) {
        double s = 1.0, mag = 0;
        for (int p = 0; p < kk; ++p) {
          const double t =
              double{a[static_cast<size_t>(i) * kk + p]} * b[static_cast<size_t>(p) * n + j];
          s += t;
          mag += std::abs(t);
        }
        // Each product carries two bf16 roundings (2^-8 relative each).
        REQUIRE(std::abs(c[static_cast<size_t>(i) * n + j] - s) <=
                2 * std::ldexp(1.0, -8) * mag + 1e-5);
      }
    }
  }
  CHECK(Bf16ToFloat(FloatToBf16(1.0f)) == 1.0f);
  CHECK(Bf16ToFloat(FloatToBf16(1.00390625f)) == 1.0f);  // ties to even
  CHECK(std::isnan(Bf16ToFloat(FloatToBf16(std::nanf("")))));
}

}  // namespace
}  // namespace laser::model
