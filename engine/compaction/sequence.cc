#include "engine/compaction/sequence.hpp"

#include <algorithm>
#include <numeric>

namespace laser::compaction {

std::vector<Run> FindRuns(std::span<const BlockHandle> hs) {
  std::vector<Run> runs;
  for (size_t i = 0; i < hs.size(); ++i) {
    const bool joins = i > 0 && hs[i].segment == hs[i - 1].segment &&
                       hs[i].offset == hs[i - 1].offset + hs[i - 1].length;
    if (!joins) runs.push_back(Run{i, i, 0});
    runs.back().end = i + 1;
    runs.back().events += hs[i].count;
  }
  return runs;
}

std::optional<size_t> PlanMerge(std::span<const BlockHandle> hs, uint64_t max_events,
                                std::optional<int64_t> ttl_cutoff, bool force_full) {
  if (hs.empty()) return std::nullopt;
  if (force_full) return 0;
  uint64_t total = 0;
  bool expired = false;
  for (const BlockHandle& h : hs) {
    total += h.count;
    if (h.count > 0 && ttl_cutoff && h.first_key < *ttl_cutoff) expired = true;
  }
  if (expired || (max_events > 0 && total > max_events + max_events / 4)) return 0;
  const std::vector<Run> runs = FindRuns(hs);
  size_t first_small = 0;
  for (size_t r = runs.size(); r-- > 0;) {
    if (runs[r].events >= kExtentEvents) {
      first_small = r + 1;
      break;
    }
  }
  if (runs.size() - first_small < 2) return std::nullopt;
  return runs[first_small].begin;
}

std::vector<uint32_t> OrderByKey(std::span<const int64_t> keys) {
  std::vector<uint32_t> order(keys.size());
  std::iota(order.begin(), order.end(), 0u);
  if (!std::is_sorted(keys.begin(), keys.end())) {
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return keys[a] < keys[b]; });
  }
  return order;
}

namespace {

template <typename T>
void Gather(const std::vector<T>& in, std::span<const uint32_t> rows, std::vector<T>* out) {
  out->reserve(rows.size());
  for (uint32_t r : rows) out->push_back(in[r]);
}

template <typename T>
void Extend(const std::vector<T>& src, std::vector<T>* dst) {
  dst->insert(dst->end(), src.begin(), src.end());
}

}  // namespace

Batch TakeRows(const Batch& in, std::span<const uint32_t> rows) {
  Batch out;
  out.names = in.names;
  out.columns.reserve(in.columns.size());
  for (const ColumnVector& c : in.columns) {
    ColumnVector& o = out.columns.emplace_back(c.type);
    switch (LaneOf(c.type)) {
      case Lane::kInt:
        Gather(c.ints, rows, &o.ints);
        break;
      case Lane::kUInt:
        Gather(c.uints, rows, &o.uints);
        break;
      case Lane::kFloat:
        Gather(c.floats, rows, &o.floats);
        break;
      case Lane::kString:
        Gather(c.strings, rows, &o.strings);
        break;
    }
    if (!c.nulls.empty()) {
      Gather(c.nulls, rows, &o.nulls);
      if (std::none_of(o.nulls.begin(), o.nulls.end(), [](uint8_t b) { return b != 0; })) {
        o.nulls.clear();
      }
    }
  }
  return out;
}

void AppendRows(const Batch& src, Batch* dst) {
  if (dst->columns.empty()) {
    *dst = src;
    return;
  }
  const size_t before = dst->num_rows();
  for (size_t i = 0; i < src.columns.size(); ++i) {
    const ColumnVector& s = src.columns[i];
    ColumnVector& d = dst->columns[i];
    // Decided before extending: with no rows in dst yet, its flags are empty
    // whether or not src has any.
    const bool flags = !s.nulls.empty() || !d.nulls.empty();
    if (flags) d.nulls.resize(before, 0);
    Extend(s.ints, &d.ints);
    Extend(s.uints, &d.uints);
    Extend(s.floats, &d.floats);
    Extend(s.strings, &d.strings);
    if (flags) {
      if (s.nulls.empty()) {
        d.nulls.resize(before + s.size(), 0);
      } else {
        Extend(s.nulls, &d.nulls);
      }
    }
  }
}

std::vector<size_t> ChunkEnds(const Batch& rows, size_t max_events) {
  const size_t n = rows.num_rows();
  size_t fixed = 0;
  std::vector<const ColumnVector*> strings;
  for (const ColumnVector& c : rows.columns) {
    if (LaneOf(c.type) == Lane::kString) {
      strings.push_back(&c);
    } else {
      fixed += 8;
    }
  }
  // Filled from the newest row back: the last chunk is a full one and the
  // short remainder, if any, is the oldest. A last-N read (N up to a full
  // chunk) then needs one block, and the cache holds one block per user
  // being read rather than a short last block plus the one before it.
  std::vector<size_t> ends;
  if (n == 0) return ends;
  ends.push_back(n);
  size_t bytes = 0, count = 0;
  for (size_t r = n; r-- > 0;) {
    size_t row_bytes = fixed;
    for (const ColumnVector* c : strings) row_bytes += c->strings[r].size() + 4;
    if (count > 0 && (bytes + row_bytes > kBlockRawBytes || count >= max_events)) {
      ends.push_back(r + 1);
      bytes = 0;
      count = 0;
    }
    bytes += row_bytes;
    ++count;
  }
  std::reverse(ends.begin(), ends.end());
  return ends;
}

}  // namespace laser::compaction
