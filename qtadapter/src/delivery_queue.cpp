#include "delivery_queue.h"

#include <algorithm>
#include <utility>

namespace tofu::qt {

DeliveryQueue::DeliveryQueue(const DeliveryOptions& options, std::function<void()> post)
    : options_(options), post_(std::move(post)) {}

DeliveryQueue::~DeliveryQueue() = default;

qsizetype DeliveryQueue::pendingLocked() const {
  const quint64 done = delivered_.load(std::memory_order_acquire) + stats_.dropped;
  return static_cast<qsizetype>(stats_.received - done);
}

namespace {

// What dropOldest may discard: the peers' Requests, Responses and Signals, and pool_empty
// notices (information only, B14); never a handshake, a Bye, a channel's failure or a
// send-ready notice (B16: its channel's sender waits for it).
bool isDroppable(const MessageEnvelope& envelope) {
  const OpCode op = envelope.opCode();
  if (envelope.status() == Status::pool_empty) return true;
  return (op == OpCode::Request || op == OpCode::Response || op == OpCode::Signal) &&
         envelope.status() == Status::success && !envelope.isFromEngine();
}

}  // namespace

qsizetype DeliveryQueue::waitForRoom() {
  detail::MutexLock lock(mutex_);
  if (options_.overflow == OverflowPolicy::dropOldest) {
    return aborted_ ? 0 : std::max<qsizetype>(options_.maxPending, 1);
  }
  room_.wait(lock.native(),
             [this]() REQUIRES(mutex_) { return aborted_ || pendingLocked() < options_.maxPending; });
  return aborted_ ? 0 : options_.maxPending - pendingLocked();
}

void DeliveryQueue::push(std::deque<MessageEnvelope>& batch) {
  bool post = false;
  {
    const detail::MutexLock lock(mutex_);
    for (MessageEnvelope& envelope : batch) {
      ++stats_.received;
      if (pendingLocked() > options_.maxPending) {
        // Only dropOldest gets here (backpressure never receives past the room it was given).
        // Only data goes: a dropped HelloRequest would leave its peer's channel waiting for an
        // answer for good (B15), a dropped Bye or failure would hide a channel's end. So the
        // oldest waiting data message goes; with none waiting, the newest if it is data, else
        // nothing (control messages are few: a handful per channel).
        const auto oldestData = std::find_if(queue_.begin(), queue_.end(), isDroppable);
        if (oldestData != queue_.end()) {
          ++stats_.dropped;
          queue_.erase(oldestData);
        } else if (isDroppable(envelope)) {
          ++stats_.dropped;
          continue;
        }
      }
      queue_.push_back(std::move(envelope));
    }
    batch.clear();
    stats_.maxPendingSeen = std::max(stats_.maxPendingSeen, pendingLocked());
    if (!deliveryPosted_ && !queue_.empty()) {
      deliveryPosted_ = true;
      ++stats_.postedEvents;
      post = true;
    }
  }
  if (post) {
    post_();
  }
}

void DeliveryQueue::abort() {
  {
    const detail::MutexLock lock(mutex_);
    aborted_ = true;
  }
  room_.notify_all();
}

bool DeliveryQueue::takeChunk(QList<MessageEnvelope>& out, qsizetype max) {
  const detail::MutexLock lock(mutex_);
  if (queue_.empty()) {
    deliveryPosted_ = false;
    return false;
  }
  const qsizetype count = std::min(max, static_cast<qsizetype>(queue_.size()));
  out.reserve(out.size() + count);
  for (qsizetype i = 0; i < count; ++i) {
    out.append(std::move(queue_.front()));
    queue_.pop_front();
  }
  return true;
}

void DeliveryQueue::delivered(qint64 lagNs) {
  delivered_.fetch_add(1, std::memory_order_release);
  lastLagNs_.store(lagNs, std::memory_order_relaxed);
  if (lagNs > maxLagNs_.load(std::memory_order_relaxed)) {
    maxLagNs_.store(lagNs, std::memory_order_relaxed);
  }
}

void DeliveryQueue::chunkDone() {
  {
    // Taking the lock orders this wake-up after the producer's predicate check.
    const detail::MutexLock lock(mutex_);
  }
  room_.notify_one();
}

quint64 DeliveryQueue::takeNewDrops(quint64& total) {
  const detail::MutexLock lock(mutex_);
  total = stats_.dropped;
  const quint64 fresh = stats_.dropped - reportedDrops_;
  reportedDrops_ = stats_.dropped;
  return fresh;
}

DeliveryStats DeliveryQueue::stats() const {
  const detail::MutexLock lock(mutex_);
  DeliveryStats stats = stats_;
  stats.delivered = delivered_.load(std::memory_order_acquire);
  stats.pending = pendingLocked();
  stats.lastLagNs = lastLagNs_.load(std::memory_order_relaxed);
  stats.maxLagNs = maxLagNs_.load(std::memory_order_relaxed);
  return stats;
}

}  // namespace tofu::qt
