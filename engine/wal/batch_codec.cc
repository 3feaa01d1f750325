#include "engine/wal/batch_codec.hpp"

#include <cassert>
#include <string>

#include "engine/memtable/varint.hpp"

namespace laser::wal {
namespace {

constexpr uint8_t kMaxType = static_cast<uint8_t>(Type::kEnum);

}  // namespace

void EncodeAppendBatch(uint32_t table_id, uint32_t schema_version, const Batch& rows,
                       std::vector<uint8_t>* out) {
  assert(rows.Validate().ok());
  const size_t n = rows.num_rows();
  coding::PutVarint(out, table_id);
  coding::PutVarint(out, schema_version);
  coding::PutVarint(out, rows.num_columns());
  coding::PutVarint(out, n);
  for (size_t c = 0; c < rows.num_columns(); ++c) {
    const ColumnVector& col = rows.columns[c];
    const std::string& name = c < rows.names.size() ? rows.names[c] : std::string();
    coding::PutVarint(out, name.size());
    out->insert(out->end(), name.begin(), name.end());
    out->push_back(static_cast<uint8_t>(col.type));
    const bool has_nulls = !col.nulls.empty();
    out->push_back(has_nulls ? 1 : 0);
    if (has_nulls) {
      const size_t at = out->size();
      out->resize(at + (n + 7) / 8, 0);
      for (size_t r = 0; r < n; ++r) {
        if (col.nulls[r] != 0) (*out)[at + r / 8] |= static_cast<uint8_t>(1u << (r % 8));
      }
    }
    switch (LaneOf(col.type)) {
      case Lane::kInt:
        for (int64_t v : col.ints) coding::PutVarint(out, coding::ZigZag(v));
        break;
      case Lane::kUInt:
        for (uint64_t v : col.uints) coding::PutVarint(out, v);
        break;
      case Lane::kFloat:
        for (double v : col.floats) coding::PutFixed(out, v);
        break;
      case Lane::kString:
        for (const std::string& s : col.strings) {
          coding::PutVarint(out, s.size());
          out->insert(out->end(), s.begin(), s.end());
        }
        break;
    }
  }
}

Result<AppendBatch> DecodeAppendBatch(std::span<const uint8_t> payload) {
  coding::Reader in(payload);
  const auto bad = [&](const char* what) {
    return Status::Corruption("append-batch payload: " + std::string(what) + " at byte " +
                              std::to_string(payload.size() - in.remaining()));
  };
  AppendBatch b;
  uint64_t ncols = 0, nrows = 0;
  if (!in.GetVarint32(&b.table_id)) return bad("bad table id");
  if (!in.GetVarint32(&b.schema_version)) return bad("bad schema version");
  if (!in.GetVarint(&ncols)) return bad("bad column count");
  if (!in.GetVarint(&nrows)) return bad("bad row count");
  // Each column takes at least 3 bytes and at least one byte per row, which
  // bounds every allocation below by the payload's size.
  if (ncols > in.remaining() / 3) return bad("column count exceeds the payload");
  if (ncols == 0 ? nrows != 0 : nrows > in.remaining()) return bad("row count exceeds the payload");
  const size_t n = static_cast<size_t>(nrows);
  b.rows.names.reserve(ncols);
  b.rows.columns.reserve(ncols);
  for (uint64_t c = 0; c < ncols; ++c) {
    uint64_t name_len = 0;
    const uint8_t* name = nullptr;
    if (!in.GetVarint(&name_len) || !in.GetBytes(name_len, &name)) return bad("bad column name");
    uint8_t type = 0, null_flag = 0;
    if (!in.GetFixed(&type) || type > kMaxType) return bad("bad column type");
    if (!in.GetFixed(&null_flag) || null_flag > 1) return bad("bad null flag");
    ColumnVector& col = b.rows.AddColumn(std::string(reinterpret_cast<const char*>(name), name_len),
                                         static_cast<Type>(type));
    if (null_flag == 1) {
      const uint8_t* bits = nullptr;
      if (!in.GetBytes((n + 7) / 8, &bits)) return bad("truncated null bitmap");
      col.nulls.resize(n);
      for (size_t r = 0; r < n; ++r) col.nulls[r] = (bits[r / 8] >> (r % 8)) & 1;
    }
    if (n > in.remaining()) return bad("truncated column values");
    switch (LaneOf(col.type)) {
      case Lane::kInt:
        col.ints.resize(n);
        for (size_t r = 0; r < n; ++r) {
          uint64_t z = 0;
          if (!in.GetVarint(&z)) return bad("truncated integer");
          col.ints[r] = coding::UnZigZag(z);
        }
        break;
      case Lane::kUInt:
        col.uints.resize(n);
        for (size_t r = 0; r < n; ++r) {
          if (!in.GetVarint(&col.uints[r])) return bad("truncated integer");
        }
        break;
      case Lane::kFloat:
        if (n > in.remaining() / 8) return bad("truncated floats");
        col.floats.resize(n);
        for (size_t r = 0; r < n; ++r) in.GetFixed(&col.floats[r]);
        break;
      case Lane::kString:
        col.strings.resize(n);
        for (size_t r = 0; r < n; ++r) {
          uint64_t len = 0;
          const uint8_t* p = nullptr;
          if (!in.GetVarint(&len) || !in.GetBytes(len, &p)) return bad("truncated string");
          col.strings[r].assign(reinterpret_cast<const char*>(p), len);
        }
        break;
    }
  }
  if (in.remaining() != 0) return bad("trailing bytes");
  return b;
}

}  // namespace laser::wal
