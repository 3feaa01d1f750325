#include "sql/parser.hpp"

#include <charconv>
#include <cstring>
#include <string>

#include "engine/util/status_macros.hpp"
#include "sql/lexer.hpp"

namespace laser::sql {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Words that end an expression or a select item, so they cannot be an alias
// written without AS.
constexpr std::string_view kReserved[] = {
    "select", "from", "where", "group", "by",    "having",  "order",    "limit", "offset",
    "last",   "and",  "or",    "not",   "in",    "between", "is",       "null",  "like",
    "as",     "asc",  "desc",  "case",  "when",  "then",    "else",     "end",   "values",
    "with",   "into", "set",   "true",  "false", "cast",    "distinct", "on",    "to"};

bool IsReserved(std::string_view w) {
  for (std::string_view r : kReserved) {
    if (IEquals(w, r)) return true;
  }
  return false;
}

struct TypeAlias {
  const char* name;
  Type type;
};
constexpr TypeAlias kTypeAliases[] = {
    {"BOOLEAN", Type::kBool}, {"TINYINT", Type::kI8},  {"SMALLINT", Type::kI16},
    {"INT", Type::kI32},      {"INTEGER", Type::kI32}, {"BIGINT", Type::kI64},
    {"UBIGINT", Type::kU64},  {"REAL", Type::kF64},    {"FLOAT", Type::kF32},
    {"DOUBLE", Type::kF64},   {"TEXT", Type::kString}, {"VARCHAR", Type::kString}};

class Parser {
 public:
  Parser(std::string_view src, std::vector<Token> toks) : src_(src), t_(std::move(toks)) {}

  Result<std::vector<Statement>> ParseAll() {
    std::vector<Statement> out;
    while (true) {
      while (IsSymbol(";")) ++i_;
      if (Peek().kind == TokenKind::kEnd) break;
      params_ = 0;
      const size_t start = Peek().offset;
      LASER_ASSIGN_OR_RETURN(Statement st, ParseStatement());
      st.pos = start;
      st.num_params = params_;
      st.end_pos = i_ > 0 ? t_[i_ - 1].offset + t_[i_ - 1].length : start;
      if (!IsSymbol(";") && Peek().kind != TokenKind::kEnd) {
        return Expected("';' or the end of the statement");
      }
      out.push_back(std::move(st));
    }
    return out;
  }

  Result<TypeSpec> ParseTypeOnly() {
    LASER_ASSIGN_OR_RETURN(TypeSpec t, ParseTypeSpec());
    if (Peek().kind != TokenKind::kEnd) return Expected("the end of the type");
    return t;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    const size_t j = i_ + ahead;
    return j < t_.size() ? t_[j] : t_.back();
  }
  bool IsWord(std::string_view w, size_t ahead = 0) const {
    const Token& t = Peek(ahead);
    return t.kind == TokenKind::kIdent && IEquals(t.text, w);
  }
  bool IsSymbol(std::string_view s, size_t ahead = 0) const {
    const Token& t = Peek(ahead);
    return t.kind == TokenKind::kSymbol && t.text == s;
  }
  bool AcceptWord(std::string_view w) {
    if (!IsWord(w)) return false;
    ++i_;
    return true;
  }
  bool AcceptSymbol(std::string_view s) {
    if (!IsSymbol(s)) return false;
    ++i_;
    return true;
  }

  std::string Describe(const Token& t) const {
    switch (t.kind) {
      case TokenKind::kEnd:
        return "the end of the input";
      case TokenKind::kString:
        return "string '" + t.text + "'";
      case TokenKind::kQuotedIdent:
        return "\"" + t.text + "\"";
      case TokenKind::kParam:
        return "'?'";
      default:
        return "'" + t.text + "'";
    }
  }

  Status Expected(std::string_view what) const {
    return ErrorAt(src_, Peek().offset, "syntax error",
                   "expected " + std::string(what) + ", found " + Describe(Peek()));
  }

  Status ExpectWord(std::string_view w) {
    if (AcceptWord(w)) return Status::OK();
    std::string up;
    for (char c : w) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return Expected(up);
  }
  Status ExpectSymbol(std::string_view s) {
    if (AcceptSymbol(s)) return Status::OK();
    return Expected("'" + std::string(s) + "'");
  }

  // An identifier (bare, not reserved; or quoted). `what` names it in errors.
  Result<std::string> ParseIdent(std::string_view what, size_t* pos = nullptr) {
    const Token& t = Peek();
    if (pos != nullptr) *pos = t.offset;
    if (t.kind == TokenKind::kQuotedIdent) {
      ++i_;
      return t.text;
    }
    if (t.kind == TokenKind::kIdent && !IsReserved(t.text)) {
      ++i_;
      return t.text;
    }
    return Expected(what);
  }

