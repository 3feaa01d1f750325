#include "sql/planner.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "engine/util/status_macros.hpp"
#include "operators/aggregate.hpp"
#include "operators/command.hpp"
#include "operators/copy_from.hpp"
#include "operators/copy_to.hpp"
#include "operators/explain.hpp"
#include "operators/filter.hpp"
#include "operators/insert.hpp"
#include "operators/limit.hpp"
#include "operators/project.hpp"
#include "operators/scan.hpp"
#include "operators/sort.hpp"
#include "operators/top_n.hpp"
#include "operators/values.hpp"
#include "sql/bind_score.hpp"
#include "sql/lexer.hpp"

namespace laser::sql {

using ops::BoundExpr;
using ops::BoundExprPtr;
using ops::ExprOp;
using ops::LType;

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IEq(std::string_view a, std::string_view b) { return Lower(a) == Lower(b); }

// The built-in table functions, plus any registered at start-up.
std::map<std::string, TableFunction>& Registry() {
  static std::map<std::string, TableFunction> r = {{"score", BindScore}};
  return r;
}

bool IsAggregateName(std::string_view n) {
  return n == "count" || n == "sum" || n == "min" || n == "max" || n == "avg";
}

bool ContainsAggregate(const Expr& e) {
  if (e.kind == ExprKind::kFunction && IsAggregateName(e.name)) return true;
  for (const auto& a : e.args) {
    if (a && ContainsAggregate(*a)) return true;
  }
  return false;
}

LType LiteralType(const Value& v) {
  switch (v.v.index()) {
    case 2:
      return LType::Of(Type::kU64);
    case 3:
      return LType::Of(Type::kF64);
    case 4:
      return LType::Of(Type::kString);
    default:
      return LType::Of(Type::kI64);
  }
}

bool IsNumeric(const LType& t) { return t.type != Type::kString && t.type != Type::kEnum; }

BoundExprPtr MakeConst(Value v, LType t, std::string text) {
  auto e = std::make_unique<BoundExpr>();
  e->op = ExprOp::kConst;
  // Integers are held in the lane of their type.
  if (!v.is_null()) {
    if (LaneOf(t.type) == Lane::kUInt) {
      if (auto* i = std::get_if<int64_t>(&v.v)) v = Value::UInt(static_cast<uint64_t>(*i));
    } else if (LaneOf(t.type) == Lane::kInt) {
      if (auto* u = std::get_if<uint64_t>(&v.v)) v = Value::Int(static_cast<int64_t>(*u));
    }
  }
  e->constant = std::move(v);
  e->type = std::move(t);
  e->text = std::move(text);
  return e;
}

// What names an expression may refer to.
struct Scope {
  ops::Schema schema;
  std::string table;  // name or alias a qualifier must match; empty = none
  std::string alias;
  std::vector<std::string> all_columns;  // every column of the table, for messages
};

class Planner;

// Binding mode for expressions after GROUP BY: group keys and aggregates
// become references to the aggregate's output.
struct AggBinding {
  const Scope* input = nullptr;          // for aggregate arguments
  std::vector<std::string> key_texts;    // ToSql of each GROUP BY expression
  std::vector<std::string> key_aliases;  // select alias the key came from, or ""
  std::vector<ops::AggSpec>* aggs = nullptr;
  std::vector<std::string> agg_texts;
  ops::Schema* out_schema = nullptr;  // key fields, then aggregate fields (grows)
};

class Planner {
 public:
  Planner(DB* db, std::string_view src, const std::vector<Value>& params, const PlanOptions& o)
      : db_(db), src_(src), params_(params), options_(o) {}

  Status Err(size_t pos, std::string_view msg) const { return ErrorAt(src_, pos, "error", msg); }
  // Re-anchors a status from a lower layer at a source position.
  Status ErrFrom(size_t pos, const Status& s) const {
    if (s.ok()) return s;
    Status e = ErrorAt(src_, pos, "error", s.message());
    if (s.code() == Status::Code::kNotFound) return Status::NotFound(e.message());
    if (s.code() == Status::Code::kAlreadyExists) return Status::AlreadyExists(e.message());
    return e;
  }

  Result<std::unique_ptr<ops::Operator>> Plan(const Statement& st);
  Result<std::unique_ptr<ops::Operator>> PlanSelect(const Select& s);
  Result<BoundExprPtr> Bind(const Expr& e, const Scope& scope, AggBinding* agg);
  Result<Value> FoldConstant(const Expr& e, LType* type = nullptr);
  DB* db() const { return db_; }

 private:
  Result<TableSchema> GetTable(const std::string& name, size_t pos) const {
    Result<TableSchema> t = db_->GetTable(name);
    if (!t.ok()) {
      if (t.status().code() == Status::Code::kNotFound) {
        return Status::NotFound(
            ErrorAt(src_, pos, "error", "table '" + name + "' does not exist").message());
      }
      return ErrFrom(pos, t.status());
    }
    return t;
  }

  Result<BoundExprPtr> BindColumn(const Expr& e, const Scope& scope);
  Result<BoundExprPtr> BindBinary(const Expr& e, BoundExprPtr l, BoundExprPtr r);
  Result<BoundExprPtr> Fold(BoundExprPtr e, size_t pos);
  BoundExprPtr EnumToString(BoundExprPtr e);
  Status Coerce2(BoundExprPtr* l, BoundExprPtr* r, size_t pos, bool comparison);
  Result<uint64_t> CountArg(const Expr& e, std::string_view what);

  Result<std::unique_ptr<ops::Operator>> PlanFrom(const Select& s, Scope* scope,
                                                  bool* where_consumed);
  Result<std::unique_ptr<ops::Operator>> PlanCreateTable(const Statement& st);
  Result<std::unique_ptr<ops::Operator>> PlanInsert(const Statement& st);
  Result<std::unique_ptr<ops::Operator>> PlanCopyFrom(const Statement& st);
  Result<std::unique_ptr<ops::Operator>> PlanCopyTo(const Statement& st);
  Result<std::unique_ptr<ops::Operator>> PlanDescribe(const Statement& st);
  Result<Value> ColumnValue(const Column& col, const Expr& e);
  Result<Column> BindColumnDef(const ColumnDef& d);

  DB* db_;
  std::string_view src_;
  const std::vector<Value>& params_;
  PlanOptions options_;
};

class FunctionContext : public TableFunctionContext {
 public:
  FunctionContext(Planner* p, std::string_view src, const TableRef& ref)
      : p_(p), src_(src), ref_(ref) {}
  DB* db() const override { return p_->db(); }
  const TableRef& call() const override { return ref_; }
  Status ErrorAt(size_t pos, std::string_view message) const override {
    return sql::ErrorAt(src_, pos, "error", message);
  }
  Result<Value> Constant(const Expr& e) const override { return p_->FoldConstant(e); }
  Result<std::unique_ptr<ops::Operator>> PlanSubquery(const Select& s) const override {
    return p_->PlanSelect(s);
  }

