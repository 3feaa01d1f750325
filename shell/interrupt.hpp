// Ctrl-C handling: SIGINT is turned into a call of a callback on a watcher
// thread (a signal handler may do almost nothing itself), so that the shell
// can stop the running statement through the API and keep going.
#pragma once

#include <cstdint>
#include <functional>
#include <thread>

namespace laser::shell {

class InterruptWatcher {
 public:
  // Installs the SIGINT handler (without SA_RESTART, so a blocking read at
  // the prompt returns EINTR) and starts the thread that calls `on_interrupt`
  // once per SIGINT, with Count() as it was when the thread woke up.
  explicit InterruptWatcher(std::function<void(uint64_t count)> on_interrupt);
  // Restores the previous SIGINT disposition and joins the thread.
  ~InterruptWatcher();
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;

  // Returns true iff a SIGINT arrived since the last call, and clears it.
  static bool TakePending();
  // True iff a SIGINT arrived since the last TakePending (does not clear it).
  static bool Pending();
  // SIGINTs received so far; a statement that starts at count c was hit by a
  // SIGINT iff a callback later reports a count > c.
  static uint64_t Count();

 private:
  std::function<void(uint64_t)> on_interrupt_;
  std::thread thread_;
};

}  // namespace laser::shell
