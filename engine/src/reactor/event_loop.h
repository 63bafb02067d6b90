// Internal, not part of the API.
// EventLoop: the engine's I/O thread (muduo's EventLoop). Owns the thread, the poller, the
// inbox and the timers, and runs passes: ready sockets to their IoHandlers, the inbox's posts
// and tasks, due timers, then its owner's end-of-pass work (PassWork). It knows nothing of
// channels, groups or the pool. start(), stop() and inbox() from any thread; the rest on the
// loop thread only.
#pragma once

#include <atomic>
#include <chrono>
#include <span>
#include <thread>
#include <vector>

#include "reactor/epoll_poller.h"
#include "reactor/inbox.h"
#include "reactor/pass_work.h"
#include "tofu/status.h"

namespace tofu::detail {

class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;

  // `spin`: how long a pass polls for ready sockets before sleeping (Options::spinMicros).
  explicit EventLoop(std::chrono::microseconds spin);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Any thread, once each. start() returns once the thread runs passes for `work`; stop()
  // ends the passes, runs work.afterLastPass() and joins the thread. Not blocking beyond that.
  Status start(PassWork& work);
  void stop();
  Inbox& inbox() noexcept { return inbox_; }

  // ---- Loop thread only (or before start()); debug builds assert it. ----
  EpollPoller& poller() noexcept {
    assertInLoopThread();
    return poller_;
  }
  // work.onTimer(key) runs in the first pass after `when`. Allocates nothing once
  // reserveTimers() made room.
  void setTimer(TimerKey key, Clock::time_point when);
  void reserveTimers(std::size_t timers);
  // Aborts a debug build when called on another thread while the loop runs (muduo's
  // assertInLoopThread); nothing in a release build.
  void assertInLoopThread() const noexcept;

 private:
  void run();
  void runPass();
  // The ready events: polls for `spin_` before sleeping until the next timer.
  std::span<const epoll_event> waitForEvents();
  int pollTimeoutMs() const;
  void runTimers();

  const std::chrono::microseconds spin_;
  PassWork* work_ = nullptr;  // set by start(), before the thread runs
  Inbox inbox_;
  EpollPoller poller_;
  std::thread thread_;
  // The loop thread's id while run() runs; none before and after. Atomic because start()
  // returns, and other threads may look, while the new thread sets it.
  std::atomic<std::thread::id> loopThread_{};
  bool running_ = false;  // loop thread only (set before the thread starts)

  // Per-pass batches taken from the inbox.
  MessageQueue posted_;
  std::vector<Inbox::Task> tasks_;

  struct Timer {
    Clock::time_point when;
    TimerKey key;
    bool operator>(const Timer& other) const noexcept { return when > other.when; }
  };
  // A binary min-heap on a vector: arming a timer allocates nothing once it has grown.
  std::vector<Timer> timers_;
};

}  // namespace tofu::detail