 private:
  Planner* p_;
  std::string_view src_;
  const TableRef& ref_;
};

Result<BoundExprPtr> Planner::BindColumn(const Expr& e, const Scope& scope) {
  if (!e.table.empty() && !IEq(e.table, scope.table) && !IEq(e.table, scope.alias)) {
    return Status::NotFound(
        ErrorAt(src_, e.pos, "error", "unknown table or alias '" + e.table + "'").message());
  }
  for (size_t i = 0; i < scope.schema.size(); ++i) {
    if (IEq(scope.schema[i].name, e.name)) {
      auto b = std::make_unique<BoundExpr>();
      b->op = ExprOp::kColumn;
      b->column = static_cast<int>(i);
      b->type = scope.schema[i].type;
      b->text = scope.schema[i].name;
      return b;
    }
  }
  std::string msg = "column '" + e.name + "' does not exist";
  if (!scope.table.empty()) msg += " in " + scope.table;
  if (!scope.all_columns.empty()) {
    msg += "; columns are ";
    for (size_t i = 0; i < scope.all_columns.size(); ++i) {
      if (i > 0) msg += ", ";
      msg += scope.all_columns[i];
    }
  }
  return Status::NotFound(ErrorAt(src_, e.pos, "error", msg).message());
}

BoundExprPtr Planner::EnumToString(BoundExprPtr e) {
  if (e->type.type != Type::kEnum) return e;
  auto c = std::make_unique<BoundExpr>();
  c->op = ExprOp::kEnumToString;
  c->type = LType::Of(Type::kString);
  c->text = e->text;
  c->args.push_back(std::move(e));
  return c;
}

// Evaluates an expression whose arguments are all constants.
Result<BoundExprPtr> Planner::Fold(BoundExprPtr e, size_t pos) {
  if (e->op == ExprOp::kConst || e->op == ExprOp::kColumn) return e;
  for (const auto& a : e->args) {
    if (!a->IsConst()) return e;
  }
  Batch one;
  one.AddColumn("_", Type::kI64).ints.push_back(0);
  ColumnVector scratch;
  Result<const ColumnVector*> r = ops::Evaluate(*e, one, 1, &scratch);
  if (!r.ok()) return Err(pos, r.status().message());
  return MakeConst((*r)->Get(0), e->type, e->text);
}

// Brings two operands to comparable/compatible types: ENUM labels, timestamp
// units, and string constants against timestamps.
Status Planner::Coerce2(BoundExprPtr* l, BoundExprPtr* r, size_t pos, bool comparison) {
  for (int pass = 0; pass < 2; ++pass) {
    BoundExprPtr& a = pass == 0 ? *l : *r;
    BoundExprPtr& b = pass == 0 ? *r : *l;
    if (a->type.type == Type::kEnum && b->IsConst() && b->type.type == Type::kString &&
        comparison) {
      Column c;
      c.name = a->text;
      c.type = Type::kEnum;
      c.enum_values = *a->type.enum_values;
      Result<Value> v = CoerceValue(c, b->constant);
      if (!v.ok()) return Err(pos, v.status().message());
      b = MakeConst(*v, a->type, b->text);
      return Status::OK();
    }
    if (a->type.type == Type::kTimestamp && b->type.type == Type::kString && b->IsConst()) {
      if (b->constant.is_null()) {
        b = MakeConst(Value::Null(), a->type, b->text);
        return Status::OK();
      }
      Result<int64_t> t = ops::ParseTimestamp(std::get<std::string>(b->constant.v), a->type.unit);
      if (!t.ok()) return Err(pos, t.status().message());
      b = MakeConst(Value::Int(*t), a->type, b->text);
      return Status::OK();
    }
    if (a->type.type == Type::kTimestamp && b->type.type == Type::kTimestamp &&
        a->type.unit != b->type.unit && b->IsConst()) {
      Result<Value> v = ops::CastValue(b->constant, b->type, a->type);
      if (!v.ok()) return Err(pos, v.status().message());
      b = MakeConst(*v, a->type, b->text);
      return Status::OK();
    }
  }
  BoundExprPtr& a = *l;
  BoundExprPtr& b = *r;
  const bool same_enum = a->type.type == Type::kEnum && b->type.type == Type::kEnum &&
                         a->type.enum_values && b->type.enum_values &&
                         *a->type.enum_values == *b->type.enum_values;
  if (!same_enum) {
    if (a->type.type == Type::kEnum) a = EnumToString(std::move(a));
    if (b->type.type == Type::kEnum) b = EnumToString(std::move(b));
  }
  if (a->type.type == Type::kTimestamp && b->type.type == Type::kTimestamp &&
      a->type.unit != b->type.unit) {
    // Compare in the finer unit.
    BoundExprPtr& coarse = NanosPerUnit(a->type.unit) > NanosPerUnit(b->type.unit) ? a : b;
    const LType fine = NanosPerUnit(a->type.unit) > NanosPerUnit(b->type.unit) ? b->type : a->type;
    auto c = std::make_unique<BoundExpr>();
    c->op = ExprOp::kCast;
    c->type = fine;
    c->text = coarse->text;
    c->args.push_back(std::move(coarse));
    coarse = std::move(c);
  }
  const bool as = a->type.type == Type::kString, bs = b->type.type == Type::kString;
  const bool a_null = a->IsConst() && a->constant.is_null();
  const bool b_null = b->IsConst() && b->constant.is_null();
  if (as != bs && !a_null && !b_null && comparison) {
    return Err(pos, "cannot compare " + a->type.ToString() + " with " + b->type.ToString());
  }
  return Status::OK();
}

Result<BoundExprPtr> Planner::BindBinary(const Expr& e, BoundExprPtr l, BoundExprPtr r) {
  const std::string& op = e.name;
  auto out = std::make_unique<BoundExpr>();
  // Synthesized comparisons (BETWEEN, CASE x WHEN) have no operand nodes.
  out->text = e.args.size() == 2 ? ToSql(e) : "(" + l->text + " " + op + " " + r->text + ")";
  if (op == "AND" || op == "OR") {
    out->op = op == "AND" ? ExprOp::kAnd : ExprOp::kOr;
    out->type = LType::Of(Type::kBool);
  } else if (op == "=" || op == "<>" || op == "<" || op == "<=" || op == ">" || op == ">=") {
    LASER_RETURN_IF_ERROR(Coerce2(&l, &r, e.pos, true));
    out->op = op == "="    ? ExprOp::kEq
              : op == "<>" ? ExprOp::kNe
              : op == "<"  ? ExprOp::kLt
              : op == "<=" ? ExprOp::kLe
              : op == ">"  ? ExprOp::kGt
                           : ExprOp::kGe;
    out->type = LType::Of(Type::kBool);
  } else if (op == "LIKE") {
    l = EnumToString(std::move(l));
    r = EnumToString(std::move(r));
    if (l->type.type != Type::kString || r->type.type != Type::kString) {
      return Err(e.pos, "LIKE needs STRING operands, got " + l->type.ToString() + " and " +
                            r->type.ToString());
    }
    out->op = ExprOp::kLike;
    out->type = LType::Of(Type::kBool);
  } else if (op == "||") {
    out->op = ExprOp::kConcat;
    out->type = LType::Of(Type::kString);
  } else {
    if (!IsNumeric(l->type) || !IsNumeric(r->type)) {
      const auto& bad = !IsNumeric(l->type) ? l : r;
      return Err(e.pos, "operator " + op + " needs numbers, got " + bad->type.ToString() + " (" +
                            bad->text + ")");
    }
    out->op = op == "+"   ? ExprOp::kAdd
              : op == "-" ? ExprOp::kSub
              : op == "*" ? ExprOp::kMul
              : op == "/" ? ExprOp::kDiv
                          : ExprOp::kMod;
    const bool fl = LaneOf(l->type.type) == Lane::kFloat || LaneOf(r->type.type) == Lane::kFloat;
    out->type = LType::Of(fl ? Type::kF64 : Type::kI64);
    const bool lt = l->type.type == Type::kTimestamp, rt = r->type.type == Type::kTimestamp;
    if (!fl && (op == "+" || op == "-") && (lt != rt)) {
      out->type = lt ? l->type : r->type;  // timestamp +/- a count of its unit
    }
  }
  out->args.push_back(std::move(l));
  out->args.push_back(std::move(r));
  return Fold(std::move(out), e.pos);
}

Result<BoundExprPtr> Planner::Bind(const Expr& e, const Scope& scope, AggBinding* agg) {
  if (agg != nullptr) {
    const std::string text = ToSql(e);
    for (size_t i = 0; i < agg->key_texts.size(); ++i) {
      const bool alias_match = e.kind == ExprKind::kColumn && e.table.empty() &&
                               !agg->key_aliases[i].empty() && IEq(agg->key_aliases[i], e.name);
      if (agg->key_texts[i] == text || alias_match) {
        auto b = std::make_unique<BoundExpr>();
        b->op = ExprOp::kColumn;
        b->column = static_cast<int>(i);
        b->type = (*agg->out_schema)[i].type;
        b->text = text;
        return b;
      }
    }
    if (e.kind == ExprKind::kFunction && IsAggregateName(e.name)) {
      for (size_t i = 0; i < agg->agg_texts.size(); ++i) {
        if (agg->agg_texts[i] == text) {
          auto b = std::make_unique<BoundExpr>();
          b->op = ExprOp::kColumn;
          b->column = static_cast<int>(agg->key_texts.size() + i);
          b->type = (*agg->aggs)[i].type;
          b->text = text;
          return b;
        }
      }
      ops::AggSpec spec;
      spec.name = text;
      const bool star = e.args.size() == 1 && e.args[0]->kind == ExprKind::kStar;
      if (e.name == "count" && star) {
        spec.kind = ops::AggKind::kCountStar;
        spec.type = LType::Of(Type::kI64);
      } else {
        if (e.args.size() != 1 || star) {
          return Err(e.pos, e.name + "() takes exactly one argument");
        }
        for (const auto& a : e.args) {
          if (ContainsAggregate(*a)) {
            return Err(a->pos, "aggregate functions cannot be nested");
          }
        }
        LASER_ASSIGN_OR_RETURN(spec.arg, Bind(*e.args[0], *agg->input, nullptr));
        const LType& t = spec.arg->type;
        if (e.name == "count") {
          spec.kind = e.distinct ? ops::AggKind::kCountDistinct : ops::AggKind::kCount;
          spec.type = LType::Of(Type::kI64);
        } else if (e.distinct) {
          return Err(e.pos, "DISTINCT is supported in count() only");
        } else if (e.name == "min" || e.name == "max") {
          spec.kind = e.name == "min" ? ops::AggKind::kMin : ops::AggKind::kMax;
          spec.type = t;
        } else {
          if (!IsNumeric(t) || t.type == Type::kTimestamp) {
            return Err(e.args[0]->pos, e.name + "() needs a number, got " + t.ToString() + " (" +
                                           spec.arg->text + ")");
          }
          spec.kind = e.name == "sum" ? ops::AggKind::kSum : ops::AggKind::kAvg;
          spec.type = LType::Of(e.name == "avg" || LaneOf(t.type) == Lane::kFloat ? Type::kF64
                                                                                  : Type::kI64);
        }
      }
      auto b = std::make_unique<BoundExpr>();
      b->op = ExprOp::kColumn;
      b->column = static_cast<int>(agg->key_texts.size() + agg->aggs->size());
      b->type = spec.type;
      b->text = text;
      agg->out_schema->push_back({text, spec.type});
      agg->agg_texts.push_back(text);
      agg->aggs->push_back(std::move(spec));
      return b;
    }
    if (e.kind == ExprKind::kColumn) {
      // Make sure the column exists before complaining about grouping.
      LASER_RETURN_IF_ERROR(BindColumn(e, *agg->input).status());
      return Err(e.pos, "column '" + e.name +
                            "' must appear in the GROUP BY clause or be used in an aggregate "
                            "function");
    }
  } else if (e.kind == ExprKind::kFunction && IsAggregateName(e.name)) {
    return Err(e.pos, "aggregate function " + e.name + "() is not allowed here");
  }

  switch (e.kind) {
    case ExprKind::kLiteral: {
      LType t = e.is_bool ? LType::Of(Type::kBool) : LiteralType(e.literal);
      Value v = e.literal;
      if (auto* u = std::get_if<uint64_t>(&v.v); u && *u <= static_cast<uint64_t>(INT64_MAX)) {
        v = Value::Int(static_cast<int64_t>(*u));
        t = LType::Of(Type::kI64);
      }
      return MakeConst(std::move(v), t, ToSql(e));
    }
    case ExprKind::kTimestamp: {
      Result<int64_t> t = ops::ParseTimestamp(e.name, TimeUnit::kMicrosecond);
      if (!t.ok()) return Err(e.pos, t.status().message());
      LType lt = LType::Of(Type::kTimestamp);
      lt.unit = TimeUnit::kMicrosecond;
      return MakeConst(Value::Int(*t), lt, ToSql(e));
    }
    case ExprKind::kParam: {
      if (e.param_index < 0 || static_cast<size_t>(e.param_index) >= params_.size()) {
        return Err(e.pos, "parameter ?" + std::to_string(e.param_index + 1) + " is not bound");
      }
      const Value& v = params_[static_cast<size_t>(e.param_index)];
      return MakeConst(v, LiteralType(v), v.is_null() ? "NULL" : v.ToString());
    }
    case ExprKind::kColumn:
      return BindColumn(e, scope);
    case ExprKind::kStar:
      return Err(e.pos, "'*' is not allowed here");
    case ExprKind::kArray:
      return Err(e.pos, "a list [...] is only allowed as a table function argument");
    case ExprKind::kSubquery:
      return Err(e.pos, "subqueries are only allowed as table function arguments");
    case ExprKind::kUnary: {
      LASER_ASSIGN_OR_RETURN(auto a, Bind(*e.args[0], scope, agg));
      auto out = std::make_unique<BoundExpr>();
      out->text = ToSql(e);
      if (e.name == "NOT") {
        out->op = ExprOp::kNot;
        out->type = LType::Of(Type::kBool);
      } else {
        if (!IsNumeric(a->type)) {
          return Err(e.pos, "unary - needs a number, got " + a->type.ToString());
        }
        out->op = ExprOp::kNeg;
        out->type = LType::Of(LaneOf(a->type.type) == Lane::kFloat ? Type::kF64 : Type::kI64);
      }
      out->args.push_back(std::move(a));
      return Fold(std::move(out), e.pos);
    }
    case ExprKind::kBinary: {
      LASER_ASSIGN_OR_RETURN(auto l, Bind(*e.args[0], scope, agg));
      LASER_ASSIGN_OR_RETURN(auto r, Bind(*e.args[1], scope, agg));
      return BindBinary(e, std::move(l), std::move(r));
    }
    case ExprKind::kIsNull: {
      LASER_ASSIGN_OR_RETURN(auto a, Bind(*e.args[0], scope, agg));
      auto out = std::make_unique<BoundExpr>();
      out->op = ExprOp::kIsNull;
      out->negated = e.negated;
      out->type = LType::Of(Type::kBool);
      out->text = ToSql(e);
      out->args.push_back(std::move(a));
      return Fold(std::move(out), e.pos);
    }
    case ExprKind::kBetween: {
      LASER_ASSIGN_OR_RETURN(auto v1, Bind(*e.args[0], scope, agg));
      LASER_ASSIGN_OR_RETURN(auto v2, Bind(*e.args[0], scope, agg));
      LASER_ASSIGN_OR_RETURN(auto lo, Bind(*e.args[1], scope, agg));
      LASER_ASSIGN_OR_RETURN(auto hi, Bind(*e.args[2], scope, agg));
      Expr ge;
      ge.kind = ExprKind::kBinary;
      ge.pos = e.pos;
      ge.name = ">=";
      Expr le;
      le.kind = ExprKind::kBinary;
      le.pos = e.pos;
      le.name = "<=";
      LASER_ASSIGN_OR_RETURN(auto a, BindBinary(ge, std::move(v1), std::move(lo)));
      LASER_ASSIGN_OR_RETURN(auto b, BindBinary(le, std::move(v2), std::move(hi)));
      auto out = std::make_unique<BoundExpr>();
      out->op = ExprOp::kAnd;
      out->type = LType::Of(Type::kBool);
      out->text = ToSql(e);
      out->args.push_back(std::move(a));
      out->args.push_back(std::move(b));
      if (e.negated) {
        auto n = std::make_unique<BoundExpr>();
        n->op = ExprOp::kNot;
        n->type = LType::Of(Type::kBool);
        n->text = out->text;
        n->args.push_back(std::move(out));
        return Fold(std::move(n), e.pos);
      }
      return Fold(std::move(out), e.pos);
    }
    case ExprKind::kIn: {
      auto out = std::make_unique<BoundExpr>();
      out->op = ExprOp::kIn;
      out->negated = e.negated;
      out->type = LType::Of(Type::kBool);
      out->text = ToSql(e);
      LASER_ASSIGN_OR_RETURN(auto v, Bind(*e.args[0], scope, agg));
      const LType vt = v->type;
      const bool enum_with_labels = vt.type == Type::kEnum;
      std::vector<BoundExprPtr> items;
      bool all_coerced = true;
      for (size_t i = 1; i < e.args.size(); ++i) {
        LASER_ASSIGN_OR_RETURN(auto it, Bind(*e.args[i], scope, agg));
        BoundExprPtr probe = MakeConst(Value::Null(), vt, v->text);
        if (enum_with_labels || vt.type == Type::kTimestamp) {
          // Reuse the comparison rules on a placeholder of the value's type.
          auto ph = std::make_unique<BoundExpr>();
          ph->op = ExprOp::kColumn;
          ph->type = vt;
          ph->text = v->text;
          LASER_RETURN_IF_ERROR(Coerce2(&ph, &it, e.args[i]->pos, true));
          if (ph->type.type != vt.type) all_coerced = false;
        } else if ((vt.type == Type::kString) != (it->type.type == Type::kString) &&
                   !(it->IsConst() && it->constant.is_null())) {
          return Err(e.args[i]->pos,
                     "cannot compare " + vt.ToString() + " with " + it->type.ToString());
        }
        items.push_back(std::move(it));
      }
      if (!all_coerced) {
        v = EnumToString(std::move(v));
        for (auto& it : items) it = EnumToString(std::move(it));
      }
      out->args.push_back(std::move(v));
      for (auto& it : items) out->args.push_back(std::move(it));
      return Fold(std::move(out), e.pos);
    }
    case ExprKind::kCase: {
      auto out = std::make_unique<BoundExpr>();
      out->op = ExprOp::kCase;
      out->has_else = e.has_else;
      out->text = ToSql(e);
      size_t i = 0;
      BoundExprPtr operand;
      if (e.has_operand) {
        LASER_ASSIGN_OR_RETURN(operand, Bind(*e.args[0], scope, agg));
        i = 1;
      }
      const size_t end = e.args.size() - (e.has_else ? 1 : 0);
      std::vector<BoundExprPtr> results;
      for (; i + 1 < end + 1 && i < end; i += 2) {
        LASER_ASSIGN_OR_RETURN(auto w, Bind(*e.args[i], scope, agg));
        if (operand) {
          Expr eq;
          eq.kind = ExprKind::kBinary;
          eq.name = "=";
          eq.pos = e.args[i]->pos;
          LASER_ASSIGN_OR_RETURN(auto op_copy, Bind(*e.args[0], scope, agg));
          LASER_ASSIGN_OR_RETURN(w, BindBinary(eq, std::move(op_copy), std::move(w)));
        }
        LASER_ASSIGN_OR_RETURN(auto t, Bind(*e.args[i + 1], scope, agg));
        out->args.push_back(std::move(w));
        out->args.push_back(nullptr);
        results.push_back(std::move(t));
      }
      if (e.has_else) {
        LASER_ASSIGN_OR_RETURN(auto el, Bind(*e.args.back(), scope, agg));
        results.push_back(std::move(el));
      }
      // Result type: the first non-NULL branch's, widened across numbers.
      LType rt;
      bool have = false;
      for (auto& r : results) {
        r = EnumToString(std::move(r));
        if (r->IsConst() && r->constant.is_null()) continue;
        if (!have) {
          rt = r->type;
          have = true;
          continue;
        }
        if ((rt.type == Type::kString) != (r->type.type == Type::kString)) {
          return Err(e.pos, "CASE branches mix " + rt.ToString() + " and " + r->type.ToString());
        }
        if (rt.type != r->type.type) {
          if (LaneOf(rt.type) == Lane::kFloat || LaneOf(r->type.type) == Lane::kFloat) {
            rt = LType::Of(Type::kF64);
          } else if (rt.type != Type::kString) {
            rt = LType::Of(Type::kI64);
          }
        }
      }
      if (!have) rt = LType::Of(Type::kI64);
      out->type = rt;
      size_t k = 0;
      for (size_t j = 1; j < out->args.size(); j += 2) out->args[j] = std::move(results[k++]);
      if (e.has_else) out->args.push_back(std::move(results[k]));
      return Fold(std::move(out), e.pos);
    }
    case ExprKind::kCast: {
      LASER_ASSIGN_OR_RETURN(auto a, Bind(*e.args[0], scope, agg));
      auto out = std::make_unique<BoundExpr>();
      out->op = ExprOp::kCast;
      out->type.type = e.cast_type.type;
      out->type.unit = e.cast_type.unit;
      if (e.cast_type.type == Type::kEnum) {
        out->type.enum_values =
            std::make_shared<const std::vector<std::string>>(e.cast_type.enum_values);
      }
      out->text = ToSql(e);
      out->args.push_back(std::move(a));
      return Fold(std::move(out), e.pos);
    }
    case ExprKind::kFunction: {
      if (!ops::IsScalarFunction(e.name)) {
        return Status::NotFound(
            ErrorAt(src_, e.pos, "error", "unknown function " + e.name + "()").message());
      }
      if (e.distinct) return Err(e.pos, "DISTINCT is supported in count() only");
      auto out = std::make_unique<BoundExpr>();
      out->op = ExprOp::kCall;
      out->func = e.name;
      out->text = ToSql(e);
      std::vector<LType> types;
      for (const auto& a : e.args) {
        LASER_ASSIGN_OR_RETURN(auto b, Bind(*a, scope, agg));
        if (e.name != "coalesce" && e.name != "ifnull" && e.name != "nullif") {
          b = EnumToString(std::move(b));
        }
        types.push_back(b->type);
        out->args.push_back(std::move(b));
      }
      Result<LType> t = ops::ScalarFunctionType(e.name, types);
      if (!t.ok()) return Err(e.pos, t.status().message());
      out->type = *t;
      if (e.name == "coalesce" || e.name == "ifnull" || e.name == "nullif") {
        // Mixed argument types: the widest of them.
        for (auto& a : out->args) {
          if (a->type.type == Type::kEnum && a->type.enum_values != out->type.enum_values) {
            a = EnumToString(std::move(a));
            out->type = LType::Of(Type::kString);
          }
          if (LaneOf(a->type.type) == Lane::kFloat && LaneOf(out->type.type) != Lane::kFloat &&
              out->type.type != Type::kString) {
            out->type = LType::Of(Type::kF64);
          }
        }
        for (auto& a : out->args) {
          if ((a->type.type == Type::kString) != (out->type.type == Type::kString) &&
              !(a->IsConst() && a->constant.is_null())) {
            return Err(e.pos,
                       e.name + "() mixes " + out->type.ToString() + " and " + a->type.ToString());
          }
        }
      }
      return Fold(std::move(out), e.pos);
    }
  }
  return Err(e.pos, "unsupported expression");
}

Result<Value> Planner::FoldConstant(const Expr& e, LType* type) {
  Scope empty;
  LASER_ASSIGN_OR_RETURN(auto b, Bind(e, empty, nullptr));
  if (!b->IsConst()) return Err(e.pos, "expected a constant");
  if (type != nullptr) *type = b->type;
  return b->constant;
}

Result<uint64_t> Planner::CountArg(const Expr& e, std::string_view what) {
  LASER_ASSIGN_OR_RETURN(Value v, FoldConstant(e));
  if (auto* i = std::get_if<int64_t>(&v.v); i && *i >= 0) return static_cast<uint64_t>(*i);
  if (auto* u = std::get_if<uint64_t>(&v.v)) return *u;
  return Err(e.pos, std::string(what) + " needs a non-negative integer, got " +
                        (v.is_null() ? std::string("NULL") : v.ToString()));
}

// --- scan planning and pushdown ---

void CollectColumns(const Expr& e, std::set<std::string>* names, bool* star) {
  if (e.kind == ExprKind::kColumn) names->insert(Lower(e.name));
  (void)star;  // count(*) needs no column; a select-list * is checked by the caller
  for (const auto& a : e.args) {
    if (a) CollectColumns(*a, names, star);
  }
}

void SplitAnd(const Expr& e, std::vector<const Expr*>* out) {
  if (e.kind == ExprKind::kBinary && e.name == "AND") {
    SplitAnd(*e.args[0], out);
    SplitAnd(*e.args[1], out);
  } else {
    out->push_back(&e);
  }
}

bool IsColumnNamed(const Expr& e, const TableSchema& t, uint32_t col) {
  return e.kind == ExprKind::kColumn && IEq(e.name, t.columns[col].name);
}

Result<std::unique_ptr<ops::Operator>> Planner::PlanFrom(const Select& s, Scope* scope,
                                                         bool* where_consumed) {
  *where_consumed = false;
  if (s.from.kind == TableRef::Kind::kNone) {
    if (s.last_n) return Err(s.last_n->pos, "LAST n needs a FROM table");
    Batch one;
    one.AddColumn("_", Type::kI64).ints.push_back(0);
    scope->schema = {{"_", LType::Of(Type::kI64)}};
    return std::unique_ptr<ops::Operator>(
        std::make_unique<ops::ValuesOp>(scope->schema, std::move(one), "one row"));
  }
  if (s.from.kind == TableRef::Kind::kFunction) {
    auto& reg = Registry();
    auto it = reg.find(Lower(s.from.name));
    if (it == reg.end()) {
      if (IEq(s.from.name, "score")) {
        return Status::NotSupported(
            ErrorAt(src_, s.from.pos, "error",
                    "SCORE(...) needs the scoring operator, which is not part of this build")
                .message());
      }
      return Status::NotFound(
          ErrorAt(src_, s.from.pos, "error", "unknown table function " + s.from.name + "()")
              .message());
    }
    FunctionContext fc(this, src_, s.from);
    LASER_ASSIGN_OR_RETURN(auto op, it->second(fc));
    scope->schema = op->schema();
    for (const auto& f : scope->schema) scope->all_columns.push_back(f.name);
    scope->table = s.from.name;
    scope->alias = s.from.alias;
    if (s.last_n) return Err(s.last_n->pos, "LAST n applies to sequence tables only");
    return op;
  }
  LASER_ASSIGN_OR_RETURN(TableSchema t, GetTable(s.from.name, s.from.pos));
  scope->table = t.name;
  scope->alias = s.from.alias;
  for (const Column& c : t.columns) scope->all_columns.push_back(c.name);

  // Needed columns: every name the query mentions (a select alias that is
  // also a column name costs one extra decoded column, nothing more).
  std::set<std::string> names;
  bool star = false;
  for (const auto& it : s.items) {
    if (it.expr->kind == ExprKind::kStar) star = true;
    CollectColumns(*it.expr, &names, &star);
  }
  if (s.where) CollectColumns(*s.where, &names, &star);
  for (const auto& g : s.group_by) CollectColumns(*g, &names, &star);
  if (s.having) CollectColumns(*s.having, &names, &star);
  for (const auto& o : s.order_by) CollectColumns(*o.expr, &names, &star);
  ops::ScanSpec spec;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    if (star || names.count(Lower(t.columns[i].name)) != 0) {
      spec.columns.push_back(static_cast<int>(i));
    }
  }
  if (spec.columns.empty()) spec.columns.push_back(static_cast<int>(t.order_key));
  for (int c : spec.columns) {
    scope->schema.push_back({t.columns[static_cast<size_t>(c)].name,
                             LType::OfColumn(t.columns[static_cast<size_t>(c)])});
  }

