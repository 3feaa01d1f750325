#include "sql/bind_score.hpp"

#include <strings.h>

#include "engine/util/status_macros.hpp"
#include "operators/model_cache.hpp"
#include "operators/score.hpp"

namespace laser::sql {

namespace {

// A model or table argument: a bare name or a string literal.
Result<std::string> NameArg(const TableFunctionContext& ctx, const Expr& e, const char* what) {
  if (e.kind == ExprKind::kColumn && e.table.empty()) return e.name;
  if (e.kind == ExprKind::kLiteral && std::holds_alternative<std::string>(e.literal.v)) {
    return std::get<std::string>(e.literal.v);
  }
  return ctx.ErrorAt(e.pos, std::string("SCORE expects a ") + what + " name here");
}

Result<uint64_t> IdArg(const TableFunctionContext& ctx, const Expr& e, const char* what) {
  LASER_ASSIGN_OR_RETURN(Value v, ctx.Constant(e));
  if (const auto* u = std::get_if<uint64_t>(&v.v)) return *u;
  if (const auto* i = std::get_if<int64_t>(&v.v); i && *i >= 0) return static_cast<uint64_t>(*i);
  return ctx.ErrorAt(e.pos, std::string("SCORE: ") + what +
                                " must be a non-negative integer, not " +
                                (v.is_null() ? std::string("NULL") : v.ToString()));
}

Result<std::vector<uint64_t>> IdListArg(const TableFunctionContext& ctx, const Expr& e,
                                        const char* what) {
  if (e.kind != ExprKind::kArray) {
    return ctx.ErrorAt(e.pos, std::string("SCORE: ") + what + " must be a list [a, b, ...]");
  }
  std::vector<uint64_t> out;
  out.reserve(e.args.size());
  for (const auto& a : e.args) {
    LASER_ASSIGN_OR_RETURN(uint64_t id, IdArg(ctx, *a, what));
    out.push_back(id);
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<ops::Operator>> BindScore(const TableFunctionContext& ctx) {
  const TableRef& call = ctx.call();
  if (call.args.size() != 2) {
    return ctx.ErrorAt(call.pos,
                       "SCORE takes a model and a table, then named arguments: "
                       "SCORE(model, table, user => u, targets => [...])");
  }
  ops::ScoreSpec spec;
  LASER_ASSIGN_OR_RETURN(spec.model_name, NameArg(ctx, *call.args[0], "model"));
  LASER_ASSIGN_OR_RETURN(spec.table, NameArg(ctx, *call.args[1], "table"));
  if (Result<TableSchema> t = ctx.db()->GetTable(spec.table); !t.ok()) {
    return ctx.ErrorAt(call.args[1]->pos, "table '" + spec.table + "' does not exist");
  }
  Result<std::shared_ptr<const model::Model>> m = ops::LoadModel(ctx.db(), spec.model_name);
  if (!m.ok()) {
    if (m.status().IsNotFound()) {
      return ctx.ErrorAt(call.args[0]->pos, "model '" + spec.model_name + "' does not exist");
    }
    return ctx.ErrorAt(call.args[0]->pos, m.status().message());
  }
  spec.model = m.value();

  bool have_users = false;
  bool have_targets = false;
  size_t targets_pos = call.pos;
  std::unique_ptr<ops::Operator> targets_plan;
  for (const NamedArg& a : call.named_args) {
    const Expr& v = *a.value;
    if (strcasecmp(a.name.c_str(), "user") == 0 || strcasecmp(a.name.c_str(), "users") == 0) {
      if (have_users) return ctx.ErrorAt(a.pos, "SCORE: users given twice");
      have_users = true;
      if (v.kind == ExprKind::kArray) {
        LASER_ASSIGN_OR_RETURN(spec.users, IdListArg(ctx, v, "users"));
      } else {
        LASER_ASSIGN_OR_RETURN(uint64_t u, IdArg(ctx, v, "user"));
        spec.users = {u};
      }
    } else if (strcasecmp(a.name.c_str(), "targets") == 0) {
      if (have_targets) return ctx.ErrorAt(a.pos, "SCORE: targets given twice");
      have_targets = true;
      targets_pos = v.pos;
      if (v.kind == ExprKind::kSubquery) {
        LASER_ASSIGN_OR_RETURN(targets_plan, ctx.PlanSubquery(*v.subquery));
      } else {
        LASER_ASSIGN_OR_RETURN(spec.targets, IdListArg(ctx, v, "targets"));
      }
    } else if (strcasecmp(a.name.c_str(), "method") == 0) {
      LASER_ASSIGN_OR_RETURN(Value m, ctx.Constant(v));
      const auto* s = std::get_if<std::string>(&m.v);
      if (s && strcasecmp(s->c_str(), "sta") == 0) {
        spec.method = model::ScoreMethod::kSta;
      } else if (s && strcasecmp(s->c_str(), "full") == 0) {
        spec.method = model::ScoreMethod::kFull;
      } else {
        return ctx.ErrorAt(v.pos, "SCORE: method must be 'sta' or 'full'");
      }
    } else if (strcasecmp(a.name.c_str(), "interest") == 0) {
      LASER_ASSIGN_OR_RETURN(Value b, ctx.Constant(v));
      const auto* i = std::get_if<int64_t>(&b.v);
      if (!i) return ctx.ErrorAt(v.pos, "SCORE: interest must be true or false");
      spec.want_interest = *i != 0;
    } else {
      return ctx.ErrorAt(
          a.pos, "SCORE has no argument '" + a.name + "' (user, users, targets, method, interest)");
    }
  }
  if (!have_users) return ctx.ErrorAt(call.pos, "SCORE needs user => u or users => [...]");
  if (!have_targets) {
    return ctx.ErrorAt(call.pos, "SCORE needs targets => [...] or targets => (SELECT ...)");
  }
  if (spec.targets.size() > model::kMaxTargetsPerCall) {
    return ctx.ErrorAt(targets_pos, "SCORE: " + std::to_string(spec.targets.size()) +
                                        " targets exceed the limit of " +
                                        std::to_string(model::kMaxTargetsPerCall) +
                                        " targets per user");
  }
  return std::unique_ptr<ops::Operator>(
      std::make_unique<ops::ScoreOp>(std::move(spec), std::move(targets_plan)));
}

}  // namespace laser::sql
