// Ampe: the application's interface to one engine: channel groups and the message pool.
// Owned by its Reactor (Reactor::ampe()); every call is thread-safe, and no call may race
// with or follow the Reactor's destruction.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tofu/channel_group.h"
#include "tofu/introspection.h"
#include "tofu/message.h"
#include "tofu/result.h"

namespace tofu {

enum class AllocationStrategy : std::uint8_t {
  poolOnly,  // take an idle pool message, or get a null message when the pool is empty
  always,    // allocate a new message when the pool is empty
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

  // A reset message from the pool, waiting up to `timeoutNs` for one to be put back while the
  // pool is empty: backpressure for a producer that must not allocate. Like waitReceive() it
  // polls, yielding the CPU, for up to Options::spinMicros before sleeping. Success with a
  // null message when none came back in time; shutdown_started when the engine is being
  // destroyed (a waiting caller is woken). Blocks up to timeoutNs; thread-safe.
  [[nodiscard]] virtual Result<MessagePtr> waitGet(std::uint64_t timeoutNs) = 0;

  // Resets `message` and keeps it in the pool (or frees it when the pool already holds
  // maxPoolMsgs idle messages). A null message is a no-op. Always clears `message`.
  // Never blocks (a short lock).
  virtual void put(MessagePtr& message) = 0;

  // Totals since the engine started. Never blocks.
  virtual EngineCounters counters() const = 0;

  // ---- Introspection (A1; docs/telemetry.md for the out-of-process form) ----

  // This engine's id: unique in the process, never reused.
  virtual std::uint64_t engineId() const noexcept = 0;

  // Every channel (open ones, then up to 64 recently closed), group and the pool, as the
  // I/O thread sees them between two of its passes. Blocks the caller until the I/O thread
  // has copied them (well under a millisecond); traffic is not stopped. shutdown_started
  // once the engine is being destroyed. Thread-safe.
  [[nodiscard]] virtual Result<EngineSnapshot> snapshot() = 0;

  // Starts streaming events to a new EventStream (replacing any previous one, which then
  // receives nothing more). Costs nothing until called. Thread-safe, never blocks.
  virtual std::shared_ptr<EventStream> startObserving(const ObserverOptions& options) = 0;
  // Stops the stream; events already buffered can still be polled. Thread-safe.
  virtual void stopObserving() = 0;

  // The address this engine serves telemetry on (Options::telemetryAddress or TOFU_TELEMETRY),
  // in header syntax with the port actually bound; empty when it serves none. Thread-safe,
  // never blocks.
  virtual std::string telemetryAddress() const = 0;

 protected:
  Ampe() = default;
  ~Ampe() = default;
};

}  // namespace tofu
