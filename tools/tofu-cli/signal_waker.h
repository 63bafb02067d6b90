// SignalWaker: turns SIGINT/SIGTERM into a wake-up of one channel group's waitReceive()
// loop. Owns a thread that sigwait()s for them, so no work ever runs in a signal handler.
// Create and destroy on the thread that runs the loop; stopRequested() is safe anywhere.
#pragma once

#include <atomic>
#include <thread>

#include "tofu/channel_group.h"

namespace tofu::cli {

class SignalWaker {
 public:
  // Blocks SIGINT and SIGTERM in the calling thread. Threads started later (the engine's I/O
  // thread, the waker's own) inherit the mask, so the signals reach only sigwait(); call it
  // before Reactor::create(). A signal arriving before the waker starts stays pending.
  static void blockTerminationSignals();

  // Starts the waiting thread. `group` must outlive the waker.
  explicit SignalWaker(ChannelGroup& group);
  // Stops and joins the waiting thread; the group is not touched afterwards.
  ~SignalWaker();

  SignalWaker(const SignalWaker&) = delete;
  SignalWaker& operator=(const SignalWaker&) = delete;

  // True once SIGINT or SIGTERM has arrived; the group then receives an engine Signal with
  // status receiver_update. Thread-safe.
  bool stopRequested() const noexcept { return stopRequested_.load(std::memory_order_acquire); }

 private:
  void run();

  ChannelGroup& group_;
  std::atomic<bool> stopRequested_{false};
  std::atomic<bool> quitting_{false};  // set by the destructor to end run()
  std::thread thread_;
};

}  // namespace tofu::cli
