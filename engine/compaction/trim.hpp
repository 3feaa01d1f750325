// Trimming a cached frame: a user's newest events are what last-N reads ask
// for, so once newer frames hold enough of them, the older rows of a cached
// block only take cache space. A trimmed frame keeps the newest rows of one
// block; it lives only in the block cache, never on disk.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "laser/schema.hpp"
#include "laser/status.hpp"

namespace laser::compaction {

// How many of a block's `count` rows (oldest first) a read of the newest
// `keep_newest` events can skip, given `newer` events in newer blocks and
// memtables. Returns count iff the block is not needed at all.
uint32_t RowsBeyondNewest(uint32_t count, uint64_t newer, uint64_t keep_newest);

// Returns `frame` (a checked frame: segment frame header, then a block of
// `schema` or of an earlier version of it) without its first `drop` rows:
// the same header but for count, first_key and payload length, and a block
// re-encoded from the remaining rows under `schema`.
// REQUIRES: 0 < drop < the frame's event count.
// Returns Corruption iff the frame does not decode.
Result<std::vector<uint8_t>> TrimFrame(const TableSchema& schema, std::span<const uint8_t> frame,
                                       uint32_t drop);

}  // namespace laser::compaction
