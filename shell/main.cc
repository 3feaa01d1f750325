// laser: the interactive and batch shell of a Laser database.
#include <stdlib.h>
#include <unistd.h>

#include <clocale>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "shell/backend.hpp"
#include "shell/cli.hpp"
#include "shell/interrupt.hpp"
#include "shell/repl.hpp"
#include "shell/shell.hpp"

namespace {

using laser::shell::OutputMode;

// A transient database: a fresh directory under $TMPDIR that the shell deletes
// when it exits, whatever happened in between.
class ScratchDir {
 public:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/laser-" +
                       std::string(6, 'X');  // the template mkdtemp fills in
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~ScratchDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

int Run(const laser::shell::CliOptions& cli) {
  std::optional<ScratchDir> scratch;
  std::string dir = cli.db_dir;
  if (dir.empty()) {
    scratch.emplace();
    if (scratch->path().empty()) {
      std::cerr << "Error: cannot create a temporary directory for a transient database: "
                << std::strerror(errno) << "\n";
      return 1;
    }
    dir = scratch->path();
  }
  auto backend = laser::shell::MakeLaserBackend(dir, cli.readonly);
  if (!backend.ok()) {
    std::cerr << "Error: " << backend.status().message() << "\n";
    return 1;
  }

  const bool script = !cli.files.empty() || !cli.commands.empty();
  laser::shell::ShellSettings settings;
  settings.interactive = !script && ::isatty(STDIN_FILENO) == 1;
  settings.mode =
      cli.mode.value_or(::isatty(STDOUT_FILENO) == 1 ? OutputMode::kBox : OutputMode::kList);
  // As in sqlite3: the tabular modes show names, the line-oriented ones not.
  settings.render.headers = cli.headers.value_or(settings.mode == OutputMode::kBox ||
                                                 settings.mode == OutputMode::kTable ||
                                                 settings.mode == OutputMode::kMarkdown);
  settings.bail = cli.bail;
  laser::shell::Shell shell(**backend, settings, std::cout, std::cerr);
  laser::shell::InterruptWatcher watcher([&shell](uint64_t count) { shell.OnSigint(count); });

  if (settings.interactive) {
    std::cout << laser::shell::VersionString() << "\nEnter \".help\" for usage hints.\n";
    if (scratch) {
      std::cout << "Connected to a transient database, deleted at exit.\n"
                   "Run \"laser DB_DIR\" to open a persistent one.\n";
    }
    laser::shell::RunInteractive(shell, laser::shell::HistoryPath());
    // Errors at the prompt were seen and answered there (sqlite3 does the same).
    return 0;
  }
  bool go_on = true;
  for (const std::string& f : cli.files) {
    if (!go_on) break;
    std::ifstream in(f);
    if (!in) {
      std::cerr << "Error: cannot open '" << f << "': " << std::strerror(errno) << "\n";
      return 1;
    }
    go_on = shell.RunStream(in, "");
  }
  for (const std::string& c : cli.commands) {
    if (!go_on) break;
    go_on = shell.RunText(c);
  }
  if (!script) shell.RunStream(std::cin, "");
  return shell.all_ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Line editing of non-ASCII text needs the terminal's character encoding.
  std::setlocale(LC_CTYPE, "");
  laser::shell::CliParse parsed = laser::shell::ParseCommandLine(argc, argv);
  if (!parsed.options) return parsed.exit_code;
  return Run(*parsed.options);
}
