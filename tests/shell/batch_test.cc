// The `laser` binary driven through pipes, against the real engine: every
// output mode, errors and exit codes, --bail, -c, -f, .read nesting,
// .output, the catalog dot-commands and the transient database.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/shell/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace laser::shell {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() { path_ = laser::testing::NewTempDir("laser-batch-test-"); }
  ~TempDir() { fs::remove_all(path_); }
  std::string Path(const std::string& name) const { return (path_ / name).string(); }
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return Path(name);
  }
  std::string Read(const std::string& name) const {
    std::ifstream in(path_ / name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  fs::path path_;
};

ProcessResult Laser(std::vector<std::string> args, const std::string& input = "") {
  args.insert(args.begin(), LASER_SHELL_BINARY);
  return RunProcess(args, input);
}

const char* kSetup =
    "CREATE TABLE ev (user_id U64 PARTITION KEY, ts TIMESTAMP(ms) ORDER KEY, item U64,\n"
    "  action ENUM('pv', 'buy'), note STRING, w F64);\n"
    "INSERT INTO ev VALUES (1, 1511539200000, 10, 'pv', 'a,b', 0.5),\n"
    "  (1, 1511539201000, 11, 'buy', NULL, -2.0), (2, 1511539202500, 12, 'pv', 'x|y', 3.25);\n";

const char* kQuery = "SELECT user_id, ts, action, note, w FROM ev ORDER BY ts;\n";

std::string Mode(const TempDir& d, const std::string& mode, const std::string& extra = "") {
  ProcessResult r = Laser({d.Path("db"), "-m", mode}, std::string(kSetup) + extra + kQuery);
  INFO("stderr: ", r.err);
  CHECK(r.status == 0);
  return r.out;
}

TEST_CASE("every output mode through a pipe") {
  TempDir d;
  CHECK(Mode(d, "list") ==
        "1|2017-11-24 16:00:00|pv|a,b|0.5\n"
        "1|2017-11-24 16:00:01|buy||-2.0\n"
        "2|2017-11-24 16:00:02.500|pv|x|y|3.25\n");
  fs::remove_all(d.Path("db"));
  CHECK(Mode(d, "csv", ".headers on\n") ==
        "user_id,ts,action,note,w\n"
        "1,2017-11-24 16:00:00,pv,\"a,b\",0.5\n"
        "1,2017-11-24 16:00:01,buy,,-2.0\n"
        "2,2017-11-24 16:00:02.500,pv,x|y,3.25\n");
  fs::remove_all(d.Path("db"));
  CHECK(Mode(d, "tsv") ==
        "1\t2017-11-24 16:00:00\tpv\ta,b\t0.5\n"
        "1\t2017-11-24 16:00:01\tbuy\t\t-2.0\n"
        "2\t2017-11-24 16:00:02.500\tpv\tx|y\t3.25\n");
  fs::remove_all(d.Path("db"));
  CHECK(Mode(d, "box") ==
        "┌─────────┬─────────────────────────┬────────┬──────┬──────┐\n"
        "│ user_id │           ts            │ action │ note │  w   │\n"
        "├─────────┼─────────────────────────┼────────┼──────┼──────┤\n"
        "│       1 │ 2017-11-24 16:00:00     │ pv     │ a,b  │  0.5 │\n"
        "│       1 │ 2017-11-24 16:00:01     │ buy    │ NULL │ -2.0 │\n"
        "│       2 │ 2017-11-24 16:00:02.500 │ pv     │ x|y  │ 3.25 │\n"
        "└─────────┴─────────────────────────┴────────┴──────┴──────┘\n");
  fs::remove_all(d.Path("db"));
  CHECK(Mode(d, "table") ==
        "+---------+-------------------------+--------+------+------+\n"
        "| user_id |           ts            | action | note |  w   |\n"
        "+---------+-------------------------+--------+------+------+\n"
        "|       1 | 2017-11-24 16:00:00     | pv     | a,b  |  0.5 |\n"
        "|       1 | 2017-11-24 16:00:01     | buy    | NULL | -2.0 |\n"
        "|       2 | 2017-11-24 16:00:02.500 | pv     | x|y  | 3.25 |\n"
        "+---------+-------------------------+--------+------+------+\n");
  fs::remove_all(d.Path("db"));
  CHECK(Mode(d, "markdown") ==
        "| user_id |           ts            | action | note |  w   |\n"
        "|---------|-------------------------|--------|------|------|\n"
        "|       1 | 2017-11-24 16:00:00     | pv     | a,b  |  0.5 |\n"
        "|       1 | 2017-11-24 16:00:01     | buy    | NULL | -2.0 |\n"
        "|       2 | 2017-11-24 16:00:02.500 | pv     | x\\|y | 3.25 |\n");
  fs::remove_all(d.Path("db"));
  CHECK(Mode(d, "json") ==
        "[{\"user_id\":1,\"ts\":\"2017-11-24 16:00:00\",\"action\":\"pv\",\"note\":\"a,b\","
        "\"w\":0.5},\n"
        "{\"user_id\":1,\"ts\":\"2017-11-24 16:00:01\",\"action\":\"buy\",\"note\":null,"
        "\"w\":-2.0},\n"
        "{\"user_id\":2,\"ts\":\"2017-11-24 16:00:02.500\",\"action\":\"pv\",\"note\":\"x|y\","
        "\"w\":3.25}]\n");
  fs::remove_all(d.Path("db"));
  CHECK(Mode(d, "jsonl") ==
        "{\"user_id\":1,\"ts\":\"2017-11-24 16:00:00\",\"action\":\"pv\",\"note\":\"a,b\","
        "\"w\":0.5}\n"
        "{\"user_id\":1,\"ts\":\"2017-11-24 16:00:01\",\"action\":\"buy\",\"note\":null,"
        "\"w\":-2.0}\n"
        "{\"user_id\":2,\"ts\":\"2017-11-24 16:00:02.500\",\"action\":\"pv\",\"note\":\"x|y\","
        "\"w\":3.25}\n");
  fs::remove_all(d.Path("db"));
  CHECK(Mode(d, "line") ==
        "user_id = 1\n"
        "     ts = 2017-11-24 16:00:00\n"
        " action = pv\n"
        "   note = a,b\n"
        "      w = 0.5\n"
        "\n"
        "user_id = 1\n"
        "     ts = 2017-11-24 16:00:01\n"
        " action = buy\n"
        "   note = NULL\n"
        "      w = -2.0\n"
        "\n"
        "user_id = 2\n"
        "     ts = 2017-11-24 16:00:02.500\n"
        " action = pv\n"
        "   note = x|y\n"
        "      w = 3.25\n");
}

TEST_CASE("errors name the line and keep the caret; the exit status says whether all went well") {
  TempDir d;
  ProcessResult ok = Laser({d.Path("db")}, "SELECT 1;\n");
  CHECK(ok.status == 0);
  CHECK(ok.out == "1\n");
  CHECK(ok.err.empty());

  ProcessResult bad =
      Laser({d.Path("db")}, "SELECT 1;\n\nSELECT\n  nope FROM nowhere;\nSELECT 2;\n");
  CHECK(bad.status == 1);
  CHECK(bad.out == "1\n2\n");
  INFO("stderr: ", bad.err);
  CHECK(bad.err.rfind("Error near line 3: ", 0) == 0);
  CHECK(bad.err.find("nowhere") != std::string::npos);
  CHECK(bad.err.find("^") != std::string::npos);
}

TEST_CASE("--bail stops at the first error") {
  TempDir d;
  ProcessResult r = Laser({d.Path("db"), "--bail"}, "SELECT 1;\nSELEC 2;\nSELECT 3;\n");
  CHECK(r.status == 1);
  CHECK(r.out == "1\n");
  CHECK(r.err.rfind("Error near line 2: ", 0) == 0);
}

TEST_CASE("-c runs statements and dot-commands in order, then exits") {
  TempDir d;
  ProcessResult r =
      Laser({d.Path("db"), "-c", kSetup, "-c", ".mode csv", "-c", "SELECT count(*) FROM ev"});
  INFO("stderr: ", r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "3\n");
  ProcessResult bad = Laser({d.Path("db"), "-c", "SELECT * FROM missing"});
  CHECK(bad.status == 1);
  CHECK(bad.err.rfind("Error near line 1: ", 0) == 0);
}

TEST_CASE("-f runs a file; .read nests and names the inner file in errors") {
  TempDir d;
  const std::string inner = d.Write("inner.sql", "SELECT 2;\nSELECT nope;\n");
  const std::string middle = d.Write("middle.sql", "SELECT 1;\n.read " + inner + "\nSELECT 3;\n");
  const std::string outer = d.Write("outer.sql", ".read " + middle + "\nSELECT 4;\n");
  ProcessResult r = Laser({d.Path("db"), "-f", outer});
  CHECK(r.status == 1);
  CHECK(r.out == "1\n2\n3\n4\n");
  CHECK(r.err.rfind("Error near line 2 of " + inner + ": ", 0) == 0);
  ProcessResult missing = Laser({d.Path("db"), "-f", d.Path("absent.sql")});
  CHECK(missing.status == 1);
  CHECK(missing.err.find("cannot open") != std::string::npos);
}

TEST_CASE(".output redirects results to a file and back") {
  TempDir d;
  const std::string file = d.Path("out.csv");
  ProcessResult r = Laser({d.Path("db")}, std::string(kSetup) + ".mode csv\n.output " + file +
                                              "\nSELECT item FROM ev ORDER BY item;\n.output\n"
                                              "SELECT 7;\n");
  CHECK(r.status == 0);
  CHECK(r.out == "7\n");
  CHECK(d.Read("out.csv") == "10\n11\n12\n");
}

TEST_CASE(".timer, .tables, .schema, .models and .stats against the engine") {
  TempDir d;
  ProcessResult r = Laser({d.Path("db")}, std::string(kSetup) +
                                              ".tables\n.schema ev\n.models\n.timer on\n"
                                              "SELECT count(*) FROM ev;\n.timer off\n.stats\n");
  INFO("stderr: ", r.err);
  CHECK(r.status == 0);
  const std::string& o = r.out;
  CHECK(
      o.rfind("ev\nCREATE TABLE ev (\n  user_id U64 PARTITION KEY,\n  ts TIMESTAMP(ms) ORDER KEY,\n"
              "  item U64,\n  action ENUM('pv', 'buy'),\n  note STRING,\n  w F64\n);\n3\n",
              0) == 0);
  CHECK(std::regex_search(o, std::regex("\nRun Time: real \\d+\\.\\d{3} user \\d+\\.\\d{6} sys "
                                        "\\d+\\.\\d{6}\n")));
  CHECK(o.find("users:          2\n") != std::string::npos);
  CHECK(o.find("events:         3\n") != std::string::npos);
  CHECK(std::regex_search(o, std::regex("\nI/O backend:    (io_uring|pread)")));
}

TEST_CASE("a database directory persists; --readonly refuses writes") {
  TempDir d;
  REQUIRE(Laser({d.Path("db")}, kSetup).status == 0);
  ProcessResult again = Laser({d.Path("db"), "-c", "SELECT count(*) FROM ev"});
  CHECK(again.out == "3\n");
  ProcessResult ro =
      Laser({d.Path("db"), "--readonly", "-c", "INSERT INTO ev VALUES (3, 1, 1, 'pv', 'z', 1.0)"});
  CHECK(ro.status == 1);
  CHECK(ro.err.rfind("Error near line 1: ", 0) == 0);
  CHECK(Laser({d.Path("db"), "--readonly", "-c", "SELECT count(*) FROM ev"}).out == "3\n");
}

TEST_CASE("without DB_DIR the database is transient and its directory is removed") {
  TempDir d;
  ::setenv("TMPDIR", d.Path("").c_str(), 1);
  ProcessResult r = Laser({}, std::string(kSetup) + "SELECT count(*) FROM ev;\n");
  ::unsetenv("TMPDIR");
  CHECK(r.status == 0);
  CHECK(r.out == "3\n");
  CHECK(fs::is_empty(d.Path("")));
}

TEST_CASE("--version, --help and usage errors") {
  ProcessResult v = Laser({"--version"});
  CHECK(v.status == 0);
  CHECK(v.out.rfind("laser ", 0) == 0);
  ProcessResult h = Laser({"--help"});
  CHECK(h.status == 0);
  CHECK(h.out.find("transient") != std::string::npos);
  CHECK(Laser({"--mode", "html"}).status == 2);
  CHECK(Laser({"--no-such-flag"}).status == 2);
}

TEST_CASE(".import loads a generated Taobao-layout file atomically through COPY") {
  TempDir d;
  const std::string csv = d.Path("ub.csv");
  ProcessResult g =
      RunProcess({LASER_GEN_BEHAVIOR, "--users", "50", "--max-len", "500", "-o", csv}, "");
  REQUIRE(g.status == 0);
  const std::string create =
      "CREATE TABLE ub (user_id U64 PARTITION KEY, item_id U64, category U32,\n"
      "  action ENUM('pv', 'buy', 'cart', 'fav'), ts I64 ORDER KEY);\n";
  ProcessResult r = Laser({d.Path("db")}, create + ".import " + csv +
                                              " ub\nSELECT count(*), count(DISTINCT user_id) "
                                              "FROM ub;\nSELECT count(*) FROM ub WHERE "
                                              "user_id = 1;\n");
  INFO("stderr: ", r.err);
  CHECK(r.status == 0);
  std::ifstream in(csv);
  size_t lines = 0;
  for (std::string l; std::getline(in, l);) ++lines;
  CHECK(r.out == std::to_string(lines) + "|50\n500\n");
  // A bad row: nothing is ingested, the error names the line.
  d.Write("bad.csv", "1,2,3,pv,100\n1,2,3,oops,101\n");
  ProcessResult bad =
      Laser({d.Path("db")}, ".import " + d.Path("bad.csv") + " ub\nSELECT count(*) FROM ub;\n");
  CHECK(bad.status == 1);
  CHECK(bad.out == std::to_string(lines) + "\n");
  CHECK(bad.err.find("line 2") != std::string::npos);
}

}  // namespace
}  // namespace laser::shell
