// The interactive prompt: libedit line editing, a persistent history, tab
// completion, multi-line statements with a continuation prompt.
#pragma once

#include <string>

#include "shell/shell.hpp"

namespace laser::shell {

// The history file: $LASER_HISTORY if set (empty = no history file), else
// ~/.laser_history, else none when HOME is unset.
std::string HistoryPath();

// Reads statements from the terminal on stdin until .quit or Ctrl-D and runs
// them in `shell`. Ctrl-C while a statement runs stops that statement; at the
// prompt it discards the line (and any unfinished statement).
// REQUIRES stdin is a terminal and an InterruptWatcher is installed.
void RunInteractive(Shell& shell, const std::string& history_path);

}  // namespace laser::shell
