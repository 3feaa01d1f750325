#include "shell/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace laser::shell {
namespace {

std::string Duration(double s) {
  const auto total = static_cast<long long>(s + 0.5);
  char buf[32];
  if (total >= 3600) {
    std::snprintf(buf, sizeof(buf), "%lld:%02lld:%02lld", total / 3600, total / 60 % 60,
                  total % 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%lld:%02lld", total / 60, total % 60);
  }
  return buf;
}

void WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n <= 0) return;  // a progress bar is not worth an error
    off += static_cast<size_t>(n);
  }
}

int TerminalWidth(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

}  // namespace

std::string HumanCount(double n, std::string_view unit) {
  static constexpr const char* kPrefix[] = {"", "k", "M", "G", "T", "P"};
  size_t i = 0;
  while (n >= 1000 && i + 1 < std::size(kPrefix)) {
    n /= 1000;
    ++i;
  }
  char buf[48];
  std::snprintf(buf, sizeof(buf), i > 0 && n < 100 ? "%.1f" : "%.0f", n);
  std::string s = buf;
  // Bytes read as "1.2 MB"; other units as "1.2k blocks".
  if (unit == "B") return s + " " + kPrefix[i] + "B";
  s += kPrefix[i];
  if (!unit.empty()) s += " " + std::string(unit);
  return s;
}

ProgressBar::ProgressBar(int fd) : fd_(fd), enabled_(::isatty(fd) == 1) {}

std::string ProgressBar::Format(const Progress& p, double elapsed_s, int width) {
  const double rate = elapsed_s > 0 ? static_cast<double>(p.done) / elapsed_s : 0;
  std::string tail;
  if (p.total > 0) {
    const double frac = std::min(1.0, static_cast<double>(p.done) / static_cast<double>(p.total));
    char pct[16];
    std::snprintf(pct, sizeof(pct), "%3d%%", static_cast<int>(frac * 100));
    tail = std::string(pct) + "  " + HumanCount(static_cast<double>(p.done), p.unit) + "/" +
           HumanCount(static_cast<double>(p.total), p.unit) + "  " + HumanCount(rate, p.unit) +
           "/s";
    if (rate > 0 && p.done < p.total) {
      tail += "  ETA " + Duration(static_cast<double>(p.total - p.done) / rate);
    }
    const int bar = width - static_cast<int>(p.what.size() + tail.size()) - 6;
    if (bar >= 10) {
      const int filled = static_cast<int>(frac * bar);
      std::string b(static_cast<size_t>(filled), '=');
      if (filled < bar) b += '>';
      b.resize(static_cast<size_t>(bar), ' ');
      return std::string(p.what) + " [" + b + "]  " + tail;
    }
    return std::string(p.what) + "  " + tail;
  }
  return std::string(p.what) + "  " + HumanCount(static_cast<double>(p.done), p.unit) + "  " +
         HumanCount(rate, p.unit) + "/s";
}

void ProgressBar::Update(const Progress& p) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!started_) {
    started_ = true;
    start_ = now;
    last_draw_ = now;
    return;
  }
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (elapsed < 0.5 || now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const int width = TerminalWidth(fd_) - 1;
  std::string line = Format(p, elapsed, width);
  if (static_cast<int>(line.size()) > width) line.resize(static_cast<size_t>(std::max(width, 0)));
  WriteAll(fd_, "\r" + line + "\x1b[K");
  shown_ = true;
}

void ProgressBar::Finish() {
  if (shown_) WriteAll(fd_, "\r\x1b[K");
  shown_ = false;
  started_ = false;
}

}  // namespace laser::shell
