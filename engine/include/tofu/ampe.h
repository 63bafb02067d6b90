// Ampe: the application's interface to one engine: channel groups and the message pool.
// Owned by its Reactor (Reactor::ampe()); every call is thread-safe, and no call may race
// with or follow the Reactor's destruction.
#pragma once

#include <cstdint>

#include "tofu/channel_group.h"
#include "tofu/message.h"
#include "tofu/result.h"

namespace tofu {

enum class AllocationStrategy : std::uint8_t {
  poolOnly,  // take an idle pool message, or get a null message when the pool is empty
  always,    // allocate a new message when the pool is empty
};

// Totals since the engine started, for accounting and tests. Each field is read atomically
// on its own; the set is not one consistent snapshot.
struct EngineCounters {
  std::uint64_t framesWritten = 0;     // frames completely written to sockets
  std::uint64_t bytesWritten = 0;
  std::uint64_t framesRead = 0;        // frames completely received and delivered
  std::uint64_t bytesRead = 0;
  std::uint64_t messagesReturned = 0;  // posted messages handed back with a non-zero status
  std::uint64_t poolEmptyEpisodes = 0; // pool_empty notifications emitted (B5)
  std::uint64_t channelsOpened = 0;
  std::uint64_t channelsClosed = 0;
};

class Ampe {
 public:
  // Creates a channel group. shutdown_started once the engine is being destroyed.
  // Never blocks.
  [[nodiscard]] virtual Result<ChannelGroup*> create() = 0;

  // Destroys `group`: wakes every thread blocked in its waitReceive() (shutdown_started),
  // aborts its channels without notifications, returns its queued messages to the pool, and
  // frees it. Blocks until the I/O thread has closed the channels (milliseconds).
  // invalid_address for a null group (as the reference); the group must not be used after.
  [[nodiscard]] virtual Status destroy(ChannelGroup* group) = 0;

  // A reset message from the pool (LIFO), or a new one with `always` when it is empty.
  // With `poolOnly` and an empty pool the result is success with a null message.
  // Never blocks (a short lock).
  [[nodiscard]] virtual Result<MessagePtr> get(AllocationStrategy strategy) = 0;

  // Resets `message` and keeps it in the pool (or frees it when the pool already holds
  // maxPoolMsgs idle messages). A null message is a no-op. Always clears `message`.
  // Never blocks (a short lock).
  virtual void put(MessagePtr& message) = 0;

  // Totals since the engine started. Never blocks.
  virtual EngineCounters counters() const = 0;

 protected:
  Ampe() = default;
  ~Ampe() = default;
};

}  // namespace tofu
