#include "engine/memtable/row_codec.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <type_traits>

#include "engine/memtable/varint.hpp"

namespace laser::rowcodec {
namespace {

bool IsKey(const TableSchema& schema, size_t c) {
  return c == schema.partition_key || c == schema.order_key;
}

// How a row stores a column's value (see the encoding in row_codec.hpp).
enum class Op : uint8_t {
  kPartitionKey,  // not stored: the read's user
  kOrderKey,      // not stored: the record's key
  kByte,          // BOOL, I8: one byte; the ints lane
  kZigZag,        // I16..I64, TIMESTAMP, ENUM; the ints lane
  kVarint,        // U8..U64; the uints lane
  kF32,           // the floats lane
  kF64,           // the floats lane
  kString,        // length and bytes; the strings lane
};

Op StoredAs(Type t) {
  switch (t) {
    case Type::kBool:
    case Type::kI8:
      return Op::kByte;
    case Type::kI16:
    case Type::kI32:
    case Type::kI64:
    case Type::kTimestamp:
    case Type::kEnum:
      return Op::kZigZag;
    case Type::kU8:
    case Type::kU16:
    case Type::kU32:
    case Type::kU64:
      return Op::kVarint;
    case Type::kF32:
      return Op::kF32;
    case Type::kF64:
      return Op::kF64;
    case Type::kString:
      return Op::kString;
  }
  return Op::kVarint;  // not reached: every type is listed
}

// One decoded field, before it is known whether anyone projects it.
struct Field {
  bool null = false;
  int64_t i = 0;
  uint64_t u = 0;
  double f = 0;
  std::string_view s;
};

void AppendField(const Field& v, ColumnVector* col) {
  if (v.null && col->nulls.empty()) {
    col->nulls.assign(col->size(), 0);
    col->nulls.push_back(1);
  } else if (!col->nulls.empty()) {
    col->nulls.push_back(v.null ? 1 : 0);
  }
  switch (LaneOf(col->type)) {
    case Lane::kInt:
      col->ints.push_back(v.null ? 0 : v.i);
      break;
    case Lane::kUInt:
      col->uints.push_back(v.null ? 0 : v.u);
      break;
    case Lane::kFloat:
      col->floats.push_back(v.null ? 0 : v.f);
      break;
    case Lane::kString:
      col->strings.emplace_back(v.null ? std::string_view() : v.s);
      break;
  }
}

Field FromValue(const Value& v) {
  Field f;
  if (v.is_null()) {
    f.null = true;
  } else if (const auto* i = std::get_if<int64_t>(&v.v)) {
    f.i = *i;
  } else if (const auto* u = std::get_if<uint64_t>(&v.v)) {
    f.u = *u;
  } else if (const auto* d = std::get_if<double>(&v.v)) {
    f.f = *d;
  } else if (const auto* s = std::get_if<std::string>(&v.v)) {
    f.s = *s;
  }
  return f;
}

// Resizes the numeric lane `lane` (of the element type op stores into) to
// n values and returns the address of its value `at`, or null for a string
// op. REQUIRES at <= n.
void* ResizeLane(Op op, void* lane, size_t n, size_t at) {
  switch (op) {
    case Op::kPartitionKey:
    case Op::kVarint: {
      auto* v = static_cast<std::vector<uint64_t>*>(lane);
      v->resize(n);
      return v->data() + at;
    }
    case Op::kOrderKey:
    case Op::kByte:
    case Op::kZigZag: {
      auto* v = static_cast<std::vector<int64_t>*>(lane);
      v->resize(n);
      return v->data() + at;
    }
    case Op::kF32:
    case Op::kF64: {
      auto* v = static_cast<std::vector<double>*>(lane);
      v->resize(n);
      return v->data() + at;
    }
    case Op::kString:
      break;
  }
  return nullptr;
}

// The packed form's first byte (row_codec.hpp).
constexpr uint8_t kPackedNarrow = 0;
constexpr uint8_t kPackedWide = 1;
constexpr size_t kMaxPackedColumns = 127;

// Calls f(T{}) with the C++ type T that a packed row (narrow unless
// `wide`) stores a value of type t as: a signed type for the ints lane, an
// unsigned one for the uints lane, float or double for the floats lane.
// REQUIRES t is not STRING (never packed).
template <typename F>
decltype(auto) WithPackedType(Type t, bool wide, F&& f) {
  switch (t) {
    case Type::kBool:
    case Type::kI8:
      return f(int8_t{});
    case Type::kU8:
      return f(uint8_t{});
    case Type::kI16:
      return f(int16_t{});
    case Type::kU16:
      return f(uint16_t{});
    case Type::kI32:
      return f(int32_t{});
    case Type::kU32:
      return f(uint32_t{});
    case Type::kF32:
      return f(float{});
    case Type::kF64:
      return f(double{});
    case Type::kI64:
    case Type::kTimestamp:
    case Type::kEnum:
      return wide ? f(int64_t{}) : f(int32_t{});
    case Type::kU64:
      return wide ? f(uint64_t{}) : f(uint32_t{});
    case Type::kString:
      break;
  }
  assert(false);
  return f(uint8_t{});
}

// Bytes a packed row gives a value of type t, or 0 for STRING.
size_t PackedWidth(Type t, bool wide) {
  if (t == Type::kString) return 0;
  return WithPackedType(t, wide, [](auto tag) { return sizeof(tag); });
}

// True iff a packed row's width for type t depends on the form.
bool IsWideInt(Type t) {
  return t == Type::kI64 || t == Type::kU64 || t == Type::kTimestamp || t == Type::kEnum;
}

// The size of a packed row (narrow unless `wide`) written with the first
// `written` columns of `schema`, or 0 if one of them is a STRING (never
// packed). When off is not null, off[c] is set to where each stored
// column's value starts.
size_t PackedLayout(const TableSchema& schema, size_t written, bool wide, uint16_t* off) {
  size_t size = 2;
  for (size_t c = 0; c < written; ++c) {
    if (IsKey(schema, c)) continue;
    const size_t width = PackedWidth(schema.columns[c].type, wide);
    if (width == 0) return 0;
    if (off != nullptr) off[c] = static_cast<uint16_t>(size);
    size += width;
  }
  return size;
}

// Appends v to every output that schema column c feeds (`first` and `next`
// are RowDecoder's chains). A NULL or a default value may create null
// flags, so the column's sink, if any, goes.
void EmitField(const int32_t* first, const int32_t* next, size_t c, const Field& v, Batch* out,
               void** sinks) {
  if (sinks != nullptr) sinks[c] = nullptr;
  for (int32_t o = first[c]; o >= 0; o = next[static_cast<size_t>(o)]) {
    AppendField(v, &out->columns[static_cast<size_t>(o)]);
  }
}

// What PackRow did: a packed row's length (> 0), or one of these.
constexpr ptrdiff_t kNeedsWide = 0;      // a 64-bit integer needs 8 bytes
constexpr ptrdiff_t kNeedsGeneral = -1;  // a NULL, a STRING or a value out of range

// Stores v at p as a T iff it fits one (its low bytes, little endian: the
// engine targets little-endian hosts).
template <typename T, typename V>
[[gnu::always_inline]] inline bool StoreIfFits(V v, char** p) {
  const T x = static_cast<T>(v);
  if (static_cast<V>(x) != v) return false;
  std::memcpy(*p, &x, sizeof(T));
  *p += sizeof(T);
  return true;
}

// Writes row `row` in the packed form (narrow unless `wide`) at p, which
// has room for 2 + 8 * (n - 2) bytes; returns its length, kNeedsWide or
// kNeedsGeneral. One pass over the row: the common case, a narrow row, is
// checked and written together.
ptrdiff_t PackRow(const TableSchema& schema, const Batch& rows, size_t row, bool wide, char* p) {
  const size_t n = schema.columns.size();
  char* const start = p;
  *p++ = static_cast<char>(wide ? kPackedWide : kPackedNarrow);
  *p++ = static_cast<char>(n);
  for (size_t c = 0; c < n; ++c) {
    if (IsKey(schema, c)) continue;
    const ColumnVector& col = rows.columns[c];
    if (col.IsNull(row) || col.type == Type::kString) return kNeedsGeneral;
    bool fits = true;
    WithPackedType(col.type, wide, [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_floating_point_v<T>) {
        const T x = static_cast<T>(col.floats[row]);
        std::memcpy(p, &x, sizeof(T));
        p += sizeof(T);
      } else if constexpr (std::is_signed_v<T>) {
        fits = StoreIfFits<T>(col.ints[row], &p);
      } else {
        fits = StoreIfFits<T>(col.uints[row], &p);
      }
    });
    // A 64-bit value that does not fit 4 bytes fits the wide form's 8.
    if (!fits) return !wide && IsWideInt(col.type) ? kNeedsWide : kNeedsGeneral;
  }
  return p - start;
}

// dst[k] = the Src value at byte `off` of rows[k], for every row.
template <typename Src, typename Dst>
void Gather(std::span<const EncodedRow> rows, size_t off, Dst* dst) {
  for (size_t k = 0; k < rows.size(); ++k) {
    Src v;
    std::memcpy(&v, rows[k].row.data() + off, sizeof(Src));
    dst[k] = static_cast<Dst>(v);
  }
}

Status Malformed(size_t offset, const char* what) {
  return Status::Corruption("memtable row: " + std::string(what) + " at byte " +
                            std::to_string(offset));
}

}  // namespace

