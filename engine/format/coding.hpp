// Byte-level coding helpers of Laser's on-disk formats: little-endian fixed
// width integers, LEB128 varints, zigzag, frame-of-reference bit-packing, and
// the exact decimal form of floats.
// Every decoder here is bounds-checked against the bytes it is given; none
// reads past `end`, whatever the bytes.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

namespace laser::format {

static_assert(std::endian::native == std::endian::little, "Laser's formats assume little-endian");

inline void PutFixed32(std::string* out, uint32_t v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(v));
}
inline void PutFixed64(std::string* out, uint64_t v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(v));
}
inline uint16_t LoadFixed16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline uint32_t LoadFixed32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline uint64_t LoadFixed64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void StoreFixed32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, sizeof(v)); }
inline void StoreFixed64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, sizeof(v)); }

constexpr size_t kMaxVarint64Bytes = 10;

inline void PutVarint64(std::string* out, uint64_t v) {
  char buf[kMaxVarint64Bytes];
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}

// Decodes a varint at *p (p < end not required). Returns false iff the bytes
// up to `end` do not hold a complete varint that fits 64 bits; on success
// advances *p past it.
inline bool GetVarint64(const uint8_t** p, const uint8_t* end, uint64_t* v) {
  uint64_t result = 0;
  const uint8_t* q = *p;
  for (unsigned shift = 0; shift < 64 && q < end; shift += 7) {
    const uint64_t byte = *q++;
    // The tenth byte may only carry the top bit of a 64-bit value.
    if (shift == 63 && byte > 1) return false;
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      *p = q;
      *v = result;
      return true;
    }
  }
  return false;
}

// Bytes PutVarint64 writes for v.
inline size_t VarintLength(uint64_t v) { return (std::bit_width(v | 1) + 6) / 7; }

inline uint64_t ZigZagEncode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t ZigZagDecode(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

// Bits needed to hold v (0 for v == 0, 64 for v >= 2^63).
inline int BitWidth(uint64_t v) { return static_cast<int>(std::bit_width(v)); }

// Bytes holding n values of `width` bits each.
inline size_t PackedBytes(size_t n, int width) {
  return static_cast<size_t>((static_cast<unsigned __int128>(n) * width + 7) / 8);
}

// Appends the low `width` bits (0..64) of values[i] - base for i in [0, n), as a
// little-endian bit stream of exactly PackedBytes(n, width) bytes.
// REQUIRES: every values[i] - base (mod 2^64) < 2^width.
template <typename T>
void PackBits(const T* values, size_t n, uint64_t base, int width, std::string* out) {
  if (width == 0 || n == 0) return;
  const size_t start = out->size();
  out->resize(start + PackedBytes(n, width));
  uint8_t* dst = reinterpret_cast<uint8_t*>(out->data()) + start;
  unsigned __int128 acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    acc |= static_cast<unsigned __int128>(static_cast<uint64_t>(values[i]) - base) << bits;
    bits += width;
    if (bits >= 64) {
      StoreFixed64(dst, static_cast<uint64_t>(acc));
      dst += 8;
      acc >>= 64;
      bits -= 64;
    }
  }
  while (bits > 0) {
    *dst++ = static_cast<uint8_t>(acc);
    acc >>= 8;
    bits -= 8;
  }
}

namespace internal {

template <bool kWide>
inline uint64_t ExtractBits(const uint8_t* p, unsigned shift, int width, uint64_t mask) {
  uint64_t v = LoadFixed64(p) >> shift;
  // A value of more than 56 bits can straddle a ninth byte.
  if (kWide && shift + width > 64) v |= static_cast<uint64_t>(p[8]) << (64 - shift);
  return v & mask;
}

template <bool kWide, typename T>
void UnpackBitsImpl(const uint8_t* src, size_t src_len, size_t first, size_t n, uint64_t base,
                    int width, T* out) {
  const uint64_t mask = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  size_t bit = first * static_cast<size_t>(width);
  size_t i = 0;
  // Fast path: nine readable bytes from the value's first byte.
  for (; i < n && (bit >> 3) + 9 <= src_len; ++i, bit += width) {
    out[i] = static_cast<T>(base + ExtractBits<kWide>(src + (bit >> 3), bit & 7, width, mask));
  }
  if (i == n) return;
  // The last few values are read from a zero-padded copy of the tail.
  uint8_t tail[32] = {};
  const size_t from = bit >> 3;
  std::memcpy(tail, src + from, src_len - from);
  bit -= from * 8;
  for (; i < n; ++i, bit += width) {
    out[i] = static_cast<T>(base + ExtractBits<kWide>(tail + (bit >> 3), bit & 7, width, mask));
  }
}

}  // namespace internal

