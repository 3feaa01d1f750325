#include "engine/format/block.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "tests/format/block_fuzz_schema.hpp"

namespace laser::format {
namespace {

constexpr uint64_t kUser = 424242;

Column Col(std::string name, Type t, bool nullable = true) {
  Column c;
  c.name = std::move(name);
  c.type = t;
  c.nullable = nullable;
  return c;
}

// A table with one column of every type (both keys first).
TableSchema AllTypesSchema() {
  TableSchema s;
  s.name = "all";
  s.columns = {Col("user_id", Type::kU64, false),
               Col("ts", Type::kTimestamp, false),
               Col("b", Type::kBool),
               Col("i8", Type::kI8),
               Col("i16", Type::kI16),
               Col("i32", Type::kI32),
               Col("i64", Type::kI64),
               Col("u8", Type::kU8),
               Col("u16", Type::kU16),
               Col("u32", Type::kU32),
               Col("u64", Type::kU64),
               Col("f32", Type::kF32),
               Col("f64", Type::kF64),
               Col("t2", Type::kTimestamp),
               Col("s", Type::kString),
               Col("e", Type::kEnum)};
  s.columns.back().enum_values = {"pv", "buy", "cart", "fav"};
  REQUIRE(s.Validate().ok());
  return s;
}

Batch EmptyBatch(const TableSchema& s) {
  Batch b;
  for (const Column& c : s.columns) b.AddColumn(c.name, c.type);
  return b;
}

// Appends a row of values (already of the right lanes, or NULL).
void AddRow(Batch* b, const std::vector<Value>& row) {
  REQUIRE(row.size() == b->num_columns());
  for (size_t i = 0; i < row.size(); ++i) b->columns[i].Append(row[i]);
}

std::vector<int> AllColumns(const TableSchema& s) {
  std::vector<int> p(s.columns.size());
  std::iota(p.begin(), p.end(), 0);
  return p;
}

std::span<const uint8_t> Span(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string Encode(const TableSchema& s, const Batch& b, size_t begin = 0, size_t end = 0) {
  std::string out;
  Status st = EncodeBlock(s, kUser, b, begin, end == 0 ? b.num_rows() : end, &out);
  REQUIRE_MESSAGE(st.ok(), st.ToString());
  return out;
}

Batch Decode(const TableSchema& s, const std::string& block, std::span<const int> proj,
             uint32_t row_begin = 0) {
  Result<Batch> r = DecodeBlock(s, Span(block), proj, row_begin);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  REQUIRE(r->Validate().ok());
  return std::move(r).value();
}

bool SameFloat(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof(a)) == 0;  // tells -0.0 from 0.0
}

// Checks that column `got` equals rows [begin, end) of `want`, NULLs included,
// and that `got` keeps the invariant "nulls empty iff no NULL".
void CheckColumn(const ColumnVector& got, const ColumnVector& want, size_t begin, size_t end,
                 const std::string& name) {
  INFO("column " << name);
  REQUIRE(got.type == want.type);
  REQUIRE(got.size() == end - begin);
  bool any_null = false;
  for (size_t i = begin; i < end; ++i) {
    INFO("row " << i);
    const size_t g = i - begin;
    REQUIRE(got.IsNull(g) == want.IsNull(i));
    any_null |= want.IsNull(i);
    if (want.IsNull(i)) continue;
    switch (LaneOf(want.type)) {
      case Lane::kInt:
        REQUIRE(got.ints[g] == want.ints[i]);
        break;
      case Lane::kUInt:
        REQUIRE(got.uints[g] == want.uints[i]);
        break;
      case Lane::kFloat:
        REQUIRE(SameFloat(got.floats[g], want.floats[i]));
        break;
      case Lane::kString:
        REQUIRE(got.strings[g] == want.strings[i]);
        break;
    }
  }
  CHECK(got.nulls.empty() == !any_null);
}

void CheckRoundTrip(const TableSchema& s, const Batch& b) {
  const std::string block = Encode(s, b);
  const std::vector<int> all = AllColumns(s);
  const Batch got = Decode(s, block, all);
  REQUIRE(got.num_columns() == s.columns.size());
  for (size_t i = 0; i < s.columns.size(); ++i) {
    CHECK(got.names[i] == s.columns[i].name);
    CheckColumn(got.columns[i], b.columns[i], 0, b.num_rows(), s.columns[i].name);
  }
  Result<BlockInfo> info = ReadBlockInfo(Span(block));
  REQUIRE(info.ok());
  CHECK(info->user == kUser);
  CHECK(info->count == b.num_rows());
  CHECK(info->first_key == b.columns[s.order_key].ints.front());
  CHECK(info->last_key == b.columns[s.order_key].ints.back());
  CHECK(info->num_columns == s.columns.size());
  CHECK(info->stored_bytes == block.size());
}

// Rows of edge values for every column of AllTypesSchema.
Batch EdgeBatch(const TableSchema& s) {
  Batch b = EmptyBatch(s);
  using L = std::numeric_limits<int64_t>;
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const float fmax = std::numeric_limits<float>::max();
  const float fmin = std::numeric_limits<float>::denorm_min();
  AddRow(&b, {Value::UInt(kUser), Value::Int(L::min()), Value::Int(0), Value::Int(INT8_MIN),
              Value::Int(INT16_MIN), Value::Int(INT32_MIN), Value::Int(L::min()), Value::UInt(0),
              Value::UInt(0), Value::UInt(0), Value::UInt(0), Value::Float(-fmax),
              Value::Float(std::numeric_limits<double>::lowest()), Value::Int(L::min()),
              Value::String(""), Value::Int(0)});
  AddRow(&b, {Value::UInt(kUser), Value::Int(-1), Value::Int(1), Value::Int(INT8_MAX),
              Value::Int(INT16_MAX), Value::Int(INT32_MAX), Value::Int(L::max()),
              Value::UInt(UINT8_MAX), Value::UInt(UINT16_MAX), Value::UInt(UINT32_MAX),
              Value::UInt(UINT64_MAX), Value::Float(fmax),
              Value::Float(std::numeric_limits<double>::max()), Value::Int(L::max()),
              Value::String(std::string(1, '\0')), Value::Int(3)});
  AddRow(&b, {Value::UInt(kUser), Value::Int(0), Value::Int(0), Value::Int(0), Value::Int(-1),
              Value::Int(0), Value::Int(-1), Value::UInt(1), Value::UInt(1), Value::UInt(1),
              Value::UInt(1), Value::Float(nan), Value::Float(nan), Value::Int(0),
              Value::String("\xff\xfe unicode \xc3\xa9"), Value::Int(1)});
  AddRow(&b, {Value::UInt(kUser), Value::Int(L::max()), Value::Int(1), Value::Int(-1),
              Value::Int(1), Value::Int(-1), Value::Int(0), Value::UInt(128), Value::UInt(32768),
              Value::UInt(1u << 31), Value::UInt(uint64_t{1} << 63), Value::Float(-0.0),
              Value::Float(-0.0), Value::Int(-1), Value::String("x"), Value::Int(2)});
  AddRow(&b, {Value::UInt(kUser), Value::Int(L::max()), Value::Int(0), Value::Int(5), Value::Int(5),
              Value::Int(5), Value::Int(5), Value::UInt(5), Value::UInt(5), Value::UInt(5),
              Value::UInt(5), Value::Float(inf), Value::Float(-inf), Value::Int(5),
              Value::String("x"), Value::Int(0)});
  AddRow(&b, {Value::UInt(kUser), Value::Int(L::min()), Value::Int(1), Value::Int(0), Value::Int(0),
              Value::Int(0), Value::Int(0), Value::UInt(0), Value::UInt(0), Value::UInt(0),
              Value::UInt(0), Value::Float(fmin), Value::Float(5e-324), Value::Int(0),
              Value::String(""), Value::Int(3)});
  return b;
}

// n rows of random values; NULLs in nullable columns with probability null_p.
Batch RandomBatch(const TableSchema& s, size_t n, double null_p, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0, 1);
  Batch b = EmptyBatch(s);
  int64_t ts = 1'700'000'000'000;
  for (size_t r = 0; r < n; ++r) {
    ts += static_cast<int64_t>(rng() % 5000);
    for (size_t ci = 0; ci < s.columns.size(); ++ci) {
      const Column& c = s.columns[ci];
      ColumnVector& col = b.columns[ci];
      if (ci == s.partition_key) {
        col.Append(Value::UInt(kUser));
        continue;
      }
      if (ci == s.order_key) {
        col.Append(Value::Int(ts));
        continue;
      }
      if (c.nullable && unit(rng) < null_p) {
        col.Append(Value::Null());
        continue;
      }
      const uint64_t x = rng();
      switch (c.type) {
        case Type::kBool:
          col.Append(Value::Int(x & 1));
          break;
        case Type::kI8:
          col.Append(Value::Int(static_cast<int8_t>(x)));
          break;
        case Type::kI16:
          col.Append(Value::Int(static_cast<int16_t>(x)));
          break;
        case Type::kI32:
          col.Append(Value::Int(static_cast<int32_t>(x)));
          break;
        case Type::kI64:
        case Type::kTimestamp:
          col.Append(Value::Int(static_cast<int64_t>(x)));
          break;
        case Type::kU8:
          col.Append(Value::UInt(x & 0xff));
          break;
        case Type::kU16:
          col.Append(Value::UInt(x & 0xffff));
          break;
        case Type::kU32:
          col.Append(Value::UInt(x & 0xffffffff));
          break;
        case Type::kU64:
          col.Append(Value::UInt(x % 1000 == 0 ? x : x % 100000));
          break;
        case Type::kF32:
          col.Append(Value::Float(static_cast<float>(unit(rng) * 100 - 50)));
          break;
        case Type::kF64:
          col.Append(Value::Float(unit(rng) * 1e9 - 5e8));
          break;
        case Type::kString:
          col.Append(Value::String("str" + std::to_string(x % 37) + std::string(x % 5, 'z')));
          break;
        case Type::kEnum:
          col.Append(Value::Int(static_cast<int64_t>(x % c.enum_values.size())));
          break;
      }
    }
  }
  return b;
}

TEST_CASE("round-trip of every type at its edge values") {
  const TableSchema s = AllTypesSchema();
  CheckRoundTrip(s, EdgeBatch(s));
}

TEST_CASE("round-trip of one row") {
  const TableSchema s = AllTypesSchema();
  Batch edge = EdgeBatch(s);
  for (size_t r = 0; r < edge.num_rows(); ++r) {
    const std::string block = Encode(s, edge, r, r + 1);
    const Batch got = Decode(s, block, AllColumns(s));
    for (size_t i = 0; i < s.columns.size(); ++i) {
      CheckColumn(got.columns[i], edge.columns[i], r, r + 1, s.columns[i].name);
    }
  }
}

TEST_CASE("round-trip of random rows with and without NULLs") {
  const TableSchema s = AllTypesSchema();
  for (double null_p : {0.0, 0.1, 0.9}) {
    for (size_t n : {size_t{2}, size_t{7}, size_t{64}, size_t{1000}}) {
      CheckRoundTrip(s, RandomBatch(s, n, null_p, n * 31 + static_cast<uint64_t>(null_p * 10)));
    }
  }
}

TEST_CASE("round-trip of 100000 rows") {
  const TableSchema s = AllTypesSchema();
  CheckRoundTrip(s, RandomBatch(s, 100000, 0.05, 7));
}

TEST_CASE("all-NULL columns and NULLs in the last bitmap byte") {
  const TableSchema s = AllTypesSchema();
  Batch b = EmptyBatch(s);
  for (int r = 0; r < 13; ++r) {
    std::vector<Value> row(s.columns.size(), Value::Null());
    row[0] = Value::UInt(kUser);
    row[1] = Value::Int(r);
    AddRow(&b, row);
  }
  CheckRoundTrip(s, b);
  // Mixed: every third row NULL, the last row NULL.
  Batch m = RandomBatch(s, 17, 0, 3);
  for (size_t ci = 2; ci < s.columns.size(); ++ci) {
    ColumnVector& c = m.columns[ci];
    c.nulls.assign(17, 0);
    for (size_t r = 0; r < 17; r += 3) c.nulls[r] = 1;
    c.nulls[16] = 1;
    for (size_t r = 0; r < 17; ++r) {
      if (c.nulls[r] == 0) continue;
      if (!c.ints.empty()) c.ints[r] = 0;
      if (!c.uints.empty()) c.uints[r] = 0;
      if (!c.floats.empty()) c.floats[r] = 0;
      if (!c.strings.empty()) c.strings[r].clear();
    }
  }
  CheckRoundTrip(s, m);
}

TEST_CASE("strings: empty, long, many distinct") {
  TableSchema s;
  s.name = "strs";
  s.columns = {Col("user_id", Type::kU64, false), Col("ts", Type::kTimestamp, false),
               Col("s", Type::kString, false)};
  Batch b = EmptyBatch(s);
  std::string long_str(200000, 'a');
  for (size_t i = 0; i < long_str.size(); ++i) long_str[i] = static_cast<char>('a' + i * 7 % 26);
  for (int r = 0; r < 10000; ++r) {
    std::string v;
    if (r % 100 == 0) {
      v = "";
    } else if (r % 1000 == 1) {
      v = long_str + std::to_string(r);
    } else {
      v = "distinct-" + std::to_string(r);
    }
    AddRow(&b, {Value::UInt(kUser), Value::Int(r), Value::String(v)});
  }
  CheckRoundTrip(s, b);
}

TEST_CASE("order keys: equal keys, negative and huge deltas") {
  TableSchema s;
  s.name = "keys";
  s.columns = {Col("user_id", Type::kU64, false), Col("ts", Type::kI64, false)};
  using L = std::numeric_limits<int64_t>;
  const std::vector<std::vector<int64_t>> cases = {
      {5, 5, 5, 5, 5},
      {-100, -50, -50, 0, 1},
      {L::min(), L::max()},
      {L::max(), L::min(), L::max(), 0, L::min()},
      {10, 9, 8, 7, -1000000000000},
      {0, 1000000000000000000, 1000000000000000001},
  };
  for (const auto& keys : cases) {
    Batch b = EmptyBatch(s);
    for (int64_t k : keys) AddRow(&b, {Value::UInt(kUser), Value::Int(k)});
    CheckRoundTrip(s, b);
    const std::string block = Encode(s, b);
    for (uint32_t rb = 0; rb <= keys.size(); ++rb) {
      const std::vector<int> proj = {1};
      const Batch got = Decode(s, block, proj, rb);
      CheckColumn(got.columns[0], b.columns[1], rb, keys.size(), "ts");
    }
  }
}

// Keys `n` apart by small random steps, with a gap of 2^40 before every row
// in `gaps`: a user back after a long absence.
Batch GappedKeys(const TableSchema& s, size_t n, const std::vector<size_t>& gaps, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Batch b = EmptyBatch(s);
  int64_t k = 1'700'000'000'000;
  for (size_t i = 0; i < n; ++i) {
    k += std::find(gaps.begin(), gaps.end(), i) != gaps.end() ? int64_t{1} << 40
                                                              : static_cast<int64_t>(rng() % 256);
    AddRow(&b, {Value::UInt(kUser), Value::Int(k)});
  }
  return b;
}

TableSchema KeysSchema() {
  TableSchema s;
  s.name = "keys";
  s.columns = {Col("user_id", Type::kU64, false), Col("ts", Type::kI64, false)};
  return s;
}

TEST_CASE("order keys with a few long gaps keep the gaps apart (version 2)") {
  const TableSchema s = KeysSchema();
  const std::vector<std::vector<size_t>> cases = {{1}, {500}, {999}, {3, 4, 5}, {0, 250, 998}};
  for (const auto& gaps : cases) {
    CAPTURE(gaps.front());
    const Batch b = GappedKeys(s, 1000, gaps, 7);
    const std::string block = Encode(s, b);
    // 999 deltas of 8 bits, not of 41: the gaps are exceptions.
    CHECK(block.size() < 1300);
    CHECK(static_cast<uint8_t>(block[4]) == 2);
    Result<BlockInfo> info = ReadBlockInfo(Span(block));
    REQUIRE(info.ok());
    CHECK(info->version == 2);
    CheckRoundTrip(s, b);
    for (uint32_t rb = 0; rb <= 1000; rb += (rb < 10 || rb > 990) ? 1 : 37) {
      const std::vector<int> proj = {1};
      const Batch got = Decode(s, block, proj, rb);
      CheckColumn(got.columns[0], b.columns[1], rb, 1000, "ts");
    }
  }
  // Without long gaps nothing is kept apart, and the block stays version 1.
  const std::string plain = Encode(s, GappedKeys(s, 1000, {}, 8));
  CHECK(static_cast<uint8_t>(plain[4]) == 1);
  // Gaps everywhere are no exceptions: every delta is wide.
  Batch wide = EmptyBatch(s);
  for (int64_t i = 0; i < 100; ++i) AddRow(&wide, {Value::UInt(kUser), Value::Int(i << 40)});
  CHECK(static_cast<uint8_t>(Encode(s, wide)[4]) == 1);
}

TEST_CASE("a patched order key chunk in a version 1 block is Corruption") {
  const TableSchema s = KeysSchema();
  std::string block = Encode(s, GappedKeys(s, 100, {50}, 9));
  REQUIRE(static_cast<uint8_t>(block[4]) == 2);
  block[4] = 1;
  ResealBlock({reinterpret_cast<uint8_t*>(block.data()), block.size()});
  Result<Batch> r = DecodeBlock(s, Span(block), std::vector<int>{0, 1});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsCorruption());
  CHECK(r.status().message().find("encoding 7 in a version 1 block") != std::string::npos);
  block[4] = 3;
  ResealBlock({reinterpret_cast<uint8_t*>(block.data()), block.size()});
  CHECK(ReadBlockInfo(Span(block)).status().IsCorruption());
}