  // Pushdown of WHERE conjuncts on the partition key and the order key.
  bool all_pushed = true;
  std::optional<std::set<uint64_t>> users;
  auto intersect = [&](std::set<uint64_t> s2) {
    if (!users) {
      users = std::move(s2);
      return;
    }
    std::set<uint64_t> r;
    for (uint64_t u : *users) {
      if (s2.count(u) != 0) r.insert(u);
    }
    users = std::move(r);
  };
  const LType ok_type = LType::OfColumn(t.columns[t.order_key]);
  // The constant as an order key in the table's unit; false iff not exact.
  auto order_const = [&](const Expr& e, int64_t* out) -> bool {
    LType ty;
    Result<Value> v = FoldConstant(e, &ty);
    if (!v.ok() || v->is_null()) return false;
    if (ty.type == Type::kTimestamp && ok_type.type == Type::kTimestamp) {
      Result<Value> c = ops::CastValue(*v, ty, ok_type);
      if (!c.ok()) return false;
      Result<Value> back = ops::CastValue(*c, ok_type, ty);
      if (!back.ok() || !(*back == *v)) return false;
      *out = std::get<int64_t>(c->v);
      return true;
    }
    if (ty.type == Type::kString && ok_type.type == Type::kTimestamp) {
      Result<int64_t> p = ops::ParseTimestamp(std::get<std::string>(v->v), ok_type.unit);
      if (!p.ok()) return false;
      Result<int64_t> fine =
          ops::ParseTimestamp(std::get<std::string>(v->v), TimeUnit::kNanosecond);
      if (!fine.ok() || *p * NanosPerUnit(ok_type.unit) != *fine) return false;
      *out = *p;
      return true;
    }
    if (auto* i = std::get_if<int64_t>(&v->v)) {
      *out = *i;
      return true;
    }
    if (auto* u = std::get_if<uint64_t>(&v->v); u && *u <= static_cast<uint64_t>(INT64_MAX)) {
      *out = static_cast<int64_t>(*u);
      return true;
    }
    return false;
  };
  auto user_const = [&](const Expr& e, std::optional<uint64_t>* out) -> bool {
    LType ty;
    Result<Value> v = FoldConstant(e, &ty);
    if (!v.ok() || ty.type == Type::kString) return false;
    if (v->is_null()) {
      out->reset();
      return true;
    }
    if (auto* i = std::get_if<int64_t>(&v->v)) {
      if (*i >= 0)
        *out = static_cast<uint64_t>(*i);
      else
        out->reset();
      return true;
    }
    if (auto* u = std::get_if<uint64_t>(&v->v)) {
      *out = *u;
      return true;
    }
    return false;
  };
  std::optional<int64_t> lo, hi;  // [lo, hi)
  auto set_lo = [&](int64_t x) { lo = lo ? std::max(*lo, x) : x; };
  auto set_hi = [&](int64_t x) { hi = hi ? std::min(*hi, x) : x; };
  if (s.where) {
    std::vector<const Expr*> conj;
    SplitAnd(*s.where, &conj);
    for (const Expr* c : conj) {
      bool pushed = false;
      if (c->kind == ExprKind::kBinary && c->args.size() == 2) {
        const std::string& op = c->name;
        for (int side = 0; side < 2 && !pushed; ++side) {
          const Expr& col = *c->args[static_cast<size_t>(side)];
          const Expr& val = *c->args[static_cast<size_t>(1 - side)];
          std::string o = op;
          if (side == 1) {
            if (o == "<")
              o = ">";
            else if (o == ">")
              o = "<";
            else if (o == "<=")
              o = ">=";
            else if (o == ">=")
              o = "<=";
          }
          if (IsColumnNamed(col, t, t.partition_key) && o == "=") {
            std::optional<uint64_t> u;
            if (user_const(val, &u)) {
              std::set<uint64_t> one;
              if (u) one.insert(*u);
              intersect(std::move(one));
              pushed = true;
            }
          } else if (IsColumnNamed(col, t, t.order_key)) {
            int64_t x = 0;
            if ((o == "=" || o == "<" || o == "<=" || o == ">" || o == ">=") &&
                order_const(val, &x)) {
              if (o == "=") {
                set_lo(x);
                set_hi(x == INT64_MAX ? x : x + 1);
              } else if (o == ">=") {
                set_lo(x);
              } else if (o == ">") {
                set_lo(x == INT64_MAX ? x : x + 1);
              } else if (o == "<") {
                set_hi(x);
              } else {
                set_hi(x == INT64_MAX ? x : x + 1);
              }
              pushed = (o == "=" || o == ">" || o == "<=") ? x != INT64_MAX : true;
            }
          }
        }
      } else if (c->kind == ExprKind::kIn && !c->negated &&
                 IsColumnNamed(*c->args[0], t, t.partition_key)) {
        std::set<uint64_t> s2;
        bool ok = true;
        for (size_t i = 1; i < c->args.size() && ok; ++i) {
          std::optional<uint64_t> u;
          ok = user_const(*c->args[i], &u);
          if (u) s2.insert(*u);
        }
        if (ok) {
          intersect(std::move(s2));
          pushed = true;
        }
      } else if (c->kind == ExprKind::kBetween && !c->negated &&
                 IsColumnNamed(*c->args[0], t, t.order_key)) {
        int64_t a = 0, b = 0;
        if (order_const(*c->args[1], &a) && order_const(*c->args[2], &b) && b != INT64_MAX) {
          set_lo(a);
          set_hi(b + 1);
          pushed = true;
        }
      }
      if (!pushed) all_pushed = false;
    }
  }
  if (users) spec.users = std::vector<uint64_t>(users->begin(), users->end());
  spec.read.min_order_key = lo;
  spec.read.max_order_key = hi;
  if (lo && hi && *hi <= *lo) spec.users = std::vector<uint64_t>();  // empty range
  spec.table = t;

