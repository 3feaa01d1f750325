#include "engine/format/coding.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace laser::format {
namespace {

const uint8_t* Bytes(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

TEST_CASE("varints round-trip at every length and reject truncated or overlong input") {
  std::vector<uint64_t> values = {0, 1, 127, 128, 16383, 16384, UINT64_MAX, UINT64_MAX - 1};
  for (int b = 0; b < 64; ++b) {
    values.push_back(uint64_t{1} << b);
    values.push_back((uint64_t{1} << b) - 1);
  }
  for (uint64_t v : values) {
    std::string s;
    PutVarint64(&s, v);
    CHECK(s.size() <= kMaxVarint64Bytes);
    const uint8_t* p = Bytes(s);
    uint64_t got = 0;
    REQUIRE(GetVarint64(&p, Bytes(s) + s.size(), &got));
    CHECK(got == v);
    CHECK(p == Bytes(s) + s.size());
    for (size_t cut = 0; cut < s.size(); ++cut) {
      const uint8_t* q = Bytes(s);
      CHECK_FALSE(GetVarint64(&q, Bytes(s) + cut, &got));
      CHECK(q == Bytes(s));
    }
  }
  // Ten bytes whose last one carries more than bit 63.
  std::string overlong(9, '\xff');
  overlong.push_back('\x02');
  const uint8_t* p = Bytes(overlong);
  uint64_t v = 0;
  CHECK_FALSE(GetVarint64(&p, p + overlong.size(), &v));
  // Eleven bytes never form a varint.
  std::string eleven(10, '\x80');
  eleven.push_back('\x00');
  p = Bytes(eleven);
  CHECK_FALSE(GetVarint64(&p, p + eleven.size(), &v));
}

TEST_CASE("zigzag maps small magnitudes to small codes") {
  CHECK(ZigZagEncode(0) == 0);
  CHECK(ZigZagEncode(-1) == 1);
  CHECK(ZigZagEncode(1) == 2);
  CHECK(ZigZagEncode(std::numeric_limits<int64_t>::max()) == UINT64_MAX - 1);
  CHECK(ZigZagEncode(std::numeric_limits<int64_t>::min()) == UINT64_MAX);
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{5}, int64_t{-123456789},
                    std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    CHECK(ZigZagDecode(ZigZagEncode(v)) == v);
  }
}

TEST_CASE("bit-packing round-trips every width from any first value") {
  std::mt19937_64 rng(42);
  for (int width = 0; width <= 64; ++width) {
    const uint64_t mask = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
    for (size_t n :
         {size_t{1}, size_t{2}, size_t{7}, size_t{8}, size_t{9}, size_t{63}, size_t{200}}) {
      const uint64_t base = width == 64 ? 0 : rng();
      std::vector<uint64_t> values(n);
      for (auto& v : values) v = base + (rng() & mask);
      if (n > 2) {
        values[0] = base;         // the minimum
        values[1] = base + mask;  // the maximum offset
      }
      std::string packed;
      PackBits(values.data(), n, base, width, &packed);
      REQUIRE(packed.size() == PackedBytes(n, width));
      for (size_t first : {size_t{0}, size_t{1}, n / 2, n - 1}) {
        std::vector<uint64_t> out(n - first);
        UnpackBits(Bytes(packed), packed.size(), first, n - first, base, width, out.data());
        INFO("width " << width << " n " << n << " first " << first);
        CHECK(std::equal(out.begin(), out.end(), values.begin() + first));
      }
    }
  }
}

TEST_CASE("bit-packing signed values through a wrapping base") {
  const std::vector<int64_t> values = {std::numeric_limits<int64_t>::min(), -1, 0, 1,
                                       std::numeric_limits<int64_t>::max()};
  const uint64_t base = static_cast<uint64_t>(values[0]);
  std::string packed;
  PackBits(values.data(), values.size(), base, 64, &packed);
  std::vector<int64_t> out(values.size());
  UnpackBits(Bytes(packed), packed.size(), 0, out.size(), base, 64, out.data());
  CHECK(out == values);

  const std::vector<int64_t> small = {-5, -3, 2};
  packed.clear();
  PackBits(small.data(), small.size(), static_cast<uint64_t>(int64_t{-5}), 3, &packed);
  CHECK(packed.size() == 2);
  std::vector<int64_t> got(3);
  UnpackBits(Bytes(packed), packed.size(), 0, 3, static_cast<uint64_t>(int64_t{-5}), 3, got.data());
  CHECK(got == small);
}

TEST_CASE("bit-packing narrows to 32-bit outputs") {
  const std::vector<uint32_t> codes = {0, 5, 1023, 7, 512};
  std::string packed;
  PackBits(codes.data(), codes.size(), 0, 10, &packed);
  std::vector<uint32_t> out(codes.size());
  UnpackBits(Bytes(packed), packed.size(), 0, out.size(), 0, 10, out.data());
  CHECK(out == codes);
}

TEST_CASE("VarintLength is the size PutVarint64 writes") {
  for (int b = 0; b < 64; ++b) {
    for (uint64_t v : {uint64_t{1} << b, (uint64_t{1} << b) - 1, UINT64_MAX >> b}) {
      std::string s;
      PutVarint64(&s, v);
      CHECK(VarintLength(v) == s.size());
    }
  }
}

TEST_CASE("decimal form of doubles: k / 10^e reproduces v exactly, or there is none") {
  int64_t k = 0;
  CHECK(DecimalFromF64(1.25, 2, &k));
  CHECK(k == 125);
  CHECK(DecimalFromF64(-0.001, 3, &k));
  CHECK(k == -1);
  CHECK(DecimalFromF64(0.0, 0, &k));
  CHECK(k == 0);
  CHECK(DecimalFromF64(1e15, 0, &k));
  CHECK(k == 1'000'000'000'000'000);
  CHECK(DecimalFromF64(std::strtod("0.3", nullptr), 1, &k));
  CHECK(k == 3);
  // Not enough decimals, or no decimal form at all.
  CHECK_FALSE(DecimalFromF64(1.25, 1, &k));
  CHECK_FALSE(DecimalFromF64(0.1 + 0.2, 1, &k));  // 0.30000000000000004
  CHECK_FALSE(DecimalFromF64(-0.0, 3, &k));
  CHECK_FALSE(DecimalFromF64(std::numeric_limits<double>::quiet_NaN(), 0, &k));
  CHECK_FALSE(DecimalFromF64(std::numeric_limits<double>::infinity(), 0, &k));
  CHECK_FALSE(DecimalFromF64(-std::numeric_limits<double>::infinity(), 5, &k));
  CHECK_FALSE(DecimalFromF64(std::numeric_limits<double>::denorm_min(), 18, &k));
  // Outside int64 once scaled.
  CHECK_FALSE(DecimalFromF64(1e19, 0, &k));
  CHECK_FALSE(DecimalFromF64(-9.3e18, 0, &k));
  CHECK_FALSE(DecimalFromF64(1e10, 10, &k));
  CHECK(DecimalFromF64(-9.2e18, 0, &k));
  CHECK(k == -9'200'000'000'000'000'000);
  // Every decimal a parser produces (k / 10^e rounded once) has its form.
  for (int e = 0; e <= 6; ++e) {
    for (int64_t i = -20000; i <= 20000; ++i) {
      const double v = DecimalToF64(i, kExactPow10[e]);
      REQUIRE(DecimalFromF64(v, e, &k));
      REQUIRE(k == i);
    }
  }
  std::mt19937_64 rng(3);
  for (int i = 0; i < 100000; ++i) {
    const int e = static_cast<int>(rng() % 19);
    // Below 2^50 the scaled v is within 1/2 of k, so rounding finds k.
    const int64_t want = static_cast<int64_t>(rng() >> (14 + rng() % 40)) - (int64_t{1} << 20);
    const double v = DecimalToF64(want, kExactPow10[e]);
    REQUIRE(DecimalFromF64(v, e, &k));
    REQUIRE(k == want);
  }
}

TEST_CASE("decimal form of floats") {
  int64_t k = 0;
  CHECK(DecimalFromF32(0.1f, 1, &k));
  CHECK(k == 1);
  CHECK(DecimalFromF32(59.999f, 3, &k));
  CHECK(k == 59999);
  CHECK(DecimalFromF32(-12.5f, 1, &k));
  CHECK(k == -125);
  CHECK_FALSE(DecimalFromF32(0.1f, 0, &k));
  CHECK_FALSE(DecimalFromF32(-0.0f, 2, &k));
  CHECK_FALSE(DecimalFromF32(std::numeric_limits<float>::quiet_NaN(), 1, &k));
  CHECK_FALSE(DecimalFromF32(std::numeric_limits<float>::infinity(), 1, &k));
  CHECK_FALSE(DecimalFromF32(std::numeric_limits<float>::max(), 0, &k));
  // Every k / 1000 below 60 s, as a float, comes back with its k.
  for (int64_t i = 0; i < 60000; ++i) {
    const float v = DecimalToF32(i, kExactPow10[3]);
    REQUIRE(DecimalFromF32(v, 3, &k));
    REQUIRE(k == i);
    CHECK(v == static_cast<float>(static_cast<double>(i) / 1000));
  }
}

}  // namespace
}  // namespace laser::format
