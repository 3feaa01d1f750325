#include "operators/score.hpp"

#include <algorithm>
#include <charconv>

#include "engine/util/status_macros.hpp"

namespace laser::ops {

namespace {

bool IsIntegerType(Type t) {
  const Lane l = LaneOf(t);
  return t != Type::kTimestamp && t != Type::kBool && (l == Lane::kInt || l == Lane::kUInt);
}

// Copies the integer column `name` of `h` into `out`; a NULL becomes 0 (the
// unknown item or the action row 0 of the model).
template <typename T>
Status CopyInts(const Batch& h, const std::string& name, std::vector<T>* out) {
  const int idx = h.Find(name);
  if (idx < 0) return Status::Internal("SCORE: the history read lacks column '" + name + "'");
  const ColumnVector& c = h.columns[idx];
  const size_t n = c.size();
  out->resize(n);
  if (LaneOf(c.type) == Lane::kUInt) {
    for (size_t i = 0; i < n; ++i) (*out)[i] = static_cast<T>(c.uints[i]);
  } else {
    for (size_t i = 0; i < n; ++i) (*out)[i] = static_cast<T>(c.ints[i]);
  }
  if (!c.nulls.empty()) {
    for (size_t i = 0; i < n; ++i) {
      if (c.nulls[i]) (*out)[i] = 0;
    }
  }
  return Status::OK();
}

std::string FormatVector(const float* v, int d) {
  std::string s = "[";
  char buf[32];
  for (int i = 0; i < d; ++i) {
    if (i) s += ", ";
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v[i]);
    (void)ec;  // 32 bytes hold any float in shortest form
    s.append(buf, end);
  }
  s += ']';
  return s;
}

}  // namespace

Schema ScoreSchema(bool want_interest) {
  Schema s = {{"user", LType::Of(Type::kU64)},
              {"target", LType::Of(Type::kU64)},
              {"score", LType::Of(Type::kF64)},
              {"logit", LType::Of(Type::kF64)}};
  if (want_interest) s.push_back({"interest", LType::Of(Type::kString)});
  return s;
}

ScoreOp::ScoreOp(ScoreSpec spec, std::unique_ptr<Operator> targets_child) : spec_(std::move(spec)) {
  schema_ = ScoreSchema(spec_.want_interest);
  if (targets_child) {
    has_child_ = true;
    children_.push_back(std::move(targets_child));
  }
}

std::string ScoreOp::Details() const {
  std::string d = "model=" + spec_.model_name + " table=" + spec_.table +
                  " users=" + std::to_string(spec_.users.size());
  d += has_child_ ? " targets=(subquery)" : " targets=" + std::to_string(spec_.targets.size());
  d += spec_.method == model::ScoreMethod::kFull ? " method=full" : " method=sta";
  if (spec_.want_interest) d += " interest";
  return d;
}

Status ScoreOp::CollectTargets() {
  Operator* child = children_[0].get();
  if (child->schema().empty() || !IsIntegerType(child->schema()[0].type.type)) {
    return Status::InvalidArgument(
        "SCORE: the targets subquery must return an integer column first, not " +
        std::string(child->schema().empty() ? "nothing" : TypeName(child->schema()[0].type.type)));
  }
  spec_.targets.clear();
  Chunk chunk;
  while (true) {
    LASER_ASSIGN_OR_RETURN(bool more, child->Next(&chunk));
    if (!more) break;
    const ColumnVector& c = chunk.data.columns[0];
    for (size_t i = 0; i < chunk.size(); ++i) {
      const uint32_t r = chunk.row(i);
      if (c.IsNull(r)) continue;  // a NULL target names no item
      if (LaneOf(c.type) == Lane::kUInt) {
        spec_.targets.push_back(c.uints[r]);
      } else if (c.ints[r] >= 0) {
        spec_.targets.push_back(static_cast<uint64_t>(c.ints[r]));
      } else {
        return Status::InvalidArgument("SCORE: the targets subquery returned " +
                                       std::to_string(c.ints[r]) +
                                       "; targets are non-negative item ids");
      }
    }
    // Stop reading early: the count is already over the limit.
    if (spec_.targets.size() > model::kMaxTargetsPerCall) break;
  }
  return Status::OK();
}

