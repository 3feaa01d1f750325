// Lexer and parser: every statement of the dialect parses, errors carry
// line:column and a caret under the offending token.
#include "sql/parser.hpp"

#include <doctest/doctest.h>

#include "sql/lexer.hpp"

using laser::sql::ExprKind;
using laser::sql::Parse;
using laser::sql::StmtKind;

TEST_CASE("every statement kind parses") {
  const char* sql = R"(
    -- a line comment
    CREATE TABLE events (
      user_id U64 PARTITION KEY, ts TIMESTAMP(ms) ORDER KEY,
      item_id U64, action ENUM('pv','buy','cart','fav'), category U32, dwell F32 DEFAULT 1.5
    ) WITH (max_events = 100000, ttl = '30d');
    /* a block
       comment */
    INSERT INTO events VALUES (1, 1700000000000, 42, 'pv', 7, 3.5), (2, 1, 2, 'buy', 3, NULL);
    INSERT INTO events (user_id, ts) VALUES (1, 2);
    COPY events FROM 'UserBehavior.csv' (FORMAT csv, HEADER false,
         COLUMNS (user_id, item_id, category, action, ts), TIME_UNIT 's', NULL 'NA', DELIMITER ',');
    COPY (SELECT * FROM events) TO 'out.jsonl' (FORMAT jsonl);
    SELECT item_id, action, ts FROM events WHERE user_id = 42 LAST 1000;
    SELECT action, count(*), count(DISTINCT item_id) FROM events
      WHERE user_id IN (1, 2, 3) AND ts >= TIMESTAMP '2017-11-25' GROUP BY action HAVING count(*) > 1
      ORDER BY 2 DESC LIMIT 10 OFFSET 2;
    SELECT CASE action WHEN 'pv' THEN 1 ELSE 0 END, CAST(dwell AS I64), x NOT BETWEEN 1 AND 2,
           y IS NOT NULL, z NOT IN (1), -a * (b + c) % 4, s || 't', s NOT LIKE 'a%' FROM t;
    CREATE MODEL ranker FROM 'laser.safetensors';
    SELECT target, score FROM SCORE(ranker, events, user => 42, targets => [101, 102, 103])
      ORDER BY score DESC LIMIT 10;
    SELECT * FROM SCORE(ranker, events, users => [1, 2], targets => (SELECT item_id FROM events LAST 5),
                        method => 'full');
    DROP MODEL IF EXISTS ranker; SHOW MODELS; SHOW TABLES; DESCRIBE events;
    ALTER TABLE events ADD COLUMN score F64 DEFAULT 0;
    EXPLAIN ANALYZE SELECT count(*) FROM events;
    DROP TABLE IF EXISTS events;
  )";
  auto r = Parse(sql);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  const std::vector<StmtKind> kinds = {
      StmtKind::kCreateTable, StmtKind::kInsert,     StmtKind::kInsert,   StmtKind::kCopyFrom,
      StmtKind::kCopyTo,      StmtKind::kSelect,     StmtKind::kSelect,   StmtKind::kSelect,
      StmtKind::kCreateModel, StmtKind::kSelect,     StmtKind::kSelect,   StmtKind::kDropModel,
      StmtKind::kShowModels,  StmtKind::kShowTables, StmtKind::kDescribe, StmtKind::kAlterAddColumn,
      StmtKind::kExplain,     StmtKind::kDropTable};
  REQUIRE(r->size() == kinds.size());
  for (size_t i = 0; i < kinds.size(); ++i) CHECK((*r)[i].kind == kinds[i]);
  const auto& create = (*r)[0];
  REQUIRE(create.columns.size() == 6);
  CHECK(create.columns[0].partition_key);
  CHECK(create.columns[1].order_key);
  CHECK(create.columns[1].type.unit == laser::TimeUnit::kMillisecond);
  CHECK(create.columns[3].type.enum_values.size() == 4);
  CHECK(create.options.size() == 2);
  CHECK((*r)[1].rows.size() == 2);
  CHECK((*r)[3].options.size() == 6);
  CHECK((*r)[5].select->last_n != nullptr);
  const auto& score = *(*r)[9].select;
  CHECK(score.from.kind == laser::sql::TableRef::Kind::kFunction);
  CHECK(score.from.args.size() == 2);
  REQUIRE(score.from.named_args.size() == 2);
  CHECK(score.from.named_args[1].value->kind == ExprKind::kArray);
  CHECK((*r)[10].select->from.named_args[1].value->kind == ExprKind::kSubquery);
  CHECK((*r)[16].analyze);
}

TEST_CASE("parameters are numbered in order") {
  auto r = Parse("SELECT * FROM t WHERE a = ? AND b IN (?, ?) LIMIT ?");
  REQUIRE(r.ok());
  CHECK((*r)[0].num_params == 4);
}

TEST_CASE("syntax errors give line:column, what was expected and a caret") {
  auto r = Parse("SELECT a,\n  b FROM t WHERE\n  c = = 1");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() ==
        "syntax error at 3:7: expected an expression, found '='\n"
        "LINE 3:   c = = 1\n"
        "              ^");
  auto r2 = Parse("CREATE TABLE t (a U64 PARTITION KEY");
  REQUIRE_FALSE(r2.ok());
  CHECK(r2.status().message().find("expected ')', found the end of the input") !=
        std::string::npos);
  auto r3 = Parse("SELECT 'abc");
  REQUIRE_FALSE(r3.ok());
  CHECK(r3.status().message().find("1:8: unterminated string literal") != std::string::npos);
  auto r4 = Parse("SELECT a FROM t LAST 1 LAST 2");
  REQUIRE_FALSE(r4.ok());
  CHECK(r4.status().message().find("LAST is given twice") != std::string::npos);
}

TEST_CASE("caret line handles the first and last character") {
  CHECK(laser::sql::CaretLine("abc", 0) == "LINE 1: abc\n        ^");
  CHECK(laser::sql::CaretLine("abc", 3) == "LINE 1: abc\n           ^");
  CHECK(laser::sql::CaretLine("x\nyz", 3) == "LINE 2: yz\n         ^");
}

TEST_CASE("ToSql is canonical and re-parses to the same text") {
  auto r = Parse(
      "SELECT -(a+1)*2.0, count(DISTINCT b), CASE WHEN x THEN 'it''s' END, c NOT IN (1,2) FROM t");
  REQUIRE(r.ok());
  for (const auto& item : (*r)[0].select->items) {
    const std::string text = laser::sql::ToSql(*item.expr);
    auto again = Parse("SELECT " + text);
    REQUIRE_MESSAGE(again.ok(), text);
    CHECK(laser::sql::ToSql(*(*again)[0].select->items[0].expr) == text);
  }
}

TEST_CASE("negative literals fold, including INT64_MIN") {
  auto r = Parse("SELECT -9223372036854775808, -1.5");
  REQUIRE(r.ok());
  const auto& items = (*r)[0].select->items;
  CHECK(items[0].expr->literal == laser::Value::Int(INT64_MIN));
  CHECK(items[1].expr->literal == laser::Value::Float(-1.5));
}
