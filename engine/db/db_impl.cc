#include "engine/db/db_impl.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>

#include "engine/compaction/sequence.hpp"
#include "engine/memtable/row_codec.hpp"
#include "engine/util/status_macros.hpp"
#include "engine/wal/batch_codec.hpp"
#include "engine/wal/wal_reader.hpp"

namespace laser {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsModelName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

std::string AbsoluteDir(const std::string& dir) {
  char* real = ::realpath(dir.c_str(), nullptr);
  if (real == nullptr) return dir;
  std::string out(real);
  std::free(real);
  return out;
}

// True iff a column of type `t` can be copied lane-for-lane from an input
// column of the same type without a per-value range check.
bool CopiesWithoutCheck(Type t) {
  switch (t) {
    case Type::kI64:
    case Type::kU64:
    case Type::kF64:
    case Type::kTimestamp:
    case Type::kString:
      return true;
    default:
      return false;
  }
}

// Column-at-once CoerceValue for a source column of the column's own type:
// returns true iff every value is storable as it is (F32 after rounding to
// float), and then sets *dst to the stored column. False means some value
// needs CoerceValue, which the caller runs cell by cell to name it. NULL
// slots hold the lane's zero, which every type accepts; NULL-ability is the
// caller's check.
bool CoerceSameType(const Column& col, const ColumnVector& src, ColumnVector* dst) {
  auto ints_within = [&](int64_t lo, int64_t hi) {
    return std::all_of(src.ints.begin(), src.ints.end(),
                       [&](int64_t x) { return x >= lo && x <= hi; });
  };
  auto uints_within = [&](uint64_t hi) {
    return std::all_of(src.uints.begin(), src.uints.end(), [&](uint64_t x) { return x <= hi; });
  };
  bool fits = false;
  switch (col.type) {
    case Type::kBool:
      fits = ints_within(0, 1);
      break;
    case Type::kI8:
      fits = ints_within(INT8_MIN, INT8_MAX);
      break;
    case Type::kI16:
      fits = ints_within(INT16_MIN, INT16_MAX);
      break;
    case Type::kI32:
      fits = ints_within(INT32_MIN, INT32_MAX);
      break;
    case Type::kU8:
      fits = uints_within(UINT8_MAX);
      break;
    case Type::kU16:
      fits = uints_within(UINT16_MAX);
      break;
    case Type::kU32:
      fits = uints_within(UINT32_MAX);
      break;
    case Type::kEnum:
      fits = ints_within(0, static_cast<int64_t>(col.enum_values.size()) - 1);
      break;
    case Type::kF32: {
      constexpr double kMax = std::numeric_limits<float>::max();
      // NaN and infinities are storable; a finite double beyond float's
      // range is not.
      fits = std::none_of(src.floats.begin(), src.floats.end(),
                          [](double d) { return std::isfinite(d) && std::fabs(d) > kMax; });
      if (!fits) return false;
      *dst = src;
      for (double& d : dst->floats) d = static_cast<double>(static_cast<float>(d));
      return true;
    }
    default:
      fits = CopiesWithoutCheck(col.type);
      break;
  }
  if (!fits) return false;
  *dst = src;
  return true;
}

}  // namespace

Result<std::unique_ptr<DB>> DB::Open(const std::string& dir, const Options& options) {
  LASER_ASSIGN_OR_RETURN(auto db, DBImpl::OpenWithEnv(dir, options, Env::Default()));
  return std::unique_ptr<DB>(std::move(db));
}

DBImpl::DBImpl(std::string dir, const Options& options, Env* env, const EngineTuning& tuning)
    : dir_(std::move(dir)), options_(options), env_(env), tuning_(tuning) {}

Result<std::unique_ptr<DBImpl>> DBImpl::OpenWithEnv(const std::string& dir, const Options& options,
                                                    Env* env, const EngineTuning& tuning) {
  std::unique_ptr<DBImpl> db(new DBImpl(dir, options, env, tuning));
  Status st = db->OpenImpl();
  if (!st.ok()) {
    db->closed_ = true;  // nothing to flush or checkpoint
    return st;
  }
  return db;
}