  Result<std::string> ParseStringLit(std::string_view what) {
    if (Peek().kind != TokenKind::kString) return Expected(what);
    return t_[i_++].text;
  }

  Result<Statement> ParseStatement() {
    const Token& t = Peek();
    if (t.kind != TokenKind::kIdent) {
      if (IsSymbol("(")) return ParseSelectStatement();
      return Expected("a statement (SELECT, INSERT, COPY, CREATE, DROP, ALTER, SHOW, ...)");
    }
    if (IsWord("select")) return ParseSelectStatement();
    if (IsWord("explain")) {
      ++i_;
      Statement st;
      st.kind = StmtKind::kExplain;
      st.analyze = AcceptWord("analyze");
      if (IsWord("explain")) return Expected("a statement to explain");
      LASER_ASSIGN_OR_RETURN(Statement inner, ParseStatement());
      inner.pos = t.offset;
      st.inner = std::make_unique<Statement>(std::move(inner));
      return st;
    }
    if (IsWord("create")) return ParseCreate();
    if (IsWord("drop")) return ParseDrop();
    if (IsWord("alter")) return ParseAlter();
    if (IsWord("insert")) return ParseInsert();
    if (IsWord("copy")) return ParseCopy();
    if (IsWord("show")) {
      ++i_;
      Statement st;
      if (AcceptWord("tables")) {
        st.kind = StmtKind::kShowTables;
      } else if (AcceptWord("models")) {
        st.kind = StmtKind::kShowModels;
      } else {
        return Expected("TABLES or MODELS");
      }
      return st;
    }
    if (IsWord("describe") || IsWord("desc")) {
      ++i_;
      Statement st;
      st.kind = StmtKind::kDescribe;
      AcceptWord("table");
      LASER_ASSIGN_OR_RETURN(st.name, ParseIdent("a table name", &st.name_pos));
      return st;
    }
    return Expected("a statement (SELECT, INSERT, COPY, CREATE, DROP, ALTER, SHOW, ...)");
  }

  Result<Statement> ParseSelectStatement() {
    Statement st;
    st.kind = StmtKind::kSelect;
    LASER_ASSIGN_OR_RETURN(st.select, ParseSelect());
    return st;
  }

  Result<std::shared_ptr<Select>> ParseSelect() {
    if (AcceptSymbol("(")) {
      LASER_ASSIGN_OR_RETURN(auto inner, ParseSelect());
      LASER_RETURN_IF_ERROR(ExpectSymbol(")"));
      return inner;
    }
    auto s = std::make_shared<Select>();
    s->pos = Peek().offset;
    LASER_RETURN_IF_ERROR(ExpectWord("select"));
    do {
      SelectItem item;
      if (IsSymbol("*")) {
        auto e = std::make_unique<Expr>();
        e->kind = ExprKind::kStar;
        e->pos = Peek().offset;
        ++i_;
        item.expr = std::move(e);
      } else {
        LASER_ASSIGN_OR_RETURN(item.expr, ParseExpr());
        if (AcceptWord("as")) {
          LASER_ASSIGN_OR_RETURN(item.alias, ParseIdent("an alias after AS"));
        } else if ((Peek().kind == TokenKind::kIdent && !IsReserved(Peek().text)) ||
                   Peek().kind == TokenKind::kQuotedIdent) {
          item.alias = t_[i_++].text;
        }
      }
      s->items.push_back(std::move(item));
    } while (AcceptSymbol(","));

    if (AcceptWord("from")) {
      LASER_RETURN_IF_ERROR(ParseTableRef(&s->from));
    }
    if (AcceptWord("where")) {
      LASER_ASSIGN_OR_RETURN(s->where, ParseExpr());
    }
    LASER_RETURN_IF_ERROR(ParseLast(s.get()));
    if (AcceptWord("group")) {
      LASER_RETURN_IF_ERROR(ExpectWord("by"));
      do {
        LASER_ASSIGN_OR_RETURN(auto e, ParseExpr());
        s->group_by.push_back(std::move(e));
      } while (AcceptSymbol(","));
    }
    if (AcceptWord("having")) {
      LASER_ASSIGN_OR_RETURN(s->having, ParseExpr());
    }
    if (AcceptWord("order")) {
      LASER_RETURN_IF_ERROR(ExpectWord("by"));
      do {
        OrderItem o;
        LASER_ASSIGN_OR_RETURN(o.expr, ParseExpr());
        if (AcceptWord("desc")) {
          o.desc = true;
        } else {
          AcceptWord("asc");
        }
        s->order_by.push_back(std::move(o));
      } while (AcceptSymbol(","));
    }
    if (AcceptWord("limit")) {
      LASER_ASSIGN_OR_RETURN(s->limit, ParseExpr());
    }
    if (AcceptWord("offset")) {
      LASER_ASSIGN_OR_RETURN(s->offset, ParseExpr());
    }
    LASER_RETURN_IF_ERROR(ParseLast(s.get()));
    return s;
  }

