// The manifest: the catalog (tables, models) and the set of live files of a
// database, serialised as a FlatBuffer (engine/catalog/manifest.fbs) and
// replaced atomically (temp -> fsync -> rename -> fsync dir). Format:
// docs/format/manifest.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/io/env.hpp"
#include "laser/schema.hpp"
#include "laser/status.hpp"

namespace laser {

inline constexpr uint32_t kManifestFormatVersion = 1;
inline constexpr const char* kManifestFileName = "MANIFEST";

struct TableEntry {
  uint32_t id = 0;
  TableSchema schema;
};

struct ModelEntry {
  std::string name;
  std::string file;  // file name inside the database directory
};

struct SegmentEntry {
  uint64_t id = 0;
  uint64_t size = 0;        // committed bytes
  uint64_t live_bytes = 0;  // bytes of frames the index refers to
};

struct ManifestData {
  uint32_t next_table_id = 1;
  uint64_t next_segment_id = 1;
  uint64_t next_model_id = 1;
  uint64_t next_write_id = 1;
  uint64_t last_seq = 0;        // largest event sequence number in segment files
  uint64_t min_wal_number = 1;  // WAL files numbered >= this are replayed at open
  uint64_t index_epoch = 0;
  std::vector<TableEntry> tables;
  std::vector<ModelEntry> models;
  std::vector<SegmentEntry> segments;  // ascending id
  std::string index_checkpoint;        // empty = none

  const TableEntry* FindTable(uint32_t id) const;
  const SegmentEntry* FindSegment(uint64_t id) const;
};

// Serialises m. REQUIRES: m satisfies the invariants DecodeManifest checks.
std::vector<uint8_t> EncodeManifest(const ManifestData& m);

// Parses and checks a manifest: the FlatBuffers verifier first, then every
// invariant (schemas valid, unique table names and ids below next_table_id,
// segments ascending with live_bytes <= size and ids below next_segment_id,
// model files plain names).
// Returns Corruption naming `file_name` (and the offset where known) iff any
// check fails.
Result<ManifestData> DecodeManifest(std::span<const uint8_t> bytes, const std::string& file_name);

// Reads and decodes <dir>/MANIFEST. NotFound iff the file does not exist.
Result<ManifestData> LoadManifest(Env* env, const std::string& dir);
// Writes <dir>/MANIFEST atomically.
Status StoreManifest(Env* env, const std::string& dir, const ManifestData& m);

// True iff `name` is a plain file name (no '/', not "." or "..", non-empty).
bool IsPlainFileName(std::string_view name);

}  // namespace laser
