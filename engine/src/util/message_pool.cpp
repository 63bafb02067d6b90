#include "util/message_pool.h"

#include <algorithm>
#include <thread>

#include "util/receive_budget.h"

namespace tofu::detail {

namespace {
constexpr std::uint16_t kDefaultInitial = 4096;
constexpr std::uint16_t kDefaultMaxIdle = 65535;
// Longer waits have no deadline (a steady_clock time point that far ahead would overflow).
constexpr std::uint64_t kLongestFiniteWaitNs = std::uint64_t{1} << 62;
}  // namespace

MessagePool::MessagePool(std::uint16_t initialMessages, std::uint16_t maxIdleMessages)
    : initial_(initialMessages == 0 ? kDefaultInitial : initialMessages),
      maxIdle_(std::max<std::size_t>(initial_, maxIdleMessages == 0 ? kDefaultMaxIdle : maxIdleMessages)) {
  MutexLock lock(mutex_);
  idle_.reserve(initial_);
  for (std::size_t i = 0; i < initial_; ++i) idle_.push(makePooled());
  lowestIdle_ = initial_;
  lowestIdleBySecond_.fill(0);  // nothing is trimmed before kTrimSeconds calls have seen it idle
  // Several notices are in flight at once under a flood, behind traffic not taken yet.
  for (std::size_t i = 0; i < kPreparedNotices; ++i) spareNotices_.pushFront(makeNotice());
}

MessagePtr MessagePool::makeNotice() {
  MessagePtr notice = MessageAccess::make();
  MessageAccess::notice(*notice) = true;
  return notice;
}

MessagePtr MessagePool::makePooled() {
  MessagePtr message = MessageAccess::make();
  MessageAccess::pooled(*message) = true;
  ++made_;
  return message;
}

MessagePtr MessagePool::get(AllocationStrategy strategy) {
  {
    MutexLock lock(mutex_);
    if (MessagePtr message = idle_.pop()) {
      lowestIdle_ = std::min(lowestIdle_, idle_.size());
      idle_.prefetchTop();  // a sender taking one message takes another soon
      return message;
    }
    lowestIdle_ = 0;
  }
  if (strategy != AllocationStrategy::always) return nullptr;
  MutexLock lock(mutex_);
  return makePooled();
}

bool MessagePool::waitGet(std::uint64_t timeoutNs, std::uint64_t spinNs, MessagePtr& message) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  const Clock::time_point spinUntil = start + std::chrono::nanoseconds(std::min(spinNs, timeoutNs));
  MutexLock lock(mutex_);
  ++waiters_;  // from here on, shutDown() waits for this call to leave the pool
  // A message written soon comes back without a thread wake-up (as ChannelGroup::waitReceive).
  while (idle_.empty() && !shutDown_ && Clock::now() < spinUntil) {
    lock.native().unlock();
    std::this_thread::yield();  // the thread about to put one back may need this core
    lock.native().lock();
  }
  auto ready = [this]() REQUIRES(mutex_) { return !idle_.empty() || shutDown_; };
  if (timeoutNs >= kLongestFiniteWaitNs) {
    messageKept_.wait(lock.native(), ready);
  } else {
    messageKept_.wait_until(lock.native(), start + std::chrono::nanoseconds(timeoutNs), ready);
  }
  --waiters_;
  if (shutDown_) {
    messageKept_.notify_all();  // shutDown() waits for the last caller to leave
    return false;
  }
  message = idle_.pop();  // null when the time ran out
  lowestIdle_ = std::min(lowestIdle_, idle_.size());
  return true;
}

void MessagePool::shutDown() {
  MutexLock lock(mutex_);
  shutDown_ = true;
  messageKept_.notify_all();
  messageKept_.wait(lock.native(), [this]() REQUIRES(mutex_) { return waiters_ == 0; });
}

MessagePtr MessagePool::takeNotice() {
  {
    MutexLock lock(mutex_);
    if (MessagePtr notice = spareNotices_.popFront()) return notice;
  }
  return makeNotice();
}

void MessagePool::takeForReceive(MessageQueue& out, std::size_t count) {
  MutexLock lock(mutex_);
  std::size_t taken = 0;
  for (; taken < count && !idle_.empty(); ++taken) out.pushBack(idle_.pop());
  lowestIdle_ = std::min(lowestIdle_, idle_.size());
  // Growing under the lock keeps made_ exact; it happens only while traffic outgrows the pool.
  for (; taken < count; ++taken) out.pushBack(makePooled());
}

void MessagePool::put(MessagePtr message) {
  if (!message) return;
  MessageQueue one;
  one.pushBack(std::move(message));
  putAll(one);
}

void MessagePool::putAll(MessageQueue& messages) {
  // Reset outside the lock: it touches only messages we own.
  for (Message* m = messages.front(); m != nullptr; m = MessageQueue::nextOf(m)) {
    Message* next = MessageQueue::nextOf(m);
    ReceiveBudget::release(*m);
    m->reset();
    MessageAccess::next(*m) = next;
  }
  keep(messages);
}

void MessagePool::keep(MessageQueue& resetMessages) {
  bool waitersToWake = false;
  MessageQueue surplus;
  {
    MutexLock lock(mutex_);
    while (MessagePtr message = resetMessages.popFront()) {
      bool& pooled = MessageAccess::pooled(*message);
      bool& notice = MessageAccess::notice(*message);
      if (notice && spareNotices_.size() < kMaxSpareNotices) {
        spareNotices_.pushFront(std::move(message));
        continue;
      }
      notice = false;  // an extra notice becomes an ordinary message
      if (idle_.size() < maxIdle_) {
        if (!pooled) ++made_;  // adopted
        pooled = true;
        idle_.push(std::move(message));
      } else {
        if (pooled) ++freed_;
        surplus.pushBack(std::move(message));
      }
    }
    waitersToWake = waiters_ != 0 && !idle_.empty();
  }
  if (waitersToWake) messageKept_.notify_all();
  // `surplus` frees its messages here, outside the lock.
}

void MessagePool::trimIdle() {
  MessageQueue unused;
  {
    MutexLock lock(mutex_);
    // What stayed idle through each of the last kTrimSeconds calls was not needed in that
    // time: a load that comes back within it (a receiver falling behind now and then) finds its
    // messages still there instead of allocating them again.
    lowestIdleBySecond_[trimCalls_++ % kTrimSeconds] = lowestIdle_;
    const std::size_t neverNeeded = *std::min_element(lowestIdleBySecond_.begin(), lowestIdleBySecond_.end());
    const std::size_t surplus = neverNeeded > initial_ ? (neverNeeded - initial_ + 1) / 2 : 0;
    // Which ones go does not matter, only how many: that many were never needed.
    while (unused.size() < surplus) unused.pushBack(idle_.pop());
    freed_ += unused.size();
    for (std::size_t& lowest : lowestIdleBySecond_) lowest -= std::min(lowest, surplus);
    lowestIdle_ = idle_.size();
  }
  // `unused` frees its messages here, outside the lock.
}

PoolInfo MessagePool::info() const {
  MutexLock lock(mutex_);
  PoolInfo info;
  info.idle = idle_.size();
  info.allocated = made_ - freed_;
  info.inUse = info.allocated - info.idle;
  return info;
}

}  // namespace tofu::detail