void EncodeRow(const TableSchema& schema, const Batch& rows, size_t row, std::string* out) {
  const size_t n = schema.columns.size();
  assert(rows.num_columns() == n && row < rows.num_rows());
  if (n <= kMaxPackedColumns) {
    const size_t start = out->size();
    out->resize(start + 2 + 8 * (n - 2));
    ptrdiff_t len = PackRow(schema, rows, row, /*wide=*/false, out->data() + start);
    if (len == kNeedsWide) len = PackRow(schema, rows, row, /*wide=*/true, out->data() + start);
    assert(len != kNeedsWide);
    if (len > 0) {
      out->resize(start + static_cast<size_t>(len));
      return;
    }
    out->resize(start);
  }
  coding::PutVarint(out, n);
  const size_t bitmap_at = out->size();
  out->append((n - 2 + 7) / 8, '\0');
  size_t k = 0;  // index among non-key columns
  for (size_t c = 0; c < n; ++c) {
    if (IsKey(schema, c)) continue;
    const ColumnVector& col = rows.columns[c];
    assert(col.type == schema.columns[c].type);
    if (col.IsNull(row)) {
      (*out)[bitmap_at + k / 8] = static_cast<char>((*out)[bitmap_at + k / 8] | (1 << (k % 8)));
      ++k;
      continue;
    }
    ++k;
    switch (StoredAs(col.type)) {
      case Op::kByte:
        out->push_back(static_cast<char>(static_cast<int8_t>(col.ints[row])));
        break;
      case Op::kZigZag:
        coding::PutVarint(out, coding::ZigZag(col.ints[row]));
        break;
      case Op::kVarint:
        coding::PutVarint(out, col.uints[row]);
        break;
      case Op::kF32:
        coding::PutFixed(out, static_cast<float>(col.floats[row]));
        break;
      case Op::kF64:
        coding::PutFixed(out, col.floats[row]);
        break;
      case Op::kString:
        coding::PutVarint(out, col.strings[row].size());
        out->append(col.strings[row]);
        break;
      case Op::kPartitionKey:
      case Op::kOrderKey:
        assert(false);  // keys are skipped above
        break;
    }
  }
}

