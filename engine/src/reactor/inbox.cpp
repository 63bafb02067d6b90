#include "reactor/inbox.h"

namespace tofu::detail {

void Inbox::push(MessagePtr message) {
  bool wasIdle = false;
  {
    MutexLock lock(mutex_);
    messages_.pushBack(std::move(message));
    wasIdle = !std::exchange(wakePending_, true);
  }
  notifyOnce(wasIdle);
}

void Inbox::pushTask(Task task) {
  bool wasIdle = false;
  {
    MutexLock lock(mutex_);
    tasks_.push_back(std::move(task));
    wasIdle = !std::exchange(wakePending_, true);
  }
  notifyOnce(wasIdle);
}

void Inbox::notifyOnce(bool wasIdle) noexcept {
  if (wasIdle) notifier_.notify();
}

void Inbox::take(MessageQueue& messages, std::vector<Task>& tasks) {
  // Drain first: a push after the swap below sets wakePending_ again and notifies anew.
  notifier_.drain();
  MutexLock lock(mutex_);
  messages.append(messages_);
  tasks.swap(tasks_);
  wakePending_ = false;
}

}  // namespace tofu::detail
