#include "core/group_impl.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "core/ampe_impl.h"
#include "util/message_access.h"

namespace tofu::detail {

namespace {
// Timeouts this long are treated as infinite, so deadline arithmetic cannot overflow.
constexpr std::uint64_t kLongestFiniteWaitNs = std::uint64_t{1} << 62;
std::atomic<std::uint64_t> gNextGroupId{1};
}  // namespace

GroupImpl::GroupImpl(AmpeImpl& engine)
    : engine_(engine),
      id_(gNextGroupId.fetch_add(1, std::memory_order_relaxed)),
      receiveBudget_(ReceiveBudget::create(engine.receiveBudgetBytes(), [&engine] { engine.onReceiveRoom(); })) {}

std::size_t GroupImpl::queueDepth() {
  MutexLock lock(mutex_);
  return queue_.size() + takenDepth_.load(std::memory_order_relaxed);
}

GroupImpl::~GroupImpl() {
  engine_.pool().putAll(taken_);
  receiveBudget_->detach();
}

Result<BinaryHeader> GroupImpl::enqueueToPeer(MessagePtr& message) { return engine_.post(*this, message); }

Result<MessagePtr> GroupImpl::waitReceive(std::uint64_t timeoutNs) {
  // Counted first: close() must not return, and destroy() free the group, while this call
  // spins or serves its batch without the lock, or only tries to become the consumer. Nothing
  // touches the group after the count drops.
  inside_.fetch_add(1);
  Result<MessagePtr> result = Status::shutdown_started;
  if (!closing_.load()) {
    // One consumer at a time: taken_ is unlocked by design. A second caller is refused at once
    // and the first goes on as if it were alone (misuse fails loudly, never corrupts).
    bool consuming = false;
    if (consuming_.compare_exchange_strong(consuming, true, std::memory_order_acquire)) {
      result = take(timeoutNs);
      if (result.ok() && result.value() && engine_.observers().observing()) publishReceived(*result.value());
      consuming_.store(false, std::memory_order_release);
    } else {
      result = Status::not_allowed;
    }
  }
  inside_.fetch_sub(1);
  return result;
}

void GroupImpl::publishReceived(const Message& message) {
  const std::int64_t readNs = MessageAccess::readNsOf(message);
  if (readNs == 0) return;  // not a peer frame (or read before observing started)
  ObserverHub& observers = engine_.observers();
  Event event = observers.messageEvent(EventKind::messageReceived, message, MessageAccess::incarnationOf(message));
  event.readNs = readNs;
  event.deliveredNs = event.atNs;
  observers.publish(event, &message);
}

Result<MessagePtr> GroupImpl::take(std::uint64_t timeoutNs) {
  // A burst costs the consumer one lock: later calls are served from its own batch.
  if (!taken_.empty()) {
    if (closing_.load(std::memory_order_acquire)) return Status::shutdown_started;
    return popTaken();
  }
  if (timeoutNs != 0 && !queued_.load(std::memory_order_acquire)) {
    const std::int64_t spinNs = std::int64_t{engine_.options().spinMicros} * 1000;
    if (spinNs != 0) spinUntilQueued(static_cast<std::int64_t>(std::min(timeoutNs, static_cast<std::uint64_t>(spinNs))));
  }
  MutexLock lock(mutex_);
  if (queue_.empty() && !closed_ && timeoutNs != 0) {
    ++waiters_;
    auto ready = [this]() REQUIRES(mutex_) { return !queue_.empty() || closed_; };
    if (timeoutNs >= kLongestFiniteWaitNs) {
      arrived_.wait(lock.native(), ready);
    } else {
      arrived_.wait_for(lock.native(), std::chrono::nanoseconds(timeoutNs), ready);
    }
    if (--waiters_ == 0 && closed_) left_.notify_all();
  }
  if (closed_) return Status::shutdown_started;
  taken_.swap(queue_);
  queued_.store(false, std::memory_order_relaxed);
  return popTaken();
}

void GroupImpl::spinUntilQueued(std::int64_t ns) const {
  const std::int64_t until = monotonicNowNs() + ns;
  do {
    if (queued_.load(std::memory_order_acquire) || closing_.load(std::memory_order_acquire)) return;
    std::this_thread::yield();  // the thread about to deliver may need this core
  } while (monotonicNowNs() < until);
}

MessagePtr GroupImpl::popTaken() {
  MessagePtr message = taken_.popFront();
  takenDepth_.store(taken_.size(), std::memory_order_relaxed);
  if (message && message->isFromEngine()) {
    if (MessageAccess::notice(*message)) poolEmptyUnread.store(false, std::memory_order_relaxed);
    if (isSendReady(*message)) engine_.table().sendReadyTaken(message->channelNumber());  // B16
  }
  return message;
}

Status GroupImpl::updateReceiver(MessagePtr& message) {
  MessagePtr item;
  if (message) {
    message->header().proto.origin = Origin::application;
    message->header().status = Status::receiver_update;
    item = std::move(message);
  } else {
    item = engine_.pool().get(AllocationStrategy::always);
    item->setOpCode(OpCode::Signal);
    item->header().proto.origin = Origin::engine;
    item->header().status = Status::receiver_update;
  }
  MessageQueue one;
  one.pushBack(std::move(item));
  deliver(one);
  if (one.empty()) return Status::success;
  // Closed: the caller keeps its own message; an engine-made signal goes back to the pool.
  MessagePtr refused = one.popFront();
  if (refused->isFromApplication()) {
    message = std::move(refused);
  } else {
    engine_.pool().put(std::move(refused));
  }
  return Status::shutdown_started;
}

void GroupImpl::deliver(MessageQueue& batch) {
  bool wake = false;
  {
    MutexLock lock(mutex_);
    if (closed_) return;
    queue_.append(batch);
    queued_.store(true, std::memory_order_release);
    wake = waiters_ > 0;
  }
  if (wake) arrived_.notify_one();
}

void GroupImpl::close(MessageQueue& leftovers) {
  {
    MutexLock lock(mutex_);
    closed_ = true;
    closing_.store(true);
    leftovers.append(queue_);
    arrived_.notify_all();
    left_.wait(lock.native(), [this]() REQUIRES(mutex_) { return waiters_ == 0; });
  }
  // A caller spinning or serving its batch sees closing_ at its next poll: microseconds.
  while (inside_.load() != 0) std::this_thread::yield();
}

}  // namespace tofu::detail
