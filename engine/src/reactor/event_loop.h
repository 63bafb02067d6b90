// Internal, not part of the API.
// EventLoop: the engine's I/O thread. Owns the poller, every channel, and the per-pass
// batches (frames to write, messages to deliver, channels to close). Everything except
// start(), stop() and inbox() runs on the loop thread only.
#pragma once

#include <chrono>
#include <deque>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <thread>
#include <unordered_map>
#include <vector>

#include "net/fd.h"
#include "net/frame_decoder.h"
#include "net/socket_ops.h"
#include "reactor/epoll_poller.h"
#include "reactor/inbox.h"
#include "reactor/stash_reserve.h"
#include "tofu/introspection.h"
#include "tofu/status.h"
#include "util/message_queue.h"

namespace tofu::detail {

class Channel;
class Engine;
class GroupImpl;
class IoChannel;

class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;

  explicit EventLoop(Engine& engine);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Any thread. start() returns once the thread runs; stop() aborts every channel silently,
  // frees what is queued and joins the thread. Both are called once, by the Engine.
  Status start();
  void stop();
  Inbox& inbox() noexcept { return inbox_; }

  // Introspection: every channel, open ones then the recently closed. Loop thread (a task);
  // `done` runs once they are collected, at the end of the pass (after this pass's closes).
  void collectChannels(std::vector<ChannelInfo>& out, std::function<void()> done);

  // Group destroy (B7): abort the group's channels without notifications; `done` runs at
  // the end of this pass, once nothing refers to the group any more.
  void destroyGroup(GroupImpl& group, std::function<void()> done);

  // ---- Services for channels; loop thread only. ----
  Engine& engine() noexcept { return engine_; }
  EpollPoller& poller() noexcept { return poller_; }
  std::span<std::uint8_t> readBuffer() noexcept { return {readBuffer_.get(), kReadBufferSize}; }
  // Where a flush copies small frames together (SendQueue::gather); free between flushes.
  std::span<std::uint8_t> sendStaging() noexcept { return {sendStaging_.get(), kSendStagingSize}; }

  // Queues `message` for `group`'s receive queue (flushed at the end of the pass).
  void deliver(GroupImpl& group, MessagePtr message);
  // Hands a posted message back to the group that posted it: origin engine, `status` (B1).
  void returnMessage(MessagePtr message, Status status);
  // Frames `channel` wrote completely: their send-queue charge is given back at once and
  // the messages go back to the pool at the end of the pass.
  void recycleWritten(std::uint16_t channel, MessageQueue& written);
  // A pool message to receive into, or null: the channel then starves until refilled (B5).
  // Taken from the pool in batches; what a pass leaves unused goes back at its end.
  MessagePtr takeReceiveMessage();
  // How many bytes the next read of a channel may take, when its frames are at least
  // `smallestFrameBytes`: as many as the spare messages can receive, after topping the spares
  // up from the pool for a full read. The bytes the pool cannot take stay in the socket,
  // pushing back on the peer, instead of being read and set aside. At least kShortReadBytes
  // while fewer than kStarvingWithStash channels starve: a channel resumed with a message or
  // two still reads a useful amount, and sets at most that aside. (A binary header
  // per spare message was tried as the bound: it cut UDS 256-channel 64 B throughput from
  // 4.9 M to 1.0 M msgs/s, resumed channels reading a frame per read.)
  std::size_t readLimit(std::size_t smallestFrameBytes);
  // True when the pool is dry and many channels already starve with bytes set aside: a
  // channel should then starve before reading, leaving its bytes in the socket, so the
  // bytes set aside stay bounded however many channels starve at once.
  bool starveBeforeReading();
  void startStarving(IoChannel& channel);
  void stopStarving(IoChannel& channel);
  StashReserve& stashReserve() noexcept { return stashes_; }

  void scheduleFlush(IoChannel& channel);
  void scheduleClose(Channel& channel);
  void setDeadline(Channel& channel, Clock::time_point when);

  // A listener accepted `fd` for `group`: make it a server IO channel.
  void adoptConnection(GroupImpl& group, Fd fd);
  std::uint64_t nextIncarnation() noexcept { return ++lastIncarnation_; }
  TcpTuning tcpTuning() const noexcept;
  FrameDecoder::Limits frameLimits() const noexcept;

 private:
  // Hundreds of small frames per read; bounded because a channel that starves (B5) keeps the
  // rest of its read until the pool refills, once per starving channel.
  static constexpr std::size_t kReadBufferSize = 64 * 1024;
  static_assert(kReadBufferSize <= StashReserve::kLargestBytes, "a stash holds the rest of any read");
  static constexpr std::size_t kSendStagingSize = 256 * 1024;
  // Pool messages taken under one pool lock when receiving (one lock per frame otherwise).
  static constexpr std::size_t kReceiveBatch = 32;
  // Spare messages a read may reserve: a full read of 64-byte frames, not the whole pool.
  static constexpr std::size_t kMostReadSpares = 1024;
  // A stash of a short read fits a size class the stash reserve makes up front.
  static constexpr std::size_t kShortReadBytes = StashReserve::kFilledClassBytes;
  // Starving channels past which a channel with the pool dry starves before reading, or, in
  // the middle of a frame, reads only the rest of it: neither sets bytes aside. Also the
  // stash reserve's spares per size class.
  static constexpr std::size_t kStarvingWithStash = 64;

  void run();
  void runPass();
  // The ready events: polls (Options::spinMicros) before sleeping until the next deadline.
  std::span<const epoll_event> waitForEvents();
  int pollTimeoutMs() const;
  void dispatch(MessagePtr posted);
  void openListener(MessagePtr welcome);
  void openClient(MessagePtr hello);
  void onResolved(std::uint16_t number, std::uint64_t incarnation, Status status, const SocketAddress& resolved);
  Channel* find(std::uint16_t number, std::uint64_t incarnation) const;
  void resumeStarving();
  void runDeadlines();
  void flushWrites();
  void reapClosed();
  // Owns `channel` from now on, as channel `number`.
  void addChannel(std::uint16_t number, std::unique_ptr<Channel> channel);
  void flushDeliveries();
  void returnReceiveSpares();
  void closeEverything();
  void uncharge(Message& message);

  Engine& engine_;
  Inbox inbox_;
  EpollPoller poller_;
  std::thread thread_;
  bool running_ = false;             // loop thread only (set before the thread starts)
  bool discardDeliveries_ = false;   // engine teardown: no notifications (B7)

  std::unique_ptr<std::uint8_t[]> readBuffer_;
  std::unique_ptr<std::uint8_t[]> sendStaging_;
  std::unordered_map<std::uint16_t, std::unique_ptr<Channel>> channels_;
  std::uint64_t lastIncarnation_ = 0;

  // Per-pass batches.
  MessageQueue posted_;
  std::vector<Inbox::Task> tasks_;
  std::vector<IoChannel*> flushList_;
  std::vector<Channel*> closeList_;
  std::vector<GroupImpl*> deliveryList_;
  std::vector<std::function<void()>> afterPass_;
  MessageQueue recycled_;
  MessageQueue receiveSpares_;  // taken for receiving, not used yet; back to the pool each pass

  std::vector<IoChannel*> starving_;
  StashReserve stashes_{kStarvingWithStash};
  std::deque<ChannelInfo> recentlyClosed_;  // newest first, at most kRecentlyClosed
  static constexpr std::size_t kRecentlyClosed = 64;
  std::multimap<Clock::time_point, std::pair<std::uint16_t, std::uint64_t>> deadlines_;
};

}  // namespace tofu::detail
