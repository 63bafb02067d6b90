// Internal, not part of the API.
// ChannelTable: which channel numbers are in use, by which group, and how many bytes each
// channel has queued for sending. Shared by application threads (post checks) and the
// reactor (accept, release); guarded by its own mutex, queued bytes are atomics.
#pragma once

#include <array>
#include <atomic>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>

#include "tofu/result.h"
#include "tofu/support/mutex.h"

namespace tofu::detail {

class GroupImpl;

class ChannelTable {
 public:
  static constexpr std::uint16_t kReservedNumber = 0xFFFF;
  // How many released numbers are kept out of circulation (as the reference, B4).
  static constexpr std::size_t kQuarantine = 1024;

  // `maxChannels` 0 means every assignable number may be in use.
  ChannelTable(std::size_t sendQueueLimitBytes, std::size_t maxChannels);
  ChannelTable(const ChannelTable&) = delete;
  ChannelTable& operator=(const ChannelTable&) = delete;

  // A random free number owned by `owner`: never 0 or 0xFFFF, never in use, never among
  // the last kQuarantine released. allocation_failed when none is left (B4) or the engine's
  // channel limit is reached. Any thread.
  Result<std::uint16_t> allocate(GroupImpl* owner);

  // Checks that `number` is open and owned by `poster`, and counts `bytes` against its send
  // queue: invalid_channel_number, invalid_message_channel_group, or notification_failed
  // when the queue is already over the limit (B6); `bytes` 0 only checks ownership.
  // Any thread.
  Status charge(std::uint16_t number, const GroupImpl* poster, std::uint32_t bytes);

  // Gives back bytes counted by charge() once the frame is written or returned. Any thread.
  void uncharge(std::uint16_t number, std::uint32_t bytes) noexcept;

  // Send flow (B16). A refusal with notification_failed marks the channel; once its queue has
  // drained to half the limit the loop takes the mark and sends one send-ready notice, which
  // waits unread until waitReceive() hands it out.
  // Marks `number` refused; true when this starts an episode: the caller then has the loop
  // look at the queue (ChannelRegistry::onSendRefused), which may have drained before the mark was
  // set. No new episode starts while the channel's last notice is unread: the application
  // reads it after this refusal and tries again. Any thread; lock-free.
  bool markRefused(std::uint16_t number) noexcept;
  // True, once per episode, when `number` is marked refused and its queue holds at most half
  // the limit; the notice is then counted unread. One relaxed load when not marked.
  // Loop thread (the only one that drains queues).
  bool takeSendReady(std::uint16_t number) noexcept;
  // The application got the send-ready notice of `number`. Any thread; lock-free.
  void sendReadyTaken(std::uint16_t number) noexcept;

  // Frees the number and puts it in quarantine. Any thread.
  void release(std::uint16_t number);

  std::size_t inUse() const;

 private:
  struct Entry {
    // Written under mutex_ (allocate, release); read without it by charge(), so posting
    // takes no lock here.
    std::atomic<GroupImpl*> owner{nullptr};
    std::atomic<std::uint32_t> queuedBytes{0};
    // kFlowIdle -> kFlowRefused (a poster) -> kFlowReadyUnread (the loop) -> kFlowIdle (the
    // consumer); allocate() starts over.
    std::atomic<std::uint8_t> sendFlow{0};
  };
  static constexpr std::uint8_t kFlowIdle = 0;
  static constexpr std::uint8_t kFlowRefused = 1;
  static constexpr std::uint8_t kFlowReadyUnread = 2;
  static constexpr std::size_t kNumbers = 65536;

  bool usable(std::uint16_t number) const REQUIRES(mutex_);

  const std::size_t sendQueueLimitBytes_;
  const std::size_t maxChannels_;

  mutable Mutex mutex_;
  std::unique_ptr<Entry[]> entries_;  // indexed by number
  std::bitset<kNumbers> quarantined_ GUARDED_BY(mutex_);
  std::array<std::uint16_t, kQuarantine> quarantineRing_ GUARDED_BY(mutex_){};
  std::size_t quarantineNext_ GUARDED_BY(mutex_) = 0;
  std::size_t quarantineCount_ GUARDED_BY(mutex_) = 0;
  std::size_t inUse_ GUARDED_BY(mutex_) = 0;
  std::minstd_rand random_ GUARDED_BY(mutex_);
};

}  // namespace tofu::detail