  Status ParseLast(Select* s) {
    if (!IsWord("last")) return Status::OK();
    if (s->last_n != nullptr) {
      return ErrorAt(src_, Peek().offset, "syntax error", "LAST is given twice");
    }
    ++i_;
    LASER_ASSIGN_OR_RETURN(s->last_n, ParsePrimary());
    return Status::OK();
  }

  Status ParseTableRef(TableRef* ref) {
    ref->pos = Peek().offset;
    LASER_ASSIGN_OR_RETURN(ref->name, ParseIdent("a table name"));
    ref->kind = TableRef::Kind::kTable;
    if (AcceptSymbol("(")) {
      ref->kind = TableRef::Kind::kFunction;
      if (!IsSymbol(")")) {
        do {
          const bool named =
              (Peek().kind == TokenKind::kIdent || Peek().kind == TokenKind::kQuotedIdent) &&
              IsSymbol("=>", 1);
          if (named) {
            NamedArg a;
            a.pos = Peek().offset;
            a.name = Lower(Peek().text);
            i_ += 2;
            LASER_ASSIGN_OR_RETURN(a.value, ParseExpr());
            ref->named_args.push_back(std::move(a));
          } else {
            if (!ref->named_args.empty()) {
              return ErrorAt(src_, Peek().offset, "syntax error",
                             "a positional argument cannot follow a named argument");
            }
            LASER_ASSIGN_OR_RETURN(auto e, ParseExpr());
            ref->args.push_back(std::move(e));
          }
        } while (AcceptSymbol(","));
      }
      LASER_RETURN_IF_ERROR(ExpectSymbol(")"));
    }
    if (AcceptWord("as")) {
      LASER_ASSIGN_OR_RETURN(ref->alias, ParseIdent("an alias after AS"));
    } else if (Peek().kind == TokenKind::kIdent && !IsReserved(Peek().text)) {
      ref->alias = t_[i_++].text;
    }
    return Status::OK();
  }

  Result<TypeSpec> ParseTypeSpec() {
    const Token& t = Peek();
    if (t.kind != TokenKind::kIdent) return Expected("a type name");
    TypeSpec spec;
    std::optional<Type> ty = ParseTypeName(t.text);
    if (!ty) {
      for (const auto& a : kTypeAliases) {
        if (IEquals(t.text, a.name)) ty = a.type;
      }
    }
    if (!ty) {
      return ErrorAt(src_, t.offset, "syntax error",
                     "unknown type '" + t.text +
                         "'; expected BOOL, I8..I64, U8..U64, F32, F64, TIMESTAMP(unit), STRING "
                         "or ENUM('a', ...)");
    }
    ++i_;
    spec.type = *ty;
    if (spec.type == Type::kTimestamp && AcceptSymbol("(")) {
      const Token& u = Peek();
      std::optional<TimeUnit> unit;
      if (u.kind == TokenKind::kIdent || u.kind == TokenKind::kString) unit = ParseTimeUnit(u.text);
      if (!unit) return Expected("a time unit (s, ms, us or ns)");
      ++i_;
      spec.unit = *unit;
      LASER_RETURN_IF_ERROR(ExpectSymbol(")"));
    }
    if (spec.type == Type::kEnum) {
      LASER_RETURN_IF_ERROR(ExpectSymbol("("));
      do {
        LASER_ASSIGN_OR_RETURN(auto v, ParseStringLit("an enum label string"));
        spec.enum_values.push_back(std::move(v));
      } while (AcceptSymbol(","));
      LASER_RETURN_IF_ERROR(ExpectSymbol(")"));
    }
    return spec;
  }

  Result<ColumnDef> ParseColumnDef() {
    ColumnDef c;
    LASER_ASSIGN_OR_RETURN(c.name, ParseIdent("a column name", &c.pos));
    LASER_ASSIGN_OR_RETURN(c.type, ParseTypeSpec());
    while (true) {
      if (IsWord("partition") && IsWord("key", 1)) {
        i_ += 2;
        c.partition_key = true;
      } else if (IsWord("order") && IsWord("key", 1)) {
        i_ += 2;
        c.order_key = true;
      } else if (IsWord("not") && IsWord("null", 1)) {
        i_ += 2;
        c.not_null = true;
      } else if (AcceptWord("null")) {
        c.not_null = false;
      } else if (AcceptWord("default")) {
        LASER_ASSIGN_OR_RETURN(c.default_value, ParseUnary());
      } else {
        break;
      }
    }
    return c;
  }

