// Statement splitting: where a statement ends, what a dot-command is, and the
// line each unit starts on.
#include "shell/splitter.hpp"

#include <doctest/doctest.h>

#include <vector>

namespace laser::shell {
namespace {

std::vector<Unit> Split(const std::vector<std::string>& lines, bool finish = true) {
  StatementSplitter s;
  std::vector<Unit> out;
  for (const std::string& l : lines) {
    s.AddLine(l);
    while (std::optional<Unit> u = s.Next()) out.push_back(*u);
  }
  if (finish) {
    if (std::optional<Unit> u = s.Finish()) out.push_back(*u);
  }
  return out;
}

TEST_CASE("statements end at semicolons, several per line or one over several lines") {
  auto u = Split({"SELECT 1; SELECT 2;", "SELECT", "  3", ";"});
  REQUIRE(u.size() == 3);
  CHECK(u[0].text == "SELECT 1");
  CHECK(u[0].line == 1);
  CHECK(u[1].text == "SELECT 2");
  CHECK(u[1].line == 1);
  CHECK(u[2].text == "SELECT\n  3");
  CHECK(u[2].line == 2);
}

TEST_CASE("semicolons inside quotes and comments do not end a statement") {
  auto u = Split({"SELECT 'a;b', \"c;d\" -- e;f", "/* g; */ FROM t;"});
  REQUIRE(u.size() == 1);
  CHECK(u[0].text == "SELECT 'a;b', \"c;d\" -- e;f\n/* g; */ FROM t");
  auto v = Split({"SELECT 'it''s; fine';"});
  REQUIRE(v.size() == 1);
  CHECK(v[0].text == "SELECT 'it''s; fine'");
}

TEST_CASE("a quote or block comment left open keeps the statement pending") {
  StatementSplitter s;
  s.AddLine("SELECT 'abc");
  CHECK(s.pending());
  s.AddLine("def';");
  CHECK_FALSE(s.pending());
  std::optional<Unit> u = s.Next();
  REQUIRE(u);
  CHECK(u->text == "SELECT 'abc\ndef'");
  s.AddLine("/* open");
  CHECK(s.pending());
  s.AddLine("still */");
  CHECK_FALSE(s.pending());
  CHECK_FALSE(s.Next());
}

TEST_CASE("dot-commands are recognised only at the start of a statement") {
  auto u = Split({".mode csv", "  .headers on", "SELECT", ".5;", ".tables"});
  REQUIRE(u.size() == 4);
  CHECK(u[0].kind == Unit::Kind::kDot);
  CHECK(u[0].text == ".mode csv");
  CHECK(u[1].kind == Unit::Kind::kDot);
  CHECK(u[1].text == ".headers on");
  CHECK(u[1].line == 2);
  CHECK(u[2].kind == Unit::Kind::kSql);
  CHECK(u[2].text == "SELECT\n.5");
  CHECK(u[3].kind == Unit::Kind::kDot);
  CHECK(u[3].line == 5);
}

TEST_CASE("comment-only and empty statements produce nothing; start lines skip them") {
  auto u = Split({"-- header comment", "", ";;", "/* a", "b */", "  SELECT 1 -- trailing", ";"});
  REQUIRE(u.size() == 1);
  CHECK(u[0].text == "SELECT 1 -- trailing");
  CHECK(u[0].line == 6);
  CHECK(Split({"-- only a comment"}).empty());
}

TEST_CASE("Finish returns an unterminated last statement, and Reset drops it") {
  auto u = Split({"SELECT 1;", "SELECT 2"});
  REQUIRE(u.size() == 2);
  CHECK(u[1].text == "SELECT 2");
  StatementSplitter s;
  s.AddLine("SELECT 'x");
  s.Reset();
  CHECK_FALSE(s.pending());
  s.AddLine("SELECT 3;");
  std::optional<Unit> v = s.Next();
  REQUIRE(v);
  CHECK(v->text == "SELECT 3");
}

}  // namespace
}  // namespace laser::shell