TEST_CASE("flipped bytes of a patched order key chunk never crash the decoder") {
  const TableSchema s = KeysSchema();
  const std::string block = Encode(s, GappedKeys(s, 40, {7, 30}, 10));
  REQUIRE(static_cast<uint8_t>(block[4]) == 2);
  const std::vector<int> all = {0, 1};
  size_t caught = 0, by_exceptions = 0;
  for (size_t i = kBlockHeaderSize; i < block.size() - kBlockTrailerSize; ++i) {
    for (int x = 1; x < 256; x += 7) {
      std::string bad = block;
      bad[i] = static_cast<char>(bad[i] ^ x);
      ResealBlock({reinterpret_cast<uint8_t*>(bad.data()), bad.size()});
      for (uint32_t rb : {0u, 8u, 35u}) {
        Result<Batch> r = DecodeBlock(s, Span(bad), all, rb);
        if (r.ok()) {
          CHECK(r->Validate().ok());
          continue;
        }
        ++caught;
        CHECK(r.status().IsCorruption());
        if (r.status().message().find("exception") != std::string::npos) ++by_exceptions;
      }
    }
  }
  CHECK(caught > 0);
  CHECK(by_exceptions > 0);
}

TEST_CASE("projection of any subset in any order, repeats included") {
  const TableSchema s = AllTypesSchema();
  const Batch b = RandomBatch(s, 300, 0.2, 11);
  const std::string block = Encode(s, b);
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<int> proj = AllColumns(s);
    std::shuffle(proj.begin(), proj.end(), rng);
    proj.resize(rng() % (s.columns.size() + 1));
    if (trial % 10 == 0 && !proj.empty()) proj.push_back(proj.front());
    const Batch got = Decode(s, block, proj);
    REQUIRE(got.num_columns() == proj.size());
    for (size_t j = 0; j < proj.size(); ++j) {
      CHECK(got.names[j] == s.columns[proj[j]].name);
      CheckColumn(got.columns[j], b.columns[proj[j]], 0, b.num_rows(), s.columns[proj[j]].name);
    }
  }
}