DBImpl::~DBImpl() {
  if (!closed_) {
    // A destructor cannot report; Close() is the way to see the error.
    (void)Close();
  }
}

Status DBImpl::OpenImpl() {
  if (options_.create_if_missing && !options_.read_only) {
    LASER_RETURN_IF_ERROR(env_->CreateDirIfMissing(dir_));
  }
  if (!env_->FileExists(dir_)) {
    return Status::NotFound("database directory " + dir_ + " does not exist");
  }
  {
    auto lock = env_->LockFile(dir_ + "/LOCK", options_.read_only);
    if (!lock.ok()) {
      if (lock.status().code() == Status::Code::kBusy) {
        return Status::Busy("database " + dir_ +
                            " is open in another process (its LOCK file is held)");
      }
      return lock.status();
    }
    lock_ = std::move(lock).value();
  }
  auto loaded = LoadManifest(env_, dir_);
  if (loaded.ok()) {
    if (options_.error_if_exists) {
      return Status::AlreadyExists("database " + dir_ + " already exists");
    }
    manifest_ = std::move(loaded).value();
  } else if (loaded.status().IsNotFound()) {
    if (!options_.create_if_missing || options_.read_only) {
      return Status::NotFound("no database in " + dir_ + " (no MANIFEST)");
    }
    manifest_ = ManifestData();
    LASER_RETURN_IF_ERROR(StoreManifest(env_, dir_, manifest_));
  } else {
    return loaded.status();
  }
  for (const TableEntry& t : manifest_.tables) {
    auto table = std::make_shared<Table>();
    table->id = t.id;
    table->schema = std::make_shared<const TableSchema>(t.schema);
    table->index = std::make_unique<TableIndex>();
    tables_[Lower(t.schema.name)] = std::move(table);
  }
  next_segment_id_ = manifest_.next_segment_id;
  next_write_id_ = manifest_.next_write_id;
  next_seq_ = manifest_.last_seq + 1;

  // Segment files: every one the manifest lists must hold its committed
  // bytes; bytes after them (an uncommitted flush) are cut off, and files the
  // manifest does not list are leftovers of an interrupted flush or delete.
  LASER_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(dir_));
  for (const std::string& name : names) {
    auto id = segment::ParseSegmentFileName(name);
    if (id && manifest_.FindSegment(*id) == nullptr && !options_.read_only) {
      LASER_RETURN_IF_ERROR(env_->RemoveFile(dir_ + "/" + name));
    }
  }
  for (const SegmentEntry& s : manifest_.segments) {
    const std::string path = segment::SegmentFileName(dir_, s.id);
    if (s.id > UINT32_MAX) {
      return Status::Corruption("manifest " + dir_ + "/MANIFEST: segment id " +
                                std::to_string(s.id) + " exceeds 32 bits");
    }
    if (!env_->FileExists(path)) {
      return Status::Corruption("segment file " + path + " listed in the manifest is missing");
    }
    LASER_ASSIGN_OR_RETURN(uint64_t size, env_->FileSize(path));
    if (size < s.size) {
      return Status::Corruption("segment file " + path + " is " + std::to_string(size) +
                                " bytes, the manifest committed " + std::to_string(s.size) +
                                " (truncated at offset " + std::to_string(size) + ")");
    }
    if (size > s.size && !options_.read_only) {
      LASER_RETURN_IF_ERROR(env_->TruncateFile(path, s.size));
    }
    LASER_ASSIGN_OR_RETURN(auto file, env_->NewRandomAccessFile(path, options_.direct_io));
    segment_files_[s.id] = FilePtr(std::move(file));
    segs_[s.id] = s;
  }

  LASER_RETURN_IF_ERROR(LoadIndex());

  LASER_ASSIGN_OR_RETURN(reader_, NewBlockReader(options_.io_backend, &io_fallback_reason_));
  cache_ = std::make_unique<BlockCache>(options_.block_cache_bytes);

  mem_ = std::make_shared<MemTable>();
  LASER_RETURN_IF_ERROR(ReplayWal());
  if (!options_.read_only) {
    bg_ = std::thread([this] { BackgroundLoop(); });
  }
  return Status::OK();
}