  uint64_t last_n = 0;
  if (s.last_n) {
    LASER_ASSIGN_OR_RETURN(last_n, CountArg(*s.last_n, "LAST"));
    if (last_n == 0) spec.users = std::vector<uint64_t>();
  }
  if (s.where && !all_pushed) {
    LASER_ASSIGN_OR_RETURN(auto pred, Bind(*s.where, *scope, nullptr));
    if (last_n != 0) {
      spec.filter = std::move(pred);
      spec.last_n = last_n;
      *where_consumed = true;
    } else {
      // The Filter above the scan applies the WHERE clause.
      *where_consumed = false;
    }
  } else {
    spec.read.last_n = last_n;
    *where_consumed = true;
  }
  return std::unique_ptr<ops::Operator>(std::make_unique<ops::ScanOp>(std::move(spec)));
}

Result<std::unique_ptr<ops::Operator>> Planner::PlanSelect(const Select& s) {
  Scope scope;
  bool where_consumed = false;
  LASER_ASSIGN_OR_RETURN(auto plan, PlanFrom(s, &scope, &where_consumed));
  if (s.where && !where_consumed) {
    if (ContainsAggregate(*s.where)) {
      return Err(s.where->pos, "aggregate functions are not allowed in WHERE");
    }
    LASER_ASSIGN_OR_RETURN(auto pred, Bind(*s.where, scope, nullptr));
    if (!(pred->IsConst() && !pred->constant.is_null() && pred->type.type == Type::kBool &&
          std::get<int64_t>(pred->constant.v) != 0)) {
      plan = std::make_unique<ops::FilterOp>(std::move(plan), std::move(pred));
    }
  }

  bool has_agg = !s.group_by.empty() || (s.having != nullptr);
  for (const auto& it : s.items) has_agg = has_agg || ContainsAggregate(*it.expr);
  for (const auto& o : s.order_by) has_agg = has_agg || ContainsAggregate(*o.expr);

  std::vector<ops::AggSpec> aggs;
  ops::Schema agg_schema;
  AggBinding ab;
  AggBinding* agg = nullptr;
  Scope post_scope;  // scope the select list is bound in
  if (has_agg) {
    ab.input = &scope;
    ab.aggs = &aggs;
    ab.out_schema = &agg_schema;
    std::vector<BoundExprPtr> keys;
    std::vector<std::string> key_names;
    for (const auto& g : s.group_by) {
      const Expr* ge = g.get();
      std::string alias;
      // GROUP BY <ordinal> or <select alias>.
      if (ge->kind == ExprKind::kLiteral && std::holds_alternative<uint64_t>(ge->literal.v)) {
        const uint64_t k = std::get<uint64_t>(ge->literal.v);
        if (k < 1 || k > s.items.size() || s.items[k - 1].expr->kind == ExprKind::kStar) {
          return Err(ge->pos,
                     "GROUP BY position " + std::to_string(k) + " is not in the select list");
        }
        alias = s.items[k - 1].alias;
        ge = s.items[k - 1].expr.get();
      } else if (ge->kind == ExprKind::kColumn && ge->table.empty()) {
        bool is_col = false;
        for (const auto& f : scope.schema) is_col = is_col || IEq(f.name, ge->name);
        if (!is_col) {
          for (const auto& it : s.items) {
            if (!it.alias.empty() && IEq(it.alias, ge->name)) {
              alias = it.alias;
              ge = it.expr.get();
              break;
            }
          }
        }
      }
      if (ContainsAggregate(*ge))
        return Err(ge->pos, "aggregate functions are not allowed in GROUP BY");
      LASER_ASSIGN_OR_RETURN(auto k, Bind(*ge, scope, nullptr));
      std::string name = ge->kind == ExprKind::kColumn ? k->text : ToSql(*ge);
      ab.key_texts.push_back(ToSql(*ge));
      ab.key_aliases.push_back(alias);
      agg_schema.push_back({name, k->type});
      key_names.push_back(name);
      keys.push_back(std::move(k));
    }
    // Bind everything after the aggregate first, so the aggregate list is complete.
    std::vector<BoundExprPtr> items;
    std::vector<std::string> item_names;
    for (const auto& it : s.items) {
      if (it.expr->kind == ExprKind::kStar) {
        return Err(it.expr->pos, "SELECT * cannot be combined with GROUP BY or aggregates");
      }
    }
    post_scope.schema = agg_schema;  // refreshed below
    agg = &ab;
    // HAVING and the select list are bound against the aggregate's output;
    // binding appends aggregates to `aggs` as it meets them.
    BoundExprPtr having;
    std::vector<std::pair<const Expr*, BoundExprPtr>> bound_items;
    for (const auto& it : s.items) {
      LASER_ASSIGN_OR_RETURN(auto b, Bind(*it.expr, post_scope, agg));
      bound_items.emplace_back(it.expr.get(), std::move(b));
    }
    if (s.having) {
      LASER_ASSIGN_OR_RETURN(having, Bind(*s.having, post_scope, agg));
    }
    // ORDER BY expressions that are not select items may add aggregates too.
    std::vector<BoundExprPtr> order_exprs(s.order_by.size());
    std::vector<int> order_item(s.order_by.size(), -1);
    for (size_t i = 0; i < s.order_by.size(); ++i) {
      const Expr& oe = *s.order_by[i].expr;
      if (oe.kind == ExprKind::kLiteral && std::holds_alternative<uint64_t>(oe.literal.v)) {
        const uint64_t k = std::get<uint64_t>(oe.literal.v);
        if (k < 1 || k > s.items.size()) {
          return Err(oe.pos,
                     "ORDER BY position " + std::to_string(k) + " is not in the select list");
        }
        order_item[i] = static_cast<int>(k - 1);
        continue;
      }
      for (size_t j = 0; j < s.items.size() && order_item[i] < 0; ++j) {
        if ((oe.kind == ExprKind::kColumn && oe.table.empty() && !s.items[j].alias.empty() &&
             IEq(s.items[j].alias, oe.name)) ||
            ToSql(oe) == ToSql(*s.items[j].expr)) {
          order_item[i] = static_cast<int>(j);
        }
      }
      if (order_item[i] < 0) {
        LASER_ASSIGN_OR_RETURN(order_exprs[i], Bind(oe, post_scope, agg));
      }
    }
    plan = std::make_unique<ops::HashAggregateOp>(std::move(plan), std::move(keys),
                                                  std::move(key_names), std::move(aggs));
    if (having) plan = std::make_unique<ops::FilterOp>(std::move(plan), std::move(having));
    // Project: select items, then hidden ORDER BY columns.
    std::vector<BoundExprPtr> proj;
    std::vector<std::string> names;
    for (size_t j = 0; j < bound_items.size(); ++j) {
      const SelectItem& it = s.items[j];
      names.push_back(!it.alias.empty()                    ? it.alias
                      : it.expr->kind == ExprKind::kColumn ? it.expr->name
                                                           : ToSql(*it.expr));
      proj.push_back(EnumToString(std::move(bound_items[j].second)));
    }
    const size_t visible = proj.size();
    std::vector<ops::SortKey> sort_keys;
    for (size_t i = 0; i < s.order_by.size(); ++i) {
      ops::SortKey k;
      k.desc = s.order_by[i].desc;
      if (order_item[i] >= 0) {
        k.column = order_item[i];
      } else {
        k.column = static_cast<int>(proj.size());
        names.push_back("_order" + std::to_string(i));
        proj.push_back(std::move(order_exprs[i]));
      }
      sort_keys.push_back(k);
    }
    plan = std::make_unique<ops::ProjectOp>(std::move(plan), std::move(proj), names);
    std::optional<uint64_t> limit;
    uint64_t offset = 0;
    if (s.limit) {
      LASER_ASSIGN_OR_RETURN(limit, CountArg(*s.limit, "LIMIT"));
    }
    if (s.offset) {
      LASER_ASSIGN_OR_RETURN(offset, CountArg(*s.offset, "OFFSET"));
    }
    if (!sort_keys.empty()) {
      if (limit) {
        plan = std::make_unique<ops::TopNOp>(std::move(plan), sort_keys, *limit + offset);
      } else {
        plan = std::make_unique<ops::SortOp>(std::move(plan), sort_keys);
      }
    }
    if (limit || offset != 0) plan = std::make_unique<ops::LimitOp>(std::move(plan), limit, offset);
    if (names.size() > visible) {
      std::vector<BoundExprPtr> trim;
      std::vector<std::string> tn;
      for (size_t j = 0; j < visible; ++j) {
        auto c = std::make_unique<BoundExpr>();
        c->op = ExprOp::kColumn;
        c->column = static_cast<int>(j);
        c->type = plan->schema()[j].type;
        c->text = names[j];
        trim.push_back(std::move(c));
        tn.push_back(names[j]);
      }
      plan = std::make_unique<ops::ProjectOp>(std::move(plan), std::move(trim), tn);
    }
    return plan;
  }

  // No aggregation.
  std::vector<BoundExprPtr> proj;
  std::vector<std::string> names;
  std::vector<const Expr*> item_ast;  // per projected column; null for star columns
  for (const auto& it : s.items) {
    if (it.expr->kind == ExprKind::kStar) {
      if (s.from.kind == TableRef::Kind::kNone)
        return Err(it.expr->pos, "SELECT * needs a FROM clause");
      if (!it.expr->table.empty() && !IEq(it.expr->table, scope.table) &&
          !IEq(it.expr->table, scope.alias)) {
        return Err(it.expr->pos, "unknown table or alias '" + it.expr->table + "'");
      }
      for (size_t i = 0; i < scope.schema.size(); ++i) {
        auto c = std::make_unique<BoundExpr>();
        c->op = ExprOp::kColumn;
        c->column = static_cast<int>(i);
        c->type = scope.schema[i].type;
        c->text = scope.schema[i].name;
        proj.push_back(EnumToString(std::move(c)));
        names.push_back(scope.schema[i].name);
        item_ast.push_back(nullptr);
      }
      continue;
    }
    LASER_ASSIGN_OR_RETURN(auto b, Bind(*it.expr, scope, nullptr));
    names.push_back(!it.alias.empty()                    ? it.alias
                    : it.expr->kind == ExprKind::kColumn ? b->text
                                                         : ToSql(*it.expr));
    proj.push_back(std::move(b));
    item_ast.push_back(it.expr.get());
  }
  const size_t visible = proj.size();
  std::vector<ops::SortKey> sort_keys;
  for (size_t i = 0; i < s.order_by.size(); ++i) {
    const Expr& oe = *s.order_by[i].expr;
    ops::SortKey k;
    k.desc = s.order_by[i].desc;
    k.column = -1;
    if (oe.kind == ExprKind::kLiteral && std::holds_alternative<uint64_t>(oe.literal.v)) {
      const uint64_t pos = std::get<uint64_t>(oe.literal.v);
      if (pos < 1 || pos > visible) {
        return Err(oe.pos,
                   "ORDER BY position " + std::to_string(pos) + " is not in the select list");
      }
      k.column = static_cast<int>(pos - 1);
    }
    for (size_t j = 0; j < visible && k.column < 0; ++j) {
      const bool alias_match = oe.kind == ExprKind::kColumn && oe.table.empty() &&
                               IEq(names[j], oe.name) &&
                               (item_ast[j] == nullptr || item_ast[j]->kind != ExprKind::kColumn ||
                                IEq(item_ast[j]->name, oe.name));
      const bool named_alias = oe.kind == ExprKind::kColumn && oe.table.empty() &&
                               item_ast[j] != nullptr && IEq(names[j], oe.name);
      if (alias_match || named_alias ||
          (item_ast[j] != nullptr && ToSql(*item_ast[j]) == ToSql(oe))) {
        k.column = static_cast<int>(j);
      }
    }
    if (k.column < 0) {
      LASER_ASSIGN_OR_RETURN(auto b, Bind(oe, scope, nullptr));
      k.column = static_cast<int>(proj.size());
      names.push_back("_order" + std::to_string(i));
      proj.push_back(std::move(b));
    }
    sort_keys.push_back(k);
  }
  // ENUMs leave the plan as their labels; sorting uses the label too, as
  // the result shows it.
  for (auto& p : proj) p = EnumToString(std::move(p));
  plan = std::make_unique<ops::ProjectOp>(std::move(plan), std::move(proj), names);
  std::optional<uint64_t> limit;
  uint64_t offset = 0;
  if (s.limit) {
    LASER_ASSIGN_OR_RETURN(limit, CountArg(*s.limit, "LIMIT"));
  }
  if (s.offset) {
    LASER_ASSIGN_OR_RETURN(offset, CountArg(*s.offset, "OFFSET"));
  }
  if (!sort_keys.empty()) {
    if (limit) {
      plan = std::make_unique<ops::TopNOp>(std::move(plan), sort_keys, *limit + offset);
    } else {
      plan = std::make_unique<ops::SortOp>(std::move(plan), sort_keys);
    }
  }
  if (limit || offset != 0) plan = std::make_unique<ops::LimitOp>(std::move(plan), limit, offset);
  if (names.size() > visible) {
    std::vector<BoundExprPtr> trim;
    std::vector<std::string> tn;
    for (size_t j = 0; j < visible; ++j) {
      auto c = std::make_unique<BoundExpr>();
      c->op = ExprOp::kColumn;
      c->column = static_cast<int>(j);
      c->type = plan->schema()[j].type;
      c->text = names[j];
      trim.push_back(std::move(c));
      tn.push_back(names[j]);
    }
    plan = std::make_unique<ops::ProjectOp>(std::move(plan), std::move(trim), tn);
  }
  return plan;
}

