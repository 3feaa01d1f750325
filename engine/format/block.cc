#include "engine/format/block.hpp"

#include <lz4.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <iterator>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "engine/format/coding.hpp"
#include "engine/util/status_macros.hpp"

namespace laser::format {
namespace {

// "LSBK" as bytes on disk.
constexpr uint32_t kMagic = 0x4b42534c;
// Version 2 adds encoding 7 (kEncPatchedDelta). A writer marks a block 2 iff
// it holds such a chunk, so every other block stays readable by version-1
// readers.
constexpr uint8_t kVersion = 1;
constexpr uint8_t kVersionPatched = 2;
constexpr size_t kHeaderCheckOffset = 44;

// Header field offsets (see docs/format/block.md).
constexpr size_t kOffVersion = 4;
constexpr size_t kOffFlags = 5;
constexpr size_t kOffReserved = 6;
constexpr size_t kOffBlockSize = 8;
constexpr size_t kOffCount = 12;
constexpr size_t kOffUser = 16;
constexpr size_t kOffFirstKey = 24;
constexpr size_t kOffLastKey = 32;
constexpr size_t kOffNumColumns = 40;

// The first byte of a column chunk: an encoding in the low nibble, bit 7 set
// iff a NULL bitmap follows.
enum Encoding : uint8_t {
  kEncFor = 1,    // frame of reference + bit-packing (integers, BOOL, ENUM)
  kEncDelta = 2,  // order key: deltas from the header's first key, FOR + bit-packed
  kEncF32 = 3,
  kEncF64 = 4,
  kEncDict = 5,          // per-block dictionary + bit-packed codes
  kEncDecimal = 6,       // F32/F64 as integers k, v = k / 10^e, FOR + bit-packed, raw exceptions
  kEncPatchedDelta = 7,  // order key: kEncDelta narrower, the widest deltas apart (version 2)
};
constexpr uint8_t kHasNulls = 0x80;

// A chunk is compressed only when LZ4 saves at least an eighth: below that the
// decompression costs more read time than the bytes it saves.
constexpr size_t kMinCompressBytes = 64;

// The largest decimal exponent per float type: beyond these, values with that
// many decimals have more significant digits than the type holds.
constexpr int kMaxDecimalExpF32 = 10;
constexpr int kMaxDecimalExpF64 = 18;

Status Corrupt(size_t offset, std::string_view what) {
  return Status::Corruption("block offset " + std::to_string(offset) + ": " + std::string(what));
}

uint32_t HeaderCheck(const uint8_t* header) {
  return static_cast<uint32_t>(XXH3_64bits(header, kHeaderCheckOffset));
}

// The physical encoding of each schema type, as written by EncodeBlock (float
// columns switch to kEncDecimal where that is smaller).
Encoding EncodingOf(Type t) {
  switch (t) {
    case Type::kF32:
      return kEncF32;
    case Type::kF64:
      return kEncF64;
    case Type::kString:
      return kEncDict;
    default:
      return kEncFor;
  }
}

// Values an integral column may hold, for types narrower than their lane;
// `checked` is false for I64, U64 and TIMESTAMP, which use the whole lane.
struct Domain {
  bool checked;
  int64_t lo;
  uint64_t hi;
};

Domain DomainOf(const Column& c) {
  switch (c.type) {
    case Type::kBool:
      return {true, 0, 1};
    case Type::kI8:
      return {true, INT8_MIN, INT8_MAX};
    case Type::kI16:
      return {true, INT16_MIN, INT16_MAX};
    case Type::kI32:
      return {true, INT32_MIN, INT32_MAX};
    case Type::kU8:
      return {true, 0, UINT8_MAX};
    case Type::kU16:
      return {true, 0, UINT16_MAX};
    case Type::kU32:
      return {true, 0, UINT32_MAX};
    case Type::kEnum:
      return {true, 0, c.enum_values.size() - 1};
    default:
      return {false, 0, 0};
  }
}

std::string ColumnName(const Column& c) { return "column '" + c.name + "'"; }

// Reusable per-thread buffers: decoding allocates only for its output.
struct Scratch {
  std::unique_ptr<uint8_t[]> bytes;
  size_t bytes_cap = 0;
  std::vector<uint64_t> u64;
  std::vector<uint64_t> exceptions;  // patched order keys' exception values
  std::vector<uint32_t> u32;
  std::vector<int64_t> i64;
  std::string raw;
  std::string packed;
  std::string body;
  std::string dir;