RowDecoder::RowDecoder(const TableSchema& schema, std::span<const uint32_t> projection)
    : schema_(schema), outputs_(projection.size()) {
  const size_t n = schema.columns.size();
  const size_t links = n + projection.size();
  int32_t* base = inline_;
  ops_ = inline_ops_;
  if (links > kInlineLinks) {
    heap_.resize(links);
    heap_ops_.resize(n);
    base = heap_.data();
    ops_ = heap_ops_.data();
  }
  std::fill(base, base + links, -1);
  first_ = base;
  next_ = base + n;
  // Built back to front so that each chain lists its outputs in order.
  for (size_t i = projection.size(); i-- > 0;) {
    assert(projection[i] < n);
    next_[i] = first_[projection[i]];
    first_[projection[i]] = static_cast<int32_t>(i);
  }
  for (size_t c = 0; c < n; ++c) {
    Op op = StoredAs(schema.columns[c].type);
    if (c == schema.partition_key) op = Op::kPartitionKey;
    if (c == schema.order_key) op = Op::kOrderKey;
    ops_[c] = static_cast<uint8_t>(op);
  }
}

template <typename T, typename V>
inline void RowDecoder::Put(Batch* out, void* const* sinks, size_t c,
                            std::vector<T> ColumnVector::*lane, V v) const {
  if (sinks != nullptr && sinks[c] != nullptr) {
    static_cast<std::vector<T>*>(sinks[c])->emplace_back(v);
    return;
  }
  for (int32_t o = first_[c]; o >= 0; o = next_[static_cast<size_t>(o)]) {
    ColumnVector& col = out->columns[static_cast<size_t>(o)];
    (col.*lane).emplace_back(v);
    if (!col.nulls.empty()) col.nulls.push_back(0);
  }
}

