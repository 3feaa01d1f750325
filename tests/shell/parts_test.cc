// Completion, the command line, the progress bar's text and .schema's DDL.
#include <doctest/doctest.h>
#include <unistd.h>

#include "shell/cli.hpp"
#include "shell/completion.hpp"
#include "shell/progress.hpp"
#include "shell/schema_text.hpp"

namespace laser::shell {
namespace {

CompletionCatalog Catalog() {
  CompletionCatalog c;
  c.tables.push_back({"events", {"user_id", "ts", "item_id", "action"}});
  c.tables.push_back({"users", {"user_id", "age"}});
  c.models.push_back("ranker");
  return c;
}

TEST_CASE("completion offers keywords in the case typed, tables, columns and models") {
  Completion c = Complete("SEL", true, Catalog());
  CHECK(c.word_start == 0);
  CHECK(c.candidates == std::vector<std::string>{"SELECT"});
  c = Complete("select * fr", true, Catalog());
  CHECK(c.word_start == 9);
  CHECK(c.candidates == std::vector<std::string>{"from"});
  c = Complete("SELECT * FROM ev", true, Catalog());
  CHECK(c.candidates == std::vector<std::string>{"events"});
  c = Complete("SELECT it", true, Catalog());
  CHECK(c.candidates == std::vector<std::string>{"item_id"});
  c = Complete("SELECT * FROM SCORE(ra", true, Catalog());
  CHECK(c.candidates == std::vector<std::string>{"ranker"});
  c = Complete("SELECT us", true, Catalog());
  CHECK(c.candidates == std::vector<std::string>{"user_id", "users"});
  CHECK(CommonPrefix(c.candidates) == "user");
  CHECK(Complete("SELECT ", true, Catalog()).candidates.empty());
}

TEST_CASE("completion of table.column and of dot-commands") {
  Completion c = Complete("SELECT events.a", true, Catalog());
  CHECK(c.word_start == 7);
  CHECK(c.candidates == std::vector<std::string>{"events.action"});
  c = Complete(".mo", true, Catalog());
  CHECK(c.candidates == std::vector<std::string>{".mode", ".models"});
  CHECK(Complete(".mo", false, Catalog()).candidates.empty());
}

CliParse Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "laser");
  return ParseCommandLine(static_cast<int>(args.size()), args.data());
}

TEST_CASE("the command line: database, -f, -c, --bail, --readonly, --mode") {
  CliParse p = Parse({"db", "-f", "a.sql", "-c", "SELECT 1", "-c", ".tables", "--bail",
                      "--readonly", "-m", "csv", "--header"});
  REQUIRE(p.options);
  CHECK(p.options->db_dir == "db");
  CHECK(p.options->files == std::vector<std::string>{"a.sql"});
  CHECK(p.options->commands == std::vector<std::string>{"SELECT 1", ".tables"});
  CHECK(p.options->bail);
  CHECK(p.options->readonly);
  CHECK(p.options->mode == OutputMode::kCsv);
  CHECK(p.options->headers == true);

  p = Parse({});
  REQUIRE(p.options);
  CHECK(p.options->db_dir.empty());
  CHECK_FALSE(p.options->mode.has_value());
  CHECK_FALSE(p.options->headers.has_value());
}

TEST_CASE("the command line rejects what cannot work, with exit code 2") {
  CHECK(Parse({"db", "--mode", "html"}).exit_code == 2);
  CHECK(Parse({"db", "--bogus"}).exit_code == 2);
  CHECK(Parse({"--readonly"}).exit_code == 2);
  CHECK(Parse({"db", "--header", "--no-header"}).exit_code == 2);
  CHECK_FALSE(Parse({"db", "extra"}).options.has_value());
}

TEST_CASE("the progress line has bar, percentage, amounts, rate and ETA") {
  Progress p{"COPY events", "B", 50'000'000, 200'000'000};
  const std::string s = ProgressBar::Format(p, 2.0, 100);
  CHECK(s.rfind("COPY events [", 0) == 0);
  CHECK(s.find(" 25%  50.0 MB/200 MB  25.0 MB/s  ETA 0:06") != std::string::npos);
  CHECK(s.size() <= 100);
  Progress q{"compaction", "blocks", 1500, 0};
  CHECK(ProgressBar::Format(q, 1.0, 80) == "compaction  1.5k blocks  1.5k blocks/s");
  CHECK(HumanCount(999, "B") == "999 B");
  CHECK(HumanCount(1234567, "rows") == "1.2M rows");
}

TEST_CASE("a progress bar on a pipe writes nothing") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  ProgressBar bar(fds[1]);
  CHECK_FALSE(bar.enabled());
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_CASE(".schema writes a CREATE TABLE that names keys, types and retention") {
  TableSchema t;
  t.name = "events";
  Column user;
  user.name = "user_id";
  user.type = Type::kU64;
  user.nullable = false;
  Column ts;
  ts.name = "ts";
  ts.type = Type::kTimestamp;
  ts.unit = TimeUnit::kSecond;
  ts.nullable = false;
  Column action;
  action.name = "action";
  action.type = Type::kEnum;
  action.enum_values = {"pv", "it's"};
  Column dwell;
  dwell.name = "dwell";
  dwell.type = Type::kF32;
  dwell.default_value = Value::Float(1.5);
  t.columns = {user, ts, action, dwell};
  t.partition_key = 0;
  t.order_key = 1;
  t.retention.max_events = 1000;
  CHECK(CreateTableSql(t) ==
        "CREATE TABLE events (\n"
        "  user_id U64 PARTITION KEY,\n"
        "  ts TIMESTAMP(s) ORDER KEY,\n"
        "  action ENUM('pv', 'it''s'),\n"
        "  dwell F32 DEFAULT 1.5\n"
        ") WITH (max_events = 1000);");
}

}  // namespace
}  // namespace laser::shell
