#include "shell/interrupt.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cassert>
#include <cerrno>

namespace laser::shell {
namespace {

// The handler's only state: async-signal-safe to touch.
int g_pipe[2] = {-1, -1};
std::atomic<bool> g_pending{false};
std::atomic<uint64_t> g_count{0};
static_assert(std::atomic<uint64_t>::is_always_lock_free, "used in a signal handler");
struct sigaction g_previous;

void OnSigint(int) {
  const int saved = errno;
  g_count.fetch_add(1);
  g_pending.store(true);
  const char b = 'i';
  // A full pipe already holds an undelivered interrupt: dropping this is fine.
  [[maybe_unused]] ssize_t n = ::write(g_pipe[1], &b, 1);
  errno = saved;
}

}  // namespace

InterruptWatcher::InterruptWatcher(std::function<void(uint64_t)> on_interrupt)
    : on_interrupt_(std::move(on_interrupt)) {
  [[maybe_unused]] const int rc = ::pipe2(g_pipe, O_CLOEXEC);
  assert(rc == 0);
  ::fcntl(g_pipe[1], F_SETFL, O_NONBLOCK);
  // SIGINT must reach the main thread: that is where a blocking read at the
  // prompt has to return EINTR. The thread inherits the mask it starts with,
  // so it never has a moment in which it could take the signal.
  sigset_t block, previous_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  ::pthread_sigmask(SIG_BLOCK, &block, &previous_mask);
  thread_ = std::thread([this] {
    char b;
    while (true) {
      const ssize_t n = ::read(g_pipe[0], &b, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || b == 'q') return;
      on_interrupt_(g_count.load());
    }
  });
  ::pthread_sigmask(SIG_SETMASK, &previous_mask, nullptr);
  struct sigaction sa = {};
  sa.sa_handler = OnSigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  ::sigaction(SIGINT, &sa, &g_previous);
}

InterruptWatcher::~InterruptWatcher() {
  ::sigaction(SIGINT, &g_previous, nullptr);
  const char q = 'q';
  while (::write(g_pipe[1], &q, 1) < 0 && errno == EINTR) {
  }
  thread_.join();
  ::close(g_pipe[0]);
  ::close(g_pipe[1]);
  g_pipe[0] = g_pipe[1] = -1;
}

bool InterruptWatcher::TakePending() { return g_pending.exchange(false); }

bool InterruptWatcher::Pending() { return g_pending.load(); }

uint64_t InterruptWatcher::Count() { return g_count.load(); }

}  // namespace laser::shell