  Status ParseOptions(std::vector<OptionItem>* out, bool copy_style) {
    LASER_RETURN_IF_ERROR(ExpectSymbol("("));
    do {
      OptionItem o;
      o.pos = Peek().offset;
      if (Peek().kind != TokenKind::kIdent) return Expected("an option name");
      o.key = Lower(Peek().text);
      ++i_;
      const bool eq = AcceptSymbol("=");
      if (o.key == "columns" && IsSymbol("(")) {
        ++i_;
        do {
          o.name_pos.push_back(Peek().offset);
          LASER_ASSIGN_OR_RETURN(auto n, ParseIdent("a column name"));
          o.names.push_back(std::move(n));
        } while (AcceptSymbol(","));
        LASER_RETURN_IF_ERROR(ExpectSymbol(")"));
      } else if (copy_style && !eq && (IsSymbol(",") || IsSymbol(")"))) {
        // `HEADER` alone means HEADER true.
        o.word = "true";
      } else if (Peek().kind == TokenKind::kIdent && !IsWord("true") && !IsWord("false") &&
                 !IsWord("null")) {
        o.word = Lower(Peek().text);
        ++i_;
      } else {
        LASER_ASSIGN_OR_RETURN(o.value, ParseUnary());
      }
      out->push_back(std::move(o));
    } while (AcceptSymbol(","));
    return ExpectSymbol(")");
  }

  Result<Statement> ParseCreate() {
    ++i_;  // CREATE
    Statement st;
    if (AcceptWord("model")) {
      st.kind = StmtKind::kCreateModel;
      LASER_ASSIGN_OR_RETURN(st.name, ParseIdent("a model name", &st.name_pos));
      LASER_RETURN_IF_ERROR(ExpectWord("from"));
      LASER_ASSIGN_OR_RETURN(st.path, ParseStringLit("a file name string"));
      return st;
    }
    LASER_RETURN_IF_ERROR(ExpectWord("table"));
    st.kind = StmtKind::kCreateTable;
    if (IsWord("if")) {
      ++i_;
      LASER_RETURN_IF_ERROR(ExpectWord("not"));
      LASER_RETURN_IF_ERROR(ExpectWord("exists"));
      st.if_not_exists = true;
    }
    LASER_ASSIGN_OR_RETURN(st.name, ParseIdent("a table name", &st.name_pos));
    LASER_RETURN_IF_ERROR(ExpectSymbol("("));
    do {
      LASER_ASSIGN_OR_RETURN(auto c, ParseColumnDef());
      st.columns.push_back(std::move(c));
    } while (AcceptSymbol(","));
    LASER_RETURN_IF_ERROR(ExpectSymbol(")"));
    if (AcceptWord("with")) LASER_RETURN_IF_ERROR(ParseOptions(&st.options, false));
    return st;
  }

  Result<Statement> ParseDrop() {
    ++i_;  // DROP
    Statement st;
    if (AcceptWord("model")) {
      st.kind = StmtKind::kDropModel;
    } else if (AcceptWord("table")) {
      st.kind = StmtKind::kDropTable;
    } else {
      return Expected("TABLE or MODEL");
    }
    if (IsWord("if")) {
      ++i_;
      LASER_RETURN_IF_ERROR(ExpectWord("exists"));
      st.if_exists = true;
    }
    LASER_ASSIGN_OR_RETURN(st.name, ParseIdent("a name", &st.name_pos));
    return st;
  }

  Result<Statement> ParseAlter() {
    ++i_;  // ALTER
    Statement st;
    st.kind = StmtKind::kAlterAddColumn;
    LASER_RETURN_IF_ERROR(ExpectWord("table"));
    LASER_ASSIGN_OR_RETURN(st.name, ParseIdent("a table name", &st.name_pos));
    LASER_RETURN_IF_ERROR(ExpectWord("add"));
    AcceptWord("column");
    LASER_ASSIGN_OR_RETURN(auto c, ParseColumnDef());
    st.columns.push_back(std::move(c));
    return st;
  }

  Result<Statement> ParseInsert() {
    ++i_;  // INSERT
    Statement st;
    st.kind = StmtKind::kInsert;
    LASER_RETURN_IF_ERROR(ExpectWord("into"));
    LASER_ASSIGN_OR_RETURN(st.name, ParseIdent("a table name", &st.name_pos));
    if (AcceptSymbol("(")) {
      do {
        size_t p = 0;
        LASER_ASSIGN_OR_RETURN(auto n, ParseIdent("a column name", &p));
        st.insert_columns.push_back(std::move(n));
        st.insert_column_pos.push_back(p);
      } while (AcceptSymbol(","));
      LASER_RETURN_IF_ERROR(ExpectSymbol(")"));
    }
    LASER_RETURN_IF_ERROR(ExpectWord("values"));
    do {
      LASER_RETURN_IF_ERROR(ExpectSymbol("("));
      std::vector<ExprPtr> row;
      do {
        LASER_ASSIGN_OR_RETURN(auto e, ParseExpr());
        row.push_back(std::move(e));
      } while (AcceptSymbol(","));
      LASER_RETURN_IF_ERROR(ExpectSymbol(")"));
      st.rows.push_back(std::move(row));
    } while (AcceptSymbol(","));
    return st;
  }