Status RowDecoder::Decode(uint64_t user, int64_t order_key, std::string_view encoded,
                          Batch* out) const {
  return DecodeOne(user, order_key, encoded, out, nullptr);
}

Status RowDecoder::DecodeRows(uint64_t user, std::span<const EncodedRow> rows, Batch* out) const {
  assert(out->columns.size() == outputs_);
  // A column that feeds exactly one output, which has no null flags, takes
  // its values straight into that output's lane: most columns of most reads.
  // A NULL or a default value creates null flags, so DecodeOne clears the
  // column's sink when it emits one.
  const size_t n = schema_.columns.size();
  void* inline_sinks[kInlineLinks];
  std::vector<void*> heap_sinks;
  void** sinks = inline_sinks;
  if (n > kInlineLinks) {
    heap_sinks.resize(n);
    sinks = heap_sinks.data();
  }
  for (size_t c = 0; c < n; ++c) {
    sinks[c] = nullptr;
    const int32_t o = first_[c];
    if (o < 0 || next_[static_cast<size_t>(o)] >= 0) continue;
    ColumnVector& col = out->columns[static_cast<size_t>(o)];
    if (!col.nulls.empty()) continue;
    // The lane Put would choose: out's column has the schema column's type.
    switch (LaneOf(col.type)) {
      case Lane::kInt:
        sinks[c] = &col.ints;
        break;
      case Lane::kUInt:
        sinks[c] = &col.uints;
        break;
      case Lane::kFloat:
        sinks[c] = &col.floats;
        break;
      case Lane::kString:
        sinks[c] = &col.strings;
        break;
    }
  }
  size_t i = 0;
  bool fast = true;
  while (i < rows.size()) {
    if (fast) {
      // Runs of packed rows and of common-shape general rows, in any order.
      size_t taken = 0, step = 0;
      do {
        step = DecodePacked(user, rows.subspan(i), sinks, out);
        if (step == 0) step = DecodeStored(user, rows.subspan(i), sinks, out);
        i += step;
        taken += step;
      } while (step > 0 && i < rows.size());
      if (i == rows.size()) break;
      // A table whose rows often have NULLs would otherwise pay a failed
      // attempt for every row.
      fast = taken > 0;
    }
    const EncodedRow& r = rows[i++];
    Status s = DecodeOne(user, r.order_key, r.row, out, sinks);
    if (!s.ok()) return s.WithContext("seq " + std::to_string(r.seq));
  }
  return Status::OK();
}