TEST_CASE("row_begin decodes the tail of the block") {
  const TableSchema s = AllTypesSchema();
  const Batch b = RandomBatch(s, 37, 0.3, 19);
  const std::string block = Encode(s, b);
  const std::vector<int> all = AllColumns(s);
  for (uint32_t rb = 0; rb <= 37; ++rb) {
    const Batch got = Decode(s, block, all, rb);
    for (size_t i = 0; i < s.columns.size(); ++i) {
      CheckColumn(got.columns[i], b.columns[i], rb, 37, s.columns[i].name);
    }
  }
  Result<Batch> past = DecodeBlock(s, Span(block), all, 38);
  REQUIRE_FALSE(past.ok());
  CHECK(past.status().IsInvalidArgument());
}

TEST_CASE("a sub-range of a batch is encoded alone") {
  const TableSchema s = AllTypesSchema();
  const Batch b = RandomBatch(s, 50, 0.2, 23);
  const std::string block = Encode(s, b, 10, 30);
  const Batch got = Decode(s, block, AllColumns(s));
  for (size_t i = 0; i < s.columns.size(); ++i) {
    CheckColumn(got.columns[i], b.columns[i], 10, 30, s.columns[i].name);
  }
}

TEST_CASE("schema evolution: columns added later read as their defaults") {
  TableSchema old_schema = AllTypesSchema();
  const Batch b = RandomBatch(old_schema, 20, 0.1, 29);
  const std::string block = Encode(old_schema, b);

  TableSchema s = old_schema;
  s.columns.push_back(Col("clicks", Type::kU32));
  s.columns.back().default_value = Value::UInt(9);
  s.columns.push_back(Col("note", Type::kString));
  s.columns.back().default_value = Value::String("n/a");
  s.columns.push_back(Col("maybe", Type::kF64));  // NULL default
  s.columns.push_back(Col("kind", Type::kEnum, false));
  s.columns.back().enum_values = {"a", "b"};
  s.columns.back().default_value = Value::Int(1);
  s.version = 2;
  REQUIRE(s.Validate().ok());

  CHECK(ReadBlockInfo(Span(block))->num_columns == old_schema.columns.size());
  const size_t k = old_schema.columns.size();
  const std::vector<int> proj = {static_cast<int>(k + 2), 1, static_cast<int>(k),
                                 static_cast<int>(k + 1), static_cast<int>(k + 3)};
  for (uint32_t rb : {0u, 5u, 20u}) {
    const Batch got = Decode(s, block, proj, rb);
    const size_t n = 20 - rb;
    REQUIRE(got.num_rows() == n);
    CHECK(got.names[0] == "maybe");
    CHECK(got.columns[0].nulls == std::vector<uint8_t>(n, 1));
    CheckColumn(got.columns[1], b.columns[1], rb, 20, "ts");
    CHECK(got.columns[2].uints == std::vector<uint64_t>(n, 9));
    CHECK(got.columns[2].nulls.empty());
    CHECK(got.columns[3].strings == std::vector<std::string>(n, "n/a"));
    CHECK(got.columns[4].ints == std::vector<int64_t>(n, 1));
  }

  // A block written with the new schema still reads everything back.
  Batch nb = RandomBatch(s, 15, 0.1, 31);
  CheckRoundTrip(s, nb);

  // A block with more columns than the reader's schema is not silently truncated.
  const std::string new_block = Encode(s, nb);
  Result<Batch> r = DecodeBlock(old_schema, Span(new_block), AllColumns(old_schema));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsCorruption());
}