  Result<Statement> ParseCopy() {
    ++i_;  // COPY
    Statement st;
    if (IsSymbol("(")) {
      st.kind = StmtKind::kCopyTo;
      ++i_;
      LASER_ASSIGN_OR_RETURN(st.select, ParseSelect());
      LASER_RETURN_IF_ERROR(ExpectSymbol(")"));
      LASER_RETURN_IF_ERROR(ExpectWord("to"));
    } else {
      LASER_ASSIGN_OR_RETURN(st.name, ParseIdent("a table name or (SELECT ...)", &st.name_pos));
      if (AcceptWord("from")) {
        st.kind = StmtKind::kCopyFrom;
      } else if (AcceptWord("to")) {
        st.kind = StmtKind::kCopyTo;
      } else {
        return Expected("FROM or TO");
      }
    }
    LASER_ASSIGN_OR_RETURN(st.path, ParseStringLit("a file name string"));
    AcceptWord("with");
    if (IsSymbol("(")) LASER_RETURN_IF_ERROR(ParseOptions(&st.options, true));
    return st;
  }

  // --- expressions, lowest precedence first ---
  Result<ExprPtr> ParseExpr() { return ParseOr(); }

  ExprPtr MakeBinary(std::string op, size_t pos, ExprPtr l, ExprPtr r) {
    auto e = std::make_unique<Expr>();
    e->kind = ExprKind::kBinary;
    e->name = std::move(op);
    e->pos = pos;
    e->args.push_back(std::move(l));
    e->args.push_back(std::move(r));
    return e;
  }

  Result<ExprPtr> ParseOr() {
    LASER_ASSIGN_OR_RETURN(auto l, ParseAnd());
    while (IsWord("or")) {
      const size_t p = Peek().offset;
      ++i_;
      LASER_ASSIGN_OR_RETURN(auto r, ParseAnd());
      l = MakeBinary("OR", p, std::move(l), std::move(r));
    }
    return l;
  }

  Result<ExprPtr> ParseAnd() {
    LASER_ASSIGN_OR_RETURN(auto l, ParseNot());
    while (IsWord("and")) {
      const size_t p = Peek().offset;
      ++i_;
      LASER_ASSIGN_OR_RETURN(auto r, ParseNot());
      l = MakeBinary("AND", p, std::move(l), std::move(r));
    }
    return l;
  }

  Result<ExprPtr> ParseNot() {
    if (IsWord("not")) {
      auto e = std::make_unique<Expr>();
      e->kind = ExprKind::kUnary;
      e->name = "NOT";
      e->pos = Peek().offset;
      ++i_;
      LASER_ASSIGN_OR_RETURN(auto a, ParseNot());
      e->args.push_back(std::move(a));
      return e;
    }
    return ParseComparison();
  }