Status DBImpl::ReplayWal() {
  auto apply = [&](const wal::WalRecord& rec) -> Status {
    if (rec.type != wal::RecordType::kAppendBatch) return Status::OK();
    auto decoded = wal::DecodeAppendBatch(rec.payload);
    if (!decoded.ok()) {
      return Status::Corruption("WAL " + rec.file + " offset " + std::to_string(rec.offset) + ": " +
                                decoded.status().message());
    }
    const TablePtr t = FindTableById(decoded->table_id);
    if (t == nullptr) return Status::OK();  // the table was dropped later
    // Columns added after the record was written take their defaults.
    auto rows = Normalize(*t->schema, decoded->rows);
    if (!rows.ok()) {
      return Status::Corruption("WAL " + rec.file + " offset " + std::to_string(rec.offset) +
                                ": record does not fit table " + t->schema->name + ": " +
                                rows.status().message());
    }
    mem_->Insert(t->id, *t->schema, *rows, next_seq_);
    next_seq_ += rows->num_rows();
    return Status::OK();
  };
  uint64_t first_number = manifest_.min_wal_number;
  if (options_.read_only) {
    LASER_ASSIGN_OR_RETURN(auto files, wal::ListWalFiles(env_, dir_, manifest_.min_wal_number));
    std::vector<std::string> paths;
    for (auto& [n, p] : files) paths.push_back(p);
    auto reader = wal::WalReader::Open(env_, paths);
    wal::WalRecord rec;
    while (true) {
      LASER_ASSIGN_OR_RETURN(bool more, reader->Next(&rec));
      if (!more) break;
      LASER_RETURN_IF_ERROR(apply(rec));
    }
    return Status::OK();
  }
  LASER_ASSIGN_OR_RETURN(wal::ReplayResult replay,
                         wal::ReplayWalDir(env_, dir_, manifest_.min_wal_number, apply));
  first_number = std::max(first_number, replay.max_number + 1);
  wal::GroupCommitOptions wo;
  wo.sync = options_.sync;
  wo.sync_interval_ms = options_.sync_interval_ms;
  LASER_ASSIGN_OR_RETURN(wal_, wal::GroupCommit::Open(env_, dir_, first_number, wo));
  return Status::OK();
}

Status DBImpl::Close() {
  if (closed_) return Status::OK();
  closed_ = true;
  {
    std::lock_guard<std::mutex> l(bg_mu_);
    bg_stop_ = true;
  }
  bg_cv_.notify_all();
  if (bg_.joinable()) bg_.join();
  Status result;
  if (!options_.read_only) {
    std::lock_guard<std::mutex> m(maint_mu_);
    result = FlushLocked();
    if (result.ok()) result = WriteIndexCheckpointLocked();
    if (active_ != nullptr) {
      Status st = active_->Close();
      if (result.ok()) result = st;
      active_.reset();
    }
  }
  wal_.reset();
  lock_.reset();
  return result;
}

// --- catalog ---

DBImpl::TablePtr DBImpl::FindTableLocked(std::string_view name) const {
  auto it = tables_.find(Lower(name));
  return it == tables_.end() ? nullptr : it->second;
}

DBImpl::TablePtr DBImpl::FindTable(std::string_view name) const {
  std::shared_lock<std::shared_mutex> l(state_mu_);
  return FindTableLocked(name);
}

DBImpl::TablePtr DBImpl::FindTableById(uint32_t id) const {
  for (const auto& [name, t] : tables_) {
    if (t->id == id) return t;
  }
  return nullptr;
}