  uint8_t* Bytes(size_t n) {
    if (n > bytes_cap) {
      bytes.reset(new uint8_t[n]);
      bytes_cap = n;
    }
    return bytes.get();
  }
};

Scratch& ThreadScratch() {
  thread_local Scratch s;
  return s;
}

template <typename T>
std::vector<T>& ThreadVector() {
  thread_local std::vector<T> v;
  return v;
}

// ---------------------------------------------------------------------------
// Encoding

struct Rows {
  size_t begin;
  size_t n;
};

// Returns the first row in [begin, begin + n) flagged NULL, or SIZE_MAX.
size_t FirstNull(const ColumnVector& c, Rows r) {
  if (c.nulls.empty()) return SIZE_MAX;
  for (size_t i = 0; i < r.n; ++i) {
    if (c.nulls[r.begin + i] != 0) return r.begin + i;
  }
  return SIZE_MAX;
}

void PutNullBitmap(const ColumnVector& c, Rows r, std::string* out) {
  const size_t start = out->size();
  out->append((r.n + 7) / 8, '\0');
  auto* bits = reinterpret_cast<uint8_t*>(out->data()) + start;
  for (size_t i = 0; i < r.n; ++i) {
    bits[i >> 3] |= static_cast<uint8_t>((c.nulls[r.begin + i] != 0) << (i & 7));
  }
}

Status OutOfDomain(const Column& col, size_t row, const std::string& value, const Domain& d) {
  return Status::InvalidArgument(ColumnName(col) + " (" + TypeName(col.type) + ") row " +
                                 std::to_string(row) + ": value " + value + " is outside [" +
                                 std::to_string(d.lo) + ", " + std::to_string(d.hi) + "]");
}

// kEncFor for an int (T = int64_t) or uint (T = uint64_t) lane.
template <typename T>
Status EncodeIntegers(const Column& col, const ColumnVector& c, const std::vector<T>& lane, Rows r,
                      bool has_nulls, std::string* raw) {
  const T* v = lane.data() + r.begin;
  bool any = false;
  T lo = 0, hi = 0;
  for (size_t i = 0; i < r.n; ++i) {
    if (has_nulls && c.nulls[r.begin + i] != 0) continue;
    if (!any) {
      lo = hi = v[i];
      any = true;
    } else {
      lo = std::min(lo, v[i]);
      hi = std::max(hi, v[i]);
    }
  }
  const Domain d = DomainOf(col);
  if (any && d.checked) {
    const bool bad_lo = std::is_signed_v<T> && static_cast<int64_t>(lo) < d.lo;
    const bool bad_hi = std::is_signed_v<T> ? static_cast<int64_t>(hi) > static_cast<int64_t>(d.hi)
                                            : static_cast<uint64_t>(hi) > d.hi;
    if (bad_lo || bad_hi) {
      for (size_t i = 0; i < r.n; ++i) {
        if (has_nulls && c.nulls[r.begin + i] != 0) continue;
        const bool below = std::is_signed_v<T> && static_cast<int64_t>(v[i]) < d.lo;
        const bool above = std::is_signed_v<T>
                               ? static_cast<int64_t>(v[i]) > static_cast<int64_t>(d.hi)
                               : static_cast<uint64_t>(v[i]) > d.hi;
        if (below || above) return OutOfDomain(col, r.begin + i, std::to_string(v[i]), d);
      }
    }
  }
  const uint64_t base = static_cast<uint64_t>(lo);
  const int width = BitWidth(static_cast<uint64_t>(hi) - base);
  if constexpr (std::is_signed_v<T>) {
    PutVarint64(raw, ZigZagEncode(lo));
  } else {
    PutVarint64(raw, lo);
  }
  raw->push_back(static_cast<char>(width));
  if (!has_nulls) {
    PackBits(v, r.n, base, width, raw);
    return Status::OK();
  }
  // NULL rows hold the base, so they widen nothing.
  std::vector<T>& tmp = ThreadVector<T>();
  tmp.assign(v, v + r.n);
  for (size_t i = 0; i < r.n; ++i) {
    if (c.nulls[r.begin + i] != 0) tmp[i] = lo;
  }
  PackBits(tmp.data(), r.n, base, width, raw);
  return Status::OK();
}

// For kEncPatchedDelta: the packed width that makes the smallest chunk, and
// the chunk's bytes after its encoding byte and base, given how many of the
// deltas (less the base) are b bits wide, for every b.
struct PatchPlan {
  int width = 0;
  size_t bytes = 0;
};
PatchPlan PlanPatchedDelta(const std::array<size_t, 65>& widths, size_t n) {
  const int iw = BitWidth(n - 1);
  PatchPlan best;
  size_t exceptions = 0, exception_bytes = 0;
  // From the full width down: at width w the deltas wider than w are the
  // exceptions, each an index and a varint of its width.
  int full = 64;
  while (full > 0 && widths[static_cast<size_t>(full)] == 0) --full;
  best.width = full;
  best.bytes = 1 + PackedBytes(n, full);
  for (int w = full - 1; w >= 0; --w) {
    const size_t k = widths[static_cast<size_t>(w) + 1];
    exceptions += k;
    exception_bytes += k * static_cast<size_t>((w + 7) / 7);  // varints of w + 1 bits
    const size_t bytes = 1 + PackedBytes(n, w) + VarintLength(exceptions) +
                         PackedBytes(exceptions, iw) + exception_bytes;
    if (bytes < best.bytes) best = PatchPlan{w, bytes};
  }
  return best;
}

// Returns true iff it wrote kEncPatchedDelta (the block is then version 2).
bool EncodeOrderKey(const ColumnVector& c, Rows r, std::string* raw) {
  std::vector<int64_t>& deltas = ThreadScratch().i64;
  deltas.resize(r.n - 1);
  const int64_t* k = c.ints.data() + r.begin;
  // Deltas wrap mod 2^64, so any pair of keys (even INT64_MIN, INT64_MAX) round-trips.
  for (size_t i = 1; i < r.n; ++i) {
    deltas[i - 1] =
        static_cast<int64_t>(static_cast<uint64_t>(k[i]) - static_cast<uint64_t>(k[i - 1]));
  }
  int64_t lo = 0, hi = 0;
  if (!deltas.empty()) {
    lo = hi = deltas[0];
    for (int64_t d : deltas) {
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
  }
  const uint64_t base = static_cast<uint64_t>(lo);
  const int width = BitWidth(static_cast<uint64_t>(hi) - base);
  // One long gap (a user away for a month) would widen every delta of the
  // block to its width: such gaps are better kept apart, when that saves
  // at least an eighth of the packed deltas.
  if (deltas.size() >= 2 && width > 0) {
    std::array<size_t, 65> widths{};
    for (int64_t d : deltas)
      ++widths[static_cast<size_t>(BitWidth(static_cast<uint64_t>(d) - base))];
    const PatchPlan plan = PlanPatchedDelta(widths, deltas.size());
    const size_t plain = 1 + PackedBytes(deltas.size(), width);
    if (plan.width < width && plan.bytes + plain / 8 < plain) {
      raw->push_back(static_cast<char>(kEncPatchedDelta));
      PutVarint64(raw, ZigZagEncode(lo));
      raw->push_back(static_cast<char>(plan.width));
      std::vector<uint64_t>& positions = ThreadScratch().u64;
      std::vector<uint64_t>& values = ThreadScratch().exceptions;
      positions.clear();
      values.clear();
      const uint64_t limit = plan.width == 64 ? UINT64_MAX : (uint64_t{1} << plan.width) - 1;
      for (size_t i = 0; i < deltas.size(); ++i) {
        const uint64_t v = static_cast<uint64_t>(deltas[i]) - base;
        if (v <= limit) continue;
        positions.push_back(i);
        values.push_back(v);
        deltas[i] = lo;  // an exception's slot holds the base: 0 packed
      }
      PackBits(deltas.data(), deltas.size(), base, plan.width, raw);
      PutVarint64(raw, positions.size());
      PackBits(positions.data(), positions.size(), 0, BitWidth(deltas.size() - 1), raw);
      for (uint64_t v : values) PutVarint64(raw, v);
      return true;
    }
  }
  raw->push_back(static_cast<char>(kEncDelta));
  PutVarint64(raw, ZigZagEncode(lo));
  raw->push_back(static_cast<char>(width));
  PackBits(deltas.data(), deltas.size(), base, width, raw);
  return false;
}

// The stored form of row i of a float column: F32 rounds the in-memory double
// to float once, as the raw encoding does.
template <typename F>
F StoredFloat(const ColumnVector& c, size_t row) {
  return static_cast<F>(c.floats[row]);
}

bool ToDecimal(float v, int e, int64_t* k) { return DecimalFromF32(v, e, k); }
bool ToDecimal(double v, int e, int64_t* k) { return DecimalFromF64(v, e, k); }

// A kEncDecimal layout of one column: exponent, integer range, exceptions.
struct DecimalPlan {
  int e = 0;
  int64_t lo = 0;  // the smallest integer (0 if no value is encodable)
  int64_t hi = 0;
  size_t exceptions = 0;
  size_t bytes = 0;  // of everything after the NULL bitmap
};

size_t DecimalBytes(size_t n, const DecimalPlan& p, size_t value_bytes) {
  const int width = BitWidth(static_cast<uint64_t>(p.hi) - static_cast<uint64_t>(p.lo));
  size_t b =
      1 + VarintLength(ZigZagEncode(p.lo)) + 1 + PackedBytes(n, width) + VarintLength(p.exceptions);
  if (p.exceptions > 0) {
    b += PackedBytes(p.exceptions, BitWidth(n - 1)) + p.exceptions * value_bytes;
  }
  return b;
}

// Chooses the decimal exponent giving the smallest chunk, and returns true iff
// that chunk is at least 1/8 smaller than raw floats: below that, decoding
// costs more read time than the bytes save (almost any float has an exact
// decimal form of 7 or 17 significant digits, a few bits short of raw).
// Exceptions (values with no exact decimal form at the exponent: NaN, inf,
// -0.0, more decimals) are stored raw, at most one per 8 events (and at most a
// quarter of the values seen once there are 8): beyond that the column is not
// decimal data at that exponent.
template <typename F>
bool PlanDecimal(const ColumnVector& c, Rows r, bool has_nulls, DecimalPlan* plan) {
  std::vector<F>& values = ThreadVector<F>();
  values.clear();
  for (size_t i = 0; i < r.n; ++i) {
    if (has_nulls && c.nulls[r.begin + i] != 0) continue;
    values.push_back(StoredFloat<F>(c, r.begin + i));
  }
  const size_t raw_bytes = r.n * sizeof(F);
  const size_t worth_bytes = raw_bytes - raw_bytes / 8;
  const size_t max_exceptions = r.n / 8;
  const int max_e = sizeof(F) == 4 ? kMaxDecimalExpF32 : kMaxDecimalExpF64;
  bool found = false;
  for (int e = 0; e <= max_e; ++e) {
    // The chunk to beat: the best so far, or raw less an eighth.
    const size_t limit = found ? plan->bytes - 1 : worth_bytes;
    DecimalPlan p;
    p.e = e;
    bool any = false;
    bool viable = true;
    // Most exponents fail fast: on a run of exceptions, or on integers too
    // wide to beat `limit` (they only widen as values are added).
    for (size_t i = 0; i < values.size() && viable; ++i) {
      int64_t k = 0;
      if (!ToDecimal(values[i], e, &k)) {
        ++p.exceptions;
        viable = p.exceptions <= max_exceptions && (p.exceptions < 8 || p.exceptions * 4 <= i + 1);
        continue;
      }
      if (!any) {
        p.lo = p.hi = k;
        any = true;
      } else if (k < p.lo) {
        p.lo = k;
      } else if (k > p.hi) {
        p.hi = k;
      } else {
        continue;
      }
      const uint64_t range = static_cast<uint64_t>(p.hi) - static_cast<uint64_t>(p.lo);
      viable = PackedBytes(r.n, BitWidth(range)) <= limit;
    }
    if (!viable) continue;
    p.bytes = DecimalBytes(r.n, p, sizeof(F));
    if (p.bytes <= limit) {
      *plan = p;
      found = true;
    }
    // A larger exponent multiplies every integer by 10: never narrower.
    if (p.exceptions == 0) break;
  }
  return found;
}

// kEncDecimal after the NULL bitmap, as planned by PlanDecimal.
template <typename F>
void EncodeDecimal(const ColumnVector& c, Rows r, bool has_nulls, const DecimalPlan& plan,
                   std::string* raw) {
  Scratch& s = ThreadScratch();
  std::vector<int64_t>& ints = s.i64;
  std::vector<uint32_t>& positions = s.u32;
  ints.resize(r.n);
  positions.clear();
  for (size_t i = 0; i < r.n; ++i) {
    // NULLs and exceptions hold the base, so they widen nothing.
    ints[i] = plan.lo;
    if (has_nulls && c.nulls[r.begin + i] != 0) continue;
    if (!ToDecimal(StoredFloat<F>(c, r.begin + i), plan.e, &ints[i])) {
      positions.push_back(static_cast<uint32_t>(i));
    }
  }
  assert(positions.size() == plan.exceptions);
  const uint64_t base = static_cast<uint64_t>(plan.lo);
  const int width = BitWidth(static_cast<uint64_t>(plan.hi) - base);
  raw->push_back(static_cast<char>(plan.e));
  PutVarint64(raw, ZigZagEncode(plan.lo));
  raw->push_back(static_cast<char>(width));
  PackBits(ints.data(), r.n, base, width, raw);
  PutVarint64(raw, positions.size());
  if (positions.empty()) return;
  PackBits(positions.data(), positions.size(), 0, BitWidth(r.n - 1), raw);
  for (uint32_t i : positions) {
    const F v = StoredFloat<F>(c, r.begin + i);
    raw->append(reinterpret_cast<const char*>(&v), sizeof(v));
  }
}

// kEncF32 / kEncF64 after the NULL bitmap.
template <typename F>
void EncodeRawFloats(const ColumnVector& c, Rows r, bool has_nulls, std::string* raw) {
  const size_t start = raw->size();
  raw->resize(start + r.n * sizeof(F));
  uint8_t* dst = reinterpret_cast<uint8_t*>(raw->data()) + start;
  for (size_t i = 0; i < r.n; ++i) {
    const F x = has_nulls && c.nulls[r.begin + i] != 0 ? F{0} : StoredFloat<F>(c, r.begin + i);
    std::memcpy(dst + i * sizeof(F), &x, sizeof(F));
  }
}

// A float column's chunk: decimal where that is smaller, raw otherwise.
template <typename F>
void EncodeFloats(const ColumnVector& c, Rows r, bool has_nulls, std::string* raw) {
  DecimalPlan plan;
  const bool decimal = PlanDecimal<F>(c, r, has_nulls, &plan);
  const Encoding enc = decimal ? kEncDecimal : sizeof(F) == 4 ? kEncF32 : kEncF64;
  raw->push_back(static_cast<char>(enc | (has_nulls ? kHasNulls : 0)));
  if (has_nulls) PutNullBitmap(c, r, raw);
  if (decimal) {
    EncodeDecimal<F>(c, r, has_nulls, plan, raw);
  } else {
    EncodeRawFloats<F>(c, r, has_nulls, raw);
  }
}

Status EncodeStrings(const Column& col, const ColumnVector& c, Rows r, bool has_nulls,
                     std::string* raw) {
  std::unordered_map<std::string_view, uint32_t> ids;
  std::vector<uint32_t>& codes = ThreadScratch().u32;
  codes.assign(r.n, 0);
  std::vector<std::string_view> dict;
  uint64_t total = 0;
  for (size_t i = 0; i < r.n; ++i) {
    if (has_nulls && c.nulls[r.begin + i] != 0) continue;
    const std::string& s = c.strings[r.begin + i];
    auto [it, inserted] = ids.try_emplace(s, static_cast<uint32_t>(dict.size()));
    if (inserted) {
      dict.push_back(s);
      total += s.size();
    }
    codes[i] = it->second;
  }
  if (total > kMaxBlockBytes) {
    return Status::InvalidArgument(ColumnName(col) + ": " + std::to_string(total) +
                                   " bytes of distinct strings do not fit one block");
  }
  PutVarint64(raw, dict.size());
  uint64_t lo = 0, hi = 0;
  if (!dict.empty()) {
    lo = hi = dict[0].size();
    for (std::string_view s : dict) {
      lo = std::min<uint64_t>(lo, s.size());
      hi = std::max<uint64_t>(hi, s.size());
    }
  }
  const int len_width = BitWidth(hi - lo);
  PutVarint64(raw, lo);
  raw->push_back(static_cast<char>(len_width));
  std::vector<uint64_t>& lens = ThreadScratch().u64;
  lens.resize(dict.size());
  for (size_t i = 0; i < dict.size(); ++i) lens[i] = dict[i].size();
  PackBits(lens.data(), lens.size(), lo, len_width, raw);
  for (std::string_view s : dict) raw->append(s);
  const int code_width = dict.empty() ? 0 : BitWidth(dict.size() - 1);
  raw->push_back(static_cast<char>(code_width));
  PackBits(codes.data(), r.n, 0, code_width, raw);
  return Status::OK();
}

// Sets *patched iff the chunk needs block version 2.
Status EncodeColumn(const TableSchema& schema, size_t ci, const ColumnVector& c, Rows r,
                    std::string* raw, bool* patched) {
  const Column& col = schema.columns[ci];
  const size_t first_null = FirstNull(c, r);
  const bool has_nulls = first_null != SIZE_MAX;
  if (has_nulls && (!col.nullable || ci == schema.order_key)) {
    return Status::InvalidArgument(ColumnName(col) + " row " + std::to_string(first_null) +
                                   ": NULL in a NOT NULL column");
  }
  if (ci == schema.order_key) {
    if (EncodeOrderKey(c, r, raw)) *patched = true;
    return Status::OK();
  }
  const Encoding enc = EncodingOf(col.type);
  if (enc == kEncF32) {
    EncodeFloats<float>(c, r, has_nulls, raw);
    return Status::OK();
  }
  if (enc == kEncF64) {
    EncodeFloats<double>(c, r, has_nulls, raw);
    return Status::OK();
  }
  raw->push_back(static_cast<char>(enc | (has_nulls ? kHasNulls : 0)));
  if (has_nulls) PutNullBitmap(c, r, raw);
  switch (enc) {
    case kEncDict:
      return EncodeStrings(col, c, r, has_nulls, raw);
    default:
      if (LaneOf(col.type) == Lane::kUInt)
        return EncodeIntegers(col, c, c.uints, r, has_nulls, raw);
      return EncodeIntegers(col, c, c.ints, r, has_nulls, raw);
  }
}

// Appends the chunk `raw` to *body, LZ4-compressed when that pays, and its
// directory entry to *dir.
void AppendChunk(const std::string& raw, std::string* packed, std::string* body, std::string* dir) {
  if (raw.size() >= kMinCompressBytes && raw.size() <= static_cast<size_t>(LZ4_MAX_INPUT_SIZE)) {
    const int bound = LZ4_compressBound(static_cast<int>(raw.size()));
    packed->resize(static_cast<size_t>(bound));
    const int n =
        LZ4_compress_default(raw.data(), packed->data(), static_cast<int>(raw.size()), bound);
    // The decoder rejects claims beyond LZ4's maximal expansion; stay inside it.
    const bool plausible = raw.size() <= 255 * static_cast<size_t>(n) + 16;
    if (n > 0 && static_cast<size_t>(n) <= raw.size() - raw.size() / 8 && plausible) {
      PutVarint64(dir, (static_cast<uint64_t>(n) << 1) | 1);
      PutVarint64(dir, raw.size());
      body->append(packed->data(), static_cast<size_t>(n));
      return;
    }
  }
  PutVarint64(dir, static_cast<uint64_t>(raw.size()) << 1);
  body->append(raw);
}

// ---------------------------------------------------------------------------
// Decoding

// Cursor over one column chunk's (decompressed) bytes. Errors name the block
// offset of the chunk and, for a compressed chunk, the byte inside it.
class ChunkReader {
 public:
  ChunkReader(const uint8_t* p, size_t len, size_t block_offset, bool compressed, const Column& col)
      : begin_(p),
        p_(p),
        end_(p + len),
        block_offset_(block_offset),
        compressed_(compressed),
        col_(col) {}

  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  const uint8_t* pos() const { return p_; }

  Status Error(std::string_view what) const {
    const size_t at = static_cast<size_t>(p_ - begin_);
    if (compressed_) {
      return Corrupt(block_offset_, ColumnName(col_) + ": byte " + std::to_string(at) +
                                        " of the decompressed chunk: " + std::string(what));
    }
    return Corrupt(block_offset_ + at, ColumnName(col_) + ": " + std::string(what));
  }

  Status Byte(uint8_t* v) {
    if (p_ >= end_) return Error("chunk ends early");
    *v = *p_++;
    return Status::OK();
  }
  Status Varint(uint64_t* v) {
    if (!GetVarint64(&p_, end_, v)) return Error("bad varint");
    return Status::OK();
  }
  Status Width(int max, int* w) {
    uint8_t b = 0;
    LASER_RETURN_IF_ERROR(Byte(&b));
    if (b > max) return Error("bit width " + std::to_string(b) + " exceeds " + std::to_string(max));
    *w = b;
    return Status::OK();
  }
  // Takes n bytes.
  Status Take(uint64_t n, const uint8_t** out) {
    if (n > remaining()) {
      return Error("needs " + std::to_string(n) + " bytes, " + std::to_string(remaining()) +
                   " left");
    }
    *out = p_;
    p_ += n;
    return Status::OK();
  }
  Status ExpectEnd() const {
    if (p_ != end_) return Error(std::to_string(remaining()) + " unexpected trailing bytes");
    return Status::OK();
  }

 private:
  const uint8_t* begin_;
  const uint8_t* p_;
  const uint8_t* end_;
  size_t block_offset_;
  bool compressed_;
  const Column& col_;
};

Result<BlockInfo> ParseHeader(std::span<const uint8_t> b) {
  if (b.size() < kBlockHeaderSize) {
    return Corrupt(b.size(), "block of " + std::to_string(b.size()) +
                                 " bytes is shorter than its " + std::to_string(kBlockHeaderSize) +
                                 "-byte header");
  }
  const uint8_t* h = b.data();
  if (LoadFixed32(h) != kMagic) return Corrupt(0, "bad magic");
  if (h[kOffVersion] != kVersion && h[kOffVersion] != kVersionPatched) {
    return Corrupt(kOffVersion, "unsupported format version " + std::to_string(h[kOffVersion]));
  }
  if (h[kOffFlags] != 0 || LoadFixed16(h + kOffReserved) != 0) {
    return Corrupt(kOffFlags, "reserved header bits are set");
  }
  if (LoadFixed32(h + kHeaderCheckOffset) != HeaderCheck(h)) {
    return Corrupt(kHeaderCheckOffset, "header check mismatch");
  }
  BlockInfo info;
  info.stored_bytes = LoadFixed32(h + kOffBlockSize);
  info.count = LoadFixed32(h + kOffCount);
  info.user = LoadFixed64(h + kOffUser);
  info.first_key = static_cast<int64_t>(LoadFixed64(h + kOffFirstKey));
  info.last_key = static_cast<int64_t>(LoadFixed64(h + kOffLastKey));
  info.num_columns = LoadFixed32(h + kOffNumColumns);
  info.version = h[kOffVersion];
  if (info.stored_bytes < kBlockHeaderSize + kBlockTrailerSize) {
    return Corrupt(kOffBlockSize,
                   "block size " + std::to_string(info.stored_bytes) + " is below the minimum");
  }
  if (info.count == 0 || info.count > kMaxBlockEvents) {
    return Corrupt(kOffCount, "event count " + std::to_string(info.count) + " outside [1, " +
                                  std::to_string(kMaxBlockEvents) + "]");
  }
  if (info.count == 1 && info.first_key != info.last_key) {
    return Corrupt(kOffLastKey, "a one-event block with different first and last keys");
  }
  if (info.num_columns < 2) {
    return Corrupt(kOffNumColumns, std::to_string(info.num_columns) + " columns (keys missing)");
  }
  return info;
}

struct ChunkLoc {
  size_t offset = 0;      // in the block
  size_t stored_len = 0;  // bytes in the block
  size_t raw_len = 0;     // bytes after decompression
  bool compressed = false;
};

// A chunk's NULL bitmap (one bit per event of the block).
struct NullRange {
  const uint8_t* bitmap = nullptr;  // null iff the chunk has no bitmap
};

// Reads the encoding byte and the NULL bitmap of a chunk. The encoding must be
// `want` or `alt`; *got (if not null) receives it.
Status ReadChunkPrefix(ChunkReader* r, Encoding want, bool nullable, uint32_t count,
                       NullRange* nulls, Encoding alt, Encoding* got) {
  uint8_t b = 0;
  LASER_RETURN_IF_ERROR(r->Byte(&b));
  const uint8_t enc = b & ~kHasNulls;
  if (enc != want && enc != alt) {
    return r->Error("encoding " + std::to_string(enc) + " where " + std::to_string(want) +
                    (alt != want ? " or " + std::to_string(alt) : std::string()) + " is expected");
  }
  if (got != nullptr) *got = static_cast<Encoding>(enc);
  if ((b & kHasNulls) == 0) return Status::OK();
  if (!nullable) return r->Error("NULL bitmap in a NOT NULL column");
  const size_t len = (static_cast<size_t>(count) + 7) / 8;
  LASER_RETURN_IF_ERROR(r->Take(len, &nulls->bitmap));
  if (count % 8 != 0 && (nulls->bitmap[len - 1] >> (count % 8)) != 0) {
    return r->Error("NULL bitmap has bits set past the last event");
  }
  return Status::OK();
}

Status ReadChunkPrefix(ChunkReader* r, Encoding want, bool nullable, uint32_t count,
                       NullRange* nulls) {
  return ReadChunkPrefix(r, want, nullable, count, nulls, want, nullptr);
}

// Appends the NULL flags of rows [row_begin, count) to c.nulls (keeping the
// invariant that nulls is empty iff no row is NULL), and returns true iff any
// of those rows is NULL.
bool AppendNulls(const NullRange& nr, uint32_t row_begin, uint32_t count, size_t old_rows,
                 ColumnVector* c) {
  const size_t n = count - row_begin;
  bool any = false;
  if (nr.bitmap != nullptr) {
    for (uint32_t i = row_begin; i < count && !any; ++i) any = (nr.bitmap[i >> 3] >> (i & 7)) & 1;
  }
  if (!any) {
    if (!c->nulls.empty()) c->nulls.resize(old_rows + n, 0);
    return false;
  }
  c->nulls.resize(old_rows, 0);
  c->nulls.reserve(old_rows + n);
  for (uint32_t i = row_begin; i < count; ++i)
    c->nulls.push_back((nr.bitmap[i >> 3] >> (i & 7)) & 1);
  return true;
}

// True iff v, a value of a T lane, lies in d.
template <typename T>
bool InDomain(T v, const Domain& d) {
  if constexpr (std::is_signed_v<T>) {
    return v >= d.lo && v <= static_cast<int64_t>(d.hi);
  } else {
    return v <= d.hi;
  }
}

// True iff every value base + x (mod 2^64, as T) with x < 2^width lies in d:
// the range of a frame-of-reference chunk, whatever its packed bits.
template <typename T>
bool PackedInDomain(uint64_t base, int width, const Domain& d) {
  if (width >= 64) return false;
  const uint64_t span = (uint64_t{1} << width) - 1;
  if constexpr (std::is_signed_v<T>) {
    const auto lo = static_cast<int64_t>(base);
    if (lo > INT64_MAX - static_cast<int64_t>(span)) return false;  // the range wraps
    return InDomain<T>(lo, d) && InDomain<T>(lo + static_cast<int64_t>(span), d);
  } else {
    if (base > UINT64_MAX - span) return false;  // the range wraps
    return InDomain<T>(base + span, d);
  }
}

template <typename T>
Status DecodeIntegers(ChunkReader* r, const Column& col, uint32_t count, uint32_t row_begin,
                      size_t old_rows, ColumnVector* c, std::vector<T>* lane) {
  NullRange nr;
  LASER_RETURN_IF_ERROR(ReadChunkPrefix(r, kEncFor, col.nullable, count, &nr));
  uint64_t base_raw = 0;
  LASER_RETURN_IF_ERROR(r->Varint(&base_raw));
  const uint64_t base =
      std::is_signed_v<T> ? static_cast<uint64_t>(ZigZagDecode(base_raw)) : base_raw;
  int width = 0;
  LASER_RETURN_IF_ERROR(r->Width(64, &width));
  const uint8_t* packed = nullptr;
  const size_t packed_len = PackedBytes(count, width);
  LASER_RETURN_IF_ERROR(r->Take(packed_len, &packed));
  LASER_RETURN_IF_ERROR(r->ExpectEnd());

  const size_t n = count - row_begin;
  lane->resize(old_rows + n);
  T* out = lane->data() + old_rows;
  UnpackBits(packed, packed_len, row_begin, n, base, width, out);
  const bool zeroed = AppendNulls(nr, row_begin, count, old_rows, c);
  if (zeroed) {
    const uint8_t* flags = c->nulls.data() + old_rows;
    for (size_t i = 0; i < n; ++i) {
      if (flags[i] != 0) out[i] = 0;
    }
  }
  const Domain d = DomainOf(col);
  // The usual case needs no pass over the values: the header's base and
  // width bound them all inside the domain.
  if (d.checked && !(PackedInDomain<T>(base, width, d) && (!zeroed || InDomain<T>(0, d)))) {
    bool bad = false;
    for (size_t i = 0; i < n; ++i) {
      if constexpr (std::is_signed_v<T>) {
        bad |= out[i] < d.lo || out[i] > static_cast<int64_t>(d.hi);
      } else {
        bad |= out[i] > d.hi;
      }
    }
    if (bad) return r->Error(std::string("value outside the domain of ") + TypeName(col.type));
  }
  return Status::OK();
}

Status DecodeOrderKey(ChunkReader* r, const BlockInfo& info, uint32_t row_begin, size_t old_rows,
                      ColumnVector* c) {
  uint8_t enc = 0;
  LASER_RETURN_IF_ERROR(r->Byte(&enc));
  const bool patched = enc == kEncPatchedDelta && info.version >= kVersionPatched;
  if (enc != kEncDelta && !patched) {
    return r->Error("order key chunk has encoding " + std::to_string(enc) + " in a version " +
                    std::to_string(info.version) + " block");
  }
  uint64_t base_raw = 0;
  LASER_RETURN_IF_ERROR(r->Varint(&base_raw));
  int width = 0;
  LASER_RETURN_IF_ERROR(r->Width(64, &width));
  const size_t num_deltas = info.count - 1;
  const uint8_t* packed = nullptr;
  const size_t packed_len = PackedBytes(num_deltas, width);
  LASER_RETURN_IF_ERROR(r->Take(packed_len, &packed));
  const uint64_t base = static_cast<uint64_t>(ZigZagDecode(base_raw));
  // kEncPatchedDelta: the deltas at `positions` are `values` (less the base);
  // their packed slots hold 0.
  std::vector<uint64_t>& positions = ThreadScratch().u64;
  std::vector<uint64_t>& values = ThreadScratch().exceptions;
  positions.clear();
  values.clear();
  if (patched) {
    uint64_t num_exceptions = 0;
    LASER_RETURN_IF_ERROR(r->Varint(&num_exceptions));
    if (num_exceptions == 0 || num_exceptions > num_deltas) {
      return r->Error(std::to_string(num_exceptions) + " order key exceptions for " +
                      std::to_string(num_deltas) + " deltas");
    }
    const int pos_width = BitWidth(num_deltas - 1);
    const uint8_t* packed_pos = nullptr;
    const size_t pos_len = PackedBytes(num_exceptions, pos_width);
    LASER_RETURN_IF_ERROR(r->Take(pos_len, &packed_pos));
    positions.resize(num_exceptions);
    UnpackBits(packed_pos, pos_len, 0, num_exceptions, 0, pos_width, positions.data());
    values.resize(num_exceptions);
    for (size_t j = 0; j < num_exceptions; ++j) {
      if (positions[j] >= num_deltas || (j > 0 && positions[j] <= positions[j - 1])) {
        return r->Error("order key exception " + std::to_string(j) + " at delta " +
                        std::to_string(positions[j]) + " is out of order or past " +
                        std::to_string(num_deltas) + " deltas");
      }
      uint64_t slot = 0;
      UnpackBits(packed, packed_len, positions[j], 1, 0, width, &slot);
      if (slot != 0) {
        return r->Error("order key exception slot " + std::to_string(positions[j]) +
                        " is not empty");
      }
      LASER_RETURN_IF_ERROR(r->Varint(&values[j]));
    }
  }
  LASER_RETURN_IF_ERROR(r->ExpectEnd());
  // Adds the exceptions among deltas [first, first + m) to out (delta first
  // at out[0]); `next` walks positions in step.
  size_t next = 0;
  auto patch = [&](size_t first, size_t m, uint64_t* out) {
    while (next < positions.size() && positions[next] < first + m) {
      out[positions[next] - first] += values[next];
      ++next;
    }
  };
  // Delta k leads from row k to row k + 1. The rows before row_begin are
  // summed a stack buffer at a time; the rest are unpacked in place and
  // summed there. Either way every delta is added, so the sum is checked
  // against the header's last key.
  const size_t skipped = std::min<size_t>(row_begin, num_deltas);
  uint64_t key = static_cast<uint64_t>(info.first_key);
  uint64_t buf[256];
  for (size_t k = 0; k < skipped; k += std::size(buf)) {
    const size_t m = std::min(std::size(buf), skipped - k);
    UnpackBits(packed, packed_len, k, m, base, width, buf);
    patch(k, m, buf);
    for (size_t j = 0; j < m; ++j) key += buf[j];
  }
  const size_t n = info.count - row_begin;
  c->ints.resize(old_rows + n);
  int64_t* out = c->ints.data() + old_rows;
  if (n > 0) {
    UnpackBits(packed, packed_len, skipped, n - 1, base, width, out + 1);
    patch(skipped, n - 1, reinterpret_cast<uint64_t*>(out + 1));
    out[0] = static_cast<int64_t>(key);
    for (size_t j = 1; j < n; ++j) {
      key += static_cast<uint64_t>(out[j]);
      out[j] = static_cast<int64_t>(key);
    }
  }
  if (static_cast<int64_t>(key) != info.last_key) {
    return r->Error("order keys end at " + std::to_string(static_cast<int64_t>(key)) +
                    ", the header says " + std::to_string(info.last_key));
  }
  if (!c->nulls.empty()) c->nulls.resize(old_rows + n, 0);
  return Status::OK();
}

// kEncF32 / kEncF64 after the NULL bitmap.
template <typename F>
Status DecodeRawFloats(ChunkReader* r, uint32_t count, uint32_t row_begin, double* out) {
  const uint8_t* data = nullptr;
  LASER_RETURN_IF_ERROR(r->Take(static_cast<uint64_t>(count) * sizeof(F), &data));
  LASER_RETURN_IF_ERROR(r->ExpectEnd());
  const size_t n = count - row_begin;
  data += static_cast<size_t>(row_begin) * sizeof(F);
  if constexpr (sizeof(F) == 4) {
    for (size_t i = 0; i < n; ++i) {
      float f;
      std::memcpy(&f, data + i * 4, 4);
      out[i] = f;
    }
  } else if (n > 0) {
    std::memcpy(out, data, n * 8);
  }
  return Status::OK();
}

// out[i] = k[i] / pow10 (rounded to F), for i in [0, n).
template <typename F, typename K>
void DecimalsToFloats(const K* k, size_t n, double pow10, double* out) {
  size_t i = 0;
#if defined(__SSE2__)
  if constexpr (sizeof(K) == 4) {
    const __m128d p = _mm_set1_pd(pow10);
    for (; i + 4 <= n; i += 4) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(k + i));
      __m128d lo = _mm_div_pd(_mm_cvtepi32_pd(v), p);
      __m128d hi = _mm_div_pd(_mm_cvtepi32_pd(_mm_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2))), p);
      if constexpr (sizeof(F) == 4) {
        lo = _mm_cvtps_pd(_mm_cvtpd_ps(lo));
        hi = _mm_cvtps_pd(_mm_cvtpd_ps(hi));
      }
      _mm_storeu_pd(out + i, lo);
      _mm_storeu_pd(out + i + 2, hi);
    }
  }