TEST_CASE("DecodeBlockInto concatenates blocks and keeps the batch on error") {
  const TableSchema s = AllTypesSchema();
  const Batch a = RandomBatch(s, 10, 0.0, 37);  // no NULLs
  const Batch b = RandomBatch(s, 12, 0.5, 41);  // many NULLs
  const std::string ba = Encode(s, a);
  const std::string bb = Encode(s, b);
  const std::vector<int> proj = {14, 1, 11, 15, 3};
  Batch out;
  REQUIRE(DecodeBlockInto(s, Span(ba), proj, 0, &out).ok());
  REQUIRE(DecodeBlockInto(s, Span(bb), proj, 4, &out).ok());
  REQUIRE(out.Validate().ok());
  REQUIRE(out.num_rows() == 18);
  for (size_t j = 0; j < proj.size(); ++j) {
    const ColumnVector& c = out.columns[j];
    for (size_t r = 0; r < 10; ++r) CHECK(c.Get(r) == a.columns[proj[j]].Get(r));
    for (size_t r = 10; r < 18; ++r) {
      const Value want = b.columns[proj[j]].Get(r - 10 + 4);
      const Value got = c.Get(r);
      if (LaneOf(c.type) == Lane::kFloat && !want.is_null()) {
        CHECK(SameFloat(std::get<double>(got.v), std::get<double>(want.v)));
      } else {
        CHECK(got == want);
      }
    }
  }

  // A corrupt block appends nothing.
  std::string bad = bb;
  bad[bad.size() / 2] ^= 0x40;
  const Batch before = out;
  Status st = DecodeBlockInto(s, Span(bad), proj, 0, &out);
  REQUIRE(st.IsCorruption());
  CHECK(out.num_rows() == 18);
  for (size_t j = 0; j < proj.size(); ++j) {
    CHECK(out.columns[j].nulls == before.columns[j].nulls);
    CHECK(out.columns[j].strings == before.columns[j].strings);
    CHECK(out.columns[j].ints == before.columns[j].ints);
  }

  // An output batch of another shape is the caller's error.
  const std::vector<int> other = {2};
  CHECK(DecodeBlockInto(s, Span(ba), other, 0, &out).IsInvalidArgument());
  const std::vector<int> out_of_range = {99};
  CHECK(DecodeBlock(s, Span(ba), out_of_range).status().IsInvalidArgument());
}