  Result<ExprPtr> ParseComparison() {
    LASER_ASSIGN_OR_RETURN(auto l, ParseConcat());
    while (true) {
      const Token& t = Peek();
      if (t.kind == TokenKind::kSymbol &&
          (t.text == "=" || t.text == "<>" || t.text == "!=" || t.text == "<" || t.text == "<=" ||
           t.text == ">" || t.text == ">=")) {
        ++i_;
        LASER_ASSIGN_OR_RETURN(auto r, ParseConcat());
        l = MakeBinary(t.text == "!=" ? "<>" : t.text, t.offset, std::move(l), std::move(r));
        continue;
      }
      if (IsWord("is")) {
        ++i_;
        auto e = std::make_unique<Expr>();
        e->kind = ExprKind::kIsNull;
        e->pos = t.offset;
        e->negated = AcceptWord("not");
        LASER_RETURN_IF_ERROR(ExpectWord("null"));
        e->args.push_back(std::move(l));
        l = std::move(e);
        continue;
      }
      bool negated = false;
      size_t save = i_;
      if (IsWord("not") && (IsWord("in", 1) || IsWord("between", 1) || IsWord("like", 1))) {
        negated = true;
        ++i_;
      }
      if (IsWord("in")) {
        auto e = std::make_unique<Expr>();
        e->kind = ExprKind::kIn;
        e->pos = t.offset;
        e->negated = negated;
        ++i_;
        LASER_RETURN_IF_ERROR(ExpectSymbol("("));
        e->args.push_back(std::move(l));
        do {
          LASER_ASSIGN_OR_RETURN(auto a, ParseExpr());
          e->args.push_back(std::move(a));
        } while (AcceptSymbol(","));
        LASER_RETURN_IF_ERROR(ExpectSymbol(")"));
        l = std::move(e);
        continue;
      }
      if (IsWord("between")) {
        auto e = std::make_unique<Expr>();
        e->kind = ExprKind::kBetween;
        e->pos = t.offset;
        e->negated = negated;
        ++i_;
        LASER_ASSIGN_OR_RETURN(auto lo, ParseConcat());
        LASER_RETURN_IF_ERROR(ExpectWord("and"));
        LASER_ASSIGN_OR_RETURN(auto hi, ParseConcat());
        e->args.push_back(std::move(l));
        e->args.push_back(std::move(lo));
        e->args.push_back(std::move(hi));
        l = std::move(e);
        continue;
      }
      if (IsWord("like")) {
        const size_t p = Peek().offset;
        ++i_;
        LASER_ASSIGN_OR_RETURN(auto r, ParseConcat());
        l = MakeBinary("LIKE", p, std::move(l), std::move(r));
        if (negated) {
          auto n = std::make_unique<Expr>();
          n->kind = ExprKind::kUnary;
          n->name = "NOT";
          n->pos = t.offset;
          n->args.push_back(std::move(l));
          l = std::move(n);
        }
        continue;
      }
      i_ = save;
      break;
    }
    return l;
  }

  Result<ExprPtr> ParseConcat() {
    LASER_ASSIGN_OR_RETURN(auto l, ParseAdditive());
    while (IsSymbol("||")) {
      const size_t p = Peek().offset;
      ++i_;
      LASER_ASSIGN_OR_RETURN(auto r, ParseAdditive());
      l = MakeBinary("||", p, std::move(l), std::move(r));
    }
    return l;
  }

  Result<ExprPtr> ParseAdditive() {
    LASER_ASSIGN_OR_RETURN(auto l, ParseMultiplicative());
    while (IsSymbol("+") || IsSymbol("-")) {
      const Token& t = Peek();
      ++i_;
      LASER_ASSIGN_OR_RETURN(auto r, ParseMultiplicative());
      l = MakeBinary(t.text, t.offset, std::move(l), std::move(r));
    }
    return l;
  }

  Result<ExprPtr> ParseMultiplicative() {
    LASER_ASSIGN_OR_RETURN(auto l, ParseUnary());
    while (IsSymbol("*") || IsSymbol("/") || IsSymbol("%")) {
      const Token& t = Peek();
      ++i_;
      LASER_ASSIGN_OR_RETURN(auto r, ParseUnary());
      l = MakeBinary(t.text, t.offset, std::move(l), std::move(r));
    }
    return l;
  }

  Result<ExprPtr> ParseUnary() {
    if (IsSymbol("-") || IsSymbol("+")) {
      const Token& t = Peek();
      ++i_;
      LASER_ASSIGN_OR_RETURN(auto a, ParseUnary());
      if (t.text == "+") return a;
      // Folded here so that -9223372036854775808 is a valid I64 literal.
      if (a->kind == ExprKind::kLiteral && !a->is_bool) {
        if (auto* u = std::get_if<uint64_t>(&a->literal.v)) {
          if (*u <= static_cast<uint64_t>(INT64_MAX) + 1) {
            a->literal = Value::Int(static_cast<int64_t>(0 - *u));
            a->pos = t.offset;
            return a;
          }
        } else if (auto* d = std::get_if<double>(&a->literal.v)) {
          a->literal = Value::Float(-*d);
          a->pos = t.offset;
          return a;
        }
      }
      auto e = std::make_unique<Expr>();
      e->kind = ExprKind::kUnary;
      e->name = "-";
      e->pos = t.offset;
      e->args.push_back(std::move(a));
      return e;
    }
    return ParsePrimary();
  }

