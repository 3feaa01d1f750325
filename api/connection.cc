#include <algorithm>

#include "engine/util/status_macros.hpp"
#include "laser/laser.hpp"
#include "operators/expression.hpp"
#include "operators/operator.hpp"
#include "sql/lexer.hpp"
#include "sql/parser.hpp"
#include "sql/planner.hpp"

namespace laser {

namespace {

ops::LType ToLType(const ResultColumn& c) {
  ops::LType t = ops::LType::Of(c.type);
  t.unit = c.unit;
  return t;
}

}  // namespace

std::string FormatResultValue(const Value& v, const ResultColumn& column) {
  return ops::FormatValue(v, ToLType(column));
}

size_t QueryResult::num_rows() const {
  size_t n = 0;
  for (const Batch& b : batches) n += b.num_rows();
  return n;
}

Value QueryResult::Get(size_t row, size_t col) const {
  for (const Batch& b : batches) {
    if (row < b.num_rows()) return b.columns[col].Get(row);
    row -= b.num_rows();
  }
  return Value::Null();
}

std::string QueryResult::GetString(size_t row, size_t col) const {
  return FormatResultValue(Get(row, col), columns[col]);
}

std::string QueryResult::ToString() const {
  std::string out;
  for (size_t c = 0; c < columns.size(); ++c) {
    if (c > 0) out += " | ";
    out += columns[c].name;
  }
  if (!columns.empty()) out += "\n";
  for (const Batch& b : batches) {
    for (size_t r = 0; r < b.num_rows(); ++r) {
      for (size_t c = 0; c < columns.size(); ++c) {
        if (c > 0) out += " | ";
        out += FormatResultValue(b.columns[c].Get(r), columns[c]);
      }
      out += "\n";
    }
  }
  return out;
}

ResultStream::~ResultStream() = default;

uint64_t ResultStream::rows_affected() const { return ctx_ ? ctx_->rows_affected : 0; }

Result<bool> ResultStream::Next(Batch* out) {
  if (done_) return false;
  ops::Chunk c;
  Result<bool> more = root_->Next(&c);
  if (!more.ok() || !*more) {
    done_ = true;
    if (!more.ok()) return more.status();
    return false;
  }
  *out = Batch();
  for (size_t k = 0; k < columns_.size(); ++k) {
    ColumnVector& dst = out->AddColumn(columns_[k].name, columns_[k].type);
    if (!c.has_sel) {
      dst = std::move(c.data.columns[k]);
      dst.type = columns_[k].type;
    } else {
      dst.Reserve(c.size());
      for (size_t i = 0; i < c.size(); ++i) ops::AppendRow(c.data.columns[k], c.row(i), &dst);
    }
  }
  return true;
}

Connection::Connection(DB* db, std::unique_ptr<DB> owned, const QueryOptions& q)
    : owned_(std::move(owned)), db_(db), query_options_(q) {}

Connection::~Connection() = default;

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& dir, const Options& options,
                                                     const QueryOptions& query_options) {
  LASER_ASSIGN_OR_RETURN(std::unique_ptr<DB> db, DB::Open(dir, options));
  DB* raw = db.get();
  return std::unique_ptr<Connection>(new Connection(raw, std::move(db), query_options));
}

std::unique_ptr<Connection> Connection::Wrap(DB* db, const QueryOptions& query_options) {
  return std::unique_ptr<Connection>(new Connection(db, nullptr, query_options));
}

void Connection::Interrupt() { interrupt_.store(true, std::memory_order_relaxed); }

Result<std::unique_ptr<ResultStream>> Connection::Start(const std::string& source,
                                                        const void* statement,
                                                        const std::vector<Value>& params) {
  interrupt_.store(false, std::memory_order_relaxed);
  const auto& st = *static_cast<const sql::Statement*>(statement);
  sql::PlanOptions po;
  po.copy_staging_bytes = query_options_.copy_staging_bytes;
  LASER_ASSIGN_OR_RETURN(auto root, sql::PlanStatement(db_, source, st, params, po));
  std::unique_ptr<ResultStream> s(new ResultStream());
  s->ctx_ = std::make_unique<ops::ExecContext>(db_, query_options_.memory_limit_bytes, &interrupt_);
  s->ctx_->set_progress(progress_);
  for (const ops::Field& f : root->schema()) {
    ResultColumn c;
    c.name = f.name;
    c.type = f.type.type == Type::kEnum ? Type::kString : f.type.type;
    c.unit = f.type.unit;
    s->columns_.push_back(std::move(c));
  }
  LASER_RETURN_IF_ERROR(root->Open(s->ctx_.get()));
  s->root_ = std::move(root);
  return s;
}

