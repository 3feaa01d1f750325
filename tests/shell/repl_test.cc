// The interactive prompt in a pseudo-terminal, over the scripted backend:
// multi-line input, history (in the session and in the file), tab completion,
// Ctrl-C during a statement and at the prompt, Ctrl-D.
#include "shell/repl.hpp"

#include <doctest/doctest.h>

#include <clocale>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "shell/interrupt.hpp"
#include "tests/shell/pty_harness.hpp"
#include "tests/shell/scripted_backend.hpp"
#include "tests/support/temp_dir.hpp"

namespace laser::shell {
namespace {

class TempHistory {
 public:
  TempHistory() { path_ = laser::testing::NewTempFile("laser-history-"); }
  ~TempHistory() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }
  std::string Text() const {
    std::ifstream in(path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  std::string path_;
};

// The child: the shell's REPL over a scripted backend on the terminal.
int RunReplChild(const std::string& history) {
  ::setenv("TERM", "vt100", 1);
  ::setenv("HOME", "/nonexistent", 1);  // no ~/.editrc
  std::setlocale(LC_CTYPE, "C.UTF-8");
  ScriptedBackend backend;
  ShellSettings settings;
  settings.interactive = true;
  Shell shell(backend, settings, std::cout, std::cerr);
  InterruptWatcher watcher([&shell](uint64_t count) { shell.OnSigint(count); });
  RunInteractive(shell, history);
  std::cout.flush();
  return 0;
}

TEST_CASE("multi-line statements show the continuation prompt and run at ';'") {
  TempHistory h;
  PtyProcess p([&] { return RunReplChild(h.path()); });
  INFO("terminal output: ", p.output());
  REQUIRE(p.started());
  REQUIRE(p.WaitForPrompt("laser> "));
  p.Type("SELECT\r");
  REQUIRE(p.WaitForPrompt("   ...> "));
  p.Type("  42;\r");
  CHECK(p.WaitFor("  42;\r\n42\r\n"));
  CHECK(p.WaitForPrompt("laser> "));
  p.Type("\x04");
  CHECK(p.Wait() == 0);
}

TEST_CASE("history: the up arrow recalls a statement, and the file keeps it") {
  TempHistory h;
  {
    PtyProcess p([&] { return RunReplChild(h.path()); });
    INFO("terminal output: ", p.output());
    REQUIRE(p.WaitForPrompt("laser> "));
    p.Type("SELECT 5;\r");
    REQUIRE(p.WaitFor("5\r\n"));
    REQUIRE(p.WaitForPrompt("laser> "));
    p.Type("SELECT\r");
    REQUIRE(p.WaitForPrompt("   ...> "));
    p.Type("77;\r");
    REQUIRE(p.WaitFor("77\r\n"));
    REQUIRE(p.WaitForPrompt("laser> "));
    p.Type("\x1b[A\x1b[A\r");  // two entries back: SELECT 5;
    CHECK(p.WaitFor("5\r\n"));
    REQUIRE(p.WaitForPrompt("laser> "));
    p.Type("\x04");
    REQUIRE(p.Wait() == 0);
  }
  const std::string text = h.Text();
  // libedit's file format writes blanks as octal escapes.
  CHECK(text.find("SELECT\\0405;") != std::string::npos);
  // The two-line statement is kept as one line.
  CHECK(text.find("SELECT\\04077;") != std::string::npos);
  // A new session starts with the saved history.
  PtyProcess q([&] { return RunReplChild(h.path()); });
  INFO("terminal output: ", q.output());
  REQUIRE(q.WaitForPrompt("laser> "));
  q.Type("\x1b[A\r");
  CHECK(q.WaitFor("5\r\n"));
  REQUIRE(q.WaitForPrompt("laser> "));
  q.Type("\x04");
  CHECK(q.Wait() == 0);
}

TEST_CASE("tab completes keywords and table names, and lists ambiguous choices") {
  TempHistory h;
  PtyProcess p([&] { return RunReplChild(h.path()); });
  INFO("terminal output: ", p.output());
  REQUIRE(p.WaitForPrompt("laser> "));
  // libedit redraws only what changed, so the screen shows "SEL" then "ECT ".
  p.Type("SEL\t");
  REQUIRE(p.WaitFor("ECT "));
  p.Type("8;\r");
  CHECK(p.WaitFor("8\r\n"));
  REQUIRE(p.WaitForPrompt("laser> "));
  p.Type("SELECT * FROM ev\t");
  CHECK(p.WaitFor("ents "));
  p.Type("\x03");
  REQUIRE(p.WaitForPrompt("laser> "));
  p.Type(".ta\t");
  CHECK(p.WaitFor("bles "));
  p.Type("\r");
  CHECK(p.WaitFor("events\r\nzeta\r\n"));
  REQUIRE(p.WaitForPrompt("laser> "));
  p.Type(".mo\t");  // .mode and .models: the common prefix, then the list
  CHECK(p.WaitFor("de"));
  p.Type("\t");
  CHECK(p.WaitFor(".mode    .models\r\n"));
  REQUIRE(p.WaitFor("laser> .mode"));  // the line is redrawn below the list
  p.Type("l\x03");
  REQUIRE(p.WaitFor("^C\r\nlaser> "));
  p.Type("\x04");
  CHECK(p.Wait() == 0);
}

TEST_CASE("Ctrl-C stops a running statement and the shell keeps going") {
  TempHistory h;
  PtyProcess p([&] { return RunReplChild(h.path()); });
  INFO("terminal output: ", p.output());
  REQUIRE(p.WaitForPrompt("laser> "));
  p.Type("SLEEP;\r");
  REQUIRE(p.WaitFor("SLEEP;"));
  ::usleep(200 * 1000);
  p.Type("\x03");
  CHECK(p.WaitFor("Error: interrupted"));
  REQUIRE(p.WaitForPrompt("laser> "));
  p.Type("SELECT 9;\r");
  CHECK(p.WaitFor("9\r\n"));
  REQUIRE(p.WaitForPrompt("laser> "));
  p.Type("\x04");
  CHECK(p.Wait() == 0);
}

TEST_CASE("Ctrl-C at the prompt discards the line and an unfinished statement") {
  TempHistory h;
  PtyProcess p([&] { return RunReplChild(h.path()); });
  INFO("terminal output: ", p.output());
  REQUIRE(p.WaitForPrompt("laser> "));
  p.Type("SELECT 1");
  REQUIRE(p.WaitFor("SELECT 1"));
  p.Type("\x03");
  REQUIRE(p.WaitForPrompt("laser> "));
  p.Type("SELECT\r");
  REQUIRE(p.WaitForPrompt("   ...> "));
  p.Type("\x03");
  REQUIRE(p.WaitForPrompt("laser> "));
  p.Type("SELECT 2;\r");
  CHECK(p.WaitFor("SELECT 2;\r\n2\r\n"));
  REQUIRE(p.WaitForPrompt("laser> "));
  CHECK(p.output().find("Error") == std::string::npos);
  p.Type(".quit\r");
  CHECK(p.Wait() == 0);
}

}  // namespace
}  // namespace laser::shell
