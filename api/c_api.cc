#include <cmath>
#include <memory>
#include <new>
#include <string>

#include "laser/laser.h"
#include "laser/laser.hpp"

struct laser_db {
  std::unique_ptr<laser::Connection> conn;
  std::string error;
};

struct laser_stmt {
  laser_db* db = nullptr;
  std::unique_ptr<laser::PreparedStatement> prepared;
  std::unique_ptr<laser::ResultStream> stream;
  std::vector<laser::ResultColumn> columns;
  laser::Batch batch;
  size_t row = 0;
  bool started = false;
  bool finished = false;
  int64_t changes = 0;
  std::vector<std::string> text;  // per column, for laser_column_text
};

namespace {

int Fail(laser_db* db, const laser::Status& s) {
  if (db != nullptr) db->error = s.ToString();
  return LASER_ERROR;
}

const laser::ColumnVector* Cell(laser_stmt* s, int col) {
  if (s == nullptr || !s->started || s->finished || col < 0 ||
      static_cast<size_t>(col) >= s->batch.num_columns() || s->row >= s->batch.num_rows()) {
    return nullptr;
  }
  return &s->batch.columns[static_cast<size_t>(col)];
}

int BindValue(laser_stmt* s, int index, laser::Value v) {
  if (s == nullptr) return LASER_ERROR;
  if (s->started) {
    return Fail(s->db, laser::Status::InvalidArgument(
                           "cannot bind while the statement runs; call laser_reset first"));
  }
  laser::Status st = s->prepared->Bind(static_cast<size_t>(index < 0 ? 0 : index), std::move(v));
  return st.ok() ? LASER_OK : Fail(s->db, st);
}

}  // namespace

