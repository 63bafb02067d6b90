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

qsizetype DeliveryQueue::waitForRoom() {
  std::unique_lock lock(mutex_);
  if (options_.overflow == OverflowPolicy::dropOldest) {
    return aborted_ ? 0 : std::max<qsizetype>(options_.maxPending, 1);
  }
  room_.wait(lock, [this] { return aborted_ || pendingLocked() < options_.maxPending; });
  return aborted_ ? 0 : options_.maxPending - pendingLocked();
}

void DeliveryQueue::push(std::deque<MessageEnvelope>& batch) {
  bool post = false;
  {
    const std::lock_guard lock(mutex_);
    for (MessageEnvelope& envelope : batch) {
      ++stats_.received;
      if (pendingLocked() > options_.maxPending) {
        // Only dropOldest gets here (backpressure never receives past the room it was given).
        // Envelopes the consumer already took are being emitted; with none left waiting, the
        // newest is the one that goes.
        ++stats_.dropped;
        if (queue_.empty()) {
          continue;
        }
        queue_.pop_front();
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
    const std::lock_guard lock(mutex_);
    aborted_ = true;
  }
  room_.notify_all();
}

bool DeliveryQueue::takeChunk(QList<MessageEnvelope>& out, qsizetype max) {
  const std::lock_guard lock(mutex_);
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
    const std::lock_guard lock(mutex_);
  }
  room_.notify_one();
}

quint64 DeliveryQueue::takeNewDrops(quint64& total) {
  const std::lock_guard lock(mutex_);
  total = stats_.dropped;
  const quint64 fresh = stats_.dropped - reportedDrops_;
  reportedDrops_ = stats_.dropped;
  return fresh;
}

DeliveryStats DeliveryQueue::stats() const {
  const std::lock_guard lock(mutex_);
  DeliveryStats stats = stats_;
  stats.delivered = delivered_.load(std::memory_order_acquire);
  stats.pending = pendingLocked();
  stats.lastLagNs = lastLagNs_.load(std::memory_order_relaxed);
  stats.maxLagNs = maxLagNs_.load(std::memory_order_relaxed);
  return stats;
}

}  // namespace tofu::qt