#endif
  for (; i < n; ++i) {
    if constexpr (sizeof(F) == 4) {
      out[i] = DecimalToF32(k[i], pow10);
    } else {
      out[i] = DecimalToF64(k[i], pow10);
    }
  }
}

// kEncDecimal after the NULL bitmap. Exceptions at NULL rows are corruption;
// NULL rows are left to the caller (they decode to the base's value).
template <typename F>
Status DecodeDecimal(ChunkReader* r, const NullRange& nr, uint32_t count, uint32_t row_begin,
                     double* out) {
  const int max_e = sizeof(F) == 4 ? kMaxDecimalExpF32 : kMaxDecimalExpF64;
  uint8_t e = 0;
  LASER_RETURN_IF_ERROR(r->Byte(&e));
  if (e > max_e) {
    return r->Error("decimal exponent " + std::to_string(e) + " exceeds " + std::to_string(max_e));
  }
  uint64_t base_raw = 0;
  LASER_RETURN_IF_ERROR(r->Varint(&base_raw));
  int width = 0;
  LASER_RETURN_IF_ERROR(r->Width(64, &width));
  const uint8_t* packed = nullptr;
  const size_t packed_len = PackedBytes(count, width);
  LASER_RETURN_IF_ERROR(r->Take(packed_len, &packed));
  uint64_t num_exceptions = 0;
  LASER_RETURN_IF_ERROR(r->Varint(&num_exceptions));
  if (num_exceptions > count) {
    return r->Error(std::to_string(num_exceptions) + " exceptions for " + std::to_string(count) +
                    " events");
  }
  const int pos_width = BitWidth(count - 1);
  const uint8_t* packed_pos = nullptr;
  const size_t pos_len = PackedBytes(num_exceptions, pos_width);
  LASER_RETURN_IF_ERROR(r->Take(pos_len, &packed_pos));
  const uint8_t* exceptions = nullptr;
  LASER_RETURN_IF_ERROR(r->Take(num_exceptions * sizeof(F), &exceptions));
  LASER_RETURN_IF_ERROR(r->ExpectEnd());

  std::vector<uint32_t>& positions = ThreadScratch().u32;
  positions.resize(num_exceptions);
  UnpackBits(packed_pos, pos_len, 0, num_exceptions, 0, pos_width, positions.data());
  for (size_t j = 0; j < positions.size(); ++j) {
    const uint32_t p = positions[j];
    if (p >= count) {
      return r->Error("decimal exception at row " + std::to_string(p) + " of " +
                      std::to_string(count));
    }
    if (j > 0 && p <= positions[j - 1]) {
      return r->Error("decimal exception rows are not increasing at row " + std::to_string(p));
    }
    if (nr.bitmap != nullptr && ((nr.bitmap[p >> 3] >> (p & 7)) & 1) != 0) {
      return r->Error("decimal exception at NULL row " + std::to_string(p));
    }
  }

  const size_t n = count - row_begin;
  const int64_t base = ZigZagDecode(base_raw);
  const double pow10 = kExactPow10[e];
  const auto unpack_and_divide = [&](auto& ints) {
    ints.resize(n);
    UnpackBits(packed, packed_len, row_begin, n, static_cast<uint64_t>(base), width, ints.data());
    DecimalsToFloats<F>(ints.data(), n, pow10, out);
  };
  // Integers that fit 32 bits (the usual case) convert and divide two at a
  // time; the results are the same IEEE operations as the scalar loop's.
  if (width <= 31 && base >= INT32_MIN && base <= INT32_MAX - ((int64_t{1} << width) - 1)) {
    unpack_and_divide(ThreadVector<int32_t>());
  } else {
    unpack_and_divide(ThreadScratch().i64);
  }
  const auto first = std::lower_bound(positions.begin(), positions.end(), row_begin);
  for (auto it = first; it != positions.end(); ++it) {
    F v;
    std::memcpy(&v, exceptions + (it - positions.begin()) * sizeof(F), sizeof(F));
    out[*it - row_begin] = v;
  }
  return Status::OK();
}