size_t RowDecoder::DecodePacked(uint64_t user, std::span<const EncodedRow> rows, void* const* sinks,
                                Batch* out) const {
  const size_t n = schema_.columns.size();
  const std::string_view head = rows.front().row;
  if (n > kMaxPackedColumns || head.size() < 2 || static_cast<uint8_t>(head[0]) > kPackedWide ||
      static_cast<uint8_t>(head[1]) != n) {
    return 0;
  }
  const bool wide = static_cast<uint8_t>(head[0]) == kPackedWide;
  for (size_t c = 0; c < n; ++c) {
    if (first_[c] >= 0 && sinks[c] == nullptr) return 0;
  }
  // Where each column's value sits; every row of the run has this layout.
  uint16_t off[kMaxPackedColumns];
  const size_t size = PackedLayout(schema_, n, wide, off);
  if (size == 0) return 0;  // a STRING column: no row of it is packed
  size_t m = 0;
  while (m < rows.size() && rows[m].row.size() == size && rows[m].row[0] == head[0] &&
         rows[m].row[1] == head[1]) {
    ++m;
  }
  if (m == 0) return 0;  // the first row's size is wrong: DecodeOne says so
  const std::span<const EncodedRow> run = rows.first(m);
  const size_t before = out->num_rows();
  for (size_t c = 0; c < n; ++c) {
    if (first_[c] < 0) continue;
    const Op op = static_cast<Op>(ops_[c]);
    void* lane = ResizeLane(op, sinks[c], before + m, before);
    auto* ints = static_cast<int64_t*>(lane);
    auto* uints = static_cast<uint64_t*>(lane);
    auto* floats = static_cast<double*>(lane);
    if (op == Op::kPartitionKey) {
      std::fill(uints, uints + m, user);
      continue;
    }
    if (op == Op::kOrderKey) {
      for (size_t k = 0; k < m; ++k) ints[k] = run[k].order_key;
      continue;
    }
    WithPackedType(schema_.columns[c].type, wide, [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_floating_point_v<T>) {
        Gather<T>(run, off[c], floats);
      } else if constexpr (std::is_signed_v<T>) {
        Gather<T>(run, off[c], ints);
      } else {
        Gather<T>(run, off[c], uints);
      }
    });
  }
  return m;
}

size_t RowDecoder::DecodeStored(uint64_t user, std::span<const EncodedRow> rows, void* const* sinks,
                                Batch* out) const {
  const size_t n = schema_.columns.size();
  // The column count is then one varint byte, and the per-column arrays
  // below fit on the stack.
  if (n >= 0x80 || n > kInlineLinks) return 0;
  for (size_t c = 0; c < n; ++c) {
    if (first_[c] < 0) continue;
    if (sinks[c] == nullptr || static_cast<Op>(ops_[c]) == Op::kString) return 0;
  }
  const size_t before = out->num_rows();
  const size_t m = rows.size();
  // Each projected column's lane grows by m once, and values are stored by
  // index: no capacity check per value. slot[c] is the lane's entry for the
  // first new row, typed as the column's op stores it.
  void* slot[kInlineLinks];
  for (size_t c = 0; c < n; ++c) {
    slot[c] = sinks[c] != nullptr
                  ? ResizeLane(static_cast<Op>(ops_[c]), sinks[c], before + m, before)
                  : nullptr;
  }
  const size_t bitmap_bytes = (n - 2 + 7) / 8;
  size_t k = 0;
  for (; k < m; ++k) {
    coding::Reader in(rows[k].row.data(), rows[k].row.size());
    const uint8_t* head = nullptr;
    if (!in.GetBytes(1 + bitmap_bytes, &head) || head[0] != n) break;
    uint8_t nulls = 0;
    for (size_t b = 1; b <= bitmap_bytes; ++b) nulls |= head[b];
    if (nulls != 0) break;
    bool ok = true;
    for (size_t c = 0; c < n && ok; ++c) {
      switch (static_cast<Op>(ops_[c])) {
        case Op::kPartitionKey:
          if (slot[c] != nullptr) static_cast<uint64_t*>(slot[c])[k] = user;
          break;
        case Op::kOrderKey:
          if (slot[c] != nullptr) static_cast<int64_t*>(slot[c])[k] = rows[k].order_key;
          break;
        case Op::kByte: {
          int8_t b = 0;
          ok = in.GetFixed(&b);
          if (slot[c] != nullptr) static_cast<int64_t*>(slot[c])[k] = b;
          break;
        }
        case Op::kZigZag: {
          uint64_t z = 0;
          ok = in.GetVarint(&z);
          if (slot[c] != nullptr) static_cast<int64_t*>(slot[c])[k] = coding::UnZigZag(z);
          break;
        }
        case Op::kVarint: {
          uint64_t u = 0;
          ok = in.GetVarint(&u);
          if (slot[c] != nullptr) static_cast<uint64_t*>(slot[c])[k] = u;
          break;
        }
        case Op::kF32: {
          float x = 0;
          ok = in.GetFixed(&x);
          if (slot[c] != nullptr) static_cast<double*>(slot[c])[k] = x;
          break;
        }
        case Op::kF64: {
          double x = 0;
          ok = in.GetFixed(&x);
          if (slot[c] != nullptr) static_cast<double*>(slot[c])[k] = x;
          break;
        }
        case Op::kString: {  // not projected: skipped
          uint64_t len = 0;
          const uint8_t* p = nullptr;
          ok = in.GetVarint(&len) && len <= in.remaining() && in.GetBytes(len, &p);
          break;
        }
      }
    }
    if (!ok || in.remaining() != 0) break;
  }
  for (size_t c = 0; c < n; ++c) {
    if (slot[c] != nullptr) ResizeLane(static_cast<Op>(ops_[c]), sinks[c], before + k, 0);
  }
  return k;
}