extern "C" {

int laser_open_v2(const char* dir, int flags, laser_db** out) {
  *out = new (std::nothrow) laser_db();
  if (*out == nullptr) return LASER_ERROR;
  if (dir == nullptr) return Fail(*out, laser::Status::InvalidArgument("directory is NULL"));
  laser::Options o;
  o.create_if_missing = (flags & LASER_OPEN_CREATE) != 0;
  o.read_only = (flags & LASER_OPEN_READONLY) != 0;
  auto c = laser::Connection::Open(dir, o);
  if (!c.ok()) return Fail(*out, c.status());
  (*out)->conn = std::move(*c);
  return LASER_OK;
}

int laser_open(const char* dir, laser_db** out) {
  return laser_open_v2(dir, LASER_OPEN_CREATE, out);
}

int laser_close(laser_db* db) {
  delete db;
  return LASER_OK;
}

const char* laser_errmsg(laser_db* db) {
  return db == nullptr ? "out of memory" : db->error.c_str();
}

void laser_interrupt(laser_db* db) {
  if (db != nullptr && db->conn) db->conn->Interrupt();
}

int laser_exec(laser_db* db, const char* sql,
               int (*callback)(void*, int, const char* const*, const char* const*), void* arg) {
  if (db == nullptr || !db->conn) return LASER_ERROR;
  auto r = db->conn->ExecuteAll(sql == nullptr ? "" : sql);
  if (!r.ok()) return Fail(db, r.status());
  if (callback == nullptr) return LASER_OK;
  for (const laser::QueryResult& q : *r) {
    std::vector<const char*> names;
    for (const auto& c : q.columns) names.push_back(c.name.c_str());
    std::vector<std::string> texts(q.columns.size());
    std::vector<const char*> vals(q.columns.size());
    for (const laser::Batch& b : q.batches) {
      for (size_t row = 0; row < b.num_rows(); ++row) {
        for (size_t c = 0; c < q.columns.size(); ++c) {
          if (b.columns[c].IsNull(row)) {
            vals[c] = nullptr;
          } else {
            texts[c] = laser::FormatResultValue(b.columns[c].Get(row), q.columns[c]);
            vals[c] = texts[c].c_str();
          }
        }
        if (callback(arg, static_cast<int>(q.columns.size()), vals.data(), names.data()) != 0) {
          return Fail(db, laser::Status::Aborted("laser_exec: the callback asked to stop"));
        }
      }
    }
  }
  return LASER_OK;
}

int laser_prepare(laser_db* db, const char* sql, laser_stmt** out) {
  *out = nullptr;
  if (db == nullptr || !db->conn) return LASER_ERROR;
  auto p = db->conn->Prepare(sql == nullptr ? "" : sql);
  if (!p.ok()) return Fail(db, p.status());
  auto* s = new (std::nothrow) laser_stmt();
  if (s == nullptr) return Fail(db, laser::Status::ResourceExhausted("out of memory"));
  s->db = db;
  s->prepared = std::move(*p);
  *out = s;
  return LASER_OK;
}

int laser_bind_parameter_count(laser_stmt* s) {
  return s == nullptr ? 0 : static_cast<int>(s->prepared->num_params());
}
int laser_bind_int64(laser_stmt* s, int i, int64_t v) {
  return BindValue(s, i, laser::Value::Int(v));
}
int laser_bind_uint64(laser_stmt* s, int i, uint64_t v) {
  return BindValue(s, i, laser::Value::UInt(v));
}
int laser_bind_double(laser_stmt* s, int i, double v) {
  return BindValue(s, i, laser::Value::Float(v));
}
int laser_bind_text(laser_stmt* s, int i, const char* text, int len) {
  if (text == nullptr) return BindValue(s, i, laser::Value::Null());
  std::string t = len < 0 ? std::string(text) : std::string(text, static_cast<size_t>(len));
  return BindValue(s, i, laser::Value::String(std::move(t)));
}
int laser_bind_null(laser_stmt* s, int i) { return BindValue(s, i, laser::Value::Null()); }

int laser_clear_bindings(laser_stmt* s) {
  if (s == nullptr) return LASER_ERROR;
  s->prepared->ClearBindings();
  return LASER_OK;
}

int laser_step(laser_stmt* s) {
  if (s == nullptr) return LASER_ERROR;
  if (s->finished) return LASER_DONE;
  if (!s->started) {
    auto st = s->prepared->Stream();
    if (!st.ok()) {
      s->finished = true;
      s->started = true;
      return Fail(s->db, st.status());
    }
    s->stream = std::move(*st);
    s->columns = s->stream->columns();
    s->text.assign(s->columns.size(), std::string());
    s->started = true;
    s->batch = laser::Batch();
    s->row = 0;
  } else {
    ++s->row;
  }
  while (s->row >= s->batch.num_rows()) {
    auto more = s->stream->Next(&s->batch);
    if (!more.ok()) {
      s->finished = true;
      return Fail(s->db, more.status());
    }
    if (!*more) {
      s->finished = true;
      s->changes = static_cast<int64_t>(s->stream->rows_affected());
      return LASER_DONE;
    }
    s->row = 0;
  }
  return LASER_ROW;
}

int laser_reset(laser_stmt* s) {
  if (s == nullptr) return LASER_ERROR;
  s->stream.reset();
  s->batch = laser::Batch();
  s->row = 0;
  s->started = false;
  s->finished = false;
  return LASER_OK;
}

int64_t laser_changes(laser_stmt* s) { return s == nullptr ? 0 : s->changes; }

int laser_column_count(laser_stmt* s) {
  return s == nullptr ? 0 : static_cast<int>(s->columns.size());
}

const char* laser_column_name(laser_stmt* s, int col) {
  if (s == nullptr || col < 0 || static_cast<size_t>(col) >= s->columns.size()) return nullptr;
  return s->columns[static_cast<size_t>(col)].name.c_str();
}

int laser_column_type(laser_stmt* s, int col) {
  if (s == nullptr || col < 0 || static_cast<size_t>(col) >= s->columns.size()) return 0;
  switch (s->columns[static_cast<size_t>(col)].type) {
    case laser::Type::kBool:
      return LASER_TYPE_BOOL;
    case laser::Type::kTimestamp:
      return LASER_TYPE_TIMESTAMP;
    case laser::Type::kString:
    case laser::Type::kEnum:
      return LASER_TYPE_TEXT;
    case laser::Type::kF32:
    case laser::Type::kF64:
      return LASER_TYPE_DOUBLE;
    case laser::Type::kU8:
    case laser::Type::kU16:
    case laser::Type::kU32:
    case laser::Type::kU64:
      return LASER_TYPE_UINT64;
    default:
      return LASER_TYPE_INT64;
  }
}

int laser_column_is_null(laser_stmt* s, int col) {
  const laser::ColumnVector* c = Cell(s, col);
  return c == nullptr || c->IsNull(s->row) ? 1 : 0;
}

double laser_column_double(laser_stmt* s, int col) {
  const laser::ColumnVector* c = Cell(s, col);
  if (c == nullptr || c->IsNull(s->row)) return 0;
  switch (laser::LaneOf(c->type)) {
    case laser::Lane::kInt:
      return static_cast<double>(c->ints[s->row]);
    case laser::Lane::kUInt:
      return static_cast<double>(c->uints[s->row]);
    case laser::Lane::kFloat:
      return c->floats[s->row];
    case laser::Lane::kString:
      return std::strtod(c->strings[s->row].c_str(), nullptr);
  }
  return 0;
}

int64_t laser_column_int64(laser_stmt* s, int col) {
  const laser::ColumnVector* c = Cell(s, col);
  if (c == nullptr || c->IsNull(s->row)) return 0;
  switch (laser::LaneOf(c->type)) {
    case laser::Lane::kInt:
      return c->ints[s->row];
    case laser::Lane::kUInt:
      return static_cast<int64_t>(c->uints[s->row]);
    case laser::Lane::kFloat: {
      const double d = c->floats[s->row];
      return std::isfinite(d) && std::fabs(d) < 9.2e18 ? static_cast<int64_t>(d) : 0;
    }
    case laser::Lane::kString:
      return std::strtoll(c->strings[s->row].c_str(), nullptr, 10);
  }
  return 0;
}

uint64_t laser_column_uint64(laser_stmt* s, int col) {
  const laser::ColumnVector* c = Cell(s, col);
  if (c == nullptr || c->IsNull(s->row)) return 0;
  if (laser::LaneOf(c->type) == laser::Lane::kUInt) return c->uints[s->row];
  if (laser::LaneOf(c->type) == laser::Lane::kString) {
    return std::strtoull(c->strings[s->row].c_str(), nullptr, 10);
  }
  return static_cast<uint64_t>(laser_column_int64(s, col));
}

const char* laser_column_text(laser_stmt* s, int col) {
  const laser::ColumnVector* c = Cell(s, col);
  if (c == nullptr || c->IsNull(s->row)) return nullptr;
  std::string& t = s->text[static_cast<size_t>(col)];
  t = laser::FormatResultValue(c->Get(s->row), s->columns[static_cast<size_t>(col)]);
  return t.c_str();
}

int laser_finalize(laser_stmt* s) {
  delete s;
  return LASER_OK;
}

}  // extern "C"