// --- DDL and DML ---

Result<Value> Planner::ColumnValue(const Column& col, const Expr& e) {
  LType ty;
  LASER_ASSIGN_OR_RETURN(Value v, FoldConstant(e, &ty));
  if (col.type == Type::kTimestamp && !v.is_null()) {
    if (ty.type == Type::kTimestamp || ty.type == Type::kString) {
      LType target = LType::Of(Type::kTimestamp);
      target.unit = col.unit;
      Result<Value> c = ops::CastValue(v, ty, target);
      if (!c.ok()) return Err(e.pos, "column '" + col.name + "': " + c.status().message());
      v = *c;
    }
  }
  Result<Value> c = CoerceValue(col, v);
  if (!c.ok()) return Err(e.pos, c.status().message());
  return c;
}

Result<Column> Planner::BindColumnDef(const ColumnDef& d) {
  Column c;
  c.name = d.name;
  c.type = d.type.type;
  c.unit = d.type.unit;
  c.enum_values = d.type.enum_values;
  c.nullable = !(d.not_null || d.partition_key || d.order_key);
  if (d.default_value) {
    LASER_ASSIGN_OR_RETURN(c.default_value, ColumnValue(c, *d.default_value));
  }
  return c;
}

Result<std::unique_ptr<ops::Operator>> Planner::PlanCreateTable(const Statement& st) {
  TableSchema t;
  t.name = st.name;
  int pk = -1, ok = -1;
  for (size_t i = 0; i < st.columns.size(); ++i) {
    const ColumnDef& d = st.columns[i];
    if (d.partition_key) {
      if (pk >= 0) return Err(d.pos, "a table has exactly one PARTITION KEY column");
      if (d.type.type != Type::kU64) {
        return Err(d.pos, "PARTITION KEY column '" + d.name + "' must be U64, not " +
                              TypeName(d.type.type));
      }
      pk = static_cast<int>(i);
    }
    if (d.order_key) {
      if (ok >= 0) return Err(d.pos, "a table has exactly one ORDER KEY column");
      if (d.type.type != Type::kTimestamp && d.type.type != Type::kI64) {
        return Err(d.pos, "ORDER KEY column '" + d.name + "' must be TIMESTAMP or I64, not " +
                              TypeName(d.type.type));
      }
      ok = static_cast<int>(i);
    }
    for (size_t j = 0; j < i; ++j) {
      if (IEq(st.columns[j].name, d.name))
        return Err(d.pos, "duplicate column name '" + d.name + "'");
    }
    LASER_ASSIGN_OR_RETURN(Column c, BindColumnDef(d));
    t.columns.push_back(std::move(c));
  }
  if (pk < 0) return Err(st.name_pos, "table '" + st.name + "' needs a U64 PARTITION KEY column");
  if (ok < 0) return Err(st.name_pos, "table '" + st.name + "' needs an ORDER KEY column");
  t.partition_key = static_cast<uint32_t>(pk);
  t.order_key = static_cast<uint32_t>(ok);
  for (const OptionItem& o : st.options) {
    if (o.key == "max_events" || o.key == "ttl_ms") {
      if (!o.value) return Err(o.pos, o.key + " needs a number");
      LASER_ASSIGN_OR_RETURN(uint64_t n, CountArg(*o.value, o.key));
      if (o.key == "max_events") {
        t.retention.max_events = n;
      } else {
        t.retention.ttl_ms = static_cast<int64_t>(n);
      }
    } else if (o.key == "ttl") {
      std::string text = o.word;
      if (o.value) {
        LASER_ASSIGN_OR_RETURN(Value v, FoldConstant(*o.value));
        text = v.ToString();
      }
      // '30d', '12h', '15m', '45s', or a count of milliseconds.
      int64_t mult = 1;
      if (!text.empty() && std::isalpha(static_cast<unsigned char>(text.back())) != 0) {
        const char u = static_cast<char>(std::tolower(static_cast<unsigned char>(text.back())));
        mult = u == 'd' ? 86400000 : u == 'h' ? 3600000 : u == 'm' ? 60000 : u == 's' ? 1000 : 0;
        text.pop_back();
      }
      char* end = nullptr;
      const long long n = std::strtoll(text.c_str(), &end, 10);
      if (mult == 0 || text.empty() || *end != '\0' || n < 0) {
        return Err(o.pos, "ttl must be like '30d', '12h', '15m', '45s' or milliseconds");
      }
      t.retention.ttl_ms = n * mult;
    } else {
      return Err(o.pos, "unknown table option '" + o.key + "'; expected max_events, ttl or ttl_ms");
    }
  }
  Status v = t.Validate();
  if (!v.ok()) return Err(st.name_pos, v.message());
  const bool if_not_exists = st.if_not_exists;
  const size_t pos = st.name_pos;
  const std::string src(src_);
  return std::unique_ptr<ops::Operator>(std::make_unique<ops::CommandOp>(
      "CREATE TABLE " + t.name, [t, if_not_exists, pos, src](ops::ExecContext* ctx) -> Status {
        if (if_not_exists && ctx->db()->GetTable(t.name).ok()) return Status::OK();
        Status s = ctx->db()->CreateTable(t);
        if (s.code() == Status::Code::kAlreadyExists) {
          return Status::AlreadyExists(
              ErrorAt(src, pos, "error", "table '" + t.name + "' already exists").message());
        }
        return s;
      }));
}

