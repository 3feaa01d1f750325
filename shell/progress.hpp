// A one-line progress bar with rate and ETA for long statements, drawn on a
// terminal only: on a pipe or a file it writes nothing at all.
#pragma once

#include <chrono>
#include <string>

#include "shell/backend.hpp"

namespace laser::shell {

class ProgressBar {
 public:
  // Draws on file descriptor `fd` iff `fd` is a terminal.
  explicit ProgressBar(int fd);
  // Shows `p` (at most 10 redraws a second, and only once the work has taken
  // more than half a second, so quick statements never flash a bar).
  void Update(const Progress& p);
  // Erases the bar if one is shown; the next Update starts a new timing.
  void Finish();
  bool enabled() const { return enabled_; }

  // The bar's text for `p` after `elapsed_s` seconds, at most `width` columns:
  // "<what> [=====>    ]  45%  1.2 MB/2.7 MB  350 kB/s  ETA 0:05", or without
  // bar, percentage and ETA when the total is unknown.
  static std::string Format(const Progress& p, double elapsed_s, int width);

 private:
  int fd_;
  bool enabled_;
  bool started_ = false;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// 1234567 -> "1.2 MB" for unit "B", "1.2M rows" for unit "rows" (SI
// prefixes, one decimal under 100).
std::string HumanCount(double n, std::string_view unit);

}  // namespace laser::shell
