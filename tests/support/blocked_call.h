// BlockedCall: runs one blocking engine call (waitReceive, waitGet) on its own thread, so a
// test can wait until that thread sleeps (or spins) inside the call and then check what wakes
// it. Owns the thread; the test thread uses it.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <thread>

#include "tofu/tofu.h"

namespace tofu::test {

class BlockedCall {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts `call` at once on a new thread.
  explicit BlockedCall(std::function<Result<MessagePtr>()> call);
  ~BlockedCall();
  BlockedCall(const BlockedCall&) = delete;
  BlockedCall& operator=(const BlockedCall&) = delete;

  // Waits (up to defaultTimeout()) until the thread sleeps (state S in /proc), which it only
  // does inside the call: only then is it truly blocked. False, with a test failure, if never.
  bool waitUntilBlocked();

  // Waits (up to defaultTimeout()) until the thread has been runnable for 20 ms, which it only
  // is spinning inside the call (Options::spinMicros): only then is it truly spinning.
  // False, with a test failure, if never.
  bool waitUntilSpinning();

  // When the call returned. A thread that never returns cannot be joined, so the test process
  // is ended with a message instead of hanging past `bound`.
  Clock::time_point returnedAt(std::chrono::milliseconds bound);

  // The call's outcome; valid after returnedAt().
  Status status() const noexcept { return status_; }
  const MessagePtr& message() const noexcept { return message_; }

 private:
  std::atomic<int> tid_{0};
  Status status_ = Status::success;
  MessagePtr message_;
  std::promise<Clock::time_point> returned_;
  std::future<Clock::time_point> returnedAt_;
  std::thread thread_;
};

}  // namespace tofu::test
