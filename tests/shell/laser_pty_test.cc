// The real `laser` binary on a pseudo-terminal against the real engine:
// Ctrl-C during a long COPY stops it (nothing ingested) and the shell goes
// on; completion sees the engine's catalog; history survives a restart.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#include "tests/shell/process.hpp"
#include "tests/shell/pty_harness.hpp"
#include "tests/support/temp_dir.hpp"

namespace laser::shell {
namespace {

namespace fs = std::filesystem;

struct Dir {
  fs::path path;
  Dir() { path = laser::testing::NewTempDir("laser-pty-test-"); }
  ~Dir() { fs::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

int ExecLaser(const std::string& db, const std::string& history) {
  ::setenv("TERM", "vt100", 1);
  ::setenv("HOME", "/nonexistent", 1);
  ::setenv("LASER_HISTORY", history.c_str(), 1);
  ::setenv("LC_ALL", "C.UTF-8", 1);
  ::execl(LASER_SHELL_BINARY, LASER_SHELL_BINARY, db.c_str(), static_cast<char*>(nullptr));
  return 127;
}

TEST_CASE("Ctrl-C during a long COPY stops it, ingests nothing, and keeps the shell") {
  Dir d;
  const std::string csv = d / "big.csv";
  // About two million rows: a COPY that runs for seconds.
  REQUIRE(RunProcess({LASER_GEN_BEHAVIOR, "--users", "20000", "-o", csv}, "").status == 0);
  PtyProcess p([&] { return ExecLaser(d / "db", d / "history"); });
  INFO("terminal output: ", p.output());
  REQUIRE(p.WaitForPrompt("laser> "));
  p.Type(
      "CREATE TABLE behaviour (user_id U64 PARTITION KEY, item_id U64, category U32, "
      "action ENUM('pv', 'buy', 'cart', 'fav'), ts I64 ORDER KEY);\r");
  REQUIRE(p.WaitForPrompt("laser> "));
  p.Type("COPY behaviour FROM '" + csv + "' (FORMAT csv);\r");
  REQUIRE(p.WaitFor("(FORMAT csv);"));
  ::usleep(300 * 1000);
  p.Type("\x03");
  CHECK(p.WaitFor("Error: "));
  CHECK(p.WaitFor("interrupted"));
  REQUIRE(p.WaitForPrompt("laser> "));
  p.Type("SELECT count(*) FROM behaviour;\r");
  CHECK(p.WaitFor(" 0 │"));
  REQUIRE(p.WaitForPrompt("laser> "));
  // Completion reads the engine's catalog: the table and its columns.
  p.Type("SELECT categ\t");
  CHECK(p.WaitFor("ory "));
  p.Type("FROM behav\t");
  CHECK(p.WaitFor("iour "));
  p.Type("LIMIT 1;\r");
  REQUIRE(p.WaitForPrompt("laser> "));
  p.Type("\x04");
  CHECK(p.Wait() == 0);
}

TEST_CASE("the real shell keeps history across sessions") {
  Dir d;
  {
    PtyProcess p([&] { return ExecLaser(d / "db", d / "history"); });
    INFO("terminal output: ", p.output());
    REQUIRE(p.WaitForPrompt("laser> "));
    p.Type("SELECT 40 + 2;\r");
    REQUIRE(p.WaitFor("42"));
    REQUIRE(p.WaitForPrompt("laser> "));
    p.Type(".quit\r");
    REQUIRE(p.Wait() == 0);
  }
  PtyProcess q([&] { return ExecLaser(d / "db", d / "history"); });
  INFO("terminal output: ", q.output());
  REQUIRE(q.WaitForPrompt("laser> "));
  q.Type("\x1b[A\x1b[A\r");  // .quit, then SELECT 40 + 2;
  CHECK(q.WaitFor("42"));
  REQUIRE(q.WaitForPrompt("laser> "));
  q.Type("\x04");
  CHECK(q.Wait() == 0);
}

}  // namespace
}  // namespace laser::shell
