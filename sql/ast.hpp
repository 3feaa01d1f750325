// Abstract syntax tree of Laser's query dialect, as produced by the parser.
// Every node records the byte offset of its first token so that binder errors
// can point at it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "laser/schema.hpp"

namespace laser::sql {

struct Select;

enum class ExprKind : uint8_t {
  kLiteral,    // literal: NULL, integer, float, string, TRUE/FALSE
  kTimestamp,  // TIMESTAMP 'text': text in `name`
  kColumn,     // [table.]name
  kStar,       // * (only in a select list or count(*))
  kParam,      // ? with param_index
  kUnary,      // op in `name`: "-", "NOT"
  kBinary,     // op in `name`: + - * / % || = <> < <= > >= AND OR LIKE
  kFunction,   // name(args), distinct for count(DISTINCT x), star for count(*)
  kCase,       // args: [operand?] when,then pairs [else?]; see has_operand/has_else
  kCast,       // CAST(args[0] AS cast_type)
  kIn,         // args[0] [NOT] IN (args[1..])
  kBetween,    // args[0] [NOT] BETWEEN args[1] AND args[2]
  kIsNull,     // args[0] IS [NOT] NULL
  kArray,      // [a, b, ...]
  kSubquery,   // (SELECT ...)
};

struct TypeSpec {
  Type type = Type::kI64;
  TimeUnit unit = TimeUnit::kMillisecond;
  std::vector<std::string> enum_values;
};

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  size_t pos = 0;
  Value literal;         // kLiteral
  bool is_bool = false;  // kLiteral written as TRUE/FALSE
  std::string name;      // column, function or operator name, timestamp text
  std::string table;     // column qualifier, or empty
  std::vector<std::unique_ptr<Expr>> args;
  bool negated = false;   // NOT IN, NOT BETWEEN, IS NOT NULL, NOT LIKE
  bool distinct = false;  // count(DISTINCT x)
  bool has_operand = false;
  bool has_else = false;
  int param_index = -1;
  TypeSpec cast_type;
  std::shared_ptr<Select> subquery;
};
using ExprPtr = std::unique_ptr<Expr>;

// Canonical SQL text of an expression: used for default column names and to
// match GROUP BY expressions against the select list.
std::string ToSql(const Expr& e);

struct SelectItem {
  ExprPtr expr;
  std::string alias;  // empty if none
};

struct OrderItem {
  ExprPtr expr;
  bool desc = false;
};

// A named argument of a table function: `name => value`.
struct NamedArg {
  std::string name;
  size_t pos = 0;
  ExprPtr value;
};

struct TableRef {
  enum class Kind : uint8_t { kNone, kTable, kFunction } kind = Kind::kNone;
  std::string name;  // table or function name
  std::string alias;
  size_t pos = 0;
  std::vector<ExprPtr> args;  // positional function arguments
  std::vector<NamedArg> named_args;
};

struct Select {
  size_t pos = 0;
  std::vector<SelectItem> items;
  TableRef from;
  ExprPtr where;
  ExprPtr last_n;  // LAST n: per-user newest rows after WHERE
  std::vector<ExprPtr> group_by;
  ExprPtr having;
  std::vector<OrderItem> order_by;
  ExprPtr limit;
  ExprPtr offset;
};

struct ColumnDef {
  std::string name;
  size_t pos = 0;
  TypeSpec type;
  bool partition_key = false;
  bool order_key = false;
  bool not_null = false;
  ExprPtr default_value;
};

// `key = value` in WITH (...) and COPY (...) option lists. COPY's COLUMNS
// option carries its names in `names`.
struct OptionItem {
  std::string key;  // lower case
  size_t pos = 0;
  ExprPtr value;  // null when the option is given as a bare word or a list
  std::vector<std::string> names;
  std::vector<size_t> name_pos;  // offset of each of `names`
  std::string word;              // `FORMAT csv`: the bare word
};

enum class StmtKind : uint8_t {
  kSelect,
  kCreateTable,
  kDropTable,
  kAlterAddColumn,
  kInsert,
  kCopyFrom,
  kCopyTo,
  kShowTables,
  kShowModels,
  kDescribe,
  kExplain,
  kCreateModel,
  kDropModel,
};

struct Statement {
  StmtKind kind = StmtKind::kSelect;
  size_t pos = 0;      // first token
  size_t end_pos = 0;  // one past the last token
  std::string name;    // table or model name
  size_t name_pos = 0;
  bool if_exists = false;           // DROP ... IF EXISTS
  bool if_not_exists = false;       // CREATE ... IF NOT EXISTS
  std::shared_ptr<Select> select;   // kSelect, kCopyTo
  std::vector<ColumnDef> columns;   // kCreateTable, kAlterAddColumn (one)
  std::vector<OptionItem> options;  // WITH (...), COPY (...)
  std::vector<std::string> insert_columns;
  std::vector<size_t> insert_column_pos;
  std::vector<std::vector<ExprPtr>> rows;  // INSERT ... VALUES
  std::string path;                        // COPY file, CREATE MODEL file
  bool analyze = false;                    // EXPLAIN ANALYZE
  std::unique_ptr<Statement> inner;        // EXPLAIN's statement
  int num_params = 0;                      // ? placeholders in the statement
};

}  // namespace laser::sql
