// The `laser` command line.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "shell/render/renderer.hpp"

namespace laser::shell {

struct CliOptions {
  // The database directory; empty = a transient scratch database in a fresh
  // temporary directory that is deleted when the shell exits.
  std::string db_dir;
  std::vector<std::string> files;     // -f, run in order
  std::vector<std::string> commands;  // -c, run in order after the files
  bool bail = false;
  bool readonly = false;
  std::optional<OutputMode> mode;  // unset: box on a terminal, list otherwise
  std::optional<bool> headers;     // unset: the mode's default
};

// Parses argv. Returns the options, or an exit code when the shell must not
// start: 0 after --help or --version (their text is on stdout), 2 after a
// usage error (its message is on stderr).
struct CliParse {
  std::optional<CliOptions> options;
  int exit_code = 0;
};
CliParse ParseCommandLine(int argc, const char* const* argv);

// "laser 0.1.0".
std::string VersionString();

}  // namespace laser::shell