Status DecodeFloats(ChunkReader* r, const Column& col, uint32_t count, uint32_t row_begin,
                    size_t old_rows, ColumnVector* c) {
  const bool f32 = col.type == Type::kF32;
  NullRange nr;
  Encoding enc = kEncDecimal;
  LASER_RETURN_IF_ERROR(
      ReadChunkPrefix(r, f32 ? kEncF32 : kEncF64, col.nullable, count, &nr, kEncDecimal, &enc));
  const size_t n = count - row_begin;
  c->floats.resize(old_rows + n);
  double* out = c->floats.data() + old_rows;
  if (enc == kEncDecimal) {
    LASER_RETURN_IF_ERROR(f32 ? DecodeDecimal<float>(r, nr, count, row_begin, out)
                              : DecodeDecimal<double>(r, nr, count, row_begin, out));
  } else {
    // NULL rows were written as 0.0.
    LASER_RETURN_IF_ERROR(f32 ? DecodeRawFloats<float>(r, count, row_begin, out)
                              : DecodeRawFloats<double>(r, count, row_begin, out));
  }
  if (AppendNulls(nr, row_begin, count, old_rows, c) && enc == kEncDecimal) {
    const uint8_t* flags = c->nulls.data() + old_rows;
    for (size_t i = 0; i < n; ++i) {
      if (flags[i] != 0) out[i] = 0.0;
    }
  }
  return Status::OK();
}

