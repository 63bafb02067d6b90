#include "signal_waker.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <pthread.h>
#include <signal.h>

namespace tofu::cli {
namespace {

sigset_t terminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void SignalWaker::blockTerminationSignals() {
  const sigset_t set = terminationSignals();
  if (const int error = pthread_sigmask(SIG_BLOCK, &set, nullptr); error != 0) {
    // Only possible with an invalid argument: a programming error, not a runtime condition.
    std::fprintf(stderr, "tofu-cli: pthread_sigmask: %s\n", std::strerror(error));
    std::abort();
  }
}

SignalWaker::SignalWaker(ChannelGroup& group) : group_(group), thread_([this] { run(); }) {}

SignalWaker::~SignalWaker() {
  quitting_.store(true, std::memory_order_release);
  // The signal is blocked everywhere, so it stays pending for this thread until its
  // sigwait() takes it, even if the thread has not reached sigwait() yet.
  pthread_kill(thread_.native_handle(), SIGTERM);
  thread_.join();
}

void SignalWaker::run() {
  const sigset_t set = terminationSignals();
  for (;;) {
    int signal = 0;
    if (sigwait(&set, &signal) != 0 || quitting_.load(std::memory_order_acquire)) {
      return;
    }
    stopRequested_.store(true, std::memory_order_release);
    // A second SIGINT wakes the loop again, which is harmless. shutdown_started means the
    // loop is already ending.
    (void)group_.updateReceiver();
  }
}

}  // namespace tofu::cli