Result<std::unique_ptr<ops::Operator>> Planner::PlanInsert(const Statement& st) {
  LASER_ASSIGN_OR_RETURN(TableSchema t, GetTable(st.name, st.name_pos));
  std::vector<int> cols;
  if (st.insert_columns.empty()) {
    for (size_t i = 0; i < t.columns.size(); ++i) cols.push_back(static_cast<int>(i));
  } else {
    for (size_t i = 0; i < st.insert_columns.size(); ++i) {
      const int c = t.FindColumn(st.insert_columns[i]);
      if (c < 0) {
        return Status::NotFound(
            ErrorAt(src_, st.insert_column_pos[i], "error",
                    "column '" + st.insert_columns[i] + "' does not exist in " + t.name)
                .message());
      }
      if (std::find(cols.begin(), cols.end(), c) != cols.end()) {
        return Err(st.insert_column_pos[i],
                   "column '" + st.insert_columns[i] + "' is listed twice");
      }
      cols.push_back(c);
    }
    for (uint32_t key : {t.partition_key, t.order_key}) {
      if (std::find(cols.begin(), cols.end(), static_cast<int>(key)) == cols.end()) {
        return Err(st.name_pos, "INSERT must give key column '" + t.columns[key].name + "'");
      }
    }
  }
  Batch b;
  for (int c : cols)
    b.AddColumn(t.columns[static_cast<size_t>(c)].name, t.columns[static_cast<size_t>(c)].type);
  for (size_t r = 0; r < st.rows.size(); ++r) {
    const auto& row = st.rows[r];
    if (row.size() != cols.size()) {
      return Err(row.empty() ? st.pos : row[0]->pos,
                 "row " + std::to_string(r + 1) + " has " + std::to_string(row.size()) +
                     " values, but " + std::to_string(cols.size()) + " columns are being inserted");
    }
    for (size_t k = 0; k < row.size(); ++k) {
      LASER_ASSIGN_OR_RETURN(Value v,
                             ColumnValue(t.columns[static_cast<size_t>(cols[k])], *row[k]));
      b.columns[k].Append(v);
    }
  }
  return std::unique_ptr<ops::Operator>(std::make_unique<ops::InsertOp>(t.name, std::move(b)));
}

