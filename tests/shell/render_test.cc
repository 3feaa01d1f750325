// Output modes: the exact text of every mode, escaping, headers and NULLs.
#include <doctest/doctest.h>

#include <sstream>

#include "shell/render/cell.hpp"
#include "shell/render/renderer.hpp"

namespace laser::shell {
namespace {

Cell Num(std::string s) { return Cell{std::move(s), CellKind::kNumber}; }
Cell Text(std::string s) { return Cell{std::move(s), CellKind::kText}; }
Cell Null() { return Cell{"", CellKind::kNull}; }

std::string Render(OutputMode mode, const std::vector<std::string>& names,
                   const std::vector<std::vector<Cell>>& rows, bool headers = true,
                   std::optional<std::string> null_text = std::nullopt) {
  std::ostringstream out;
  RenderOptions o;
  o.headers = headers;
  o.null_text = std::move(null_text);
  auto r = MakeRenderer(mode, o, out);
  r->Begin(names);
  for (const auto& row : rows) r->Row(row);
  r->End();
  return out.str();
}

const std::vector<std::string> kNames = {"id", "name", "score"};
const std::vector<std::vector<Cell>> kRows = {
    {Num("1"), Text("alice"), Num("0.5")},
    {Num("22"), Null(), Num("-3.25")},
};

TEST_CASE("box mode draws Unicode boxes, centres headers and right-aligns numbers") {
  CHECK(Render(OutputMode::kBox, kNames, kRows) ==
        "┌────┬───────┬───────┐\n"
        "│ id │ name  │ score │\n"
        "├────┼───────┼───────┤\n"
        "│  1 │ alice │   0.5 │\n"
        "│ 22 │ NULL  │ -3.25 │\n"
        "└────┴───────┴───────┘\n");
}

TEST_CASE("table mode is box mode in ASCII, and headers can be turned off") {
  CHECK(Render(OutputMode::kTable, kNames, kRows) ==
        "+----+-------+-------+\n"
        "| id | name  | score |\n"
        "+----+-------+-------+\n"
        "|  1 | alice |   0.5 |\n"
        "| 22 | NULL  | -3.25 |\n"
        "+----+-------+-------+\n");
  CHECK(Render(OutputMode::kTable, {"a"}, {{Text("xyz")}}, /*headers=*/false) ==
        "+-----+\n"
        "| xyz |\n"
        "+-----+\n");
}

TEST_CASE("box widths count terminal columns of UTF-8 text and escape newlines") {
  CHECK(DisplayWidth("héllo") == 5);
  CHECK(DisplayWidth("日本") == 4);
  CHECK(Render(OutputMode::kBox, {"s"}, {{Text("日本")}, {Text("a\nb")}}) ==
        "┌──────┐\n"
        "│  s   │\n"
        "├──────┤\n"
        "│ 日本 │\n"
        "│ a\\nb │\n"
        "└──────┘\n");
}

TEST_CASE("an empty result still shows its columns in box mode") {
  CHECK(Render(OutputMode::kBox, {"a", "b"}, {}) ==
        "┌───┬───┐\n"
        "│ a │ b │\n"
        "├───┼───┤\n"
        "└───┴───┘\n");
}

TEST_CASE("csv quotes only what needs it and doubles quotes") {
  CHECK(Render(OutputMode::kCsv, kNames, kRows) == "id,name,score\n1,alice,0.5\n22,,-3.25\n");
  CHECK(Render(OutputMode::kCsv, {"s"},
               {{Text("a,b")},
                {Text("say \"hi\"")},
                {Text("two\nlines")},
                {Text(" pad")},
                {Text("plain")}},
               /*headers=*/false) ==
        "\"a,b\"\n\"say \"\"hi\"\"\"\n\"two\nlines\"\n\" pad\"\nplain\n");
}

TEST_CASE("tsv escapes tabs, newlines and backslashes") {
  CHECK(Render(OutputMode::kTsv, {"a", "b"}, {{Text("x\ty"), Text("c:\\d\n")}}) ==
        "a\tb\nx\\ty\tc:\\\\d\\n\n");
}

TEST_CASE("list mode is sqlite3's: '|' between raw values") {
  CHECK(Render(OutputMode::kList, kNames, kRows, /*headers=*/false) == "1|alice|0.5\n22||-3.25\n");
  CHECK(Render(OutputMode::kList, kNames, kRows, true, "-") ==
        "id|name|score\n1|alice|0.5\n22|-|-3.25\n");
}

TEST_CASE("json is one array in sqlite3's layout; jsonl one object per line") {
  CHECK(Render(OutputMode::kJson, kNames, kRows) ==
        "[{\"id\":1,\"name\":\"alice\",\"score\":0.5},\n"
        "{\"id\":22,\"name\":null,\"score\":-3.25}]\n");
  CHECK(Render(OutputMode::kJsonl, kNames, kRows) ==
        "{\"id\":1,\"name\":\"alice\",\"score\":0.5}\n"
        "{\"id\":22,\"name\":null,\"score\":-3.25}\n");
  CHECK(Render(OutputMode::kJson, kNames, {}) == "[]\n");
}

TEST_CASE("json escapes strings and turns non-finite numbers into null") {
  CHECK(JsonQuote("a\"b\\c\n\x01") == "\"a\\\"b\\\\c\\n\\u0001\"");
  CHECK(Render(OutputMode::kJsonl, {"q\"k", "x"}, {{Text("tab\there"), Num("nan")}}) ==
        "{\"q\\\"k\":\"tab\\there\",\"x\":null}\n");
}

TEST_CASE("markdown pads cells, centres headers and escapes pipes") {
  CHECK(Render(OutputMode::kMarkdown, kNames, kRows) ==
        "| id | name  | score |\n"
        "|----|-------|-------|\n"
        "|  1 | alice |   0.5 |\n"
        "| 22 | NULL  | -3.25 |\n");
  CHECK(Render(OutputMode::kMarkdown, {"a"}, {{Text("x|y")}}) ==
        "|  a   |\n"
        "|------|\n"
        "| x\\|y |\n");
}

TEST_CASE("line mode aligns names (at least 5 wide) and separates rows") {
  CHECK(Render(OutputMode::kLine, kNames, kRows) ==
        "   id = 1\n"
        " name = alice\n"
        "score = 0.5\n"
        "\n"
        "   id = 22\n"
        " name = NULL\n"
        "score = -3.25\n");
}

TEST_CASE("mode names parse case-insensitively, with aliases") {
  CHECK(ParseOutputMode("BOX") == OutputMode::kBox);
  CHECK(ParseOutputMode("tabs") == OutputMode::kTsv);
  CHECK(ParseOutputMode("ndjson") == OutputMode::kJsonl);
  CHECK_FALSE(ParseOutputMode("html").has_value());
  for (const char* m :
       {"box", "table", "markdown", "csv", "tsv", "list", "json", "jsonl", "line"}) {
    REQUIRE(ParseOutputMode(m).has_value());
    CHECK(std::string(OutputModeName(*ParseOutputMode(m))) == m);
  }
}

Column Col(Type t, TimeUnit unit = TimeUnit::kMillisecond, std::vector<std::string> labels = {}) {
  Column c;
  c.name = "c";
  c.type = t;
  c.unit = unit;
  c.enum_values = std::move(labels);
  return c;
}

TEST_CASE("cells format each type the way a reader expects") {
  const Column f32 = Col(Type::kF32);
  ColumnVector fv(Type::kF32);
  fv.Append(Value::Float(static_cast<double>(0.1f)));
  fv.Append(Value::Float(3.0));
  fv.Append(Value::Null());
  CHECK(FormatCell(fv, 0, f32).text == "0.1");
  CHECK(FormatCell(fv, 1, f32).text == "3.0");
  CHECK(FormatCell(fv, 2, f32).kind == CellKind::kNull);

  const Column ts = Col(Type::kTimestamp, TimeUnit::kMillisecond);
  ColumnVector tv(Type::kTimestamp);
  tv.Append(Value::Int(1511539200000));  // 2017-11-24 16:00:00 UTC
  tv.Append(Value::Int(1511539200123));
  tv.Append(Value::Int(-1));
  CHECK(FormatCell(tv, 0, ts).text == "2017-11-24 16:00:00");
  CHECK(FormatCell(tv, 1, ts).text == "2017-11-24 16:00:00.123");
  CHECK(FormatCell(tv, 2, ts).text == "1969-12-31 23:59:59.999");
  CHECK(FormatTimestamp(1511539200, TimeUnit::kSecond) == "2017-11-24 16:00:00");

  const Column e = Col(Type::kEnum, TimeUnit::kMillisecond, {"pv", "buy"});
  ColumnVector ev(Type::kEnum);
  ev.Append(Value::Int(1));
  ev.Append(Value::Int(7));
  CHECK(FormatCell(ev, 0, e).text == "buy");
  CHECK(FormatCell(ev, 0, e).kind == CellKind::kText);
  CHECK(FormatCell(ev, 1, e).text == "7");

  const Column b = Col(Type::kBool);
  ColumnVector bv(Type::kBool);
  bv.Append(Value::Int(1));
  CHECK(FormatCell(bv, 0, b).text == "true");

  const Column u = Col(Type::kU64);
  ColumnVector uv(Type::kU64);
  uv.Append(Value::UInt(18446744073709551615ull));
  CHECK(FormatCell(uv, 0, u).text == "18446744073709551615");
  CHECK(FormatCell(uv, 0, u).kind == CellKind::kNumber);
}

}  // namespace
}  // namespace laser::shell