Status DecodeStrings(ChunkReader* r, const Column& col, uint32_t count, uint32_t row_begin,
                     size_t old_rows, ColumnVector* c) {
  NullRange nr;
  LASER_RETURN_IF_ERROR(ReadChunkPrefix(r, kEncDict, col.nullable, count, &nr));
  uint64_t dict_size = 0;
  LASER_RETURN_IF_ERROR(r->Varint(&dict_size));
  if (dict_size > count) {
    return r->Error("dictionary of " + std::to_string(dict_size) + " strings for " +
                    std::to_string(count) + " events");
  }
  uint64_t len_base = 0;
  LASER_RETURN_IF_ERROR(r->Varint(&len_base));
  int len_width = 0;
  LASER_RETURN_IF_ERROR(r->Width(64, &len_width));
  const uint8_t* packed_lens = nullptr;
  const size_t lens_bytes = PackedBytes(dict_size, len_width);
  LASER_RETURN_IF_ERROR(r->Take(lens_bytes, &packed_lens));
  std::vector<uint64_t>& lens = ThreadScratch().u64;
  lens.resize(dict_size);
  UnpackBits(packed_lens, lens_bytes, 0, dict_size, len_base, len_width, lens.data());
  // Lengths become offsets; every string must lie within the chunk.
  uint64_t total = 0;
  for (uint64_t& len : lens) {
    if (len > r->remaining() - total) return r->Error("dictionary strings overrun the chunk");
    const uint64_t off = total;
    total += len;
    len = off;
  }
  const uint8_t* text = nullptr;
  LASER_RETURN_IF_ERROR(r->Take(total, &text));
  int code_width = 0;
  LASER_RETURN_IF_ERROR(r->Width(32, &code_width));
  const uint8_t* packed_codes = nullptr;
  const size_t codes_bytes = PackedBytes(count, code_width);
  LASER_RETURN_IF_ERROR(r->Take(codes_bytes, &packed_codes));
  LASER_RETURN_IF_ERROR(r->ExpectEnd());

  const size_t n = count - row_begin;
  std::vector<uint32_t>& codes = ThreadScratch().u32;
  codes.resize(n);
  UnpackBits(packed_codes, codes_bytes, row_begin, n, 0, code_width, codes.data());
  const bool has_nulls = AppendNulls(nr, row_begin, count, old_rows, c);
  const uint8_t* flags = has_nulls ? c->nulls.data() + old_rows : nullptr;
  for (size_t i = 0; i < n; ++i) {
    if (codes[i] >= dict_size && (flags == nullptr || flags[i] == 0)) {
      return r->Error("string code " + std::to_string(codes[i]) + " outside a dictionary of " +
                      std::to_string(dict_size));
    }
  }
  c->strings.reserve(old_rows + n);
  auto text_at = [&](uint32_t code) {
    const uint64_t off = lens[code];
    const uint64_t end = code + 1 < dict_size ? lens[code + 1] : total;
    return std::string_view(reinterpret_cast<const char*>(text) + off, end - off);
  };
  for (size_t i = 0; i < n; ++i) {
    if (flags != nullptr && flags[i] != 0) {
      c->strings.emplace_back();
    } else {
      c->strings.emplace_back(text_at(codes[i]));
    }
  }
  return Status::OK();
}