Result<QueryResult> Connection::Drain(ResultStream* s) {
  QueryResult r;
  r.columns = s->columns();
  while (true) {
    Batch b;
    LASER_ASSIGN_OR_RETURN(bool more, s->Next(&b));
    if (!more) break;
    r.batches.push_back(std::move(b));
  }
  r.rows_affected = s->rows_affected();
  return r;
}

Result<std::vector<QueryResult>> Connection::ExecuteAll(std::string_view sql) {
  const std::string source(sql);
  LASER_ASSIGN_OR_RETURN(std::vector<sql::Statement> stmts, sql::Parse(source));
  std::vector<QueryResult> out;
  for (const sql::Statement& st : stmts) {
    if (st.num_params > 0) {
      return sql::ErrorAt(source, st.pos, "error",
                          "the statement has ? parameters: use Prepare and Bind");
    }
    LASER_ASSIGN_OR_RETURN(auto stream, Start(source, &st, {}));
    LASER_ASSIGN_OR_RETURN(QueryResult r, Drain(stream.get()));
    out.push_back(std::move(r));
  }
  return out;
}

Result<QueryResult> Connection::Execute(std::string_view sql) {
  LASER_ASSIGN_OR_RETURN(std::vector<QueryResult> all, ExecuteAll(sql));
  if (all.empty()) return QueryResult();
  return std::move(all.back());
}

namespace {

Result<std::shared_ptr<sql::Statement>> ParseOne(const std::string& source) {
  LASER_ASSIGN_OR_RETURN(std::vector<sql::Statement> stmts, sql::Parse(source));
  if (stmts.size() != 1) {
    return Status::InvalidArgument("expected exactly one statement, found " +
                                   std::to_string(stmts.size()));
  }
  return std::make_shared<sql::Statement>(std::move(stmts[0]));
}

}  // namespace

Result<std::unique_ptr<ResultStream>> Connection::Stream(std::string_view sql) {
  const std::string source(sql);
  LASER_ASSIGN_OR_RETURN(auto st, ParseOne(source));
  if (st->num_params > 0) {
    return sql::ErrorAt(source, st->pos, "error",
                        "the statement has ? parameters: use Prepare and Bind");
  }
  return Start(source, st.get(), {});
}

Result<std::unique_ptr<PreparedStatement>> Connection::Prepare(std::string_view sql) {
  std::unique_ptr<PreparedStatement> p(new PreparedStatement());
  p->conn_ = this;
  p->source_ = std::string(sql);
  LASER_ASSIGN_OR_RETURN(auto st, ParseOne(p->source_));
  p->params_.assign(static_cast<size_t>(st->num_params), Value::Null());
  p->bound_.assign(static_cast<size_t>(st->num_params), false);
  p->statement_ = std::move(st);
  return p;
}

PreparedStatement::~PreparedStatement() = default;

size_t PreparedStatement::num_params() const { return params_.size(); }

Status PreparedStatement::Bind(size_t index, Value value) {
  if (index < 1 || index > params_.size()) {
    return Status::InvalidArgument("parameter index " + std::to_string(index) +
                                   " is out of range [1, " + std::to_string(params_.size()) + "]");
  }
  params_[index - 1] = std::move(value);
  bound_[index - 1] = true;
  return Status::OK();
}

void PreparedStatement::ClearBindings() {
  std::fill(params_.begin(), params_.end(), Value::Null());
  std::fill(bound_.begin(), bound_.end(), false);
}

Result<std::unique_ptr<ResultStream>> PreparedStatement::Stream() {
  for (size_t i = 0; i < bound_.size(); ++i) {
    if (!bound_[i]) {
      return Status::InvalidArgument("parameter ?" + std::to_string(i + 1) + " is not bound");
    }
  }
  return conn_->Start(source_, statement_.get(), params_);
}

Result<QueryResult> PreparedStatement::Execute() {
  LASER_ASSIGN_OR_RETURN(auto s, Stream());
  return Connection::Drain(s.get());
}

}  // namespace laser
