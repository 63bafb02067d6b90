// Internal, not part of the API.
// MessagePool: the engine's idle messages, LIFO (PROTOCOL.md 1.2). Any thread may get/put.
// It grows on demand (the reactor makes what it receives into when none is idle; receive
// budgets, not the pool, bound receiving: B14) and shrinks back: trimIdle() frees idle
// messages no one used since the last trim. Owns its idle messages.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>

#include "tofu/ampe.h"
#include "tofu/introspection.h"
#include "tofu/support/mutex.h"
#include "util/message_queue.h"
#include "util/message_stack.h"

namespace tofu::detail {

class MessagePool {
 public:
  // 0 means the default (4096 / 65535); max is raised to initial, as the reference does.
  MessagePool(std::uint16_t initialMessages, std::uint16_t maxIdleMessages);
  MessagePool(const MessagePool&) = delete;
  MessagePool& operator=(const MessagePool&) = delete;

  // A reset message, or null when empty with poolOnly. Never blocks (short lock).
  MessagePtr get(AllocationStrategy strategy);

  // Into `message`, a reset message, waiting up to `timeoutNs` for one to be put back while
  // the pool is empty (null when none came): first polling, yielding the CPU, for up to
  // `spinNs`, then asleep. False, at once or woken, after shutDown(). Blocks; any thread.
  bool waitGet(std::uint64_t timeoutNs, std::uint64_t spinNs, MessagePtr& message);
  // Wakes every waitGet() caller, makes later ones fail, and returns once none is left
  // inside the pool. Blocks (briefly); called by the engine's destructor.
  void shutDown();
  // Moves `count` messages for receiving to the back of `out`: idle ones under one lock,
  // then new ones when too few are idle.
  void takeForReceive(MessageQueue& out, std::size_t count);
  // Messages takeForReceive() gave but the reactor did not use, back on top of the pool
  // (they are still reset).
  void giveBackUnused(MessageQueue& unused) { keep(unused); }

  // A reset message for a pool_empty notice (B5), which the engine must send exactly when the
  // pool is empty. Notices are kept apart when the application puts them back, so in steady
  // state this allocates nothing. Never blocks (short lock).
  MessagePtr takeNotice();

  // Gives back the message's receive charge (B14), resets and keeps it, or frees it when
  // maxIdle are already idle.
  void put(MessagePtr message);
  // The same for a whole queue, under one lock.
  void putAll(MessageQueue& messages);

  // Frees half of the idle messages above the initial count that stayed idle through each of
  // the last kTrimSeconds calls (none was taken while they were): called about once a second,
  // it gives memory back some seconds after a burst without freeing what steady or recurring
  // traffic cycles through. Never blocks.
  void trimIdle();

  // Idle messages and pool messages alive. A message the pool keeps becomes a pool message
  // (Message::create() ones included); one the application deletes instead of putting back
  // still counts as in use.
  PoolInfo info() const;
  std::size_t maxIdle() const noexcept { return maxIdle_; }

 private:
  void keep(MessageQueue& resetMessages);
  MessagePtr makePooled() REQUIRES(mutex_);
  static MessagePtr makeNotice();

  const std::size_t initial_;
  const std::size_t maxIdle_;

  mutable Mutex mutex_;
  MessageStack idle_ GUARDED_BY(mutex_);
  // Notices put back, for the next episodes; not pool messages (not in PoolInfo). Several
  // can be in flight at once (queued behind traffic the application has not taken yet).
  static constexpr std::size_t kMaxSpareNotices = 256;
  static constexpr std::size_t kPreparedNotices = 32;  // made with the pool
  MessageQueue spareNotices_ GUARDED_BY(mutex_);
  std::size_t lowestIdle_ GUARDED_BY(mutex_) = 0;  // since the last trimIdle()
  static constexpr std::size_t kTrimSeconds = 10;
  std::array<std::size_t, kTrimSeconds> lowestIdleBySecond_ GUARDED_BY(mutex_){};
  std::size_t trimCalls_ GUARDED_BY(mutex_) = 0;
  // waitGet() callers (counted in waiters_) sleep on `messageKept_`, which keep() signals
  // only while one is inside.
  std::condition_variable messageKept_;
  std::size_t waiters_ GUARDED_BY(mutex_) = 0;
  bool shutDown_ GUARDED_BY(mutex_) = false;
  std::size_t made_ GUARDED_BY(mutex_) = 0;   // pool messages created or adopted
  std::size_t freed_ GUARDED_BY(mutex_) = 0;  // pool messages freed (over maxIdle)
};

}  // namespace tofu::detail