Result<std::unique_ptr<ops::Operator>> Planner::PlanCopyFrom(const Statement& st) {
  LASER_ASSIGN_OR_RETURN(TableSchema t, GetTable(st.name, st.name_pos));
  ops::CopyFromSpec spec;
  spec.path = st.path;
  spec.table = t;
  spec.staging_bytes = options_.copy_staging_bytes;
  for (const OptionItem& o : st.options) {
    std::string text = o.word;
    if (o.value) {
      LASER_ASSIGN_OR_RETURN(Value v, FoldConstant(*o.value));
      text = v.ToString();
      if (o.value->is_bool) text = std::get<int64_t>(v.v) != 0 ? "true" : "false";
    }
    if (o.key == "format") {
      const std::string f = Lower(text);
      if (f == "csv")
        spec.jsonl = false;
      else if (f == "jsonl" || f == "json" || f == "ndjson")
        spec.jsonl = true;
      else
        return Err(o.pos, "unknown FORMAT '" + text + "'; expected csv or jsonl");
    } else if (o.key == "header") {
      const std::string h = Lower(text);
      if (h != "true" && h != "false" && h != "1" && h != "0") {
        return Err(o.pos, "HEADER must be true or false");
      }
      spec.header = h == "true" || h == "1";
    } else if (o.key == "delimiter" || o.key == "delim" || o.key == "sep") {
      if (text == "\\t" || Lower(text) == "tab") text = "\t";
      if (text.size() != 1 || text == "\"" || text == "\n") {
        return Err(o.pos, "DELIMITER must be one character");
      }
      spec.delimiter = text[0];
    } else if (o.key == "columns") {
      if (o.names.empty()) return Err(o.pos, "COLUMNS needs a list: COLUMNS (a, b, ...)");
      spec.columns = o.names;
      for (size_t k = 0; k < spec.columns.size(); ++k) {
        const std::string& n = spec.columns[k];
        if (n != "_" && t.FindColumn(n) < 0) {
          return Status::NotFound(
              ErrorAt(src_, o.name_pos[k], "error",
                      "COLUMNS names '" + n + "', which is not a column of " + t.name)
                  .message());
        }
      }
    } else if (o.key == "time_unit") {
      std::optional<TimeUnit> u = ParseTimeUnit(text);
      if (!u) return Err(o.pos, "TIME_UNIT must be 's', 'ms', 'us' or 'ns'");
      spec.time_unit = u;
    } else if (o.key == "null") {
      spec.null_string = text;
    } else {
      return Err(o.pos, "unknown COPY option '" + o.key +
                            "'; expected FORMAT, HEADER, DELIMITER, COLUMNS, TIME_UNIT or NULL");
    }
  }
  return std::unique_ptr<ops::Operator>(std::make_unique<ops::CopyFromOp>(std::move(spec)));
}

