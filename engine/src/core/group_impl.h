// Internal, not part of the API.
// GroupImpl: a ChannelGroup. Owns its receive queue (locked; the reactor pushes, one
// application thread at a time waits: a concurrent second one is refused with not_allowed),
// the consumer's batch taken from it with one lock, and, on the reactor thread only, the
// messages produced during the current loop pass, flushed with one lock and at most one
// wake-up.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>

#include "tofu/channel_group.h"
#include "tofu/support/mutex.h"
#include "util/cache_line.h"
#include "util/message_queue.h"
#include "util/receive_budget.h"

namespace tofu::detail {

class AmpeImpl;

class GroupImpl final : public ChannelGroup {
 public:
  explicit GroupImpl(AmpeImpl& engine);
  // Process-wide, from 1, never reused (as the reference's group ids).
  std::uint64_t id() const noexcept { return id_; }
  // Messages waiting for waitReceive(). Any thread.
  std::size_t queueDepth();
  ~GroupImpl();
  GroupImpl(const GroupImpl&) = delete;
  GroupImpl& operator=(const GroupImpl&) = delete;

  Result<BinaryHeader> enqueueToPeer(MessagePtr& message) override;
  Result<MessagePtr> waitReceive(std::uint64_t timeoutNs) override;
  Status updateReceiver(MessagePtr& message) override;
  using ChannelGroup::updateReceiver;

  // Any thread: appends `batch` to the receive queue (one lock, one wake-up). When the group
  // is closed the messages are handed back in `batch` for the caller to recycle.
  void deliver(MessageQueue& batch);

  // Any thread: closes the queue, wakes every waiter with shutdown_started, moves queued
  // messages into `leftovers` (the consumer's batch goes back to the pool in the destructor),
  // and returns once no thread is inside waitReceive().
  void close(MessageQueue& leftovers);

  // What the group's received messages may hold (B14). Reactor thread only, but see
  // ReceiveBudget for what other threads do with it through the messages.
  ReceiveBudget& receiveBudget() noexcept { return *receiveBudget_; }
  // Reactor thread only: receive charges of this pass's messages, published before delivery,
  // and what frames being received reserve (ReceiveFlow::kFrameReserve each). The fields
  // each thread writes often start cache lines of their own (here the reactor's, below the
  // receive queue's and the consumer's): sharing a line made every frame delivered cost the
  // waitReceive() thread a cache miss, and every waitReceive() one for the reactor.
  alignas(kCacheLineBytes) std::size_t pendingReceiveCharge = 0;
  std::size_t receiveInProgress = 0;
  std::size_t receiveCommitted() const noexcept { return pendingReceiveCharge + receiveInProgress; }

  // Reactor thread only: this pass's messages for the group, and starvation bookkeeping.
  MessageQueue& pendingBatch() noexcept { return pending_; }
  bool pendingScheduled = false;     // already listed for this pass's flush
  bool poolEmptyReported = false;    // a pool_empty was sent for the current episode (B5)
  // Any thread: the group's last pool_empty is queued and not yet received. Set by the
  // reactor, cleared by waitReceive() when it hands the notice out.
  std::atomic<bool> poolEmptyUnread{false};
  std::size_t starvingChannels = 0;  // channels of this group waiting for a pool message
  bool destroyed = false;            // destroy() began: deliveries go back to the pool

 private:
  Result<MessagePtr> take(std::uint64_t timeoutNs);
  MessagePtr popTaken();
  // Polls for up to `ns` until something is queued or the group closes.
  void spinUntilQueued(std::int64_t ns) const;
  void publishReceived(const Message& message);

  AmpeImpl& engine_;
  const std::uint64_t id_;
  ReceiveBudget* const receiveBudget_;  // detached (and freed once nothing is charged) by ~GroupImpl

  alignas(kCacheLineBytes) Mutex mutex_;
  std::condition_variable arrived_;  // a message arrived or the queue closed
  std::condition_variable left_;     // a waiter left (close() waits for the last one)
  MessageQueue queue_ GUARDED_BY(mutex_);
  bool closed_ GUARDED_BY(mutex_) = false;
  int waiters_ GUARDED_BY(mutex_) = 0;
  std::atomic<bool> closing_{false};  // closed_, readable without the lock
  std::atomic<bool> queued_{false};   // !queue_.empty(), readable without the lock
  alignas(kCacheLineBytes) std::atomic<int> inside_{0};  // threads inside waitReceive(), asleep or not
  // A thread is consuming: taking from queue_ or serving taken_. Claimed with a
  // compare-exchange, so a second concurrent waitReceive() gets not_allowed instead of racing
  // on taken_ (double free, duplicates, losses). Acquire/release: each consumer sees what the
  // previous one left in taken_.
  std::atomic<bool> consuming_{false};

  // The waitReceive() thread's batch: everything that was queued when it last took the lock,
  // handed out in order before the lock is taken again. Only the thread holding consuming_
  // touches it (the destructor returns what is left to the pool); its size is published for
  // queueDepth().
  MessageQueue taken_;
  std::atomic<std::size_t> takenDepth_{0};

  alignas(kCacheLineBytes) MessageQueue pending_;  // reactor thread only
};

}  // namespace tofu::detail
