// Internal, not part of the API.
// ChannelRegistry: the engine core's side of the I/O thread. Owns every channel (open, adopt,
// reap, destroy a group's), routes posts to them, batches each pass's deliveries to groups and
// the written messages going back to the pool, and runs the receive policy (ReceiveFlow). It is
// the loop's PassWork and the channels' ChannelContext. Everything except start(), stop() and
// the methods marked "any thread" runs on the loop thread.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/receive_flow.h"
#include "net/channel_context.h"
#include "reactor/event_loop.h"
#include "tofu/introspection.h"

namespace tofu::detail {

class AmpeImpl;

class ChannelRegistry final : public PassWork, public ChannelContext {
 public:
  ChannelRegistry(AmpeImpl& engine, EventLoop& loop);
  ~ChannelRegistry();
  ChannelRegistry(const ChannelRegistry&) = delete;
  ChannelRegistry& operator=(const ChannelRegistry&) = delete;

  // Any thread, once each, by the AmpeImpl: starts the loop's passes; stop() aborts every
  // channel silently, frees what is queued and joins the thread. start() first makes the
  // engine's TLS contexts: not_allowed, and one line on stderr, when the Options name a file
  // that cannot be used.
  Status start();
  void stop();

  // Introspection: every channel, open ones then the recently closed. Loop thread (a task);
  // `done` runs once they are collected, at the end of the pass (after this pass's closes).
  void collectChannels(std::vector<ChannelInfo>& out, std::function<void()> done);
  // Group destroy (B7): abort the group's channels without notifications; `done` runs at
  // the end of this pass, once nothing refers to the group any more.
  void destroyGroup(GroupImpl& group, std::function<void()> done);
  // A post on channel `number` was refused and began a refusal episode (B16): the next pass
  // looks at its send queue, which may have drained before the channel was marked. Any thread.
  void onSendRefused(std::uint16_t number);

  // Queues `message` for `group`'s receive queue (flushed at the end of the pass).
  void deliver(GroupImpl& group, MessagePtr message);

  // PassWork.
  void onPosted(MessagePtr posted) override;
  void beforeTimers() override { receive_.resumeStarving(); }
  void onTimer(TimerKey key) override;
  void endOfPass() override;
  void afterLastPass(MessageQueue& unhandled) override;

  // ChannelContext.
  EpollPoller& poller() noexcept override { return loop_.poller(); }
  void setDeadline(Channel& channel, Clock::time_point when) override;
  void scheduleFlush(IoChannel& channel) override;
  void scheduleClose(Channel& channel) override { closeList_.push_back(&channel); }
  std::span<std::uint8_t> readBuffer() noexcept override { return receive_.readBuffer(); }
  std::span<std::uint8_t> sendStaging() noexcept override { return {sendStaging_.get(), kSendStagingSize}; }
  StashReserve& stashReserve() noexcept override { return receive_.stashReserve(); }
  const Options& options() const noexcept override;
  TcpTuning tcpTuning() const noexcept override;
  FrameDecoder::Limits frameLimits() const noexcept override;
  std::uint64_t engineId() const noexcept override;
  std::uint64_t groupId(const GroupImpl& group) const noexcept override;
  std::uint64_t nextIncarnation() noexcept override { return ++lastIncarnation_; }
  ObserverHub& observers() noexcept override;
  EngineCounterSet& counters() noexcept override;
  const std::shared_ptr<AcceptGate>& acceptGate() const noexcept override;
  const TlsSetup* tls() const noexcept override { return tls_.get(); }
  void adoptConnection(GroupImpl& group, Fd fd, const Transport& transport) override;
  void returnMessage(MessagePtr message, Status status) override;
  void recycleWritten(std::uint16_t channel, MessageQueue& written) override;
  void checkSendReady(Channel& channel) override;
  void deliverReceived(GroupImpl& group, MessagePtr frame) override;
  MessagePtr takeReceiveMessage(GroupImpl& group) override { return receive_.takeReceiveMessage(group); }
  void abandonReceive(GroupImpl& group, MessagePtr message) override {
    receive_.abandonReceive(group, std::move(message));
  }
  std::size_t readLimit(GroupImpl& group, std::size_t smallestFrameBytes) override {
    return receive_.readLimit(group, smallestFrameBytes);
  }
  bool starveBeforeReading(GroupImpl& group) override { return receive_.starveBeforeReading(group); }
  void startStarving(IoChannel& channel) override;
  void stopStarving(IoChannel& channel) override { receive_.stopStarving(channel); }
  void holdReceived(GroupImpl& group, std::size_t bytes) noexcept override { receive_.holdReceived(group, bytes); }
  void releaseHeld(GroupImpl& group, std::size_t bytes) noexcept override { receive_.releaseHeld(group, bytes); }
  // Any thread.
  void onReceiveRoom() override { receive_.onReceiveRoom(); }

 private:
  static constexpr std::size_t kSendStagingSize = 256 * 1024;
  // How often idle pool messages are trimmed (MessagePool::trimIdle).
  static constexpr std::chrono::seconds kTrimInterval{1};
  // The timer number of the registry's own housekeeping: no channel has number 0.
  static constexpr std::uint16_t kHousekeeping = 0;
  static constexpr std::size_t kRecentlyClosed = 64;

  void openListener(MessagePtr welcome);
  void openClient(MessagePtr hello);
  void onResolved(std::uint16_t number, std::uint64_t incarnation, const Transport& transport, Status status,
                  const SocketAddress& resolved);
  Channel* find(std::uint16_t number, std::uint64_t incarnation) const;
  // Owns `channel` from now on, as channel `number`.
  void addChannel(std::uint16_t number, std::unique_ptr<Channel> channel);
  void flushWrites();
  void reapClosed();
  void flushDeliveries();
  void uncharge(Message& message);

  AmpeImpl& engine_;
  EventLoop& loop_;
  ReceiveFlow receive_;
  bool discardDeliveries_ = false;  // engine teardown: no notifications (B7)
  std::unique_ptr<std::uint8_t[]> sendStaging_;
  std::unordered_map<std::uint16_t, std::unique_ptr<Channel>> channels_;
  std::uint64_t lastIncarnation_ = 0;

  // Per-pass batches.
  std::vector<IoChannel*> flushList_;
  std::vector<Channel*> closeList_;
  std::vector<GroupImpl*> deliveryList_;
  std::vector<std::function<void()>> afterPass_;
  MessageQueue recycled_;

  std::deque<ChannelInfo> recentlyClosed_;  // newest first, at most kRecentlyClosed
  std::shared_ptr<const TlsSetup> tls_;     // set by start(), with TLS only
};

}  // namespace tofu::detail
