// Sequence-level merge: the policy that decides which of a user's blocks to
// rewrite into one contiguous extent, and the row operations a merge (and the
// read path, which merges blocks with the memtable tail) is made of.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/index/block_index.hpp"
#include "laser/batch.hpp"
#include "laser/schema.hpp"

namespace laser::compaction {

// A run of at least this many events is a finished extent: the newest 1000
// events of a user are then in its last run plus at most the one before.
inline constexpr uint64_t kExtentEvents = 1024;
// A block holds at most this many raw (decoded) bytes, so a short read decodes
// little beyond what it needs.
inline constexpr size_t kBlockRawBytes = 64u << 10;
// Events per block written by flushes and merges (the format allows up to
// format::kMaxBlockEvents). A merged extent's newest block holds this many,
// so the newest ~1000 events, the common read, are one block of a few KiB.
inline constexpr size_t kBlockEvents = 1024;

// A maximal range [begin, end) of handles that are adjacent in one segment
// file (one read covers them).
struct Run {
  size_t begin = 0;
  size_t end = 0;
  uint64_t events = 0;
};
std::vector<Run> FindRuns(std::span<const BlockHandle> handles);

// What to rewrite of one user (handles in write order).
// A retiring handle (count 0, see segment_format.hpp) holds no events.
//  - full (every handle) when retention would drop events: more than
//    max_events plus a slack of max_events / 4, or a block older than
//    ttl_cutoff (an order key below it is expired); or when `force_full`;
//  - else the handles after the last run of >= kExtentEvents events, when
//    they form two or more runs;
//  - else nothing (nullopt).
// Returns the index of the first handle to rewrite.
std::optional<size_t> PlanMerge(std::span<const BlockHandle> handles, uint64_t max_events,
                                std::optional<int64_t> ttl_cutoff, bool force_full);

// Row indices of `keys` in (key, position) order: a stable sort, skipped when
// the keys are already ordered.
std::vector<uint32_t> OrderByKey(std::span<const int64_t> keys);

// A batch with the same columns holding rows[i] of `in` as row i.
Batch TakeRows(const Batch& in, std::span<const uint32_t> rows);

// Appends every row of `src` to *dst. REQUIRES the same column types (dst may
// have no columns, then they are created).
void AppendRows(const Batch& src, Batch* dst);

// Splits rows [0, n) of `rows` into consecutive chunks of at most
// kBlockRawBytes estimated raw bytes (at least one row each) and at most
// `max_events` rows, filled from the last row back (only the first chunk
// may be short); returns the chunk ends, ascending.
std::vector<size_t> ChunkEnds(const Batch& rows, size_t max_events);

}  // namespace laser::compaction