TEST_CASE("EncodeBlock rejects events that do not fit the schema, naming the column") {
  const TableSchema s = AllTypesSchema();
  auto rejects = [&](const Batch& b, const std::string& part) {
    std::string out = "prefix";
    Status st = EncodeBlock(s, kUser, b, 0, b.num_rows(), &out);
    REQUIRE_FALSE(st.ok());
    CHECK(st.IsInvalidArgument());
    INFO(st.message());
    CHECK(st.message().find(part) != std::string::npos);
    CHECK(out == "prefix");
  };
  Batch b = RandomBatch(s, 5, 0, 43);
  b.columns[0].uints[3] = kUser + 1;
  rejects(b, "'user_id' row 3");

  b = RandomBatch(s, 5, 0, 43);
  b.columns[3].ints[2] = 300;
  rejects(b, "'i8' (I8) row 2: value 300 is outside [-128, 127]");

  b = RandomBatch(s, 5, 0, 43);
  b.columns[15].ints[4] = 4;
  rejects(b, "'e' (ENUM) row 4");

  b = RandomBatch(s, 5, 0, 43);
  b.columns[2].ints[0] = 2;
  rejects(b, "'b' (BOOL) row 0");

  b = RandomBatch(s, 5, 0, 43);
  b.columns[7].uints[1] = 256;
  rejects(b, "'u8' (U8) row 1");

  b = RandomBatch(s, 5, 0, 43);
  b.columns[1].nulls = {0, 1, 0, 0, 0};
  rejects(b, "'ts' row 1: NULL");

  TableSchema strict = s;
  strict.columns[4].nullable = false;
  b = RandomBatch(s, 5, 0, 43);
  b.columns[4].nulls = {0, 0, 0, 1, 0};
  std::string out;
  Status st = EncodeBlock(strict, kUser, b, 0, 5, &out);
  CHECK(st.message().find("'i16' row 3: NULL in a NOT NULL column") != std::string::npos);

  b = RandomBatch(s, 5, 0, 43);
  b.columns[5] = ColumnVector(Type::kI64);
  for (int i = 0; i < 5; ++i) b.columns[5].Append(Value::Int(i));
  rejects(b, "'i32' is I32, the batch holds I64");

  b = RandomBatch(s, 5, 0, 43);
  b.columns.pop_back();
  b.names.pop_back();
  rejects(b, "batch has 15 columns");

  b = RandomBatch(s, 5, 0, 43);
  CHECK(EncodeBlock(s, kUser, b, 3, 3, &out).IsInvalidArgument());
  CHECK(EncodeBlock(s, kUser, b, 0, 6, &out).IsInvalidArgument());
}