Status DBImpl::CommitManifestLocked(const ManifestData& next) {
  LASER_RETURN_IF_ERROR(StoreManifest(env_, dir_, next));
  manifest_ = next;
  return Status::OK();
}

Status DBImpl::CreateTable(const TableSchema& schema) {
  if (options_.read_only) return Status::NotSupported("database " + dir_ + " is read-only");
  LASER_RETURN_IF_ERROR(schema.Validate());
  if (schema.retention.ttl_ms < 0) {
    return Status::InvalidArgument("table " + schema.name + ": negative TTL");
  }
  std::lock_guard<std::mutex> m(manifest_mu_);
  if (FindTable(schema.name) != nullptr) {
    return Status::AlreadyExists("table " + schema.name + " already exists");
  }
  ManifestData next = manifest_;
  TableEntry e;
  e.id = next.next_table_id++;
  e.schema = schema;
  // Defaults are stored in the column's lane, as reads return them.
  for (Column& c : e.schema.columns) {
    if (!c.default_value.is_null()) {
      LASER_ASSIGN_OR_RETURN(c.default_value, CoerceValue(c, c.default_value));
    }
  }
  next.tables.push_back(e);
  LASER_RETURN_IF_ERROR(CommitManifestLocked(next));
  auto table = std::make_shared<Table>();
  table->id = e.id;
  table->schema = std::make_shared<const TableSchema>(e.schema);
  table->index = std::make_unique<TableIndex>();
  std::unique_lock<std::shared_mutex> l(state_mu_);
  tables_[Lower(schema.name)] = std::move(table);
  return Status::OK();
}

Status DBImpl::DropTable(std::string_view name) {
  if (options_.read_only) return Status::NotSupported("database " + dir_ + " is read-only");
  std::lock_guard<std::mutex> maint(maint_mu_);
  std::lock_guard<std::mutex> m(manifest_mu_);
  TablePtr t = FindTable(name);
  if (t == nullptr) return Status::NotFound("table " + std::string(name) + " does not exist");
  ManifestData next = manifest_;
  std::erase_if(next.tables, [&](const TableEntry& e) { return e.id == t->id; });
  // Its blocks become dead bytes; the segments holding them get relocated.
  std::map<uint64_t, SegmentEntry> segs = segs_;
  {
    std::shared_lock<std::shared_mutex> l(state_mu_);
    t->index->ForEach([&](uint64_t, std::span<const BlockHandle> hs) {
      for (const BlockHandle& h : hs) segs[h.segment].live_bytes -= h.length;
    });
  }
  FillSegments(segs, &next);
  next.index_epoch++;
  LASER_RETURN_IF_ERROR(CommitManifestLocked(next));
  segs_ = std::move(segs);
  {
    std::unique_lock<std::shared_mutex> l(state_mu_);
    tables_.erase(Lower(name));
  }
  {
    std::lock_guard<std::mutex> d(dirty_mu_);
    std::erase_if(dirty_, [&](const auto& k) { return k.first == t->id; });
  }
  relocate_check_ = true;
  return Status::OK();
}

Status DBImpl::AddColumn(std::string_view table, const Column& column) {
  if (options_.read_only) return Status::NotSupported("database " + dir_ + " is read-only");
  std::lock_guard<std::mutex> m(manifest_mu_);
  TablePtr t = FindTable(table);
  if (t == nullptr) return Status::NotFound("table " + std::string(table) + " does not exist");
  TableSchema schema;
  {
    std::shared_lock<std::shared_mutex> l(state_mu_);
    schema = *t->schema;
  }
  if (schema.FindColumn(column.name) >= 0) {
    return Status::AlreadyExists("table " + schema.name + " already has a column " + column.name);
  }
  Column c = column;
  if (!c.default_value.is_null()) {
    LASER_ASSIGN_OR_RETURN(c.default_value, CoerceValue(c, c.default_value));
  } else if (!c.nullable) {
    return Status::InvalidArgument("ADD COLUMN " + c.name + " to " + schema.name +
                                   ": a NOT NULL column needs a default for existing rows");
  }
  schema.columns.push_back(c);
  schema.version++;
  LASER_RETURN_IF_ERROR(schema.Validate());
  ManifestData next = manifest_;
  for (TableEntry& e : next.tables) {
    if (e.id == t->id) e.schema = schema;
  }
  LASER_RETURN_IF_ERROR(CommitManifestLocked(next));
  std::unique_lock<std::shared_mutex> l(state_mu_);
  t->schema = std::make_shared<const TableSchema>(std::move(schema));
  return Status::OK();
}