Status FillDefault(const Column& col, size_t n, ColumnVector* c) {
  const size_t old_rows = c->size();
  const Value& d = col.default_value;
  if (n == 0) return Status::OK();
  if (d.is_null()) {
    c->nulls.resize(old_rows, 0);
    c->nulls.resize(old_rows + n, 1);
  } else if (!c->nulls.empty()) {
    c->nulls.resize(old_rows + n, 0);
  }
  const auto bad = [&] {
    return Status::InvalidArgument("default value " + d.ToString() + " of " + ColumnName(col) +
                                   " is not of type " + TypeName(col.type));
  };
  switch (LaneOf(col.type)) {
    case Lane::kInt: {
      const auto* v = std::get_if<int64_t>(&d.v);
      if (v == nullptr && !d.is_null()) return bad();
      c->ints.resize(old_rows + n, v ? *v : 0);
      break;
    }
    case Lane::kUInt: {
      const auto* v = std::get_if<uint64_t>(&d.v);
      if (v == nullptr && !d.is_null()) return bad();
      c->uints.resize(old_rows + n, v ? *v : 0);
      break;
    }
    case Lane::kFloat: {
      const auto* v = std::get_if<double>(&d.v);
      if (v == nullptr && !d.is_null()) return bad();
      c->floats.resize(old_rows + n, v ? *v : 0.0);
      break;
    }
    case Lane::kString: {
      const auto* v = std::get_if<std::string>(&d.v);
      if (v == nullptr && !d.is_null()) return bad();
      c->strings.resize(old_rows + n, v ? *v : std::string());
      break;
    }
  }
  return Status::OK();
}

