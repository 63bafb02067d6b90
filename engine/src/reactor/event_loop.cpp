#include "reactor/event_loop.h"

#include <algorithm>
#include <cassert>
#include <functional>
#include <system_error>

#include "reactor/io_handler.h"

namespace tofu::detail {

EventLoop::EventLoop(std::chrono::microseconds spin) : spin_(spin) {}

EventLoop::~EventLoop() { stop(); }

Status EventLoop::start(PassWork& work) {
  if (!poller_.valid() || !inbox_.valid()) return Status::allocation_failed;
  work_ = &work;
  poller_.add(inbox_.fd(), {.read = true}, &inbox_);
  running_ = true;
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error&) {
    running_ = false;
    return Status::allocation_failed;
  }
  return Status::success;
}

void EventLoop::stop() {
  if (!thread_.joinable()) return;
  inbox_.pushTask([this] { running_ = false; });
  thread_.join();
}

void EventLoop::run() {
  loopThread_ = std::this_thread::get_id();
  while (running_) runPass();
  // What was queued after the last pass is handed over undone: the owner frees it.
  inbox_.take(posted_, tasks_);
  tasks_.clear();
  work_->afterLastPass(posted_);
  loopThread_ = std::thread::id{};
}

void EventLoop::assertInLoopThread() const noexcept {
  [[maybe_unused]] const std::thread::id loop = loopThread_.load(std::memory_order_relaxed);
  assert(loop == std::thread::id{} || loop == std::this_thread::get_id());
}

std::span<const epoll_event> EventLoop::waitForEvents() {
  if (spin_.count() != 0 && pollTimeoutMs() != 0) {
    Clock::time_point until = Clock::now() + spin_;
    if (!timers_.empty()) until = std::min(until, timers_.front().when);  // timers stay on time
    do {
      if (std::span<const epoll_event> ready = poller_.wait(0); !ready.empty()) return ready;
      std::this_thread::yield();  // whoever has the work may need this core
    } while (Clock::now() < until);
  }
  return poller_.wait(pollTimeoutMs());
}

void EventLoop::runPass() {
  bool inboxReady = false;
  for (const epoll_event& event : waitForEvents()) {
    if (event.data.ptr == &inbox_) {
      inboxReady = true;
      continue;
    }
    static_cast<IoHandler*>(event.data.ptr)->handleEvents(event.events);
  }
  if (inboxReady) {
    // B10: everything queued since the last pass is handled now, in submission order.
    inbox_.take(posted_, tasks_);
    while (MessagePtr posted = posted_.popFront()) work_->onPosted(std::move(posted));
    for (Inbox::Task& task : tasks_) task();
    tasks_.clear();
  }
  work_->beforeTimers();
  runTimers();
  work_->endOfPass();
}

int EventLoop::pollTimeoutMs() const {
  if (timers_.empty()) return -1;
  const auto wait = timers_.front().when - Clock::now();
  if (wait <= Clock::duration::zero()) return 0;
  // Round up so the timer is due when the poll returns.
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count());
}

void EventLoop::setTimer(TimerKey key, Clock::time_point when) {
  assertInLoopThread();
  timers_.push_back({when, key});
  std::push_heap(timers_.begin(), timers_.end(), std::greater<>());
}

void EventLoop::reserveTimers(std::size_t timers) {
  assertInLoopThread();
  if (timers_.capacity() < timers) timers_.reserve(2 * timers);
}

void EventLoop::runTimers() {
  const Clock::time_point now = Clock::now();
  while (!timers_.empty() && timers_.front().when <= now) {
    std::pop_heap(timers_.begin(), timers_.end(), std::greater<>());
    const TimerKey due = timers_.back().key;
    timers_.pop_back();
    work_->onTimer(due);
  }
}

}  // namespace tofu::detail