Status DBImpl::SetRetention(std::string_view table, const Retention& retention) {
  if (options_.read_only) return Status::NotSupported("database " + dir_ + " is read-only");
  if (retention.ttl_ms < 0) {
    return Status::InvalidArgument("table " + std::string(table) + ": negative TTL");
  }
  std::lock_guard<std::mutex> m(manifest_mu_);
  TablePtr t = FindTable(table);
  if (t == nullptr) return Status::NotFound("table " + std::string(table) + " does not exist");
  ManifestData next = manifest_;
  TableSchema schema;
  for (TableEntry& e : next.tables) {
    if (e.id == t->id) {
      e.schema.retention = retention;
      schema = e.schema;
    }
  }
  LASER_RETURN_IF_ERROR(CommitManifestLocked(next));
  std::unique_lock<std::shared_mutex> l(state_mu_);
  t->schema = std::make_shared<const TableSchema>(std::move(schema));
  return Status::OK();
}

Result<TableSchema> DBImpl::GetTable(std::string_view name) const {
  std::shared_lock<std::shared_mutex> l(state_mu_);
  TablePtr t = FindTableLocked(name);
  if (t == nullptr) return Status::NotFound("table " + std::string(name) + " does not exist");
  return *t->schema;
}

std::vector<std::string> DBImpl::ListTables() const {
  std::shared_lock<std::shared_mutex> l(state_mu_);
  std::vector<std::string> out;
  for (const auto& [lower, t] : tables_) out.push_back(t->schema->name);
  return out;
}

Status DBImpl::CreateModel(std::string_view name, const std::string& source_path) {
  if (options_.read_only) return Status::NotSupported("database " + dir_ + " is read-only");
  if (!IsModelName(name)) {
    return Status::InvalidArgument("model name '" + std::string(name) +
                                   "' must be 1-128 letters, digits, '_', '-' or '.'");
  }
  std::lock_guard<std::mutex> m(manifest_mu_);
  for (const ModelEntry& e : manifest_.models) {
    if (e.name == name) return Status::AlreadyExists("model " + std::string(name) + " exists");
  }
  LASER_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, env_->ReadFile(source_path));
  ManifestData next = manifest_;
  char file[64];
  std::snprintf(file, sizeof(file), "model-%06llu.safetensors",
                static_cast<unsigned long long>(next.next_model_id++));
  LASER_RETURN_IF_ERROR(WriteFileAtomic(env_, dir_ + "/" + file, bytes));
  next.models.push_back(ModelEntry{std::string(name), file});
  Status st = CommitManifestLocked(next);
  if (!st.ok()) {
    (void)env_->RemoveFile(dir_ + "/" + file);  // the manifest never named it
    return st;
  }
  return Status::OK();
}

Status DBImpl::DropModel(std::string_view name) {
  if (options_.read_only) return Status::NotSupported("database " + dir_ + " is read-only");
  std::lock_guard<std::mutex> m(manifest_mu_);
  ManifestData next = manifest_;
  auto it = std::find_if(next.models.begin(), next.models.end(),
                         [&](const ModelEntry& e) { return e.name == name; });
  if (it == next.models.end()) {
    return Status::NotFound("model " + std::string(name) + " does not exist");
  }
  const std::string file = it->file;
  next.models.erase(it);
  LASER_RETURN_IF_ERROR(CommitManifestLocked(next));
  return env_->RemoveFile(dir_ + "/" + file);
}

