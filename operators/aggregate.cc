#include "operators/aggregate.hpp"

#include <cstring>

#include "engine/util/status_macros.hpp"

namespace laser::ops {
namespace {

// Appends a self-delimiting encoding of row `row` of c to key: equal values
// (including NULLs) encode equally, different values differently.
void EncodeKey(const ColumnVector& c, size_t row, std::string* key) {
  if (c.IsNull(row)) {
    key->push_back('\0');
    return;
  }
  key->push_back('\1');
  char buf[8];
  switch (LaneOf(c.type)) {
    case Lane::kInt:
      std::memcpy(buf, &c.ints[row], 8);
      key->append(buf, 8);
      break;
    case Lane::kUInt:
      std::memcpy(buf, &c.uints[row], 8);
      key->append(buf, 8);
      break;
    case Lane::kFloat: {
      double d = c.floats[row];
      if (d == 0) d = 0;  // -0.0 and 0.0 are one group
      std::memcpy(buf, &d, 8);
      key->append(buf, 8);
      break;
    }
    case Lane::kString: {
      const uint64_t n = c.strings[row].size();
      std::memcpy(buf, &n, 8);
      key->append(buf, 8);
      key->append(c.strings[row]);
      break;
    }
  }
}

void PushNull(ColumnVector* c) { c->Append(Value::Null()); }

}  // namespace

HashAggregateOp::HashAggregateOp(std::unique_ptr<Operator> child, std::vector<BoundExprPtr> keys,
                                 std::vector<std::string> key_names, std::vector<AggSpec> aggs)
    : keys_(std::move(keys)), aggs_(std::move(aggs)) {
  for (size_t i = 0; i < keys_.size(); ++i) {
    schema_.push_back({key_names[i], keys_[i]->type});
    key_values_.emplace_back(keys_[i]->type.type);
  }
  for (const AggSpec& a : aggs_) {
    schema_.push_back({a.name, a.type});
    State s;
    s.best.type = a.type.type;
    states_.push_back(std::move(s));
  }
  children_.push_back(std::move(child));
}

std::string HashAggregateOp::Details() const {
  std::string d;
  if (!keys_.empty()) {
    d = "keys=";
    for (size_t i = 0; i < keys_.size(); ++i) {
      if (i > 0) d += ",";
      d += keys_[i]->text;
    }
    d += "; ";
  }
  for (size_t i = 0; i < aggs_.size(); ++i) {
    if (i > 0) d += ", ";
    d += aggs_[i].name;
  }
  return d;
}

size_t HashAggregateOp::NewGroup(const std::vector<const ColumnVector*>& keys, uint32_t row) {
  for (size_t k = 0; k < keys.size(); ++k) AppendRow(*keys[k], row, &key_values_[k]);
  for (State& s : states_) {
    s.count.push_back(0);
    s.isum.push_back(0);
    s.fsum.push_back(0);
    PushNull(&s.best);
    s.distinct.emplace_back();
  }
  return num_groups_++;
}

Status HashAggregateOp::Update(size_t a, size_t g, const ColumnVector& v, uint32_t row) {
  const AggSpec& spec = aggs_[a];
  State& s = states_[a];
  if (spec.kind == AggKind::kCountStar) {
    ++s.count[g];
    return Status::OK();
  }
  if (v.IsNull(row)) return Status::OK();
  ++s.count[g];
  switch (spec.kind) {
    case AggKind::kCountDistinct: {
      std::string key;
      EncodeKey(v, row, &key);
      if (s.distinct[g].insert(key).second) {
        const size_t bytes = key.size() + 48;
        LASER_RETURN_IF_ERROR(ctx_->Reserve(bytes, "HashAggregate"));
        reserved_ += bytes;
      }
      break;
    }
    case AggKind::kSum:
    case AggKind::kAvg:
      if (LaneOf(v.type) == Lane::kFloat || spec.kind == AggKind::kAvg) {
        s.fsum[g] += LaneOf(v.type) == Lane::kFloat ? v.floats[row]
                     : LaneOf(v.type) == Lane::kInt ? static_cast<double>(v.ints[row])
                                                    : static_cast<double>(v.uints[row]);
      }
      if (spec.kind == AggKind::kSum && LaneOf(v.type) != Lane::kFloat) {
        int64_t x = 0;
        if (LaneOf(v.type) == Lane::kInt) {
          x = v.ints[row];
        } else if (v.uints[row] > static_cast<uint64_t>(INT64_MAX)) {
          return Status::InvalidArgument("HashAggregate: integer overflow in " + spec.name +
                                         ": value " + std::to_string(v.uints[row]));
        } else {
          x = static_cast<int64_t>(v.uints[row]);
        }
        if (__builtin_add_overflow(s.isum[g], x, &s.isum[g])) {
          return Status::InvalidArgument("HashAggregate: integer overflow in " + spec.name +
                                         " adding " + std::to_string(x));
        }
      }
      break;
    case AggKind::kMin:
    case AggKind::kMax: {
      const bool empty = s.best.IsNull(g);
      bool take = empty;
      if (!empty) {
        const int c = CompareValues(v, row, s.best, g);
        take = spec.kind == AggKind::kMin ? c < 0 : c > 0;
      }
      if (take) {
        s.best.nulls[g] = 0;
        switch (LaneOf(s.best.type)) {
          case Lane::kInt:
            s.best.ints[g] = v.ints[row];
            break;
          case Lane::kUInt:
            s.best.uints[g] = v.uints[row];
            break;
          case Lane::kFloat:
            s.best.floats[g] = v.floats[row];
            break;
          case Lane::kString:
            s.best.strings[g] = v.strings[row];
            break;
        }
      }
      break;
    }
    default:
      break;
  }
  return Status::OK();
}

Status HashAggregateOp::Consume(const Chunk& in) {
  const size_t phys = in.physical_rows();
  std::vector<ColumnVector> key_scratch(keys_.size());
  std::vector<const ColumnVector*> key_cols(keys_.size());
  for (size_t k = 0; k < keys_.size(); ++k) {
    Result<const ColumnVector*> r = Evaluate(*keys_[k], in.data, phys, &key_scratch[k]);
    if (!r.ok()) return r.status().WithContext("HashAggregate");
    key_cols[k] = *r;
  }
  std::vector<ColumnVector> arg_scratch(aggs_.size());
  std::vector<const ColumnVector*> arg_cols(aggs_.size(), nullptr);
  for (size_t a = 0; a < aggs_.size(); ++a) {
    if (!aggs_[a].arg) continue;
    Result<const ColumnVector*> r = Evaluate(*aggs_[a].arg, in.data, phys, &arg_scratch[a]);
    if (!r.ok()) return r.status().WithContext("HashAggregate");
    arg_cols[a] = *r;
  }
  std::string key;
  static const ColumnVector kNone;
  for (size_t i = 0; i < in.size(); ++i) {
    const uint32_t row = in.row(i);
    key.clear();
    for (const ColumnVector* c : key_cols) EncodeKey(*c, row, &key);
    auto it = groups_.find(key);
    size_t g = 0;
    if (it == groups_.end()) {
      const size_t bytes = key.size() + 64 + 48 * aggs_.size();
      LASER_RETURN_IF_ERROR(ctx_->Reserve(bytes, "HashAggregate"));
      reserved_ += bytes;
      g = NewGroup(key_cols, row);
      groups_.emplace(key, static_cast<uint32_t>(g));
    } else {
      g = it->second;
    }
    for (size_t a = 0; a < aggs_.size(); ++a) {
      LASER_RETURN_IF_ERROR(Update(a, g, arg_cols[a] ? *arg_cols[a] : kNone, row));
    }
  }
  return Status::OK();
}

Result<bool> HashAggregateOp::NextImpl(Chunk* out) {
  if (!consumed_) {
    Chunk in;
    while (true) {
      LASER_ASSIGN_OR_RETURN(bool more, children_[0]->Next(&in));
      if (!more) break;
      LASER_RETURN_IF_ERROR(Consume(in));
    }
    consumed_ = true;
    if (keys_.empty() && num_groups_ == 0) NewGroup({}, 0);
  }
  if (emitted_ >= num_groups_) {
    ctx_->Release(reserved_);
    reserved_ = 0;
    return false;
  }
  const size_t n = std::min(kChunkRows, num_groups_ - emitted_);
  out->Reset(schema_);
  for (size_t k = 0; k < keys_.size(); ++k) {
    for (size_t g = emitted_; g < emitted_ + n; ++g) {
      AppendRow(key_values_[k], g, &out->data.columns[k]);
    }
  }
  for (size_t a = 0; a < aggs_.size(); ++a) {
    ColumnVector& dst = out->data.columns[keys_.size() + a];
    const State& s = states_[a];
    const AggSpec& spec = aggs_[a];
    for (size_t g = emitted_; g < emitted_ + n; ++g) {
      switch (spec.kind) {
        case AggKind::kCountStar:
        case AggKind::kCount:
          dst.Append(Value::Int(s.count[g]));
          break;
        case AggKind::kCountDistinct:
          dst.Append(Value::Int(static_cast<int64_t>(s.distinct[g].size())));
          break;
        case AggKind::kSum:
          if (s.count[g] == 0)
            dst.Append(Value::Null());
          else if (LaneOf(dst.type) == Lane::kFloat)
            dst.Append(Value::Float(s.fsum[g]));
          else
            dst.Append(Value::Int(s.isum[g]));
          break;
        case AggKind::kAvg:
          if (s.count[g] == 0)
            dst.Append(Value::Null());
          else
            dst.Append(Value::Float(s.fsum[g] / static_cast<double>(s.count[g])));
          break;
        case AggKind::kMin:
        case AggKind::kMax:
          AppendRow(s.best, g, &dst);
          break;
      }
    }
  }
  emitted_ += n;
  return true;
}

}  // namespace laser::ops
