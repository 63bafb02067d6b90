// DeliveryQueue: the bounded hand-over between a ChannelGroup's ReceiveThread (producer) and
// the thread the ChannelGroup lives in (consumer). Owns the envelopes waiting for emission and
// the exact DeliveryStats; applies the overflow policy. Every method is thread-safe; which
// side calls which is stated per method.
#pragma once

#include <QList>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>

#include "tofu/qt/delivery.h"
#include "tofu/qt/message_envelope.h"
#include "tofu/support/mutex.h"

namespace tofu::qt {

class DeliveryQueue {
 public:
  // `post` is called (on the producer thread) when a batch arrives and no delivery is pending;
  // it must schedule takeChunk()/delivered() calls on the consumer thread without blocking.
  DeliveryQueue(const DeliveryOptions& options, std::function<void()> post);
  DeliveryQueue(const DeliveryQueue&) = delete;
  DeliveryQueue& operator=(const DeliveryQueue&) = delete;
  ~DeliveryQueue();

  // Producer. How many messages may be received now: blocks while the queue is full under
  // backpressure (until the consumer makes room or abort()); 0 once aborted.
  qsizetype waitForRoom();
  // Producer. Appends a batch in receive order (dropping the oldest under dropOldest) and posts
  // a delivery when none is pending. Never blocks beyond a short lock.
  void push(std::deque<MessageEnvelope>& batch);
  // Any thread. Wakes a producer blocked in waitForRoom() for good.
  void abort();

  // Consumer. Moves up to `max` of the oldest waiting envelopes to `out`. When none wait, the
  // pending delivery is over (the next push posts again) and false is returned.
  bool takeChunk(QList<MessageEnvelope>& out, qsizetype max);
  // Consumer. One envelope taken by takeChunk() was emitted; `lagNs` is its receipt-to-emission
  // time. Never blocks (atomics).
  void delivered(qint64 lagNs);
  // Consumer. After a chunk was emitted: lets a waiting producer go on.
  void chunkDone();
  // Consumer. Drops counted since the last call (0 when none), and their total.
  quint64 takeNewDrops(quint64& total);

  // Any thread; a short lock.
  DeliveryStats stats() const;

 private:
  qsizetype pendingLocked() const REQUIRES(mutex_);

  // Constant after construction.
  const DeliveryOptions options_;
  const std::function<void()> post_;

  mutable detail::Mutex mutex_;
  std::condition_variable room_;
  std::deque<MessageEnvelope> queue_ GUARDED_BY(mutex_);
  // received, dropped, postedEvents, maxPendingSeen; the rest below
  DeliveryStats stats_ GUARDED_BY(mutex_);
  bool deliveryPosted_ GUARDED_BY(mutex_) = false;
  bool aborted_ GUARDED_BY(mutex_) = false;
  quint64 reportedDrops_ GUARDED_BY(mutex_) = 0;

  // Written by the consumer only, read anywhere.
  std::atomic<quint64> delivered_{0};
  std::atomic<qint64> lastLagNs_{0};
  std::atomic<qint64> maxLagNs_{0};
};

}  // namespace tofu::qt
