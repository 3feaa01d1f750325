#include "tests/sql/support/mem_db.hpp"

#include <algorithm>

namespace laser::testing {
namespace {

std::string Lower(std::string_view s) {
  std::string o(s);
  for (char& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

}  // namespace

MemDB::Table* MemDB::Find(std::string_view name) {
  auto it = tables_.find(Lower(name));
  return it == tables_.end() ? nullptr : &it->second;
}
const MemDB::Table* MemDB::Find(std::string_view name) const {
  auto it = tables_.find(Lower(name));
  return it == tables_.end() ? nullptr : &it->second;
}

Status MemDB::CreateTable(const TableSchema& schema) {
  std::lock_guard<std::mutex> l(mu_);
  Status v = schema.Validate();
  if (!v.ok()) return v;
  if (Find(schema.name) != nullptr) {
    return Status::AlreadyExists("table '" + schema.name + "' already exists");
  }
  tables_[Lower(schema.name)].schema = schema;
  return Status::OK();
}

Status MemDB::DropTable(std::string_view name) {
  std::lock_guard<std::mutex> l(mu_);
  if (tables_.erase(Lower(name)) == 0) {
    return Status::NotFound("table '" + std::string(name) + "' does not exist");
  }
  return Status::OK();
}

Status MemDB::AddColumn(std::string_view table, const Column& column) {
  std::lock_guard<std::mutex> l(mu_);
  Table* t = Find(table);
  if (t == nullptr) return Status::NotFound("table '" + std::string(table) + "' does not exist");
  TableSchema s = t->schema;
  s.columns.push_back(column);
  ++s.version;
  Status v = s.Validate();
  if (!v.ok()) return v;
  t->schema = s;
  for (auto& [u, rows] : t->users) {
    for (auto& r : rows) r.push_back(column.default_value);
  }
  return Status::OK();
}

Result<TableSchema> MemDB::GetTable(std::string_view name) const {
  std::lock_guard<std::mutex> l(mu_);
  const Table* t = Find(name);
  if (t == nullptr) return Status::NotFound("table '" + std::string(name) + "' does not exist");
  return t->schema;
}

std::vector<std::string> MemDB::ListTables() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::string> out;
  for (const auto& [k, t] : tables_) out.push_back(t.schema.name);
  return out;
}

Status MemDB::CreateModel(std::string_view name, const std::string& source_path) {
  std::lock_guard<std::mutex> l(mu_);
  if (models_.count(std::string(name)) != 0) {
    return Status::AlreadyExists("model '" + std::string(name) + "' already exists");
  }
  models_[std::string(name)] = ModelInfo{std::string(name), source_path};
  return Status::OK();
}

Status MemDB::DropModel(std::string_view name) {
  std::lock_guard<std::mutex> l(mu_);
  if (models_.erase(std::string(name)) == 0) {
    return Status::NotFound("model '" + std::string(name) + "' does not exist");
  }
  return Status::OK();
}

Result<ModelInfo> MemDB::GetModel(std::string_view name) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = models_.find(std::string(name));
  if (it == models_.end())
    return Status::NotFound("model '" + std::string(name) + "' does not exist");
  return it->second;
}

std::vector<ModelInfo> MemDB::ListModels() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<ModelInfo> out;
  for (const auto& [k, m] : models_) out.push_back(m);
  return out;
}