Status RowDecoder::DecodeOne(uint64_t user, int64_t order_key, std::string_view encoded, Batch* out,
                             void** sinks) const {
  assert(out->columns.size() == outputs_);
  if (!encoded.empty() && static_cast<uint8_t>(encoded[0]) <= kPackedWide) {
    return DecodePackedOne(user, order_key, encoded, out, sinks);
  }
  coding::Reader in(encoded.data(), encoded.size());
  const auto at = [&] { return encoded.size() - in.remaining(); };
  uint64_t written = 0;
  if (!in.GetVarint(&written)) return Malformed(at(), "bad column count");
  const size_t n = schema_.columns.size();
  if (written > n || written <= schema_.partition_key || written <= schema_.order_key) {
    return Malformed(0, "column count out of range for the schema");
  }
  const uint8_t* bitmap = nullptr;
  if (!in.GetBytes((written - 2 + 7) / 8, &bitmap)) return Malformed(at(), "truncated null bitmap");

  // Values go straight into the output columns; a malformed row is cut
  // back off them, so that it appends nothing.
  const size_t rows_before = out->num_rows();
  const auto malformed = [&](const char* what) {
    for (ColumnVector& col : out->columns) {
      col.ints.resize(std::min(col.ints.size(), rows_before));
      col.uints.resize(std::min(col.uints.size(), rows_before));
      col.floats.resize(std::min(col.floats.size(), rows_before));
      col.strings.resize(std::min(col.strings.size(), rows_before));
      col.nulls.resize(std::min(col.nulls.size(), rows_before));
    }
    return Malformed(at(), what);
  };
  // The rare cases (NULL, a column added after the row was written) go
  // through a Field; stored values go straight to their lane.
  size_t k = 0;  // index among non-key columns
  for (size_t c = 0; c < n; ++c) {
    if (EmitUnstored(c, written, user, order_key, out, sinks)) continue;
    const Op op = static_cast<Op>(ops_[c]);
    const bool null = (bitmap[k / 8] >> (k % 8)) & 1;
    ++k;
    if (null) {
      Field f;
      f.null = true;
      EmitField(first_, next_, c, f, out, sinks);
      continue;
    }
    bool ok = true;
    switch (op) {
      case Op::kByte: {
        int8_t b = 0;
        ok = in.GetFixed(&b);
        Put(out, sinks, c, &ColumnVector::ints, int64_t{b});
        break;
      }
      case Op::kZigZag: {
        uint64_t z = 0;
        ok = in.GetVarint(&z);
        Put(out, sinks, c, &ColumnVector::ints, coding::UnZigZag(z));
        break;
      }
      case Op::kVarint: {
        uint64_t u = 0;
        ok = in.GetVarint(&u);
        Put(out, sinks, c, &ColumnVector::uints, u);
        break;
      }
      case Op::kF32: {
        float x = 0;
        ok = in.GetFixed(&x);
        Put(out, sinks, c, &ColumnVector::floats, double{x});
        break;
      }
      case Op::kF64: {
        double x = 0;
        ok = in.GetFixed(&x);
        Put(out, sinks, c, &ColumnVector::floats, x);
        break;
      }
      case Op::kString: {
        uint64_t len = 0;
        const uint8_t* p = nullptr;
        ok = in.GetVarint(&len) && len <= in.remaining() && in.GetBytes(len, &p);
        if (ok) {
          Put(out, sinks, c, &ColumnVector::strings,
              std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(len)));
        }
        break;
      }
      case Op::kPartitionKey:
      case Op::kOrderKey:
        break;  // handled above
    }
    if (!ok) return malformed("truncated value");
  }
  if (in.remaining() != 0) return malformed("trailing bytes");
  return Status::OK();
}