TEST_CASE("decoded integers outside their type's domain are Corruption") {
  // Written as a wide type, read back as a narrow one: the chunks are the
  // same encoding, so only the decoder's domain check tells them apart.
  auto schema = [](Type t) {
    TableSchema s;
    s.name = "narrow";
    s.columns = {Col("user_id", Type::kU64, false), Col("ts", Type::kTimestamp, false),
                 Col("v", t)};
    REQUIRE(s.Validate().ok());
    return s;
  };
  auto decode_as = [&](Type wide, Type narrow, const std::vector<int64_t>& values) {
    const TableSchema ws = schema(wide);
    Batch b = EmptyBatch(ws);
    for (size_t i = 0; i < values.size(); ++i) {
      b.columns[0].uints.push_back(kUser);
      b.columns[1].ints.push_back(static_cast<int64_t>(i));
      if (LaneOf(wide) == Lane::kUInt) {
        b.columns[2].uints.push_back(static_cast<uint64_t>(values[i]));
      } else {
        b.columns[2].ints.push_back(values[i]);
      }
    }
    std::string block;
    REQUIRE(EncodeBlock(ws, kUser, b, 0, b.num_rows(), &block).ok());
    const std::vector<int> proj = {2};
    return DecodeBlock(schema(narrow),
                       {reinterpret_cast<const uint8_t*>(block.data()), block.size()}, proj)
        .status();
  };
  // In range, whether or not the chunk's base and width alone show it.
  CHECK(decode_as(Type::kU16, Type::kU8, {0, 7, 200}).ok());
  CHECK(decode_as(Type::kU16, Type::kU8, {100, 255, 180}).ok());
  CHECK(decode_as(Type::kI16, Type::kI8, {-128, 127, 0}).ok());
  CHECK(decode_as(Type::kI16, Type::kI8, {-100, 100}).ok());
  CHECK(decode_as(Type::kI16, Type::kBool, {0, 1, 1}).ok());
  // One value out of range, above or below.
  for (const auto& [wide, narrow, values] :
       std::vector<std::tuple<Type, Type, std::vector<int64_t>>>{
           {Type::kU16, Type::kU8, {0, 256, 3}},
           {Type::kU16, Type::kU8, {255, 300}},
           {Type::kI16, Type::kI8, {-129, 0}},
           {Type::kI16, Type::kI8, {5, 128, 127}},
           {Type::kI16, Type::kBool, {0, 2}},
           {Type::kU64, Type::kU32, {0, int64_t{1} << 32}}}) {
    const Status st = decode_as(wide, narrow, values);
    INFO(st.ToString());
    CHECK(st.IsCorruption());
    CHECK(st.message().find("outside the domain") != std::string::npos);
  }
}

TEST_CASE("EncodeBlock appends to the output buffer") {
  const TableSchema s = AllTypesSchema();
  const Batch b = RandomBatch(s, 30, 0.1, 47);
  std::string out;
  REQUIRE(EncodeBlock(s, kUser, b, 0, 10, &out).ok());
  const size_t first = out.size();
  REQUIRE(EncodeBlock(s, kUser, b, 10, 30, &out).ok());
  const auto all = Span(out);
  Result<BlockInfo> i1 = ReadBlockInfo(all);
  REQUIRE(i1.ok());
  REQUIRE(i1->stored_bytes == first);
  Result<BlockInfo> i2 = ReadBlockInfo(all.subspan(first));
  REQUIRE(i2.ok());
  CHECK(i2->count == 20);
  CHECK(first + i2->stored_bytes == out.size());
  const Batch got = Decode(s, out.substr(first), AllColumns(s));
  CHECK(got.columns[1].ints.front() == b.columns[1].ints[10]);
}

// A small block of the fuzz schema with NULLs, strings and every encoding.
std::string SmallBlock(const TableSchema& s) {
  Batch b = RandomBatch(s, 9, 0.3, 53);
  return Encode(s, b);
}

TEST_CASE("every flipped byte is caught as Corruption with its offset") {
  const TableSchema s = BlockFuzzSchema();
  const std::string block = SmallBlock(s);
  const std::vector<int> all = AllColumns(s);
  for (size_t i = 0; i < block.size(); ++i) {
    for (uint8_t x : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
      std::string bad = block;
      bad[i] = static_cast<char>(bad[i] ^ x);
      Result<Batch> r = DecodeBlock(s, Span(bad), all);
      REQUIRE_MESSAGE(!r.ok(), "byte " << i);
      CHECK(r.status().IsCorruption());
      CHECK(r.status().message().rfind("block offset ", 0) == 0);
    }
  }
}