Status MemDB::Append(std::string_view table, const Batch& rows) {
  std::lock_guard<std::mutex> l(mu_);
  Table* t = Find(table);
  if (t == nullptr) return Status::NotFound("table '" + std::string(table) + "' does not exist");
  if (fail_next_append_) {
    fail_next_append_ = false;
    return Status::IOError("injected append failure");
  }
  Status bv = rows.Validate();
  if (!bv.ok()) return bv;
  const TableSchema& s = t->schema;
  std::vector<int> src(s.columns.size(), -1);
  for (size_t c = 0; c < s.columns.size(); ++c) src[c] = rows.Find(s.columns[c].name);
  for (size_t k = 0; k < rows.names.size(); ++k) {
    if (s.FindColumn(rows.names[k]) < 0) {
      return Status::InvalidArgument("column '" + rows.names[k] + "' is not in " + s.name);
    }
  }
  if (src[s.partition_key] < 0 || src[s.order_key] < 0) {
    return Status::InvalidArgument("batch lacks a key column of " + s.name);
  }
  // Validate everything before changing anything: the append is atomic.
  std::vector<std::vector<Value>> conv(rows.num_rows(), std::vector<Value>(s.columns.size()));
  for (size_t r = 0; r < rows.num_rows(); ++r) {
    for (size_t c = 0; c < s.columns.size(); ++c) {
      Value v = src[c] >= 0 ? rows.columns[static_cast<size_t>(src[c])].Get(r)
                            : s.columns[c].default_value;
      Result<Value> cv = CoerceValue(s.columns[c], v);
      if (!cv.ok()) {
        return Status::InvalidArgument("row " + std::to_string(r) + ": " + cv.status().message());
      }
      conv[r][c] = std::move(*cv);
    }
  }
  for (auto& row : conv) {
    const uint64_t user = std::get<uint64_t>(row[s.partition_key].v);
    auto& list = t->users[user];
    const int64_t ts = std::get<int64_t>(row[s.order_key].v);
    auto it =
        std::upper_bound(list.begin(), list.end(), ts, [&](int64_t x, const std::vector<Value>& r) {
          return x < std::get<int64_t>(r[s.order_key].v);
        });
    list.insert(it, std::move(row));
    if (s.retention.max_events != 0 && list.size() > s.retention.max_events) {
      list.erase(list.begin(),
                 list.begin() + static_cast<std::ptrdiff_t>(list.size() - s.retention.max_events));
    }
  }
  ++appends_;
  return Status::OK();
}

Result<Batch> MemDB::Read(std::string_view table, uint64_t user, const ReadOptions& o) {
  std::vector<uint64_t> one{user};
  Result<std::vector<Batch>> r = ReadMany(table, one, o);
  if (!r.ok()) return r.status();
  return std::move((*r)[0]);
}

Result<std::vector<Batch>> MemDB::ReadMany(std::string_view table, std::span<const uint64_t> users,
                                           const ReadOptions& o) {
  std::lock_guard<std::mutex> l(mu_);
  Table* t = Find(table);
  if (t == nullptr) return Status::NotFound("table '" + std::string(table) + "' does not exist");
  const TableSchema& s = t->schema;
  std::vector<int> cols;
  if (o.columns.empty()) {
    for (size_t c = 0; c < s.columns.size(); ++c) cols.push_back(static_cast<int>(c));
  } else {
    for (const auto& n : o.columns) {
      const int c = s.FindColumn(n);
      if (c < 0) return Status::InvalidArgument("unknown column '" + n + "'");
      cols.push_back(c);
    }
  }
  std::vector<Batch> out;
  for (uint64_t u : users) {
    ++users_read_;
    Batch b;
    for (int c : cols)
      b.AddColumn(s.columns[static_cast<size_t>(c)].name, s.columns[static_cast<size_t>(c)].type);
    auto it = t->users.find(u);
    if (it != t->users.end()) {
      std::vector<const std::vector<Value>*> sel;
      for (const auto& row : it->second) {
        const int64_t ts = std::get<int64_t>(row[s.order_key].v);
        if (o.min_order_key && ts < *o.min_order_key) continue;
        if (o.max_order_key && ts >= *o.max_order_key) continue;
        sel.push_back(&row);
      }
      if (o.last_n != 0 && sel.size() > o.last_n) {
        sel.erase(sel.begin(), sel.end() - static_cast<std::ptrdiff_t>(o.last_n));
      }
      for (const auto* row : sel) {
        for (size_t k = 0; k < cols.size(); ++k)
          b.columns[k].Append((*row)[static_cast<size_t>(cols[k])]);
      }
    }
    out.push_back(std::move(b));
  }
  return out;
}

Result<std::vector<uint64_t>> MemDB::ListUsers(std::string_view table,
                                               std::optional<uint64_t> after, size_t limit) {
  std::lock_guard<std::mutex> l(mu_);
  Table* t = Find(table);
  if (t == nullptr) return Status::NotFound("table '" + std::string(table) + "' does not exist");
  std::vector<uint64_t> out;
  auto it = after ? t->users.upper_bound(*after) : t->users.begin();
  for (; it != t->users.end() && out.size() < limit; ++it) {
    if (!it->second.empty()) out.push_back(it->first);
  }
  return out;
}

}  // namespace laser::testing
