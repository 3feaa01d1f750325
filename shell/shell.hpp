// The shell's engine room: runs SQL statements and dot-commands read from a
// stream, a string or a terminal, renders results in the current output mode
// and reports errors the way sqlite3 does.
#pragma once

#include <atomic>
#include <fstream>
#include <istream>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "shell/backend.hpp"
#include "shell/progress.hpp"
#include "shell/render/renderer.hpp"
#include "shell/splitter.hpp"

namespace laser::shell {

struct ShellSettings {
  OutputMode mode = OutputMode::kList;
  RenderOptions render{.headers = false, .null_text = std::nullopt};
  bool bail = false;         // stop at the first failed statement
  bool interactive = false;  // errors without line numbers; Ctrl-C keeps going
  bool timer = false;
};

class Shell {
 public:
  // `out` receives results (until .output redirects them), `err` errors.
  Shell(Backend& backend, ShellSettings settings, std::ostream& out, std::ostream& err);

  // Runs every unit of `in` up to its end, .quit, or (with bail) the first
  // error. `source` names the input in errors of nested .read files ("" for
  // the top-level input). Returns false iff processing must stop (.quit, a
  // bailed error or an interrupt outside interactive mode).
  bool RunStream(std::istream& in, std::string_view source);
  // Runs `text` (one or more statements, the last ';' optional), as -c does.
  bool RunText(std::string_view text);
  // Runs one unit; returns false iff it failed (and counts the failure).
  bool RunUnit(const Unit& unit, std::string_view source);

  // Stops the running statement, if any; outside interactive mode it also
  // ends the input. Safe to call from any thread.
  void Interrupt();
  // Ctrl-C as reported by InterruptWatcher (`count` = its Count() then). In
  // interactive mode a SIGINT that arrived before the running statement
  // started, however late it is reported, is the line editor's and ignored.
  void OnSigint(uint64_t count);
  // Clears a previous Interrupt before the next statement.
  void ClearInterrupt() { interrupted_.store(false); }

  bool quit_requested() const { return quit_; }
  // True iff no statement or dot-command has failed so far.
  bool all_ok() const { return failures_ == 0; }
  Backend& backend() { return backend_; }

 private:
  bool RunSql(const Unit& unit, std::string_view source);
  bool RunDot(const Unit& unit, std::string_view source);
  // Runs `sql` and prints its rows in the current mode, or (plain) as bare
  // lines of cells, for plans.
  Status ExecuteAndRender(std::string_view sql, bool plain);
  void ReportError(const Unit& unit, std::string_view source, std::string_view message);
  std::ostream& out() { return file_out_ ? *file_out_ : out_; }

  // Dot-commands; each returns false iff it failed (message already printed).
  bool DotHelp();
  bool DotTables(const std::vector<std::string>& args);
  // .schema [TABLE]; false iff TABLE does not exist.
  bool DotSchema(const std::vector<std::string>& args);
  bool DotModels();
  bool DotStats();
  bool DotRead(const Unit& unit, std::string_view source, const std::vector<std::string>& args);
  bool DotOutput(const std::vector<std::string>& args);
  bool DotImport(const Unit& unit, std::string_view source, const std::vector<std::string>& args);
  bool DotExplain(const Unit& unit, std::string_view source);

  Backend& backend_;
  ShellSettings settings_;
  std::ostream& out_;
  std::ostream& err_;
  std::unique_ptr<std::ofstream> file_out_;
  ProgressBar progress_;
  std::atomic<bool> interrupted_{false};
  std::atomic<bool> running_{false};           // a statement is executing or printing
  std::atomic<uint64_t> sigints_at_start_{0};  // InterruptWatcher::Count() then
  bool quit_ = false;
  int failures_ = 0;
  int read_depth_ = 0;
};

// Splits a dot-command line into words: blank-separated, '...' and "..."
// group words (a doubled quote inside is the quote itself).
std::vector<std::string> SplitDotArgs(std::string_view line);

}  // namespace laser::shell