TEST_CASE("flipped bytes behind a valid checksum never crash the decoder") {
  const TableSchema s = BlockFuzzSchema();
  const std::string block = SmallBlock(s);
  const std::vector<int> all = AllColumns(s);
  const Batch want = Decode(s, block, all);
  size_t caught = 0, decoded = 0;
  for (size_t i = 0; i < block.size() - kBlockTrailerSize; ++i) {
    if (i >= 44 && i < 48) continue;  // the header check itself
    for (int x = 1; x < 256; x += 17) {
      std::string bad = block;
      bad[i] = static_cast<char>(bad[i] ^ x);
      ResealBlock({reinterpret_cast<uint8_t*>(bad.data()), bad.size()});
      for (uint32_t rb : {0u, 4u}) {
        Result<Batch> r = DecodeBlock(s, Span(bad), all, rb);
        if (r.ok()) {
          ++decoded;
          CHECK(r->Validate().ok());
        } else {
          ++caught;
          CHECK(r.status().IsCorruption());
          CHECK(r.status().message().rfind("block offset ", 0) == 0);
        }
      }
    }
  }
  MESSAGE("resealed flips: " << caught << " caught by structural checks, " << decoded
                             << " decoded (values changed inside a well-formed block)");
  CHECK(caught > 0);
}

TEST_CASE("truncation at every length is Corruption") {
  const TableSchema s = BlockFuzzSchema();
  const std::string block = SmallBlock(s);
  const std::vector<int> all = AllColumns(s);
  for (size_t len = 0; len < block.size(); ++len) {
    Result<Batch> r = DecodeBlock(s, Span(block).first(len), all);
    REQUIRE_MESSAGE(!r.ok(), "length " << len);
    CHECK(r.status().IsCorruption());
    if (len < kBlockHeaderSize)
      CHECK(ReadBlockInfo(Span(block).first(len)).status().IsCorruption());
  }
  // A longer span is not the block either.
  std::string longer = block + "x";
  CHECK(DecodeBlock(s, Span(longer), all).status().IsCorruption());
  // ReadBlockInfo needs the header only.
  CHECK(ReadBlockInfo(Span(block).first(kBlockHeaderSize)).ok());
}

TEST_CASE("header errors name the offset") {
  const TableSchema s = BlockFuzzSchema();
  const std::string block = SmallBlock(s);
  std::string bad = block;
  bad[0] = 'X';
  CHECK(ReadBlockInfo(Span(bad)).status().message() == "block offset 0: bad magic");
  bad = block;
  bad[4] = 9;
  ResealBlock({reinterpret_cast<uint8_t*>(bad.data()), bad.size()});
  CHECK(ReadBlockInfo(Span(bad)).status().message() ==
        "block offset 4: unsupported format version 9");
  bad = block;
  bad[20] ^= 1;  // the user, under the header check
  CHECK(ReadBlockInfo(Span(bad)).status().message() == "block offset 44: header check mismatch");
  bad = block;
  bad[bad.size() - 20] ^= 1;
  CHECK(DecodeBlock(s, Span(bad), AllColumns(s)).status().message() ==
        "block offset " + std::to_string(block.size() - 8) + ": checksum mismatch");
}

// Makes float column ci of *b decimal data (the decimal chunk encoding): each
// non-NULL value becomes k / 10^digits, and every 9th row one of `specials`
// (exceptions of that encoding).
void MakeDecimal(Batch* b, size_t ci, int digits, const std::vector<double>& specials,
                 uint64_t seed) {
  std::mt19937_64 rng(seed);
  ColumnVector& c = b->columns[ci];
  for (size_t i = 0; i < c.size(); ++i) {
    if (c.IsNull(i)) continue;
    const double v =
        static_cast<double>(static_cast<int64_t>(rng() % 200000) - 100000) / std::pow(10.0, digits);
    c.floats[i] = c.type == Type::kF32 ? static_cast<float>(v) : v;
    if (!specials.empty() && i % 9 == 4) c.floats[i] = specials[i / 9 % specials.size()];
  }
}