Result<ModelInfo> DBImpl::GetModel(std::string_view name) const {
  std::lock_guard<std::mutex> m(manifest_mu_);
  for (const ModelEntry& e : manifest_.models) {
    if (e.name == name) return ModelInfo{e.name, AbsoluteDir(dir_) + "/" + e.file};
  }
  return Status::NotFound("model " + std::string(name) + " does not exist");
}

std::vector<ModelInfo> DBImpl::ListModels() const {
  std::lock_guard<std::mutex> m(manifest_mu_);
  std::vector<ModelInfo> out;
  const std::string abs = AbsoluteDir(dir_);
  for (const ModelEntry& e : manifest_.models) out.push_back(ModelInfo{e.name, abs + "/" + e.file});
  return out;
}

// --- writes ---

Result<Batch> DBImpl::Normalize(const TableSchema& schema, const Batch& rows) const {
  const std::string where = "append to " + schema.name + ": ";
  Status valid = rows.Validate();
  if (!valid.ok()) return Status::InvalidArgument(where + valid.message());
  if (rows.names.size() != rows.columns.size()) {
    return Status::InvalidArgument(where + "batch has " + std::to_string(rows.names.size()) +
                                   " names for " + std::to_string(rows.columns.size()) +
                                   " columns");
  }
  std::vector<int> source(schema.columns.size(), -1);
  for (size_t i = 0; i < rows.names.size(); ++i) {
    const int c = schema.FindColumn(rows.names[i]);
    if (c < 0) {
      return Status::InvalidArgument(where + "unknown column '" + rows.names[i] + "'");
    }
    if (source[static_cast<size_t>(c)] >= 0) {
      return Status::InvalidArgument(where + "column '" + rows.names[i] + "' given twice");
    }
    source[static_cast<size_t>(c)] = static_cast<int>(i);
  }
  const size_t n = rows.num_rows();
  Batch out;
  for (size_t c = 0; c < schema.columns.size(); ++c) {
    const Column& col = schema.columns[c];
    const bool key = c == schema.partition_key || c == schema.order_key;
    ColumnVector& dst = out.AddColumn(col.name, col.type);
    dst.Reserve(n);
    if (source[c] < 0) {
      if (key) return Status::InvalidArgument(where + "missing key column '" + col.name + "'");
      if (col.default_value.is_null() && !col.nullable) {
        return Status::InvalidArgument(where + "missing column '" + col.name +
                                       "' is NOT NULL and has no default");
      }
      for (size_t r = 0; r < n; ++r) dst.Append(col.default_value);
      continue;
    }
    const ColumnVector& src = rows.columns[static_cast<size_t>(source[c])];
    if (src.type == col.type) {
      if (!src.nulls.empty() && (key || !col.nullable)) {
        for (size_t r = 0; r < n; ++r) {
          if (src.nulls[r] != 0) {
            return Status::InvalidArgument(where + "row " + std::to_string(r) + ": column '" +
                                           col.name + "' is " + (key ? "a key" : "NOT NULL") +
                                           " and cannot be NULL");
          }
        }
      }
      if (CoerceSameType(col, src, &dst)) continue;
      dst = ColumnVector(col.type);
      dst.Reserve(n);
    }
    for (size_t r = 0; r < n; ++r) {
      const Value v = src.Get(r);
      if (v.is_null() && key) {
        return Status::InvalidArgument(where + "row " + std::to_string(r) + ": key column '" +
                                       col.name + "' cannot be NULL");
      }
      auto coerced = CoerceValue(col, v);
      if (!coerced.ok()) {
        return Status::InvalidArgument(where + "row " + std::to_string(r) + ": " +
                                       coerced.status().message());
      }
      dst.Append(*coerced);
    }
  }
  return out;
}

