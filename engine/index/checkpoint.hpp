// The index checkpoint: the DRAM index saved to one file so an open does not
// have to scan every segment. Byte-level spec: docs/format/index.md.
//
//   header (40 bytes): magic "LASERIDX" (8) | format version u32 = 1 |
//     reserved u32 = 0 | index epoch u64 | segment count u32 | table count u32 |
//     reserved u64 = 0
//   segments: (id u64, committed size u64) per segment, ascending id
//   tables, each: table id u32 | user count u64 | users ascending, each:
//     user u64 | handle count u32 | handles, each 36 bytes:
//       first key i64 | last key i64 | offset u64 | segment u32 | length u32 |
//       count u32
//   trailer: XXH64(seed 0) of every byte before it (8 bytes)
// little endian. A checkpoint is used iff it parses, its checksum matches,
// its epoch and segment list equal the manifest's, and every handle lies
// inside a listed segment; otherwise the index is rebuilt from the segments.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/catalog/manifest.hpp"
#include "engine/index/block_index.hpp"
#include "laser/status.hpp"

namespace laser {

inline constexpr const char* kIndexCheckpointFileName = "INDEX";

using IndexMap = std::map<uint32_t, std::unique_ptr<TableIndex>>;  // table id -> index
using IndexView = std::map<uint32_t, const TableIndex*>;

// Serialises the index of every table for manifest `m` (its epoch and
// segments).
std::vector<uint8_t> EncodeIndexCheckpoint(const ManifestData& m, const IndexView& tables);

// Parses a checkpoint and checks it against `m` (see above). Tables absent
// from `m` are skipped. Returns Corruption naming `file` and the offset iff
// it is damaged or stale (the message then says "stale").
Result<IndexMap> DecodeIndexCheckpoint(std::span<const uint8_t> bytes, const ManifestData& m,
                                       const std::string& file);

}  // namespace laser