  Result<ExprPtr> ParsePrimary() {
    const Token& t = Peek();
    auto e = std::make_unique<Expr>();
    e->pos = t.offset;
    switch (t.kind) {
      case TokenKind::kInteger: {
        uint64_t u = 0;
        auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), u);
        if (ec != std::errc() || p != t.text.data() + t.text.size()) {
          // Beyond 64 bits: kept as a double, as SQLite does.
          e->literal = Value::Float(std::strtod(t.text.c_str(), nullptr));
        } else {
          e->literal = Value::UInt(u);
        }
        ++i_;
        return e;
      }
      case TokenKind::kFloat:
        e->literal = Value::Float(std::strtod(t.text.c_str(), nullptr));
        ++i_;
        return e;
      case TokenKind::kString:
        e->literal = Value::String(t.text);
        ++i_;
        return e;
      case TokenKind::kParam:
        e->kind = ExprKind::kParam;
        e->param_index = params_++;
        ++i_;
        return e;
      case TokenKind::kQuotedIdent:
        return ParseColumnRef();
      case TokenKind::kSymbol:
        if (t.text == "(") {
          ++i_;
          if (IsWord("select")) {
            e->kind = ExprKind::kSubquery;
            LASER_ASSIGN_OR_RETURN(e->subquery, ParseSelect());
            LASER_RETURN_IF_ERROR(ExpectSymbol(")"));
            return e;
          }
          LASER_ASSIGN_OR_RETURN(auto inner, ParseExpr());
          LASER_RETURN_IF_ERROR(ExpectSymbol(")"));
          return inner;
        }
        if (t.text == "[") {
          ++i_;
          e->kind = ExprKind::kArray;
          if (!IsSymbol("]")) {
            do {
              LASER_ASSIGN_OR_RETURN(auto a, ParseExpr());
              e->args.push_back(std::move(a));
            } while (AcceptSymbol(","));
          }
          LASER_RETURN_IF_ERROR(ExpectSymbol("]"));
          return e;
        }
        return Expected("an expression");
      case TokenKind::kIdent:
        break;
      case TokenKind::kEnd:
        return Expected("an expression");
    }
    // Identifiers and keyword-led expressions.
    if (IsWord("null")) {
      ++i_;
      return e;
    }
    if (IsWord("true") || IsWord("false")) {
      e->literal = Value::Int(IsWord("true") ? 1 : 0);
      e->is_bool = true;
      ++i_;
      return e;
    }
    if (IsWord("timestamp") && Peek(1).kind == TokenKind::kString) {
      e->kind = ExprKind::kTimestamp;
      e->name = Peek(1).text;
      i_ += 2;
      return e;
    }
    if (IsWord("case")) return ParseCase();
    if (IsWord("cast") && IsSymbol("(", 1)) {
      i_ += 2;
      e->kind = ExprKind::kCast;
      LASER_ASSIGN_OR_RETURN(auto a, ParseExpr());
      e->args.push_back(std::move(a));
      LASER_RETURN_IF_ERROR(ExpectWord("as"));
      LASER_ASSIGN_OR_RETURN(e->cast_type, ParseTypeSpec());
      LASER_RETURN_IF_ERROR(ExpectSymbol(")"));
      return e;
    }
    if (IsSymbol("(", 1) && !IsReserved(t.text)) {
      e->kind = ExprKind::kFunction;
      e->name = Lower(t.text);
      i_ += 2;
      if (AcceptSymbol("*")) {
        auto star = std::make_unique<Expr>();
        star->kind = ExprKind::kStar;
        star->pos = t_[i_ - 1].offset;
        e->args.push_back(std::move(star));
      } else if (!IsSymbol(")")) {
        e->distinct = AcceptWord("distinct");
        do {
          LASER_ASSIGN_OR_RETURN(auto a, ParseExpr());
          e->args.push_back(std::move(a));
        } while (AcceptSymbol(","));
      }
      LASER_RETURN_IF_ERROR(ExpectSymbol(")"));
      return e;
    }
    if (IsReserved(t.text)) return Expected("an expression");
    return ParseColumnRef();
  }

  Result<ExprPtr> ParseColumnRef() {
    auto e = std::make_unique<Expr>();
    e->kind = ExprKind::kColumn;
    e->pos = Peek().offset;
    LASER_ASSIGN_OR_RETURN(e->name, ParseIdent("a column name"));
    if (IsSymbol(".")) {
      ++i_;
      e->table = std::move(e->name);
      if (IsSymbol("*")) {
        ++i_;
        e->kind = ExprKind::kStar;
        return e;
      }
      LASER_ASSIGN_OR_RETURN(e->name, ParseIdent("a column name"));
    }
    return e;
  }

  Result<ExprPtr> ParseCase() {
    auto e = std::make_unique<Expr>();
    e->kind = ExprKind::kCase;
    e->pos = Peek().offset;
    ++i_;  // CASE
    if (!IsWord("when")) {
      e->has_operand = true;
      LASER_ASSIGN_OR_RETURN(auto op, ParseExpr());
      e->args.push_back(std::move(op));
    }
    if (!IsWord("when")) return Expected("WHEN");
    while (AcceptWord("when")) {
      LASER_ASSIGN_OR_RETURN(auto w, ParseExpr());
      LASER_RETURN_IF_ERROR(ExpectWord("then"));
      LASER_ASSIGN_OR_RETURN(auto th, ParseExpr());
      e->args.push_back(std::move(w));
      e->args.push_back(std::move(th));
    }
    if (AcceptWord("else")) {
      e->has_else = true;
      LASER_ASSIGN_OR_RETURN(auto el, ParseExpr());
      e->args.push_back(std::move(el));
    }
    LASER_RETURN_IF_ERROR(ExpectWord("end"));
    return e;
  }

  std::string_view src_;
  std::vector<Token> t_;
  size_t i_ = 0;
  int params_ = 0;
};