namespace internal {

// Width known at compile time: eight values span exactly W bytes, so each
// group of eight is unrolled with constant offsets, shifts and mask.
template <int W, typename T>
void UnpackFixed(const uint8_t* src, size_t src_len, size_t first, size_t n, uint64_t base,
                 T* out) {
  static_assert(W >= 1 && W <= 56);
  constexpr uint64_t kMask = (uint64_t{1} << W) - 1;
  size_t i = 0;
  // Head: up to the next group boundary.
  const size_t head = std::min(n, (8 - first % 8) % 8);
  UnpackBitsImpl<false>(src, src_len, first, head, base, W, out);
  i = head;
  // Body: whole groups whose last load stays inside the stream.
  size_t group = (first + i) / 8;
  for (; i + 8 <= n && group * W + (7 * W >> 3) + 8 <= src_len; i += 8, ++group) {
    const uint8_t* p = src + group * W;
    T* o = out + i;
#define LASER_UNPACK_ONE(j) \
  o[j] = static_cast<T>(base + ((LoadFixed64(p + ((j)*W >> 3)) >> (((j)*W) & 7)) & kMask))
    LASER_UNPACK_ONE(0);
    LASER_UNPACK_ONE(1);
    LASER_UNPACK_ONE(2);
    LASER_UNPACK_ONE(3);
    LASER_UNPACK_ONE(4);
    LASER_UNPACK_ONE(5);
    LASER_UNPACK_ONE(6);
    LASER_UNPACK_ONE(7);
#undef LASER_UNPACK_ONE
  }
  // Tail: what is left, through the bounds-checked path.
  UnpackBitsImpl<false>(src, src_len, first + i, n - i, base, W, out + i);
}

template <typename T>
using UnpackFn = void (*)(const uint8_t*, size_t, size_t, size_t, uint64_t, T*);

template <typename T, size_t... W>
constexpr std::array<UnpackFn<T>, sizeof...(W)> MakeUnpackTable(std::index_sequence<W...>) {
  return {&UnpackFixed<static_cast<int>(W) + 1, T>...};
}

// kUnpackTable<T>[w - 1] unpacks width w, for w in [1, 56].
template <typename T>
inline constexpr auto kUnpackTable = MakeUnpackTable<T>(std::make_index_sequence<56>());

}  // namespace internal

// Writes out[i] = base + value (first + i) of a stream written by PackBits,
// for i in [0, n), wrapping mod 2^64 and then converting to T.
// REQUIRES: src_len >= PackedBytes(first + n, width); 0 <= width <= 64.
template <typename T>
void UnpackBits(const uint8_t* src, size_t src_len, size_t first, size_t n, uint64_t base,
                int width, T* out) {
  if (n == 0) return;
  if (width == 0) {
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<T>(base);
  } else if (sizeof(T) == 8 && width == 64 && base == 0) {
    std::memcpy(out, src + first * 8, n * 8);
  } else if (width <= 56) {
    internal::kUnpackTable<T>[width - 1](src, src_len, first, n, base, out);
  } else {
    internal::UnpackBitsImpl<true>(src, src_len, first, n, base, width, out);
  }
}

// ---------------------------------------------------------------------------
// Decimal floats: a float v is stored as the integer k with v == k / 10^e.

// 10^e for e in [0, 22]: exactly representable as doubles (5^22 < 2^53), so a
// division by one of them is a single correctly rounded IEEE operation.
inline constexpr std::array<double, 23> kExactPow10 = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// The value integer k stands for at exponent e, pow10 = kExactPow10[e] (passed
// rather than looked up so that a decoding loop keeps it in a register).
// Encoder and decoder both use exactly these expressions, so the value the
// encoder verified is the value the decoder produces, bit for bit. Division by
// the exact power (not a multiplication by the inexact 10^-e) makes k / 10^e,
// for |k| <= 2^53, the correctly rounded double of the decimal: what a decimal
// parser yields for it, so such values never fail the round trip.
inline double DecimalToF64(int64_t k, double pow10) { return static_cast<double>(k) / pow10; }
inline float DecimalToF32(int64_t k, double pow10) {
  return static_cast<float>(DecimalToF64(k, pow10));
}

// Returns true iff some int64 k has DecimalToF64(k, e) bit-identical to v, and
// then sets *k to it. False for NaN, infinities, -0.0, and values with more
// than e decimals. REQUIRES: 0 <= e <= 22.
inline bool DecimalFromF64(double v, int e, int64_t* k) {
  const double s = v * kExactPow10[e];
  // The cast below is defined only inside int64's range; NaN fails too.
  if (!(s > -0x1p63 && s < 0x1p63)) return false;
  const int64_t c = static_cast<int64_t>(std::nearbyint(s));
  const double back = DecimalToF64(c, kExactPow10[e]);
  if (std::memcmp(&back, &v, sizeof(v)) != 0) return false;
  *k = c;
  return true;
}

// As DecimalFromF64 for a float v and DecimalToF32.
inline bool DecimalFromF32(float v, int e, int64_t* k) {
  const double s = static_cast<double>(v) * kExactPow10[e];
  if (!(s > -0x1p63 && s < 0x1p63)) return false;
  const int64_t c = static_cast<int64_t>(std::nearbyint(s));
  const float back = DecimalToF32(c, kExactPow10[e]);
  if (std::memcmp(&back, &v, sizeof(v)) != 0) return false;
  *k = c;
  return true;
}

}  // namespace laser::format
