// Little-endian fixed-width and LEB128 varint coding shared by the row codec
// and the WAL payload codec. Decoders never read outside their input.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace laser::coding {

inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

template <typename Out>
inline void PutVarint(Out* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<typename Out::value_type>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<typename Out::value_type>(v));
}

template <typename Out, typename T>
inline void PutFixed(Out* out, T v) {
  static_assert(std::is_trivially_copyable_v<T>);
  uint8_t b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // the engine targets little-endian hosts
  for (uint8_t x : b) out->push_back(static_cast<typename Out::value_type>(x));
}

template <typename T>
inline T LoadFixed(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// A bounds-checked cursor over a byte span. Every Get returns false (and
// leaves the output unspecified) iff the input ends or is malformed.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : p_(in.data()), end_(in.data() + in.size()) {}
  Reader(const char* p, size_t n)
      : p_(reinterpret_cast<const uint8_t*>(p)), end_(reinterpret_cast<const uint8_t*>(p) + n) {}

  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  const uint8_t* pos() const { return p_; }

  bool GetVarint(uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      const uint8_t b = *p_++;
      // The 10th byte may only contribute the top bit.
      if (shift == 63 && b > 1) return false;
      r |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *v = r;
        return true;
      }
    }
    return false;
  }
  bool GetVarint32(uint32_t* v) {
    uint64_t x;
    if (!GetVarint(&x) || x > UINT32_MAX) return false;
    *v = static_cast<uint32_t>(x);
    return true;
  }
  template <typename T>
  bool GetFixed(T* v) {
    if (remaining() < sizeof(T)) return false;
    *v = LoadFixed<T>(p_);
    p_ += sizeof(T);
    return true;
  }
  bool GetBytes(size_t n, const uint8_t** data) {
    if (remaining() < n) return false;
    *data = p_;
    p_ += n;
    return true;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace laser::coding