Status DBImpl::Append(std::string_view table, const Batch& rows) {
  if (options_.read_only) return Status::NotSupported("database " + dir_ + " is read-only");
  uint32_t table_id = 0;
  std::shared_ptr<const TableSchema> schema_ptr;
  {
    std::shared_lock<std::shared_mutex> l(state_mu_);
    TablePtr t = FindTableLocked(table);
    if (t == nullptr) return Status::NotFound("table " + std::string(table) + " does not exist");
    table_id = t->id;
    schema_ptr = t->schema;
  }
  const TableSchema& schema = *schema_ptr;
  LASER_ASSIGN_OR_RETURN(Batch normalized, Normalize(schema, rows));
  if (normalized.num_rows() == 0) return Status::OK();
  std::vector<uint8_t> payload;
  wal::EncodeAppendBatch(table_id, schema.version, normalized, &payload);
  LASER_RETURN_IF_ERROR(wal_->Append(wal::RecordType::kAppendBatch, payload, [&] {
    // The single writer of mem_'s contents; mem_ itself is only replaced
    // while no Append is in flight (GroupCommit::SwitchFile).
    mem_->Insert(table_id, schema, normalized, next_seq_);
    next_seq_ += normalized.num_rows();
  }));
  size_t mem_bytes = 0;
  bool flushing = false;
  {
    std::shared_lock<std::shared_mutex> l(state_mu_);
    mem_bytes = mem_->ApproximateBytes();
    flushing = imm_ != nullptr;
  }
  if (mem_bytes >= options_.memtable_bytes) {
    if (flushing && mem_bytes >= 2 * options_.memtable_bytes) {
      // The background flush is behind: flush here rather than let the
      // memtables grow without bound.
      return FlushForAppend();
    }
    RequestFlush();
  }
  return Status::OK();
}

// --- stats ---

Stats DBImpl::GetStats() {
  Stats s;
  {
    std::shared_lock<std::shared_mutex> l(state_mu_);
    for (const auto& [name, t] : tables_) {
      s.users += t->index->users();
      s.events += t->index->events();
      s.index_bytes += t->index->bytes();
      s.index_entries += t->index->entries();
      // Users only in the memtables add to the count.
      std::set<uint64_t> mem_users;
      for (const MemTable* m : {mem_.get(), imm_.get()}) {
        if (m == nullptr) continue;
        std::optional<uint64_t> after;
        while (true) {
          std::vector<uint64_t> us = m->ListUsers(t->id, after, 4096);
          for (uint64_t u : us) {
            if (!t->index->Contains(u)) mem_users.insert(u);
          }
          if (us.size() < 4096) break;
          after = us.back();
        }
      }
      s.users += mem_users.size();
    }
    s.events += mem_->NumEvents() + (imm_ ? imm_->NumEvents() - imm_installed_events_ : 0);
    s.memtable_bytes = mem_->ApproximateBytes() + (imm_ ? imm_->ApproximateBytes() : 0);
  }
  {
    std::lock_guard<std::mutex> m(manifest_mu_);
    for (const SegmentEntry& e : manifest_.segments) {
      s.segment_bytes += e.size;
      s.live_segment_bytes += e.live_bytes;
    }
  }
  auto names = env_->ListDir(dir_);
  if (names.ok()) {
    for (const std::string& n : *names) {
      auto size = env_->FileSize(dir_ + "/" + n);
      if (!size.ok()) continue;
      s.disk_bytes += *size;
      if (wal::ParseWalFileName(n)) s.wal_bytes += *size;
    }
  }
  const BlockCacheStats cs = cache_->stats();
  s.cache_bytes = cs.bytes;
  s.cache_hits = cs.hits;
  s.cache_misses = cs.misses;
  s.merges = merges_.load();
  s.tail_folds = tail_folds_.load();
  s.flushes = flushes_.load();
  s.io_backend = reader_->name();
  s.io_fallback_reason = io_fallback_reason_;
  return s;
}

}  // namespace laser
