// Internal, not part of the API.
// ReceiveBudget: one group's allowance of real memory for received messages the application
// has not given back yet (B14). The I/O thread charges each frame it delivers; any thread
// releases a message's charge (put, post, delete). It outlives its group while charged
// messages are still out: the group holds a bias on the count, so the last release frees it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>

#include "tofu/support/mutex.h"

namespace tofu {
class Message;
}

namespace tofu::detail {

class ReceiveBudget {
 public:
  // `wake` runs (on a releasing thread, never under a lock of the caller's) when the loop
  // asked to be told and the held bytes fell below `limitBytes`.
  static ReceiveBudget* create(std::size_t limitBytes, std::function<void()> wake);
  ReceiveBudget(const ReceiveBudget&) = delete;
  ReceiveBudget& operator=(const ReceiveBudget&) = delete;

  // The group is gone: no more wake-ups; frees the budget once nothing is charged. Once.
  void detach();

  // ---- I/O thread ----
  // Bytes still free, counting `pending` bytes charged but not published yet.
  std::size_t available(std::size_t pending) const noexcept;
  // Makes `bytes` of charges held (the messages carrying them are about to be delivered).
  void publish(std::size_t bytes) noexcept;
  // Charges `message` `bytes` against this budget, to be published before it is delivered.
  void attach(Message& message, std::uint32_t bytes) noexcept;
  // The loop waits for room: the next release that leaves some calls `wake`. Check
  // available() again after it: a release just before may have seen no request.
  void wantRoom() noexcept { roomWanted_.store(true, std::memory_order_seq_cst); }

  // ---- any thread ----
  // Gives back `message`'s charge, if it has one. Never blocks (a wake-up at most).
  static void release(Message& message) noexcept;

 private:
  ReceiveBudget(std::size_t limitBytes, std::function<void()> wake);
  void releaseBytes(std::size_t bytes) noexcept;

  // Held while the group lives, so that a count of 0 means the budget can be freed.
  static constexpr std::int64_t kGroupBias = std::int64_t{1} << 56;

  const std::int64_t limit_;
  std::atomic<std::int64_t> held_{kGroupBias};
  std::atomic<bool> roomWanted_{false};
  Mutex wakeMutex_;  // detach() against a wake-up in progress
  std::function<void()> wake_ GUARDED_BY(wakeMutex_);
};

}  // namespace tofu::detail