bool RowDecoder::EmitUnstored(size_t c, size_t written, uint64_t user, int64_t order_key,
                              Batch* out, void** sinks) const {
  switch (static_cast<Op>(ops_[c])) {
    case Op::kPartitionKey:
      Put(out, sinks, c, &ColumnVector::uints, user);
      return true;
    case Op::kOrderKey:
      Put(out, sinks, c, &ColumnVector::ints, order_key);
      return true;
    default:
      break;
  }
  if (c < written) return false;
  EmitField(first_, next_, c, FromValue(schema_.columns[c].default_value), out, sinks);
  return true;
}

Status RowDecoder::DecodePackedOne(uint64_t user, int64_t order_key, std::string_view encoded,
                                   Batch* out, void** sinks) const {
  const bool wide = static_cast<uint8_t>(encoded[0]) == kPackedWide;
  if (encoded.size() < 2) return Malformed(1, "bad column count");
  const size_t written = static_cast<uint8_t>(encoded[1]);
  const size_t n = schema_.columns.size();
  if (written > n || written <= schema_.partition_key || written <= schema_.order_key) {
    return Malformed(1, "column count out of range for the schema");
  }
  // The whole row is checked before any value is appended, so a bad row
  // appends nothing.
  const size_t size = PackedLayout(schema_, written, wide, nullptr);
  if (size == 0) return Malformed(1, "a STRING column in a packed row");
  if (encoded.size() < size) return Malformed(encoded.size(), "truncated value");
  if (encoded.size() > size) return Malformed(size, "trailing bytes");
  size_t at = 2;
  for (size_t c = 0; c < n; ++c) {
    if (EmitUnstored(c, written, user, order_key, out, sinks)) continue;
    const Type t = schema_.columns[c].type;
    const uint8_t* p = reinterpret_cast<const uint8_t*>(encoded.data()) + at;
    at += PackedWidth(t, wide);
    WithPackedType(t, wide, [&](auto tag) {
      using T = decltype(tag);
      const T v = coding::LoadFixed<T>(p);
      if constexpr (std::is_floating_point_v<T>) {
        Put(out, sinks, c, &ColumnVector::floats, double{v});
      } else if constexpr (std::is_signed_v<T>) {
        Put(out, sinks, c, &ColumnVector::ints, int64_t{v});
      } else {
        Put(out, sinks, c, &ColumnVector::uints, uint64_t{v});
      }
    });
  }
  return Status::OK();
}

Status DecodeRow(const TableSchema& schema, std::span<const uint32_t> projection, uint64_t user,
                 int64_t order_key, std::string_view encoded, Batch* out) {
  return RowDecoder(schema, projection).Decode(user, order_key, encoded, out);
}

void InitProjection(const TableSchema& schema, std::span<const uint32_t> projection, Batch* out) {
  assert(out->columns.empty());
  // Sized once: every read builds at least one of these per user.
  out->names.reserve(projection.size());
  out->columns.reserve(projection.size());
  for (uint32_t c : projection) out->AddColumn(schema.columns[c].name, schema.columns[c].type);
}

void ResetProjection(const TableSchema& schema, std::span<const uint32_t> projection, Batch* out) {
  const size_t have = out->columns.size();
  bool prefix = have <= projection.size() && out->names.size() == have;
  for (size_t i = 0; prefix && i < have; ++i) {
    const Column& c = schema.columns[projection[i]];
    prefix = out->columns[i].type == c.type && out->names[i] == c.name;
  }
  if (!prefix) {
    *out = Batch();
    InitProjection(schema, projection, out);
    return;
  }
  for (ColumnVector& c : out->columns) c.Clear();
  for (size_t i = have; i < projection.size(); ++i) {
    out->AddColumn(schema.columns[projection[i]].name, schema.columns[projection[i]].type);
  }
}

std::vector<uint32_t> AllColumns(const TableSchema& schema) {
  std::vector<uint32_t> all(schema.columns.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint32_t>(i);
  return all;
}

}  // namespace laser::rowcodec
