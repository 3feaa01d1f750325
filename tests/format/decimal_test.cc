// The decimal float encoding (block chunk encoding 6): F32/F64 values stored
// as integers k with v = k / 10^e, bit-packed, with raw exceptions.
#include <doctest/doctest.h>
#include <lz4.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numbers>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "engine/format/block.hpp"
#include "engine/format/coding.hpp"

namespace laser::format {
namespace {

constexpr uint64_t kUser = 7;
constexpr uint8_t kEncF32 = 3;
constexpr uint8_t kEncF64 = 4;
constexpr uint8_t kEncDecimal = 6;

std::span<const uint8_t> Span(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// (user, ts, x): x of type t.
TableSchema FloatSchema(Type t, bool nullable = true) {
  TableSchema s;
  s.name = "floats";
  s.columns.resize(3);
  s.columns[0].name = "user_id";
  s.columns[0].type = Type::kU64;
  s.columns[0].nullable = false;
  s.columns[1].name = "ts";
  s.columns[1].type = Type::kTimestamp;
  s.columns[1].nullable = false;
  s.columns[2].name = "x";
  s.columns[2].type = t;
  s.columns[2].nullable = nullable;
  REQUIRE(s.Validate().ok());
  return s;
}

// A batch of FloatSchema with x = values, NULL where `nulls` (if given) says.
Batch FloatBatch(Type t, const std::vector<double>& values, const std::vector<bool>& nulls = {}) {
  Batch b;
  b.AddColumn("user_id", Type::kU64);
  b.AddColumn("ts", Type::kTimestamp);
  b.AddColumn("x", t);
  for (size_t i = 0; i < values.size(); ++i) {
    b.columns[0].Append(Value::UInt(kUser));
    b.columns[1].Append(Value::Int(static_cast<int64_t>(1000 + 7 * i)));
    b.columns[2].Append(!nulls.empty() && nulls[i] ? Value::Null() : Value::Float(values[i]));
  }
  return b;
}

std::string Encode(const TableSchema& s, const Batch& b) {
  std::string out;
  const Status st = EncodeBlock(s, kUser, b, 0, b.num_rows(), &out);
  REQUIRE_MESSAGE(st.ok(), st.ToString());
  return out;
}

// Where one column's chunk lies in a block (parsed from its directory).
struct Chunk {
  size_t offset = 0;
  size_t len = 0;
  bool compressed = false;
};

Chunk LocateChunk(const std::string& block, size_t column) {
  Result<BlockInfo> info = ReadBlockInfo(Span(block));
  REQUIRE(info.ok());
  const uint8_t* p = Span(block).data() + kBlockHeaderSize;
  const uint8_t* end = Span(block).data() + block.size();
  std::vector<Chunk> chunks(info->num_columns);
  for (Chunk& c : chunks) {
    uint64_t v = 0;
    REQUIRE(GetVarint64(&p, end, &v));
    c.len = v >> 1;
    c.compressed = (v & 1) != 0;
    if (c.compressed) REQUIRE(GetVarint64(&p, end, &v));
  }
  size_t offset = static_cast<size_t>(p - Span(block).data());
  for (Chunk& c : chunks) {
    c.offset = offset;
    offset += c.len;
  }
  return chunks.at(column);
}

// Column 2's chunk, decompressed if it is compressed.
std::string ChunkOfX(const std::string& block) {
  const Chunk c = LocateChunk(block, 2);
  if (!c.compressed) return block.substr(c.offset, c.len);
  std::string raw(1 << 20, '\0');
  const int n = LZ4_decompress_safe(block.data() + c.offset, raw.data(), static_cast<int>(c.len),
                                    static_cast<int>(raw.size()));
  REQUIRE(n > 0);
  raw.resize(static_cast<size_t>(n));
  return raw;
}

// The encoding of column 2's chunk, NULL flag masked.
uint8_t EncodingOfX(const std::string& block) {
  return static_cast<uint8_t>(ChunkOfX(block).at(0)) & 0x7f;
}

// Bytes that column 2 adds to the block: its chunk and its directory entry.
size_t BytesOfX(const std::string& block) {
  const Chunk c = LocateChunk(block, 2);
  return c.len + VarintLength(c.len << 1);
}

// The stored bits of a value of a column of type t: F32 values compare as
// floats (what the block holds), F64 as doubles.
uint64_t Bits(Type t, double v) {
  if (t == Type::kF32) {
    const float f = static_cast<float>(v);
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
  }
  uint64_t u;
  std::memcpy(&u, &v, 8);
  return u;
}

// Decodes x from row_begin and checks it against `want` bit for bit, NULLs
// included (a NULL reads as 0.0).
void CheckX(const TableSchema& s, const std::string& block, const Batch& want,
            uint32_t row_begin = 0) {
  const std::vector<int> proj = {2};
  Result<Batch> got = DecodeBlock(s, Span(block), proj, row_begin);
  REQUIRE_MESSAGE(got.ok(), got.status().ToString());
  REQUIRE(got->Validate().ok());
  const ColumnVector& g = got->columns[0];
  const ColumnVector& w = want.columns[2];
  REQUIRE(g.size() == w.size() - row_begin);
  bool any_null = false;
  for (size_t i = row_begin; i < w.size(); ++i) {
    INFO("row " << i << " of " << w.size() << ", row_begin " << row_begin);
    const size_t j = i - row_begin;
    REQUIRE(g.IsNull(j) == w.IsNull(i));
    any_null |= w.IsNull(i);
    if (w.IsNull(i)) {
      CHECK(Bits(Type::kF64, g.floats[j]) == 0);
    } else {
      REQUIRE(Bits(s.columns[2].type, g.floats[j]) == Bits(s.columns[2].type, w.floats[i]));
      if (s.columns[2].type == Type::kF32) {
        // The lane holds exactly the float, widened.
        CHECK(Bits(Type::kF64, g.floats[j]) == Bits(Type::kF64, static_cast<float>(w.floats[i])));
      }
    }
  }
  CHECK(g.nulls.empty() == !any_null);
}

void CheckRoundTrip(const TableSchema& s, const std::string& block, const Batch& want) {
  const uint32_t n = static_cast<uint32_t>(want.num_rows());
  for (uint32_t rb : {0u, 1u, n / 3, n / 2 + 1, n - 1, n}) CheckX(s, block, want, rb);
}

// n values k / 10^digits, k uniform in [lo, hi].
std::vector<double> Decimals(size_t n, int64_t lo, int64_t hi, int digits, Type t, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> k(lo, hi);
  std::vector<double> v(n);
  for (double& x : v) {
    const double d = static_cast<double>(k(rng)) / std::pow(10.0, digits);
    x = t == Type::kF32 ? static_cast<double>(static_cast<float>(d)) : d;
  }
  return v;
}

TEST_CASE("millisecond F32 values take about 2 bytes per event and round-trip") {
  const TableSchema s = FloatSchema(Type::kF32, false);
  const size_t n = 1000;
  // Dwell seconds with ms precision: every value k / 1000 for k < 60000.
  const Batch b = FloatBatch(Type::kF32, Decimals(n, 0, 59999, 3, Type::kF32, 1));
  const std::string block = Encode(s, b);
  CHECK(EncodingOfX(block) == kEncDecimal);
  // 16 bits per value plus a few header bytes, against 4 bytes raw.
  const double per_event = static_cast<double>(BytesOfX(block)) / n;
  MESSAGE("ms-precision F32: " << per_event << " bytes/event (raw 4)");
  CHECK(per_event <= 2.2);
  CheckRoundTrip(s, block, b);
}

TEST_CASE("F64 values with a few decimals, negative ones included") {
  const TableSchema s = FloatSchema(Type::kF64);
  const size_t n = 700;
  // Prices in cents, -5000.00 .. 5000.00: 20 bits of information.
  const Batch b = FloatBatch(Type::kF64, Decimals(n, -500000, 500000, 2, Type::kF64, 2));
  const std::string block = Encode(s, b);
  CHECK(EncodingOfX(block) == kEncDecimal);
  CHECK(BytesOfX(block) <= n * 20 / 8 + 16);
  CheckRoundTrip(s, block, b);
  // Six decimals near 1: still far below raw.
  const Batch c = FloatBatch(Type::kF64, Decimals(n, 0, 2'000'000, 6, Type::kF64, 3));
  const std::string block_c = Encode(s, c);
  CHECK(EncodingOfX(block_c) == kEncDecimal);
  CHECK(BytesOfX(block_c) <= n * 21 / 8 + 16);
  CheckRoundTrip(s, block_c, c);
}

TEST_CASE("integers stored as floats need exponent 0") {
  for (Type t : {Type::kF32, Type::kF64}) {
    INFO(TypeName(t));
    const TableSchema s = FloatSchema(t);
    std::vector<double> v = Decimals(300, -1000, 1000, 0, t, 4);
    if (t == Type::kF64) v[17] = 1e15;  // a wide but exact integer
    const Batch b = FloatBatch(t, v);
    const std::string block = Encode(s, b);
    REQUIRE(EncodingOfX(block) == kEncDecimal);
    CHECK(ChunkOfX(block).at(1) == 0);  // e
    CheckRoundTrip(s, block, b);
  }
  // At and across the edges of 32-bit integers (decoded two ways), in
  // lengths that leave a tail after groups of four.
  const TableSchema s64 = FloatSchema(Type::kF64);
  const double lo32 = -2147483648.0, hi32 = 2147483647.0;
  for (const std::vector<double>& edge : std::vector<std::vector<double>>{
           {lo32, hi32}, {hi32, hi32 + 1}, {lo32 - 1, 0}, {lo32, lo32 + 3}, {hi32 - 5, hi32}}) {
    for (size_t n : {1, 2, 5, 38}) {
      std::vector<double> v(n);
      for (size_t i = 0; i < n; ++i) v[i] = edge[i % 2];
      const Batch b = FloatBatch(Type::kF64, v);
      const std::string block = Encode(s64, b);
      if (n == 38) REQUIRE(EncodingOfX(block) == kEncDecimal);
      CheckRoundTrip(s64, block, b);
    }
  }
  // A constant column: width 0, a handful of bytes whatever the count.
  const TableSchema s = FloatSchema(Type::kF32);
  const Batch b = FloatBatch(Type::kF32, std::vector<double>(5000, 2.5));
  const std::string block = Encode(s, b);
  CHECK(EncodingOfX(block) == kEncDecimal);
  CHECK(BytesOfX(block) <= 8);
  CheckRoundTrip(s, block, b);
}

// Values with no decimal form: each must come back bit for bit.
std::vector<double> Specials(Type t) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> v = {std::numeric_limits<double>::quiet_NaN(), inf, -inf, -0.0};
  if (t == Type::kF32) {
    v.push_back(std::numeric_limits<float>::denorm_min());
    v.push_back(std::numeric_limits<float>::max());
    v.push_back(std::numbers::pi_v<float>);
  } else {
    v.push_back(std::numeric_limits<double>::denorm_min());
    v.push_back(std::numeric_limits<double>::max());
    v.push_back(std::numbers::pi);
    v.push_back(1e300);
  }
  return v;
}

TEST_CASE("NaN, infinities, -0.0 and long fractions are exceptions or force raw") {
  for (Type t : {Type::kF32, Type::kF64}) {
    INFO(TypeName(t));
    const TableSchema s = FloatSchema(t);
    const std::vector<double> specials = Specials(t);
    // A few specials among many decimals: exceptions in a decimal chunk.
    std::vector<double> v = Decimals(400, -99999, 99999, 3, t, 5);
    for (size_t i = 0; i < specials.size(); ++i) v[i * 53 + (i % 2)] = specials[i];
    v.back() = specials[0];
    const Batch b = FloatBatch(t, v);
    const std::string block = Encode(s, b);
    CHECK(EncodingOfX(block) == kEncDecimal);
    CHECK(BytesOfX(block) < 400 * 3);
    CheckRoundTrip(s, block, b);
    // Specials only: no decimal form at all, stored raw.
    std::vector<double> only;
    for (int r = 0; r < 20; ++r) only.insert(only.end(), specials.begin(), specials.end());
    const Batch c = FloatBatch(t, only);
    const std::string block_c = Encode(s, c);
    CHECK(EncodingOfX(block_c) == (t == Type::kF32 ? kEncF32 : kEncF64));
    CheckRoundTrip(s, block_c, c);
    // One special in a tiny block: exceptions do not pay there, raw again.
    const Batch d = FloatBatch(t, {0.5, -0.0, 1.25});
    const std::string block_d = Encode(s, d);
    CHECK(EncodingOfX(block_d) == (t == Type::kF32 ? kEncF32 : kEncF64));
    CheckRoundTrip(s, block_d, d);
  }
  // A F32 NaN payload survives as an exception like in a raw chunk.
  const TableSchema s = FloatSchema(Type::kF32);
  std::vector<double> v = Decimals(100, 0, 100, 1, Type::kF32, 6);
  uint32_t nan_bits = 0x7fc01234;
  float nan;
  std::memcpy(&nan, &nan_bits, 4);
  v[50] = nan;
  const Batch b = FloatBatch(Type::kF32, v);
  const std::string block = Encode(s, b);
  CHECK(EncodingOfX(block) == kEncDecimal);
  CheckRoundTrip(s, block, b);
}

TEST_CASE("NULLs in a decimal column") {
  for (Type t : {Type::kF32, Type::kF64}) {
    INFO(TypeName(t));
    const TableSchema s = FloatSchema(t);
    std::mt19937_64 rng(7);
    const size_t n = 333;
    std::vector<double> v = Decimals(n, 0, 9999, 2, t, 8);
    std::vector<bool> nulls(n);
    for (size_t i = 0; i < n; ++i) nulls[i] = rng() % 10 < 3;
    v[4] = std::numeric_limits<double>::quiet_NaN();
    nulls[4] = false;
    v[5] = -0.0;
    nulls[5] = false;
    const Batch b = FloatBatch(t, v, nulls);
    const std::string block = Encode(s, b);
    CHECK(EncodingOfX(block) == kEncDecimal);
    CHECK((static_cast<uint8_t>(ChunkOfX(block).at(0)) & 0x80) != 0);
    CheckRoundTrip(s, block, b);
    // All NULL.
    const Batch c = FloatBatch(t, std::vector<double>(40, 1.5), std::vector<bool>(40, true));
    const std::string block_c = Encode(s, c);
    CHECK(EncodingOfX(block_c) == kEncDecimal);
    CheckRoundTrip(s, block_c, c);
  }
}

TEST_CASE("random floats stay raw") {
  for (Type t : {Type::kF32, Type::kF64}) {
    INFO(TypeName(t));
    const TableSchema s = FloatSchema(t);
    std::mt19937_64 rng(9);
    std::uniform_real_distribution<double> unit(0, 1);
    std::vector<double> v(500);
    for (double& x : v) x = t == Type::kF32 ? static_cast<float>(unit(rng) * 100) : unit(rng);
    const Batch b = FloatBatch(t, v);
    const std::string block = Encode(s, b);
    CHECK(EncodingOfX(block) == (t == Type::kF32 ? kEncF32 : kEncF64));
    CHECK(BytesOfX(block) >= 500 * (t == Type::kF32 ? 4 : 8));
    CheckRoundTrip(s, block, b);
  }
}

// ---------------------------------------------------------------------------
// Hand-made blocks: the byte layout of docs/format/block.md, and corruption.

// A block of FloatSchema(any type) with `count` events, all of order key 0,
// whose x chunk is exactly `chunk` (stored uncompressed).
std::string ForgeBlock(uint32_t count, const std::string& chunk) {
  std::string b;
  PutFixed32(&b, 0x4b42534c);
  b.push_back(1);  // version
  b.append(3, '\0');
  PutFixed32(&b, 0);  // block size, set below
  PutFixed32(&b, count);
  PutFixed64(&b, kUser);
  PutFixed64(&b, 0);  // first key
  PutFixed64(&b, 0);  // last key
  PutFixed32(&b, 3);
  PutFixed32(&b, 0);                                      // header check, set by ResealBlock
  const std::string ts = std::string("\x02\x00\x00", 3);  // delta: every key equal
  PutVarint64(&b, 0);
  PutVarint64(&b, ts.size() << 1);
  PutVarint64(&b, chunk.size() << 1);
  b += ts;
  b += chunk;
  PutFixed64(&b, 0);
  StoreFixed32(reinterpret_cast<uint8_t*>(b.data()) + 8, static_cast<uint32_t>(b.size()));
  ResealBlock({reinterpret_cast<uint8_t*>(b.data()), b.size()});
  return b;
}

// A decimal chunk from its fields, as the format describes them.
std::string DecimalChunk(uint8_t encoding_byte, const std::string& bitmap, uint8_t e, int64_t base,
                         uint8_t width, const std::vector<uint64_t>& deltas,
                         const std::vector<uint64_t>& positions, int pos_width,
                         const std::string& exceptions) {
  std::string c(1, static_cast<char>(encoding_byte));
  c += bitmap;
  c.push_back(static_cast<char>(e));
  PutVarint64(&c, ZigZagEncode(base));
  c.push_back(static_cast<char>(width));
  PackBits(deltas.data(), deltas.size(), 0, width, &c);
  PutVarint64(&c, positions.size());
  PackBits(positions.data(), positions.size(), 0, pos_width, &c);
  c += exceptions;
  return c;
}

std::string RawF32(float f) { return std::string(reinterpret_cast<const char*>(&f), 4); }

Result<Batch> DecodeX(Type t, const std::string& block, uint32_t row_begin = 0) {
  const std::vector<int> proj = {2};
  return DecodeBlock(FloatSchema(t), Span(block), proj, row_begin);
}

void CheckCorrupt(Type t, const std::string& block, const std::string& what) {
  for (uint32_t rb : {0u, 1u}) {
    Result<Batch> r = DecodeX(t, block, rb);
    REQUIRE(!r.ok());
    CHECK(r.status().IsCorruption());
    CHECK_MESSAGE(r.status().message().rfind("block offset ", 0) == 0, r.status().message());
    CHECK_MESSAGE(r.status().message().find(what) != std::string::npos, r.status().message());
  }
}

TEST_CASE("a hand-made decimal chunk decodes as the format says, and is what writers write") {
  // Eight F32 events: 1.25, NULL, -0.5, NaN (an exception), 0.75 x 4; e = 2,
  // base -50, so the packed integers are k + 50.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::string chunk = DecimalChunk(kEncDecimal | 0x80, std::string(1, 0x02), 2, -50, 8,
                                         {175, 0, 0, 0, 125, 125, 125, 125}, {3}, 3, RawF32(nan));
  const std::string block = ForgeBlock(8, chunk);
  Result<Batch> r = DecodeX(Type::kF32, block);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  const ColumnVector& x = r->columns[0];
  REQUIRE(x.size() == 8);
  CHECK(x.floats[0] == 1.25);
  CHECK(x.IsNull(1));
  CHECK(x.floats[1] == 0.0);
  CHECK(x.floats[2] == -0.5);
  CHECK(std::isnan(x.floats[3]));
  for (size_t i = 4; i < 8; ++i) CHECK(x.floats[i] == 0.75);
  // From row 4 on: no NULL left.
  r = DecodeX(Type::kF32, block, 4);
  REQUIRE(r.ok());
  REQUIRE(r->columns[0].size() == 4);
  CHECK(r->columns[0].floats[0] == 0.75);
  CHECK(r->columns[0].nulls.empty());
  // EncodeBlock writes this very chunk for those values.
  const TableSchema s = FloatSchema(Type::kF32);
  const Batch b = FloatBatch(Type::kF32, {1.25, 0, -0.5, nan, 0.75, 0.75, 0.75, 0.75},
                             {false, true, false, false, false, false, false, false});
  CHECK(ChunkOfX(Encode(s, b)) == chunk);
}

TEST_CASE("corrupt decimal chunks are Corruption, never a crash") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto chunk = [&](uint8_t e, uint8_t width, std::vector<uint64_t> pos, std::string exc) {
    return DecimalChunk(kEncDecimal, "", e, 0, width, {1, 2, 3, 4}, pos, 2, exc);
  };
  // The valid reference.
  REQUIRE(DecodeX(Type::kF32, ForgeBlock(4, chunk(1, 3, {2}, RawF32(nan)))).ok());
  REQUIRE(DecodeX(Type::kF64, ForgeBlock(4, chunk(18, 3, {}, ""))).ok());
  SUBCASE("exponent out of range") {
    CheckCorrupt(Type::kF32, ForgeBlock(4, chunk(11, 3, {}, "")), "decimal exponent 11 exceeds 10");
    CheckCorrupt(Type::kF64, ForgeBlock(4, chunk(19, 3, {}, "")), "decimal exponent 19 exceeds 18");
    CheckCorrupt(Type::kF64, ForgeBlock(4, chunk(255, 3, {}, "")), "exceeds 18");
  }
  SUBCASE("bit width out of range") {
    std::string c = chunk(1, 3, {}, "");
    c[3] = 65;  // encoding, e, base 0, width
    CheckCorrupt(Type::kF32, ForgeBlock(4, c), "bit width 65 exceeds 64");
  }
  SUBCASE("exception rows out of order, repeated, past the end, at a NULL") {
    const std::string two = RawF32(nan) + RawF32(nan);
    CheckCorrupt(Type::kF32, ForgeBlock(4, chunk(1, 3, {2, 1}, two)), "not increasing");
    CheckCorrupt(Type::kF32, ForgeBlock(4, chunk(1, 3, {2, 2}, two)), "not increasing");
    // Position 3 fits the width but 5 events of width 3 allow 4 to 7.
    std::string c = DecimalChunk(kEncDecimal, "", 1, 0, 3, {1, 2, 3, 4, 5}, {6}, 3, RawF32(nan));
    CheckCorrupt(Type::kF32, ForgeBlock(5, c), "decimal exception at row 6 of 5");
    c = DecimalChunk(kEncDecimal | 0x80, std::string(1, 0x04), 1, 0, 3, {1, 2, 3, 4}, {2}, 2,
                     RawF32(nan));
    CheckCorrupt(Type::kF32, ForgeBlock(4, c), "decimal exception at NULL row 2");
  }
  SUBCASE("more exceptions than events") {
    std::string c = chunk(1, 3, {}, "");
    c.back() = 5;  // the exception count
    CheckCorrupt(Type::kF32, ForgeBlock(4, c), "5 exceptions for 4 events");
  }
  SUBCASE("every truncation and trailing bytes") {
    const std::string c = chunk(1, 3, {2}, RawF32(nan));
    for (size_t len = 1; len < c.size(); ++len) {
      INFO("length " << len);
      CheckCorrupt(Type::kF32, ForgeBlock(4, c.substr(0, len)), "column 'x'");
    }
    CheckCorrupt(Type::kF32, ForgeBlock(4, c + "z"), "unexpected trailing bytes");
    // F64 exceptions take 8 bytes: 4 are too few.
    CheckCorrupt(Type::kF64, ForgeBlock(4, c), "needs 8 bytes");
  }
  SUBCASE("decimal is for floats only") {
    const std::string block = ForgeBlock(4, chunk(1, 3, {}, ""));
    TableSchema s = FloatSchema(Type::kI32);
    const std::vector<int> proj = {2};
    Result<Batch> r = DecodeBlock(s, Span(block), proj);
    REQUIRE(!r.ok());
    CHECK(r.status().message().find("encoding 6 where 1 is expected") != std::string::npos);
  }
  SUBCASE("flipped bits behind a valid checksum") {
    // A real decimal block with NULLs and exceptions; every flip either
    // decodes to a valid batch or is Corruption.
    const TableSchema s = FloatSchema(Type::kF64);
    std::vector<double> v = Decimals(64, -999, 999, 2, Type::kF64, 10);
    v[9] = -0.0;
    std::vector<bool> nulls(64);
    nulls[3] = nulls[40] = true;
    const std::string block = Encode(s, FloatBatch(Type::kF64, v, nulls));
    const Chunk x = LocateChunk(block, 2);
    REQUIRE(!x.compressed);
    for (size_t i = x.offset; i < x.offset + x.len; ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string bad = block;
        bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
        ResealBlock({reinterpret_cast<uint8_t*>(bad.data()), bad.size()});
        for (uint32_t rb : {0u, 33u}) {
          Result<Batch> r = DecodeX(Type::kF64, bad, rb);
          if (r.ok()) {
            CHECK(r->Validate().ok());
          } else {
            CHECK(r.status().IsCorruption());
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace laser::format