// Writes the block decoder's fuzz seeds into $LASER_WRITE_BLOCK_SEEDS (a
// directory) when that is set; otherwise only checks they encode.
TEST_CASE("block decoder fuzz seeds") {
  const TableSchema s = BlockFuzzSchema();
  TableSchema old_schema = s;
  old_schema.columns.pop_back();  // blocks from before the last column was added
  std::vector<std::pair<std::string, std::string>> seeds;
  seeds.emplace_back("one_row", Encode(s, RandomBatch(s, 1, 0, 1)));
  seeds.emplace_back("nulls", Encode(s, RandomBatch(s, 20, 0.4, 2)));
  seeds.emplace_back("no_nulls", Encode(s, RandomBatch(s, 50, 0, 3)));
  seeds.emplace_back("compressed", Encode(s, RandomBatch(s, 200, 0.05, 4)));
  seeds.emplace_back("old_schema", Encode(old_schema, RandomBatch(old_schema, 8, 0.2, 5)));
  Batch all_null = EmptyBatch(s);
  for (int r = 0; r < 5; ++r) {
    std::vector<Value> row;
    for (const Column& c : s.columns) {
      if (c.nullable) {
        row.push_back(Value::Null());
      } else if (c.type == Type::kU64) {
        row.push_back(Value::UInt(kUser));
      } else if (LaneOf(c.type) == Lane::kUInt) {
        row.push_back(Value::UInt(1));
      } else {
        row.push_back(Value::Int(r % 2));
      }
    }
    AddRow(&all_null, row);
  }
  seeds.emplace_back("all_null", Encode(s, all_null));
  const size_t dwell = 9, score = 10;
  REQUIRE(s.columns[dwell].type == Type::kF32);
  REQUIRE(s.columns[score].type == Type::kF64);
  Batch decimal = RandomBatch(s, 40, 0.2, 6);
  MakeDecimal(&decimal, dwell, 3, {}, 7);
  MakeDecimal(&decimal, score, 2, {}, 8);
  seeds.emplace_back("decimal", Encode(s, decimal));
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> specials = {std::nan(""), -0.0, inf, -inf, 0.1 + 0.2};
  Batch exceptions = RandomBatch(s, 100, 0.1, 9);
  MakeDecimal(&exceptions, dwell, 1, specials, 10);
  MakeDecimal(&exceptions, score, 4, specials, 11);
  seeds.emplace_back("decimal_exceptions", Encode(s, exceptions));
  Batch gapped = RandomBatch(s, 64, 0.1, 12);
  std::vector<int64_t>& keys = gapped.columns[s.order_key].ints;
  keys[0] = 1'700'000'000'000;
  for (size_t i = 1; i < keys.size(); ++i) keys[i] = keys[i - 1] + (i % 20 == 0 ? 1 << 30 : 3);
  seeds.emplace_back("patched_keys", Encode(s, gapped));
  REQUIRE(static_cast<uint8_t>(seeds.back().second[4]) == 2);
  for (const auto& [name, bytes] : seeds) {
    CHECK(DecodeBlock(s, Span(bytes), AllColumns(s)).ok());
  }
  if (const char* dir = std::getenv("LASER_WRITE_BLOCK_SEEDS")) {
    for (const auto& [name, bytes] : seeds) {
      std::ofstream f(std::string(dir) + "/" + name, std::ios::binary);
      f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      REQUIRE(f.good());
    }
  }
}

// A realistic behaviour event: user, ts (ms), item (Zipf-like u64), action
// (enum of 4, mostly 'pv'), category (u32, a function of the item), dwell (f32).
TableSchema BehaviourSchema() {
  TableSchema s;
  s.name = "events";
  s.columns = {Col("user_id", Type::kU64, false),  Col("ts", Type::kTimestamp, false),
               Col("item_id", Type::kU64, false),  Col("action", Type::kEnum, false),
               Col("category", Type::kU32, false), Col("dwell", Type::kF32, false)};
  s.columns[3].enum_values = {"pv", "buy", "cart", "fav"};
  return s;
}

// `dwell_scale` is 10 for dwell seconds with one decimal, 1000 for milliseconds.
Batch BehaviourBatch(size_t n, uint64_t seed, double dwell_scale) {
  const TableSchema s = BehaviourSchema();
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0, 1);
  Batch b = EmptyBatch(s);
  int64_t ts = 1'511'539'200'000;  // 2017-11-25
  for (size_t i = 0; i < n; ++i) {
    // Sessions: seconds apart within, hours apart between.
    ts += unit(rng) < 0.05 ? static_cast<int64_t>(unit(rng) * 3.6e7)
                           : static_cast<int64_t>(-std::log(1 - unit(rng)) * 20000);
    // Zipf-like over 5 M items: a power of a uniform, scattered by a fixed odd multiplier.
    const uint64_t rank = static_cast<uint64_t>(std::pow(unit(rng), 3.0) * 5'000'000);
    const uint64_t item = (rank * 2654435761u) % 5'000'000 + 1;
    const double a = unit(rng);
    const int64_t action = a < 0.89 ? 0 : a < 0.92 ? 1 : a < 0.97 ? 2 : 3;
    const float dwell =
        static_cast<float>(std::round(-std::log(1 - unit(rng)) * 15 * dwell_scale) / dwell_scale);
    AddRow(&b, {Value::UInt(kUser), Value::Int(ts), Value::UInt(item), Value::Int(action),
                Value::UInt(item % 9439), Value::Float(dwell)});
  }
  return b;
}

TEST_CASE("compression ratio of a realistic behaviour event") {
  const TableSchema s = BehaviourSchema();
  REQUIRE(s.Validate().ok());
  // Raw: the in-memory row of 8+8+8+1+4+4 bytes.
  const double raw = 33;
  for (double dwell_scale : {10.0, 1000.0}) {
    const Batch b = BehaviourBatch(10000, 61, dwell_scale);
    for (size_t per_block : {size_t{10}, size_t{100}, size_t{1000}, size_t{10000}}) {
      size_t bytes = 0;
      for (size_t begin = 0; begin < b.num_rows(); begin += per_block) {
        std::string out;
        REQUIRE(EncodeBlock(s, kUser, b, begin, begin + per_block, &out).ok());
        bytes += out.size();
      }
      const double per_event = static_cast<double>(bytes) / b.num_rows();
      MESSAGE("behaviour event, dwell in 1/"
              << dwell_scale << " s, " << per_block << " events/block: " << per_event
              << " bytes/event (raw " << raw << ", ratio " << raw / per_event << ")");
      // A sanity bound, not a benchmark: packed columns beat raw rows.
      if (per_block >= 100) CHECK(per_event < raw / 2);
    }
  }
}

}  // namespace
}  // namespace laser::format
