#include "operators/operator.hpp"

#include <cstdio>

namespace laser::ops {

LType LType::OfColumn(const Column& c) {
  LType l;
  l.type = c.type;
  l.unit = c.unit;
  if (c.type == Type::kEnum) {
    l.enum_values = std::make_shared<const std::vector<std::string>>(c.enum_values);
  }
  return l;
}

std::string LType::ToString() const {
  std::string s = TypeName(type);
  if (type == Type::kTimestamp) {
    s += std::string("(") + TimeUnitName(unit) + ")";
  } else if (type == Type::kEnum && enum_values) {
    s += "(";
    for (size_t i = 0; i < enum_values->size(); ++i) {
      if (i > 0) s += ", ";
      s += "'" + (*enum_values)[i] + "'";
    }
    s += ")";
  }
  return s;
}

void Chunk::Reset(const Schema& schema) {
  data.names.clear();
  data.columns.clear();
  for (const Field& f : schema) data.AddColumn(f.name, f.type.type);
  sel.clear();
  has_sel = false;
}

void AppendRow(const ColumnVector& from, size_t row, ColumnVector* to) {
  const bool null = from.IsNull(row);
  if (null && to->nulls.empty()) {
    to->nulls.assign(to->size(), 0);
    to->nulls.push_back(1);
  } else if (!to->nulls.empty()) {
    to->nulls.push_back(null ? 1 : 0);
  }
  switch (LaneOf(to->type)) {
    case Lane::kInt:
      to->ints.push_back(from.ints[row]);
      break;
    case Lane::kUInt:
      to->uints.push_back(from.uints[row]);
      break;
    case Lane::kFloat:
      to->floats.push_back(from.floats[row]);
      break;
    case Lane::kString:
      to->strings.push_back(from.strings[row]);
      break;
  }
}

size_t ColumnBytes(const ColumnVector& c) {
  size_t b = c.ints.capacity() * 8 + c.uints.capacity() * 8 + c.floats.capacity() * 8 +
             c.nulls.capacity() + c.strings.capacity() * sizeof(std::string);
  for (const std::string& s : c.strings) {
    if (s.capacity() > 15) b += s.capacity();
  }
  return b;
}

size_t BatchBytes(const Batch& b) {
  size_t n = 0;
  for (const ColumnVector& c : b.columns) n += ColumnBytes(c);
  return n;
}

Status ExecContext::CheckInterrupt() const {
  if (interrupt_ != nullptr && interrupt_->load(std::memory_order_relaxed)) {
    return Status::Aborted("query interrupted");
  }
  return Status::OK();
}

Status ExecContext::Reserve(size_t bytes, std::string_view op) {
  if (memory_limit_ != 0 && used_ + bytes > memory_limit_) {
    return Status::ResourceExhausted(std::string(op) + ": query memory limit of " +
                                     std::to_string(memory_limit_) + " bytes exceeded (" +
                                     std::to_string(used_ + bytes) +
                                     " bytes needed); raise the memory_limit option or narrow "
                                     "the query");
  }
  used_ += bytes;
  if (used_ > peak_) peak_ = used_;
  return Status::OK();
}

void ExecContext::Release(size_t bytes) { used_ = bytes > used_ ? 0 : used_ - bytes; }

Status Operator::Open(ExecContext* ctx) {
  ctx_ = ctx;
  for (auto& c : children_) {
    Status s = c->Open(ctx);
    if (!s.ok()) return s;
  }
  const auto t0 = std::chrono::steady_clock::now();
  Status s = OpenImpl();
  nanos_ += static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  return s;
}

Result<bool> Operator::Next(Chunk* out) {
  Status intr = ctx_->CheckInterrupt();
  if (!intr.ok()) return intr;
  const auto t0 = std::chrono::steady_clock::now();
  Result<bool> r = NextImpl(out);
  nanos_ += static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  if (r.ok() && *r) rows_ += out->size();
  return r;
}

namespace {

void Explain(const Operator& op, int depth, bool analyze, std::vector<std::string>* out) {
  std::string line(static_cast<size_t>(depth) * 2, ' ');
  line += op.Name();
  const std::string d = op.Details();
  if (!d.empty()) line += " [" + d + "]";
  if (analyze) {
    char buf[96];
    std::snprintf(buf, sizeof(buf), " (rows=%llu, time=%.3f ms)",
                  static_cast<unsigned long long>(op.rows_produced()),
                  static_cast<double>(op.nanos()) / 1e6);
    line += buf;
  }
  out->push_back(std::move(line));
  for (const auto& c : op.children()) Explain(*c, depth + 1, analyze, out);
}

}  // namespace

std::vector<std::string> ExplainLines(const Operator& root, bool analyze) {
  std::vector<std::string> out;
  Explain(root, 0, analyze, &out);
  return out;
}

}  // namespace laser::ops
