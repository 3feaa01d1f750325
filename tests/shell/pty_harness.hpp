// Drives a process on the other side of a pseudo-terminal: type keys, wait
// for text to appear, collect everything it printed.
#pragma once

#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

namespace laser::shell {

class PtyProcess {
 public:
  // Runs `child` in a new process whose stdin, stdout and stderr are the
  // terminal; the child's return value is its exit status.
  explicit PtyProcess(const std::function<int()>& child) {
    winsize ws{};
    ws.ws_row = 40;
    ws.ws_col = 120;
    // Unflushed output of this process would otherwise be printed twice.
    std::fflush(nullptr);
    pid_ = ::forkpty(&master_, nullptr, nullptr, &ws);
    if (pid_ == 0) ::_exit(child());
  }
  ~PtyProcess() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) ::close(master_);
  }
  bool started() const { return pid_ > 0; }

  void Type(const std::string& keys) {
    size_t off = 0;
    while (off < keys.size()) {
      const ssize_t n = ::write(master_, keys.data() + off, keys.size() - off);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }

  // Reads until `text` appears after the current mark (then moves the mark
  // past it) or `seconds` pass; returns true iff it appeared.
  bool WaitFor(const std::string& text, double seconds = 10) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (true) {
      const size_t at = output_.find(text, mark_);
      if (at != std::string::npos) {
        mark_ = at + text.size();
        return true;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{master_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(master_, buf, sizeof(buf));
      if (n <= 0) return false;  // the child closed the terminal
      // Terminal padding NULs would cut the text short in failure messages.
      for (ssize_t i = 0; i < n; ++i) {
        if (buf[i] != '\0') output_ += buf[i];
      }
    }
  }

  // Waits until the terminal is in non-canonical mode (the line editor is
  // reading keys). Keys typed before would be read by the cooked-mode line
  // discipline, which turns Ctrl-D into an end-of-file nobody then sees.
  bool WaitForRawMode(double seconds = 10) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      termios t{};
      if (::tcgetattr(master_, &t) == 0 && (t.c_lflag & ICANON) == 0) return true;
      WaitFor("\x01\x02never", 0.01);
    }
    return false;
  }

  // WaitFor(prompt), then WaitForRawMode: ready for the next keys.
  bool WaitForPrompt(const std::string& prompt) { return WaitFor(prompt) && WaitForRawMode(); }

  // Waits for the child to exit; returns its exit status, or -1 on timeout
  // or a signal.
  int Wait(double seconds = 10) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      // Keep draining so that the child never blocks on a full terminal.
      WaitFor("\x01\x02never", 0.05);
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
    }
    return -1;
  }

  // Everything the child printed so far.
  const std::string& output() const { return output_; }
  // What it printed after the mark.
  std::string since_mark() const { return output_.substr(mark_); }

 private:
  pid_t pid_ = -1;
  int master_ = -1;
  bool exited_ = false;
  std::string output_;
  size_t mark_ = 0;
};

}  // namespace laser::shell
