#include "shell/cli.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace laser::shell {

std::string VersionString() { return std::string("laser ") + LASER_VERSION; }

CliParse ParseCommandLine(int argc, const char* const* argv) {
  CLI::App app(
      "Laser: an embedded store for long user-behaviour sequences, with a query dialect\n"
      "and target-aware segmented attention scoring.\n\n"
      "With DB_DIR, opens the database in that directory (creating it if missing).\n"
      "Without DB_DIR, opens a transient database in a new temporary directory that is\n"
      "deleted when the shell exits (like sqlite3 without a file name).\n\n"
      "Statements come from -f files and -c strings if given, else from stdin: an\n"
      "interactive prompt on a terminal, a script otherwise. The exit status of a\n"
      "script is 0 iff every statement and dot-command succeeded.",
      "laser");
  CliOptions o;
  std::string mode;
  bool header = false, no_header = false;
  app.add_option("DB_DIR", o.db_dir, "Database directory (default: a transient one)");
  app.add_option("-f,--file", o.files, "Run the statements in FILE (repeatable)")
      ->type_name("FILE");
  app.add_option("-c,--command", o.commands,
                 "Run SQL (statements or a dot-command) and exit "
                 "(repeatable)")
      ->type_name("SQL");
  app.add_flag("--bail", o.bail, "Stop at the first error");
  app.add_flag("--readonly", o.readonly, "Open the database read-only");
  app.add_option("-m,--mode", mode, "Output mode: " + OutputModeList())->type_name("MODE");
  app.add_flag("--header", header, "Show column names");
  app.add_flag("--no-header", no_header, "Hide column names");
  app.set_version_flag("--version", VersionString());
  CliParse r;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    r.exit_code = app.exit(e);
    // CLI11 reports --help and --version as "errors" with exit code 0.
    if (r.exit_code != 0) r.exit_code = 2;
    return r;
  }
  if (!mode.empty()) {
    o.mode = ParseOutputMode(mode);
    if (!o.mode) {
      std::cerr << "laser: unknown output mode '" << mode << "'; modes: " << OutputModeList()
                << "\n";
      r.exit_code = 2;
      return r;
    }
  }
  if (header && no_header) {
    std::cerr << "laser: --header and --no-header exclude each other\n";
    r.exit_code = 2;
    return r;
  }
  if (header) o.headers = true;
  if (no_header) o.headers = false;
  if (o.readonly && o.db_dir.empty()) {
    std::cerr << "laser: --readonly needs DB_DIR (a transient database starts empty)\n";
    r.exit_code = 2;
    return r;
  }
  r.options = std::move(o);
  return r;
}

}  // namespace laser::shell
