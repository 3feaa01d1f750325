#include "engine/catalog/manifest.hpp"

#include <flatbuffers/flatbuffers.h>
#include <xxhash.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <utility>

#include "engine/util/status_macros.hpp"
#include "manifest_generated.h"

namespace laser {
namespace {

constexpr uint8_t kValueNull = 0;
constexpr uint8_t kValueInt = 1;
constexpr uint8_t kValueUInt = 2;
constexpr uint8_t kValueFloat = 3;
constexpr uint8_t kValueString = 4;

flatbuffers::Offset<fb::ValueDef> EncodeValue(flatbuffers::FlatBufferBuilder& b, const Value& v) {
  flatbuffers::Offset<flatbuffers::String> s;
  if (const auto* str = std::get_if<std::string>(&v.v)) s = b.CreateString(*str);
  fb::ValueDefBuilder vb(b);
  if (const auto* i = std::get_if<int64_t>(&v.v)) {
    vb.add_kind(kValueInt);
    vb.add_i(*i);
  } else if (const auto* u = std::get_if<uint64_t>(&v.v)) {
    vb.add_kind(kValueUInt);
    vb.add_u(*u);
  } else if (const auto* d = std::get_if<double>(&v.v)) {
    vb.add_kind(kValueFloat);
    vb.add_f(*d);
  } else if (std::holds_alternative<std::string>(v.v)) {
    vb.add_kind(kValueString);
    vb.add_s(s);
  } else {
    vb.add_kind(kValueNull);
  }
  return vb.Finish();
}

flatbuffers::Offset<fb::TableDef> EncodeTable(flatbuffers::FlatBufferBuilder& b,
                                              const TableEntry& t) {
  std::vector<flatbuffers::Offset<fb::ColumnDef>> cols;
  for (const Column& c : t.schema.columns) {
    auto name = b.CreateString(c.name);
    flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>> enums;
    if (!c.enum_values.empty()) enums = b.CreateVectorOfStrings(c.enum_values);
    auto def = EncodeValue(b, c.default_value);
    cols.push_back(fb::CreateColumnDef(b, name, static_cast<uint8_t>(c.type),
                                       static_cast<uint8_t>(c.unit), enums, c.nullable, def));
  }
  auto name = b.CreateString(t.schema.name);
  auto colv = b.CreateVector(cols);
  return fb::CreateTableDef(b, t.id, name, colv, t.schema.partition_key, t.schema.order_key,
                            t.schema.version, t.schema.retention.max_events,
                            t.schema.retention.ttl_ms);
}

Status Bad(const std::string& file, const std::string& what) {
  return Status::Corruption("manifest " + file + ": " + what);
}

Result<Value> DecodeValue(const fb::ValueDef* v, const std::string& file, const std::string& col) {
  if (v == nullptr) return Value::Null();
  switch (v->kind()) {
    case kValueNull:
      return Value::Null();
    case kValueInt:
      return Value::Int(v->i());
    case kValueUInt:
      return Value::UInt(v->u());
    case kValueFloat:
      return Value::Float(v->f());
    case kValueString:
      if (v->s() == nullptr) return Bad(file, "column " + col + ": string default without text");
      return Value::String(v->s()->str());
    default:
      return Bad(file, "column " + col + ": unknown default kind " + std::to_string(v->kind()));
  }
}

Result<TableEntry> DecodeTable(const fb::TableDef* t, const std::string& file, size_t idx) {
  TableEntry e;
  e.id = t->id();
  e.schema.name = t->name()->str();
  const std::string where = "table #" + std::to_string(idx) + " (" + e.schema.name + ")";
  for (const fb::ColumnDef* c : *t->columns()) {
    Column col;
    col.name = c->name()->str();
    if (c->type() > static_cast<uint8_t>(Type::kEnum)) {
      return Bad(file,
                 where + " column " + col.name + ": unknown type " + std::to_string(c->type()));
    }
    if (c->unit() > static_cast<uint8_t>(TimeUnit::kNanosecond)) {
      return Bad(
          file, where + " column " + col.name + ": unknown time unit " + std::to_string(c->unit()));
    }
    col.type = static_cast<Type>(c->type());
    col.unit = static_cast<TimeUnit>(c->unit());
    if (c->enum_values() != nullptr) {
      for (const flatbuffers::String* s : *c->enum_values()) col.enum_values.push_back(s->str());
    }
    col.nullable = c->nullable();
    LASER_ASSIGN_OR_RETURN(col.default_value, DecodeValue(c->default_value(), file, col.name));
    e.schema.columns.push_back(std::move(col));
  }
  e.schema.partition_key = t->partition_key();
  e.schema.order_key = t->order_key();
  e.schema.version = t->version();
  e.schema.retention.max_events = t->max_events();
  e.schema.retention.ttl_ms = t->ttl_ms();
  if (e.schema.retention.ttl_ms < 0) return Bad(file, where + ": negative ttl");
  Status st = e.schema.Validate();
  if (!st.ok()) return Bad(file, where + ": invalid schema: " + st.message());
  return e;
}

}  // namespace

bool IsPlainFileName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

const TableEntry* ManifestData::FindTable(uint32_t id) const {
  for (const TableEntry& t : tables) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

const SegmentEntry* ManifestData::FindSegment(uint64_t id) const {
  auto it = std::lower_bound(segments.begin(), segments.end(), id,
                             [](const SegmentEntry& s, uint64_t v) { return s.id < v; });
  return it != segments.end() && it->id == id ? &*it : nullptr;
}

std::vector<uint8_t> EncodeManifest(const ManifestData& m) {
  flatbuffers::FlatBufferBuilder b(1024);
  std::vector<flatbuffers::Offset<fb::TableDef>> tables;
  for (const TableEntry& t : m.tables) tables.push_back(EncodeTable(b, t));
  std::vector<flatbuffers::Offset<fb::ModelDef>> models;
  for (const ModelEntry& md : m.models) {
    auto n = b.CreateString(md.name);
    auto f = b.CreateString(md.file);
    models.push_back(fb::CreateModelDef(b, n, f));
  }
  std::vector<flatbuffers::Offset<fb::SegmentDef>> segs;
  for (const SegmentEntry& s : m.segments) {
    segs.push_back(fb::CreateSegmentDef(b, s.id, s.size, s.live_bytes));
  }
  auto tv = b.CreateVector(tables);
  auto mv = b.CreateVector(models);
  auto sv = b.CreateVector(segs);
  flatbuffers::Offset<flatbuffers::String> ckpt;
  if (!m.index_checkpoint.empty()) ckpt = b.CreateString(m.index_checkpoint);
  auto root = fb::CreateManifest(b, kManifestFormatVersion, m.next_table_id, m.next_segment_id,
                                 m.next_model_id, m.next_write_id, m.last_seq, m.min_wal_number,
                                 m.index_epoch, tv, mv, sv, ckpt);
  fb::FinishManifestBuffer(b, root);
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

Result<ManifestData> DecodeManifest(std::span<const uint8_t> bytes, const std::string& file) {
  if (bytes.size() < 8) {
    return Bad(file, "truncated: " + std::to_string(bytes.size()) + " bytes at offset 0");
  }
  if (!fb::ManifestBufferHasIdentifier(bytes.data())) {
    return Bad(file, "bad file identifier at offset 4 (expected \"LMAN\")");
  }
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  if (!fb::VerifyManifestBuffer(verifier)) {
    return Bad(file,
               "FlatBuffers verification failed (" + std::to_string(bytes.size()) + " bytes)");
  }
  const fb::Manifest* root = fb::GetManifest(bytes.data());
  if (root->format_version() != kManifestFormatVersion) {
    return Bad(file, "unsupported format version " + std::to_string(root->format_version()));
  }
  ManifestData m;
  m.next_table_id = root->next_table_id();
  m.next_segment_id = root->next_segment_id();
  m.next_model_id = root->next_model_id();
  m.next_write_id = root->next_write_id();
  m.last_seq = root->last_seq();
  m.min_wal_number = root->min_wal_number();
  m.index_epoch = root->index_epoch();
  std::set<uint32_t> ids;
  std::set<std::string> names;
  if (root->tables() != nullptr) {
    for (size_t i = 0; i < root->tables()->size(); ++i) {
      LASER_ASSIGN_OR_RETURN(TableEntry t, DecodeTable(root->tables()->Get(i), file, i));
      if (t.id == 0 || t.id >= m.next_table_id) {
        return Bad(file, "table " + t.schema.name + ": id " + std::to_string(t.id) +
                             " outside [1, next_table_id=" + std::to_string(m.next_table_id) + ")");
      }
      std::string lower;
      for (char c : t.schema.name) lower += static_cast<char>(std::tolower(c));
      if (!ids.insert(t.id).second) {
        return Bad(file, "duplicate table id " + std::to_string(t.id));
      }
      if (!names.insert(lower).second) return Bad(file, "duplicate table " + t.schema.name);
      m.tables.push_back(std::move(t));
    }
  }
  std::set<std::string> model_names;
  if (root->models() != nullptr) {
    for (const fb::ModelDef* md : *root->models()) {
      ModelEntry e{md->name()->str(), md->file()->str()};
      if (e.name.empty() || !IsPlainFileName(e.file)) {
        return Bad(file, "model '" + e.name + "': bad file name '" + e.file + "'");
      }
      if (!model_names.insert(e.name).second) return Bad(file, "duplicate model " + e.name);
      m.models.push_back(std::move(e));
    }
  }
  if (root->segments() != nullptr) {
    for (const fb::SegmentDef* s : *root->segments()) {
      SegmentEntry e{s->id(), s->size(), s->live_bytes()};
      const std::string where = "segment " + std::to_string(e.id);
      if (e.id == 0 || e.id >= m.next_segment_id) {
        return Bad(file, where + ": id outside [1, next_segment_id=" +
                             std::to_string(m.next_segment_id) + ")");
      }
      if (!m.segments.empty() && m.segments.back().id >= e.id) {
        return Bad(file, where + ": segment ids not ascending");
      }
      if (e.live_bytes > e.size) {
        return Bad(file, where + ": live bytes " + std::to_string(e.live_bytes) + " exceed size " +
                             std::to_string(e.size));
      }
      m.segments.push_back(e);
    }
  }
  if (root->index_checkpoint() != nullptr) {
    m.index_checkpoint = root->index_checkpoint()->str();
    if (!IsPlainFileName(m.index_checkpoint)) {
      return Bad(file, "bad index checkpoint file name '" + m.index_checkpoint + "'");
    }
  }
  return m;
}

// The file is the FlatBuffer followed by an 8-byte trailer: XXH64 (seed 0,
// little endian) of the FlatBuffer. The verifier only proves the buffer is
// safe to read; without the checksum a flipped byte in a segment size, a
// segment id or min_wal_number reads as a valid manifest, and open then cuts
// or deletes segment files or skips WAL files.
constexpr size_t kManifestTrailerSize = 8;

Result<ManifestData> LoadManifest(Env* env, const std::string& dir) {
  const std::string path = dir + "/" + kManifestFileName;
  if (!env->FileExists(path)) return Status::NotFound("no manifest at " + path);
  LASER_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, env->ReadFile(path));
  if (bytes.size() < kManifestTrailerSize) {
    return Status::Corruption("manifest " + path + ": truncated: " + std::to_string(bytes.size()) +
                              " bytes at offset 0");
  }
  const size_t body = bytes.size() - kManifestTrailerSize;
  uint64_t stored = 0;
  for (size_t i = 0; i < kManifestTrailerSize; ++i) {
    stored |= static_cast<uint64_t>(bytes[body + i]) << (8 * i);
  }
  if (XXH64(bytes.data(), body, 0) != stored) {
    return Status::Corruption("manifest " + path + ": checksum mismatch at offset " +
                              std::to_string(body));
  }
  return DecodeManifest(std::span<const uint8_t>(bytes.data(), body), path);
}

Status StoreManifest(Env* env, const std::string& dir, const ManifestData& m) {
  std::vector<uint8_t> bytes = EncodeManifest(m);
  const uint64_t sum = XXH64(bytes.data(), bytes.size(), 0);
  for (size_t i = 0; i < kManifestTrailerSize; ++i) {
    bytes.push_back(static_cast<uint8_t>(sum >> (8 * i)));
  }
  return WriteFileAtomic(env, dir + "/" + kManifestFileName, bytes);
}

}  // namespace laser
