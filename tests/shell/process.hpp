// Runs a program with piped stdin, stdout and stderr, as a batch script or a
// pipeline would.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

extern char** environ;

namespace laser::shell {

struct ProcessResult {
  std::string out;
  std::string err;
  int status = -1;  // exit status, or -1 if killed by a signal
};

// Runs argv[0] (a path) with `input` on its stdin; returns what it wrote and
// its exit status.
inline ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& input) {
  // A child that exits without reading all its input must fail the write,
  // not kill the test.
  ::signal(SIGPIPE, SIG_IGN);
  int in[2], out[2], err[2];
  ProcessResult r;
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    return r;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(out[0]);
    ::close(err[0]);
    return r;
  }
  // Feed stdin and drain both outputs together so that no pipe fills up.
  size_t fed = 0;
  int in_fd = in[1];
  if (input.empty()) {
    ::close(in_fd);
    in_fd = -1;
  }
  bool out_open = true, err_open = true;
  while (out_open || err_open || in_fd >= 0) {
    pollfd p[3];
    int n = 0;
    if (out_open) p[n++] = {out[0], POLLIN, 0};
    if (err_open) p[n++] = {err[0], POLLIN, 0};
    if (in_fd >= 0) p[n++] = {in_fd, POLLOUT, 0};
    if (::poll(p, static_cast<nfds_t>(n), -1) < 0) break;
    for (int i = 0; i < n; ++i) {
      if (p[i].revents == 0) continue;
      if (p[i].fd == in_fd) {
        const ssize_t w = ::write(in_fd, input.data() + fed, input.size() - fed);
        if (w > 0) fed += static_cast<size_t>(w);
        if (w <= 0 || fed == input.size()) {
          ::close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      char buf[65536];
      const ssize_t got = ::read(p[i].fd, buf, sizeof(buf));
      std::string& dst = p[i].fd == out[0] ? r.out : r.err;
      if (got > 0) {
        dst.append(buf, static_cast<size_t>(got));
      } else if (p[i].fd == out[0]) {
        out_open = false;
      } else {
        err_open = false;
      }
    }
  }
  ::close(out[0]);
  ::close(err[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace laser::shell