Status ScoreOp::OpenImpl() {
  const model::ModelConfig& cfg = spec_.model->config();
  Result<TableSchema> table = ctx_->db()->GetTable(spec_.table);
  if (!table.ok()) {
    return table.status().WithContext("SCORE(" + spec_.model_name + ", " + spec_.table + ")");
  }
  for (const std::string* name : {&cfg.item_column, &cfg.action_column}) {
    const int idx = table->FindColumn(*name);
    if (idx < 0) {
      return Status::InvalidArgument("SCORE: model '" + spec_.model_name + "' reads column '" +
                                     *name + "', which table '" + spec_.table + "' does not have");
    }
    const Type t = table->columns[idx].type;
    if (!IsIntegerType(t)) {
      return Status::InvalidArgument("SCORE: column '" + *name + "' of table '" + spec_.table +
                                     "' is " + TypeName(t) + "; model '" + spec_.model_name +
                                     "' needs an integer or ENUM column");
    }
  }
  if (has_child_) LASER_RETURN_IF_ERROR(CollectTargets());
  if (spec_.targets.size() > model::kMaxTargetsPerCall) {
    const std::string limit =
        "the limit of " + std::to_string(model::kMaxTargetsPerCall) + " targets per user";
    return Status::ResourceExhausted(
        has_child_ ? "SCORE: the targets subquery returned more than " + limit
                   : "SCORE: " + std::to_string(spec_.targets.size()) + " targets exceed " + limit);
  }
  next_user_ = 0;
  group_begin_ = 0;
  histories_.clear();
  scored_rows_ = scored_offset_ = 0;
  return Status::OK();
}

void ScoreOp::ReleaseHistories() {
  ctx_->Release(histories_bytes_);
  histories_bytes_ = 0;
  histories_.clear();
}

Status ScoreOp::ReadNextGroup() {
  ReleaseHistories();
  const model::ModelConfig& cfg = spec_.model->config();
  const size_t end = std::min(spec_.users.size(), next_user_ + kScoreUsersPerRead);
  std::span<const uint64_t> users(spec_.users.data() + next_user_, end - next_user_);
  ReadOptions ro;
  ro.columns = {cfg.item_column, cfg.action_column};
  ro.last_n = static_cast<uint64_t>(cfg.L);
  Result<std::vector<Batch>> read = ctx_->db()->ReadMany(spec_.table, users, ro);
  if (!read.ok()) return read.status().WithContext("SCORE: reading table '" + spec_.table + "'");
  histories_ = std::move(read).value();
  if (histories_.size() != users.size()) {
    return Status::Internal("SCORE: ReadMany of " + std::to_string(users.size()) +
                            " users returned " + std::to_string(histories_.size()) + " histories");
  }
  size_t bytes = 0;
  for (const Batch& h : histories_) bytes += BatchBytes(h);
  LASER_RETURN_IF_ERROR(ctx_->Reserve(bytes, "Score histories"));
  histories_bytes_ = bytes;
  group_begin_ = next_user_;
  return Status::OK();
}

Status ScoreOp::ScoreNextUser() {
  if (next_user_ >= group_begin_ + histories_.size()) LASER_RETURN_IF_ERROR(ReadNextGroup());
  const model::ModelConfig& cfg = spec_.model->config();
  const Batch& h = histories_[next_user_ - group_begin_];
  scored_user_ = spec_.users[next_user_];
  if (h.num_rows() > 0) {
    LASER_RETURN_IF_ERROR(CopyInts(h, cfg.item_column, &items_));
    LASER_RETURN_IF_ERROR(CopyInts(h, cfg.action_column, &actions_));
  } else {
    items_.clear();
    actions_.clear();
  }
  model::ScoreOptions so;
  so.method = spec_.method;
  so.want_interest = spec_.want_interest;
  Status st = model::Score(*spec_.model, items_, actions_, spec_.targets, so, &scored_, &scratch_);
  if (!st.ok()) return st.WithContext("SCORE user " + std::to_string(scored_user_));
  scored_rows_ = spec_.targets.size();
  scored_offset_ = 0;
  ++next_user_;
  return Status::OK();
}

Result<bool> ScoreOp::NextImpl(Chunk* out) {
  while (scored_offset_ >= scored_rows_) {
    if (next_user_ >= spec_.users.size() || spec_.targets.empty()) {
      ReleaseHistories();
      return false;
    }
    LASER_RETURN_IF_ERROR(ScoreNextUser());
  }
  out->Reset(schema_);
  const size_t n = std::min(kChunkRows, scored_rows_ - scored_offset_);
  const size_t b = scored_offset_;
  std::vector<ColumnVector>& cols = out->data.columns;
  cols[0].uints.assign(n, scored_user_);
  cols[1].uints.assign(spec_.targets.begin() + b, spec_.targets.begin() + b + n);
  cols[2].floats.assign(scored_.score.begin() + b, scored_.score.begin() + b + n);
  cols[3].floats.assign(scored_.logit.begin() + b, scored_.logit.begin() + b + n);
  if (spec_.want_interest) {
    const int d = spec_.model->config().d;
    cols[4].strings.reserve(n);
    for (size_t k = b; k < b + n; ++k) {
      cols[4].strings.push_back(FormatVector(scored_.interest.data() + k * d, d));
    }
  }
  scored_offset_ += n;
  return true;
}

}  // namespace laser::ops