Result<std::unique_ptr<ops::Operator>> Planner::PlanCopyTo(const Statement& st) {
  std::unique_ptr<ops::Operator> plan;
  if (st.select) {
    LASER_ASSIGN_OR_RETURN(plan, PlanSelect(*st.select));
  } else {
    Select s;
    auto star = std::make_unique<Expr>();
    star->kind = ExprKind::kStar;
    star->pos = st.name_pos;
    s.items.push_back({std::move(star), ""});
    s.from.kind = TableRef::Kind::kTable;
    s.from.name = st.name;
    s.from.pos = st.name_pos;
    LASER_ASSIGN_OR_RETURN(plan, PlanSelect(s));
  }
  ops::CopyToSpec spec;
  spec.path = st.path;
  for (const OptionItem& o : st.options) {
    std::string text = o.word;
    if (o.value) {
      LASER_ASSIGN_OR_RETURN(Value v, FoldConstant(*o.value));
      text = v.ToString();
      if (o.value->is_bool) text = std::get<int64_t>(v.v) != 0 ? "true" : "false";
    }
    if (o.key == "format") {
      const std::string f = Lower(text);
      if (f == "csv")
        spec.jsonl = false;
      else if (f == "jsonl" || f == "json" || f == "ndjson")
        spec.jsonl = true;
      else
        return Err(o.pos, "unknown FORMAT '" + text + "'; expected csv or jsonl");
    } else if (o.key == "header") {
      const std::string h = Lower(text);
      spec.header = h == "true" || h == "1";
    } else if (o.key == "delimiter" || o.key == "delim" || o.key == "sep") {
      if (text == "\\t" || Lower(text) == "tab") text = "\t";
      if (text.size() != 1) return Err(o.pos, "DELIMITER must be one character");
      spec.delimiter = text[0];
    } else if (o.key == "null") {
      spec.null_string = text;
    } else {
      return Err(o.pos, "unknown COPY TO option '" + o.key +
                            "'; expected FORMAT, HEADER, DELIMITER or NULL");
    }
  }
  return std::unique_ptr<ops::Operator>(std::make_unique<ops::CopyToOp>(std::move(plan), spec));
}

Result<std::unique_ptr<ops::Operator>> Planner::PlanDescribe(const Statement& st) {
  LASER_ASSIGN_OR_RETURN(TableSchema t, GetTable(st.name, st.name_pos));
  ops::Schema schema = {{"column_name", LType::Of(Type::kString)},
                        {"type", LType::Of(Type::kString)},
                        {"key", LType::Of(Type::kString)},
                        {"nullable", LType::Of(Type::kBool)},
                        {"default", LType::Of(Type::kString)}};
  Batch b;
  for (const auto& f : schema) b.AddColumn(f.name, f.type.type);
  for (size_t i = 0; i < t.columns.size(); ++i) {
    const Column& c = t.columns[i];
    b.columns[0].Append(Value::String(c.name));
    b.columns[1].Append(Value::String(LType::OfColumn(c).ToString()));
    b.columns[2].Append(Value::String(i == t.partition_key ? "PARTITION KEY"
                                      : i == t.order_key   ? "ORDER KEY"
                                                           : ""));
    b.columns[3].Append(Value::Int(c.nullable ? 1 : 0));
    b.columns[4].Append(c.default_value.is_null()
                            ? Value::Null()
                            : Value::String(ops::FormatValue(c.default_value, LType::OfColumn(c))));
  }
  return std::unique_ptr<ops::Operator>(
      std::make_unique<ops::ValuesOp>(schema, std::move(b), "DESCRIBE " + t.name));
}

Result<std::unique_ptr<ops::Operator>> Planner::Plan(const Statement& st) {
  switch (st.kind) {
    case StmtKind::kSelect:
      return PlanSelect(*st.select);
    case StmtKind::kExplain: {
      LASER_ASSIGN_OR_RETURN(auto inner, Plan(*st.inner));
      return std::unique_ptr<ops::Operator>(
          std::make_unique<ops::ExplainOp>(std::move(inner), st.analyze));
    }
    case StmtKind::kCreateTable:
      return PlanCreateTable(st);
    case StmtKind::kDropTable: {
      if (!st.if_exists) LASER_RETURN_IF_ERROR(GetTable(st.name, st.name_pos).status());
      const std::string name = st.name;
      const bool if_exists = st.if_exists;
      return std::unique_ptr<ops::Operator>(std::make_unique<ops::CommandOp>(
          "DROP TABLE " + name, [name, if_exists](ops::ExecContext* ctx) -> Status {
            if (if_exists && !ctx->db()->GetTable(name).ok()) return Status::OK();
            return ctx->db()->DropTable(name);
          }));
    }
    case StmtKind::kAlterAddColumn: {
      LASER_ASSIGN_OR_RETURN(TableSchema t, GetTable(st.name, st.name_pos));
      const ColumnDef& d = st.columns[0];
      if (d.partition_key || d.order_key) {
        return Err(d.pos, "ADD COLUMN cannot add a key column");
      }
      if (t.FindColumn(d.name) >= 0) {
        return Status::AlreadyExists(
            ErrorAt(src_, d.pos, "error", "column '" + d.name + "' already exists in " + t.name)
                .message());
      }
      LASER_ASSIGN_OR_RETURN(Column c, BindColumnDef(d));
      if (!c.nullable && c.default_value.is_null()) {
        return Err(d.pos, "a NOT NULL column added to existing data needs a DEFAULT");
      }
      const std::string table = t.name;
      return std::unique_ptr<ops::Operator>(std::make_unique<ops::CommandOp>(
          "ALTER TABLE " + table + " ADD COLUMN " + c.name,
          [table, c](ops::ExecContext* ctx) { return ctx->db()->AddColumn(table, c); }));
    }
    case StmtKind::kInsert:
      return PlanInsert(st);
    case StmtKind::kCopyFrom:
      return PlanCopyFrom(st);
    case StmtKind::kCopyTo:
      return PlanCopyTo(st);
    case StmtKind::kShowTables: {
      ops::Schema schema = {{"name", LType::Of(Type::kString)}};
      Batch b;
      b.AddColumn("name", Type::kString);
      std::vector<std::string> names = db_->ListTables();
      std::sort(names.begin(), names.end());
      for (auto& n : names) b.columns[0].strings.push_back(std::move(n));
      return std::unique_ptr<ops::Operator>(
          std::make_unique<ops::ValuesOp>(schema, std::move(b), "SHOW TABLES"));
    }
    case StmtKind::kShowModels: {
      ops::Schema schema = {{"name", LType::Of(Type::kString)}, {"path", LType::Of(Type::kString)}};
      Batch b;
      b.AddColumn("name", Type::kString);
      b.AddColumn("path", Type::kString);
      std::vector<ModelInfo> models = db_->ListModels();
      std::sort(models.begin(), models.end(),
                [](const ModelInfo& x, const ModelInfo& y) { return x.name < y.name; });
      for (auto& m : models) {
        b.columns[0].strings.push_back(m.name);
        b.columns[1].strings.push_back(m.path);
      }
      return std::unique_ptr<ops::Operator>(
          std::make_unique<ops::ValuesOp>(schema, std::move(b), "SHOW MODELS"));
    }
    case StmtKind::kDescribe:
      return PlanDescribe(st);
    case StmtKind::kCreateModel: {
      const std::string name = st.name, path = st.path;
      return std::unique_ptr<ops::Operator>(std::make_unique<ops::CommandOp>(
          "CREATE MODEL " + name, [name, path](ops::ExecContext* ctx) -> Status {
            // A file that does not load as a model is refused before it is copied.
            Status valid = ops::CheckModelFile(path);
            if (!valid.ok()) return valid.WithContext("CREATE MODEL " + name);
            return ctx->db()->CreateModel(name, path);
          }));
    }
    case StmtKind::kDropModel: {
      const std::string name = st.name;
      const bool if_exists = st.if_exists;
      return std::unique_ptr<ops::Operator>(std::make_unique<ops::CommandOp>(
          "DROP MODEL " + name, [name, if_exists](ops::ExecContext* ctx) -> Status {
            if (if_exists && !ctx->db()->GetModel(name).ok()) return Status::OK();
            return ctx->db()->DropModel(name);
          }));
    }
  }
  return Err(st.pos, "unsupported statement");
}

}  // namespace

Result<std::unique_ptr<ops::Operator>> PlanStatement(DB* db, std::string_view source,
                                                     const Statement& st,
                                                     const std::vector<Value>& params,
                                                     const PlanOptions& options) {
  Planner p(db, source, params, options);
  return p.Plan(st);
}

void RegisterTableFunction(std::string_view name, TableFunction fn) {
  Registry()[Lower(name)] = std::move(fn);
}

}  // namespace laser::sql