std::string QuoteIdent(const std::string& s) {
  bool plain = !s.empty() && !IsReserved(s) &&
               (std::isalpha(static_cast<unsigned char>(s[0])) != 0 || s[0] == '_');
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_') plain = false;
  }
  if (plain) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string QuoteString(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace

std::string ToSql(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kLiteral:
      if (e.literal.is_null()) return "NULL";
      if (e.is_bool) return std::get<int64_t>(e.literal.v) != 0 ? "true" : "false";
      if (const auto* s = std::get_if<std::string>(&e.literal.v)) return QuoteString(*s);
      if (std::holds_alternative<double>(e.literal.v)) {
        std::string t = e.literal.ToString();
        // Keeps 7.0 apart from the integer 7.
        if (t.find_first_of(".eEn") == std::string::npos) t += ".0";
        return t;
      }
      return e.literal.ToString();
    case ExprKind::kTimestamp:
      return "TIMESTAMP " + QuoteString(e.name);
    case ExprKind::kColumn:
      return e.table.empty() ? QuoteIdent(e.name) : QuoteIdent(e.table) + "." + QuoteIdent(e.name);
    case ExprKind::kStar:
      return e.table.empty() ? "*" : QuoteIdent(e.table) + ".*";
    case ExprKind::kParam:
      return "?";
    case ExprKind::kUnary:
      return e.name == "NOT" ? "(NOT " + ToSql(*e.args[0]) + ")" : "(-" + ToSql(*e.args[0]) + ")";
    case ExprKind::kBinary:
      return "(" + ToSql(*e.args[0]) + " " + e.name + " " + ToSql(*e.args[1]) + ")";
    case ExprKind::kFunction: {
      std::string s = e.name + "(";
      if (e.distinct) s += "DISTINCT ";
      for (size_t i = 0; i < e.args.size(); ++i) {
        if (i > 0) s += ", ";
        s += ToSql(*e.args[i]);
      }
      return s + ")";
    }
    case ExprKind::kCase: {
      std::string s = "CASE";
      size_t i = 0;
      if (e.has_operand) s += " " + ToSql(*e.args[i++]);
      const size_t pairs_end = e.args.size() - (e.has_else ? 1 : 0);
      for (; i < pairs_end; i += 2) {
        s += " WHEN " + ToSql(*e.args[i]) + " THEN " + ToSql(*e.args[i + 1]);
      }
      if (e.has_else) s += " ELSE " + ToSql(*e.args.back());
      return s + " END";
    }
    case ExprKind::kCast: {
      std::string t = TypeName(e.cast_type.type);
      if (e.cast_type.type == Type::kTimestamp) {
        t += std::string("(") + TimeUnitName(e.cast_type.unit) + ")";
      }
      return "CAST(" + ToSql(*e.args[0]) + " AS " + t + ")";
    }
    case ExprKind::kIn: {
      std::string s = "(" + ToSql(*e.args[0]) + (e.negated ? " NOT IN (" : " IN (");
      for (size_t i = 1; i < e.args.size(); ++i) {
        if (i > 1) s += ", ";
        s += ToSql(*e.args[i]);
      }
      return s + "))";
    }
    case ExprKind::kBetween:
      return "(" + ToSql(*e.args[0]) + (e.negated ? " NOT BETWEEN " : " BETWEEN ") +
             ToSql(*e.args[1]) + " AND " + ToSql(*e.args[2]) + ")";
    case ExprKind::kIsNull:
      return "(" + ToSql(*e.args[0]) + (e.negated ? " IS NOT NULL)" : " IS NULL)");
    case ExprKind::kArray: {
      std::string s = "[";
      for (size_t i = 0; i < e.args.size(); ++i) {
        if (i > 0) s += ", ";
        s += ToSql(*e.args[i]);
      }
      return s + "]";
    }
    case ExprKind::kSubquery:
      return "(SELECT ...)";
  }
  return "?";
}

Result<std::vector<Statement>> Parse(std::string_view source) {
  LASER_ASSIGN_OR_RETURN(auto toks, Lex(source));
  Parser p(source, std::move(toks));
  return p.ParseAll();
}

Result<TypeSpec> ParseType(std::string_view text) {
  LASER_ASSIGN_OR_RETURN(auto toks, Lex(text));
  Parser p(text, std::move(toks));
  return p.ParseTypeOnly();
}

}  // namespace laser::sql
