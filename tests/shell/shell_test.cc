// The shell's statement loop and dot-commands over a scripted backend: error
// reports, --bail, .read nesting, .output, .mode, .timer, .import, .stats.
#include "shell/shell.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/shell/scripted_backend.hpp"
#include "tests/support/temp_dir.hpp"

namespace laser::shell {
namespace {

struct Run {
  ScriptedBackend backend;
  std::ostringstream out, err;
  Shell shell;
  explicit Run(ShellSettings s = {}) : shell(backend, s, out, err) {}
};

TEST_CASE("results render in the current mode; .mode and .headers switch it") {
  Run r;
  CHECK(r.shell.RunText("SELECT 1;\n.mode csv\n.headers on\nSELECT 2;\n.mode json\nSELECT 'x'"));
  CHECK(r.out.str() == "1\nn\n2\n[{\"s\":\"x\"}]\n");
  CHECK(r.shell.all_ok());
  CHECK(r.err.str().empty());
}

TEST_CASE("an error names the line the statement starts on and keeps the caret") {
  Run r;
  std::istringstream in("SELECT 1;\n\nBOGUS\n  stuff;\nSELECT 2;\n");
  CHECK(r.shell.RunStream(in, ""));
  CHECK(r.out.str() == "1\n2\n");
  CHECK(r.err.str() == "Error near line 3: 1:1: syntax error at 'BOGUS'\nBOGUS\n  stuff\n^\n");
  CHECK_FALSE(r.shell.all_ok());
}

TEST_CASE("bail stops at the first error") {
  ShellSettings s;
  s.bail = true;
  Run r(s);
  std::istringstream in("SELECT 1;\nBAD;\nSELECT 2;\n");
  CHECK_FALSE(r.shell.RunStream(in, ""));
  CHECK(r.out.str() == "1\n");
  CHECK(r.backend.executed.size() == 2);
}

TEST_CASE("interactive errors carry no line number, and bail does not end the session") {
  ShellSettings s;
  s.interactive = true;
  s.bail = true;
  Run r(s);
  CHECK(r.shell.RunText("BAD; SELECT 3;"));
  CHECK(r.err.str() == "Error: 1:1: syntax error at 'BAD'\nBAD\n^\n");
  CHECK(r.out.str() == "3\n");
}

struct TempDir {
  std::filesystem::path path;
  TempDir() { path = laser::testing::NewTempDir("laser-shell-test-"); }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
};

TEST_CASE(".read runs files, nested, and names the inner file in errors") {
  TempDir d;
  const std::string inner = d.Write("inner.sql", "SELECT 2;\nOOPS;\n");
  const std::string outer = d.Write("outer.sql", "SELECT 1;\n.read '" + inner + "'\nSELECT 3;\n");
  Run r;
  CHECK(r.shell.RunText(".read " + outer + "\nSELECT 4;"));
  CHECK(r.out.str() == "1\n2\n3\n4\n");
  CHECK(r.err.str() ==
        "Error near line 2 of " + inner + ": 1:1: syntax error at 'OOPS'\nOOPS\n^\n");
  CHECK_FALSE(r.shell.all_ok());
}

TEST_CASE(".read of a missing file fails; endless .read recursion is stopped") {
  TempDir d;
  const std::string self = (d.path / "self.sql").string();
  d.Write("self.sql", ".read " + self + "\n");
  Run r;
  CHECK(r.shell.RunText(".read /nonexistent/x.sql"));
  CHECK(r.err.str().find("cannot open '/nonexistent/x.sql'") != std::string::npos);
  Run q;
  q.shell.RunText(".read " + self);
  CHECK(q.err.str().find(".read nested more than 16 deep") != std::string::npos);
}

TEST_CASE("bail inside a .read file stops the outer input too") {
  TempDir d;
  const std::string inner = d.Write("inner.sql", "BAD;\nSELECT 2;\n");
  ShellSettings s;
  s.bail = true;
  Run r(s);
  CHECK_FALSE(r.shell.RunText(".read " + inner + "\nSELECT 3;"));
  CHECK(r.out.str().empty());
}

TEST_CASE(".output sends results to a file and back") {
  TempDir d;
  const std::string file = (d.path / "out.txt").string();
  Run r;
  CHECK(
      r.shell.RunText("SELECT 1;\n.output " + file + "\nSELECT 2;\nSELECT 3;\n.output\nSELECT 4;"));
  CHECK(r.out.str() == "1\n4\n");
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == "2\n3\n");
  Run bad;
  bad.shell.RunText(".output /nonexistent/dir/x");
  CHECK(bad.err.str().find("cannot open '/nonexistent/dir/x' for writing") != std::string::npos);
}

TEST_CASE(".timer prints sqlite3's Run Time line after each statement") {
  Run r;
  CHECK(r.shell.RunText(".timer on\nSELECT 1;"));
  CHECK(std::regex_match(r.out.str(),
                         std::regex("1\nRun Time: real \\d+\\.\\d{3} user \\d+\\.\\d{6} sys "
                                    "\\d+\\.\\d{6}\n")));
}

TEST_CASE("catalog dot-commands: .tables, .schema, .models, .stats") {
  Run r;
  CHECK(r.shell.RunText(".tables\n.models\n.schema events"));
  CHECK(r.out.str() ==
        "events\nzeta\n"
        "ranker  /db/models/ranker\n"
        "CREATE TABLE events (\n  user_id U64 PARTITION KEY,\n  ts I64 ORDER KEY\n);\n");
  Run s;
  CHECK(s.shell.RunText(".stats"));
  const std::string st = s.out.str();
  CHECK(st.find("users:          3\n") != std::string::npos);
  CHECK(st.find("events:         42\n") != std::string::npos);
  CHECK(st.find("bytes on disk:  2.5 MB (2500000)\n") != std::string::npos);
  CHECK(st.find("index bytes:    4.1 kB (4096)") != std::string::npos);
  CHECK(st.find("hit rate 75.0% (3 hits, 1 misses)") != std::string::npos);
  CHECK(st.find("I/O backend:    pread (io_uring disabled)\n") != std::string::npos);
  Run missing;
  CHECK(missing.shell.RunText(".schema nope"));
  CHECK(missing.err.str() == "Error near line 1: no such table: nope\n");
}

TEST_CASE(".import runs one COPY with the file quoted") {
  Run r;
  CHECK(r.shell.RunText(".import --header \"my file's.csv\" events"));
  REQUIRE(r.backend.executed.size() == 1);
  CHECK(r.backend.executed[0] == "COPY events FROM 'my file''s.csv' (FORMAT csv, HEADER true)");
  Run bad;
  bad.shell.RunText(".import onlyfile");
  CHECK(bad.err.str() == "Error near line 1: usage: .import [--header] FILE TABLE\n");
}

TEST_CASE("unknown or malformed dot-commands are errors; .quit stops the input") {
  Run r;
  CHECK_FALSE(r.shell.RunText(".frobnicate\n.mode html\n.headers maybe\n.quit\nSELECT 1;"));
  CHECK(r.out.str().empty());
  CHECK(r.err.str() ==
        "Error near line 1: unknown command '.frobnicate'; .help lists the commands\n"
        "Error near line 2: unknown mode 'html'; modes: box, table, markdown, csv, tsv, list, "
        "json, jsonl, line\n"
        "Error near line 3: usage: .headers on|off\n");
  CHECK(r.shell.quit_requested());
}

TEST_CASE("Interrupt stops the running statement; a script then ends") {
  Run r;
  std::thread t([&] {
    while (r.backend.calls.load() < 2) std::this_thread::yield();
    r.shell.Interrupt();
  });
  CHECK_FALSE(r.shell.RunText("SELECT 1; SLEEP; SELECT 2;"));
  t.join();
  CHECK(r.out.str() == "1\n");
  CHECK(r.err.str() == "Error near line 1: interrupted\n");
}

TEST_CASE("dot-command arguments split on blanks with quotes grouping") {
  CHECK(SplitDotArgs("import 'a b.csv' \"t\"\"x\" c") ==
        std::vector<std::string>{"import", "a b.csv", "t\"x", "c"});
}

}  // namespace
}  // namespace laser::shell
