// Internal, not part of the API.
// Inbox: the reactor's only cross-thread entry (muduo runInLoop/queueInLoop). Any thread
// pushes posted messages or tasks under a short lock; the reactor swaps everything out at
// once. A burst of pushes costs one eventfd wake-up.
#pragma once

#include <functional>
#include <vector>

#include "reactor/notifier.h"
#include "tofu/support/mutex.h"
#include "util/message_queue.h"

namespace tofu::detail {

class Inbox {
 public:
  using Task = std::function<void()>;

  // Any thread. Never blocks beyond a short lock.
  void push(MessagePtr message);
  void pushTask(Task task);
  // Wakes the reactor with nothing to take (e.g. the pool was refilled).
  void wake() noexcept { notifier_.notify(); }

  // Reactor thread: clears the wake-up and moves everything queued into the arguments.
  void take(MessageQueue& messages, std::vector<Task>& tasks);

  int fd() const noexcept { return notifier_.fd(); }
  bool valid() const noexcept { return notifier_.valid(); }

 private:
  void notifyOnce(bool wasIdle) noexcept;

  Notifier notifier_;
  Mutex mutex_;
  MessageQueue messages_ GUARDED_BY(mutex_);
  std::vector<Task> tasks_ GUARDED_BY(mutex_);
  bool wakePending_ GUARDED_BY(mutex_) = false;
};

}  // namespace tofu::detail
