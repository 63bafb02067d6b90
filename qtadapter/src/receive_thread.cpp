#include "receive_thread.h"

#include <algorithm>
#include <deque>
#include <utility>

#include "tofu/ampe.h"
#include "tofu/channel_group.h"

#include "delivery_queue.h"

namespace tofu::qt {

ReceiveThread::ReceiveThread(Ampe& ampe, tofu::ChannelGroup& group, DeliveryQueue& queue)
    : ampe_(ampe), group_(group), queue_(queue) {
  setObjectName(QStringLiteral("tofu receive"));
}

ReceiveThread::~ReceiveThread() { stop(); }

void ReceiveThread::stop() {
  if (abort_.exchange(true, std::memory_order_acq_rel)) {
    return;  // already stopped: the group may be gone by now
  }
  // The null form needs no message from us; a failure means the group is already going away,
  // which wakes waitReceive() by itself.
  (void)group_.updateReceiver();
  queue_.abort();
  join();
}

void ReceiveThread::work() {
  std::deque<MessageEnvelope> batch;
  while (!abort_.load(std::memory_order_acquire)) {
    const qsizetype room = std::min(queue_.waitForRoom(), kBatchCap);
    if (room == 0) {
      return;
    }
    // Block for the first message of a batch, then take what is already queued without waiting.
    std::uint64_t timeoutNs = kWaitReceiveInfiniteTimeout;
    while (static_cast<qsizetype>(batch.size()) < room) {
      Result<MessagePtr> received = group_.waitReceive(timeoutNs);
      if (!received.ok()) {
        return;  // shutdown_started: the group or the engine is being destroyed
      }
      MessagePtr message = std::move(received).value();
      if (!message) {
        break;
      }
      batch.push_back(MessageEnvelope::fromMessage(*message, monotonicNowNs()));
      ampe_.put(message);
      if (abort_.load(std::memory_order_acquire)) {
        return;
      }
      timeoutNs = 0;
    }
    queue_.push(batch);
  }
}

}  // namespace tofu::qt