Status DecodeColumn(const TableSchema& schema, int ci, std::span<const uint8_t> block,
                    const BlockInfo& info, const ChunkLoc& loc, uint32_t row_begin,
                    ColumnVector* c) {
  const Column& col = schema.columns[ci];
  const size_t old_rows = c->size();
  const size_t n = info.count - row_begin;
  if (ci >= static_cast<int>(info.num_columns)) return FillDefault(col, n, c);
  if (ci == static_cast<int>(schema.partition_key)) {
    c->uints.resize(old_rows + n, info.user);
    if (!c->nulls.empty()) c->nulls.resize(old_rows + n, 0);
    return Status::OK();
  }
  const uint8_t* data = block.data() + loc.offset;
  size_t len = loc.stored_len;
  if (loc.compressed) {
    uint8_t* buf = ThreadScratch().Bytes(loc.raw_len);
    const int got =
        LZ4_decompress_safe(reinterpret_cast<const char*>(data), reinterpret_cast<char*>(buf),
                            static_cast<int>(loc.stored_len), static_cast<int>(loc.raw_len));
    if (got < 0 || static_cast<size_t>(got) != loc.raw_len) {
      return Corrupt(loc.offset, ColumnName(col) + ": LZ4 chunk does not decompress to " +
                                     std::to_string(loc.raw_len) + " bytes");
    }
    data = buf;
    len = loc.raw_len;
  }
  ChunkReader r(data, len, loc.offset, loc.compressed, col);
  if (ci == static_cast<int>(schema.order_key)) {
    return DecodeOrderKey(&r, info, row_begin, old_rows, c);
  }
  switch (LaneOf(col.type)) {
    case Lane::kInt:
      return DecodeIntegers(&r, col, info.count, row_begin, old_rows, c, &c->ints);
    case Lane::kUInt:
      return DecodeIntegers(&r, col, info.count, row_begin, old_rows, c, &c->uints);
    case Lane::kFloat:
      return DecodeFloats(&r, col, info.count, row_begin, old_rows, c);
    case Lane::kString:
      return DecodeStrings(&r, col, info.count, row_begin, old_rows, c);
  }
  return Status::OK();
}

// The block's size against its header and, if `checksum`, its checksum.
Status CheckExtent(std::span<const uint8_t> block, const BlockInfo& info, bool checksum) {
  if (block.size() != info.stored_bytes) {
    return Corrupt(std::min<size_t>(block.size(), info.stored_bytes),
                   "block is " + std::to_string(block.size()) + " bytes, its header says " +
                       std::to_string(info.stored_bytes));
  }
  const size_t body_end = block.size() - kBlockTrailerSize;
  if (checksum && XXH3_64bits(block.data(), body_end) != LoadFixed64(block.data() + body_end)) {
    return Corrupt(body_end, "checksum mismatch");
  }
  return Status::OK();
}

// Verifies everything but the chunks' contents and locates the chunks.
Status OpenBlock(const TableSchema& schema, std::span<const uint8_t> block, bool verify_checksum,
                 BlockInfo* info, std::vector<ChunkLoc>* locs) {
  LASER_ASSIGN_OR_RETURN(*info, ParseHeader(block));
  LASER_RETURN_IF_ERROR(CheckExtent(block, *info, verify_checksum));
  const size_t body_end = block.size() - kBlockTrailerSize;
  if (info->num_columns > schema.columns.size()) {
    return Corrupt(kOffNumColumns, "block has " + std::to_string(info->num_columns) +
                                       " columns, table '" + schema.name + "' only " +
                                       std::to_string(schema.columns.size()));
  }
  if (schema.partition_key >= info->num_columns || schema.order_key >= info->num_columns) {
    return Corrupt(kOffNumColumns,
                   "block of " + std::to_string(info->num_columns) + " columns lacks a key column");
  }
  locs->resize(info->num_columns);
  const uint8_t* const base = block.data();
  const uint8_t* p = base + kBlockHeaderSize;
  const uint8_t* const end = base + body_end;
  for (uint32_t i = 0; i < info->num_columns; ++i) {
    const size_t entry_at = static_cast<size_t>(p - base);
    uint64_t v = 0;
    if (!GetVarint64(&p, end, &v)) {
      return Corrupt(entry_at, "bad directory entry of column " + std::to_string(i));
    }
    ChunkLoc& loc = (*locs)[i];
    loc.compressed = (v & 1) != 0;
    loc.stored_len = v >> 1;
    if (loc.stored_len > body_end) {
      return Corrupt(entry_at, "column " + std::to_string(i) + " chunk length " +
                                   std::to_string(loc.stored_len) + " exceeds the block");
    }
    loc.raw_len = loc.stored_len;
    if (loc.compressed) {
      uint64_t raw = 0;
      if (!GetVarint64(&p, end, &raw)) {
        return Corrupt(entry_at, "bad directory entry of column " + std::to_string(i));
      }
      // LZ4 expands at most ~255x; a larger claim is corrupt, not a reason to allocate.
      if (raw == 0 || raw > static_cast<uint64_t>(LZ4_MAX_INPUT_SIZE) ||
          raw > 255 * loc.stored_len + 16) {
        return Corrupt(entry_at, "column " + std::to_string(i) + " decompressed length " +
                                     std::to_string(raw) + " is impossible");
      }
      loc.raw_len = raw;
    }
    const bool is_pk = i == schema.partition_key;
    if (is_pk != (loc.stored_len == 0)) {
      return Corrupt(entry_at, is_pk ? "the partition key column has a chunk"
                                     : "column " + std::to_string(i) + " has an empty chunk");
    }
  }
  size_t offset = static_cast<size_t>(p - base);
  for (uint32_t i = 0; i < info->num_columns; ++i) {
    ChunkLoc& loc = (*locs)[i];
    if (loc.stored_len > body_end - offset) {
      return Corrupt(offset, "column " + std::to_string(i) + " chunk overruns the block");
    }
    loc.offset = offset;
    offset += loc.stored_len;
  }
  if (offset != body_end) {
    return Corrupt(offset, std::to_string(body_end - offset) + " stray bytes after the columns");
  }
  return Status::OK();
}

}  // namespace

