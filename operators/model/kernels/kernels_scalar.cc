// The portable level: plain float arithmetic, no ISA extension, and the
// run-time dispatch (cpuid) that picks a level's table.
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "operators/model/kernels/kernels.hpp"
#include "operators/model/kernels/kernels_impl.hpp"

namespace laser::model {

const KernelTable& KernelsAvx2();
const KernelTable& KernelsAvx512();
GemmBf16Fn GemmBf16Avx512();

namespace scalar_level {

struct Traits {
  using V = float;
  static constexpr int W = 1;
  static V load(const float* p) { return *p; }
  static void store(float* p, V v) { *p = v; }
  static V set1(float f) { return f; }
  static V zero() { return 0.0f; }
  static V fmadd(V a, V b, V c) { return a * b + c; }
  static V add(V a, V b) { return a + b; }
  static V sub(V a, V b) { return a - b; }
  static V mul(V a, V b) { return a * b; }
  static V div(V a, V b) { return a / b; }
  static V max(V a, V b) { return a > b ? a : b; }
  static V min(V a, V b) { return a < b ? a : b; }
  static V round(V a) { return std::nearbyint(a); }
  static V pow2n(V n) {
    return std::bit_cast<float>(static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23);
  }
  static float hsum(V a) { return a; }
};

using K = impl::Kernels<Traits>;

const KernelTable kTable = {SimdLevel::kScalar, K::Gemm, K::Sigmoid, K::ExpSub, K::LayerNorm,
                            K::ScaleBias,       K::Relu, K::Axpy,    K::Dot,    K::VMax};

}  // namespace scalar_level

const char* SimdLevelName(SimdLevel level) {
  switch (level) {
    case SimdLevel::kScalar:
      return "scalar";
    case SimdLevel::kAvx2:
      return "avx2";
    case SimdLevel::kAvx512:
      return "avx512";
  }
  return "?";
}

bool CpuSupports(SimdLevel level) {
  switch (level) {
    case SimdLevel::kScalar:
      return true;
    case SimdLevel::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case SimdLevel::kAvx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("fma");
  }
  return false;
}

SimdLevel BestSimdLevel() {
  SimdLevel best = CpuSupports(SimdLevel::kAvx512) ? SimdLevel::kAvx512
                   : CpuSupports(SimdLevel::kAvx2) ? SimdLevel::kAvx2
                                                   : SimdLevel::kScalar;
  const char* env = std::getenv("LASER_SIMD");
  if (env == nullptr) return best;
  std::string_view want(env);
  SimdLevel cap = best;
  if (want == "scalar") cap = SimdLevel::kScalar;
  if (want == "avx2") cap = SimdLevel::kAvx2;
  return static_cast<int>(cap) < static_cast<int>(best) ? cap : best;
}

const KernelTable& KernelsFor(SimdLevel level) {
  switch (level) {
    case SimdLevel::kAvx512:
      return KernelsAvx512();
    case SimdLevel::kAvx2:
      return KernelsAvx2();
    case SimdLevel::kScalar:
      break;
  }
  return scalar_level::kTable;
}

GemmBf16Fn Bf16GemmFor(SimdLevel level) {
  if (level != SimdLevel::kAvx512 || !CpuSupports(SimdLevel::kAvx512) ||
      !__builtin_cpu_supports("avx512bf16")) {
    return nullptr;
  }
  return GemmBf16Avx512();
}

std::vector<uint16_t> PackBf16Pairs(const float* b, int k, int n) {
  const size_t pairs = static_cast<size_t>(k + 1) / 2;
  std::vector<uint16_t> out(pairs * static_cast<size_t>(n) * 2, 0);
  for (int r = 0; r < k; ++r) {
    for (int j = 0; j < n; ++j) {
      out[(static_cast<size_t>(r / 2) * n + j) * 2 + (r % 2)] =
          FloatToBf16(b[static_cast<size_t>(r) * n + j]);
    }
  }
  return out;
}

uint16_t FloatToBf16(float f) {
  uint32_t u = std::bit_cast<uint32_t>(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

float Bf16ToFloat(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

}  // namespace laser::model
