// ChannelGroup: a receive queue plus ownership of channels. Created and destroyed through
// Ampe. enqueueToPeer() and updateReceiver() may be called from any thread; waitReceive()
// has one consumer at a time per group (a concurrent second caller gets not_allowed).
#pragma once

#include <cstdint>

#include "tofu/message.h"
#include "tofu/result.h"

namespace tofu {

inline constexpr std::uint64_t kWaitReceiveInfiniteTimeout = UINT64_MAX;
inline constexpr std::uint64_t kWaitReceiveSecondTimeout = 1'000'000'000;

class ChannelGroup {
 public:
  // Hands `message` to the engine for its channel (the message is the API: HelloRequest
  // connects, WelcomeRequest listens, ByeRequest closes gracefully, ByeSignal aborts).
  // Validates synchronously (PROTOCOL.md 2.8, K6): on failure the caller keeps the message,
  // whose status byte tells why for the header checks. Hello/WelcomeRequest always open a new
  // channel: its number is allocated here and returned. A message id of 0 is replaced by the
  // next process-wide id. On success `message` is cleared and the returned header snapshot
  // has the channel number and id; the outcome arrives later through waitReceive().
  // Fails with notification_failed when the channel's send queue is full (B6),
  // notification_disabled once the engine is shutting down, allocation_failed when no channel
  // number is free. After a notification_failed, once that channel's queue has drained to half
  // of Options::sendQueueLimitBytes, one send-ready Signal arrives through waitReceive()
  // (isSendReady(), B16): one per episode however many posts were refused, never after the
  // channel's closing Signal. Thread-safe; never blocks on the network.
  [[nodiscard]] virtual Result<BinaryHeader> enqueueToPeer(MessagePtr& message) = 0;

  // Takes the oldest message of this group's queue: peer messages, engine notifications
  // (origin engine) and updateReceiver() items, in one FIFO. Blocks up to `timeoutNs`
  // nanoseconds (0 polls, kWaitReceiveInfiniteTimeout waits forever); a message arriving or
  // the group being destroyed wakes it. Before sleeping it polls, yielding the CPU, for up to
  // Options::spinMicros, so that a reply arriving soon costs no thread wake-up; the first
  // call after a burst takes everything queued under one lock and later calls hand it out
  // without locking. Returns a null message on timeout, shutdown_started
  // when the group is destroyed (or the engine with it). The caller owns the message and
  // should give it back with Ampe::put().
  // One consumer at a time per group: calls from different threads are fine one after the
  // other, but a call made while another thread is already inside waitReceive() on the same
  // group returns not_allowed at once, without waiting or taking anything; the thread already
  // waiting is served as if it were alone. Use one group per receiving thread.
  [[nodiscard]] virtual Result<MessagePtr> waitReceive(std::uint64_t timeoutNs) = 0;

  // Appends to this group's queue, to wake or instruct the waitReceive() thread.
  // With a null message, the engine adds a Signal with origin engine, status receiver_update,
  // channel 0 and id 0. Otherwise `message` is queued as it is but for origin application and
  // status receiver_update, and cleared. shutdown_started if the group is being destroyed
  // (the caller keeps its message). Thread-safe; never blocks.
  [[nodiscard]] virtual Status updateReceiver(MessagePtr& message) = 0;

  // A convenience for the null form.
  [[nodiscard]] Status updateReceiver() {
    MessagePtr none;
    return updateReceiver(none);
  }

 protected:
  ChannelGroup() = default;
  ~ChannelGroup() = default;
};

}  // namespace tofu