Status EncodeBlock(const TableSchema& schema, uint64_t user, const Batch& events, size_t begin,
                   size_t end, std::string* out) {
  if (!(begin < end && end <= events.num_rows())) {
    return Status::InvalidArgument("EncodeBlock: bad row range [" + std::to_string(begin) + ", " +
                                   std::to_string(end) + ") of " +
                                   std::to_string(events.num_rows()) + " rows");
  }
  if (end - begin > kMaxBlockEvents) {
    return Status::InvalidArgument("EncodeBlock: " + std::to_string(end - begin) +
                                   " events exceed the block limit of " +
                                   std::to_string(kMaxBlockEvents));
  }
  if (events.num_columns() != schema.columns.size()) {
    return Status::InvalidArgument("EncodeBlock: batch has " +
                                   std::to_string(events.num_columns()) + " columns, table '" +
                                   schema.name + "' has " + std::to_string(schema.columns.size()));
  }
  LASER_RETURN_IF_ERROR(events.Validate());
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    if (events.columns[i].type != schema.columns[i].type) {
      return Status::InvalidArgument("EncodeBlock: " + ColumnName(schema.columns[i]) + " is " +
                                     TypeName(schema.columns[i].type) + ", the batch holds " +
                                     TypeName(events.columns[i].type));
    }
  }
  const Rows rows{begin, end - begin};
  const ColumnVector& pk = events.columns[schema.partition_key];
  const Column& pk_col = schema.columns[schema.partition_key];
  if (const size_t row = FirstNull(pk, rows); row != SIZE_MAX) {
    return Status::InvalidArgument(ColumnName(pk_col) + " row " + std::to_string(row) +
                                   ": NULL partition key");
  }
  for (size_t i = begin; i < end; ++i) {
    if (pk.uints[i] != user) {
      return Status::InvalidArgument(ColumnName(pk_col) + " row " + std::to_string(i) + ": user " +
                                     std::to_string(pk.uints[i]) + " in a block of user " +
                                     std::to_string(user));
    }
  }

  Scratch& s = ThreadScratch();
  s.body.clear();
  s.dir.clear();
  bool patched = false;
  for (size_t ci = 0; ci < schema.columns.size(); ++ci) {
    if (ci == schema.partition_key) {
      PutVarint64(&s.dir, 0);
      continue;
    }
    s.raw.clear();
    LASER_RETURN_IF_ERROR(EncodeColumn(schema, ci, events.columns[ci], rows, &s.raw, &patched));
    AppendChunk(s.raw, &s.packed, &s.body, &s.dir);
  }

  const uint64_t size = kBlockHeaderSize + s.dir.size() + s.body.size() + kBlockTrailerSize;
  if (size > kMaxBlockBytes) {
    return Status::InvalidArgument("EncodeBlock: block of " + std::to_string(size) +
                                   " bytes exceeds the 4 GiB limit");
  }
  const std::vector<int64_t>& keys = events.columns[schema.order_key].ints;
  const size_t start = out->size();
  out->reserve(start + size);
  PutFixed32(out, kMagic);
  out->push_back(static_cast<char>(patched ? kVersionPatched : kVersion));
  out->push_back(0);  // flags
  out->append(2, '\0');
  PutFixed32(out, static_cast<uint32_t>(size));
  PutFixed32(out, static_cast<uint32_t>(rows.n));
  PutFixed64(out, user);
  PutFixed64(out, static_cast<uint64_t>(keys[begin]));
  PutFixed64(out, static_cast<uint64_t>(keys[end - 1]));
  PutFixed32(out, static_cast<uint32_t>(schema.columns.size()));
  auto* header = reinterpret_cast<const uint8_t*>(out->data()) + start;
  PutFixed32(out, HeaderCheck(header));
  out->append(s.dir);
  out->append(s.body);
  PutFixed64(out, XXH3_64bits(out->data() + start, size - kBlockTrailerSize));
  assert(out->size() - start == size);
  return Status::OK();
}

Result<BlockInfo> ReadBlockInfo(std::span<const uint8_t> block) { return ParseHeader(block); }

Status VerifyBlockChecksum(std::span<const uint8_t> block) {
  LASER_ASSIGN_OR_RETURN(BlockInfo info, ParseHeader(block));
  return CheckExtent(block, info, true);
}

Status DecodeBlockInto(const TableSchema& schema, std::span<const uint8_t> block,
                       std::span<const int> projection, uint32_t row_begin, Batch* out,
                       bool verify_checksum) {
  for (int ci : projection) {
    if (ci < 0 || static_cast<size_t>(ci) >= schema.columns.size()) {
      return Status::InvalidArgument("DecodeBlock: projected column " + std::to_string(ci) +
                                     " is not in table '" + schema.name + "'");
    }
  }
  if (out->num_columns() == 0) {
    for (int ci : projection) out->AddColumn(schema.columns[ci].name, schema.columns[ci].type);
  } else if (out->num_columns() != projection.size()) {
    return Status::InvalidArgument("DecodeBlock: output batch has " +
                                   std::to_string(out->num_columns()) + " columns, projection " +
                                   std::to_string(projection.size()));
  } else {
    for (size_t j = 0; j < projection.size(); ++j) {
      if (out->columns[j].type != schema.columns[projection[j]].type) {
        return Status::InvalidArgument("DecodeBlock: output column " + std::to_string(j) +
                                       " is not of the type of " +
                                       ColumnName(schema.columns[projection[j]]));
      }
    }
  }

  BlockInfo info;
  thread_local std::vector<ChunkLoc> locs;
  LASER_RETURN_IF_ERROR(OpenBlock(schema, block, verify_checksum, &info, &locs));
  if (row_begin > info.count) {
    return Status::InvalidArgument("DecodeBlock: row_begin " + std::to_string(row_begin) +
                                   " is past the block's " + std::to_string(info.count) +
                                   " events");
  }
  // Every projected chunk's bytes from the first wanted row on, requested
  // before the first column is decoded, so that the columns' cache misses
  // overlap instead of coming column after column. Where the row starts is
  // estimated (evenly spread rows); a hint only.
  for (int ci : projection) {
    if (static_cast<size_t>(ci) >= locs.size()) continue;
    const ChunkLoc& l = locs[ci];
    const size_t skip = l.compressed ? 0 : l.stored_len * row_begin / info.count;
    for (size_t off = skip & ~size_t{63}; off < l.stored_len; off += 64) {
      __builtin_prefetch(block.data() + l.offset + off);
    }
  }
  const size_t old_rows = out->num_rows();
  for (size_t j = 0; j < projection.size(); ++j) {
    const int ci = projection[j];
    const ChunkLoc loc = static_cast<size_t>(ci) < locs.size() ? locs[ci] : ChunkLoc{};
    Status st = DecodeColumn(schema, ci, block, info, loc, row_begin, &out->columns[j]);
    if (!st.ok()) {
      // Leave *out as it was: every column back to its previous rows.
      for (ColumnVector& c : out->columns) {
        if (c.nulls.size() > old_rows) c.nulls.resize(old_rows);
        bool all_valid = true;
        for (uint8_t f : c.nulls) all_valid &= f == 0;
        if (all_valid) c.nulls.clear();
        c.ints.resize(std::min(c.ints.size(), old_rows));
        c.uints.resize(std::min(c.uints.size(), old_rows));
        c.floats.resize(std::min(c.floats.size(), old_rows));
        c.strings.resize(std::min(c.strings.size(), old_rows));
      }
      return st;
    }
  }
  return Status::OK();
}

Result<Batch> DecodeBlock(const TableSchema& schema, std::span<const uint8_t> block,
                          std::span<const int> projection, uint32_t row_begin) {
  Batch out;
  LASER_RETURN_IF_ERROR(DecodeBlockInto(schema, block, projection, row_begin, &out));
  return out;
}

void ResealBlock(std::span<uint8_t> block) {
  assert(block.size() >= kBlockHeaderSize + kBlockTrailerSize);
  StoreFixed32(block.data() + kHeaderCheckOffset, HeaderCheck(block.data()));
  const size_t body_end = block.size() - kBlockTrailerSize;
  StoreFixed64(block.data() + body_end, XXH3_64bits(block.data(), body_end));
}

}  // namespace laser::format
