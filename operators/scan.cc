#include "operators/scan.hpp"

#include "engine/util/status_macros.hpp"

namespace laser::ops {

ScanOp::ScanOp(ScanSpec spec) : spec_(std::move(spec)) {
  for (int c : spec_.columns) {
    schema_.push_back({spec_.table.columns[static_cast<size_t>(c)].name,
                       LType::OfColumn(spec_.table.columns[static_cast<size_t>(c)])});
  }
  spec_.read.columns.clear();
  for (int c : spec_.columns) {
    if (static_cast<uint32_t>(c) != spec_.table.partition_key) {
      spec_.read.columns.push_back(spec_.table.columns[static_cast<size_t>(c)].name);
    }
  }
  // An empty list would mean "every column": the order key is the cheapest
  // column that still tells how many events there are.
  if (spec_.read.columns.empty()) {
    spec_.read.columns.push_back(spec_.table.columns[spec_.table.order_key].name);
  }
}

std::string ScanOp::Details() const {
  std::string d = spec_.table.name;
  if (spec_.users) {
    d += ", users=";
    if (spec_.users->size() <= 8) {
      d += "{";
      for (size_t i = 0; i < spec_.users->size(); ++i) {
        if (i > 0) d += ",";
        d += std::to_string((*spec_.users)[i]);
      }
      d += "}";
    } else {
      d += std::to_string(spec_.users->size());
    }
  } else {
    d += ", all users";
  }
  d += ", columns=";
  for (size_t i = 0; i < schema_.size(); ++i) {
    if (i > 0) d += ",";
    d += schema_[i].name;
  }
  const std::string& ok = spec_.table.columns[spec_.table.order_key].name;
  if (spec_.read.min_order_key) d += ", " + ok + ">=" + std::to_string(*spec_.read.min_order_key);
  if (spec_.read.max_order_key) d += ", " + ok + "<" + std::to_string(*spec_.read.max_order_key);
  if (spec_.read.last_n != 0) d += ", last_n=" + std::to_string(spec_.read.last_n);
  if (spec_.filter) d += ", filter=" + spec_.filter->text;
  if (spec_.last_n != 0) d += ", last=" + std::to_string(spec_.last_n) + " after filter";
  return d;
}

Status ScanOp::FetchMore(bool* done) {
  std::vector<uint64_t> users;
  if (spec_.users) {
    const auto& all = *spec_.users;
    while (next_user_ < all.size() && users.size() < spec_.users_per_read) {
      users.push_back(all[next_user_++]);
    }
  } else if (!exhausted_) {
    LASER_ASSIGN_OR_RETURN(users,
                           ctx_->db()->ListUsers(spec_.table.name, after_, spec_.users_per_read));
    if (users.size() < spec_.users_per_read) exhausted_ = true;
    if (!users.empty()) after_ = users.back();
  }
  if (users.empty()) {
    *done = true;
    return Status::OK();
  }
  *done = false;
  Result<std::vector<Batch>> r = ctx_->db()->ReadMany(spec_.table.name, users, spec_.read);
  if (!r.ok()) return r.status().WithContext("Scan of " + spec_.table.name);
  std::vector<Batch>& got = *r;
  for (size_t u = 0; u < users.size() && u < got.size(); ++u) {
    Batch& src = got[u];
    size_t rows = src.num_rows();
    if (rows == 0) continue;
    Batch b;
    for (size_t k = 0; k < spec_.columns.size(); ++k) {
      const Column& col = spec_.table.columns[static_cast<size_t>(spec_.columns[k])];
      ColumnVector& dst = b.AddColumn(col.name, col.type);
      if (static_cast<uint32_t>(spec_.columns[k]) == spec_.table.partition_key) {
        dst.uints.assign(rows, users[u]);
        continue;
      }
      const int idx = src.Find(col.name);
      if (idx < 0) {
        return Status::Internal("Scan of " + spec_.table.name + ": engine returned no column '" +
                                col.name + "'");
      }
      dst = std::move(src.columns[static_cast<size_t>(idx)]);
      dst.type = col.type;
      if (dst.size() != rows) {
        return Status::Internal("Scan of " + spec_.table.name + ": column '" + col.name + "' has " +
                                std::to_string(dst.size()) + " rows, expected " +
                                std::to_string(rows));
      }
    }
    if (spec_.filter) {
      ColumnVector scratch;
      LASER_ASSIGN_OR_RETURN(const ColumnVector* pred, Evaluate(*spec_.filter, b, rows, &scratch));
      std::vector<uint32_t> keep;
      for (size_t i = 0; i < rows; ++i) {
        if (!pred->IsNull(i) && pred->ints[i] != 0) keep.push_back(static_cast<uint32_t>(i));
      }
      if (spec_.last_n != 0 && keep.size() > spec_.last_n) {
        keep.erase(keep.begin(), keep.end() - static_cast<std::ptrdiff_t>(spec_.last_n));
      }
      Batch f;
      for (size_t k = 0; k < b.num_columns(); ++k) {
        ColumnVector& dst = f.AddColumn(b.names[k], b.columns[k].type);
        dst.Reserve(keep.size());
        for (uint32_t i : keep) AppendRow(b.columns[k], i, &dst);
      }
      b = std::move(f);
      rows = keep.size();
      if (rows == 0) continue;
    }
    const size_t bytes = BatchBytes(b);
    LASER_RETURN_IF_ERROR(ctx_->Reserve(bytes, "Scan of " + spec_.table.name));
    reserved_ += bytes;
    pending_.push_back(std::move(b));
    pending_bytes_.push_back(bytes);
  }
  return Status::OK();
}

Result<bool> ScanOp::NextImpl(Chunk* out) {
  while (pending_.empty()) {
    LASER_RETURN_IF_ERROR(ctx_->CheckInterrupt());
    bool done = false;
    LASER_RETURN_IF_ERROR(FetchMore(&done));
    if (done) {
      ctx_->Release(reserved_);
      reserved_ = 0;
      return false;
    }
  }
  Batch& front = pending_.front();
  const size_t rows = front.num_rows();
  const size_t n = std::min(kChunkRows, rows - offset_);
  out->Reset(schema_);
  if (offset_ == 0 && n == rows) {
    out->data.columns = std::move(front.columns);
    for (size_t k = 0; k < out->data.columns.size(); ++k)
      out->data.columns[k].type = schema_[k].type.type;
  } else {
    for (size_t k = 0; k < front.num_columns(); ++k) {
      ColumnVector& dst = out->data.columns[k];
      dst.Reserve(n);
      for (size_t i = offset_; i < offset_ + n; ++i) AppendRow(front.columns[k], i, &dst);
    }
  }
  offset_ += n;
  if (offset_ >= rows) {
    const size_t bytes = pending_bytes_.front();
    pending_.pop_front();
    pending_bytes_.pop_front();
    offset_ = 0;
    ctx_->Release(bytes);
    reserved_ -= bytes;
  }
  return true;
}

}  // namespace laser::ops
