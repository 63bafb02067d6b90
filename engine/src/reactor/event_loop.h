// Internal, not part of the API.
// EventLoop: the engine's I/O thread. Owns the poller, every channel, and the per-pass
// batches (frames to write, messages to deliver, channels to close). Everything except
// start(), stop() and inbox() runs on the loop thread only.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <thread>
#include <unordered_map>
#include <vector>

#include "util/fd.h"
#include "net/frame_decoder.h"
#include "util/message_access.h"
#include "net/socket_ops.h"
#include "reactor/epoll_poller.h"
#include "reactor/inbox.h"
#include "net/stash_reserve.h"
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

  // A group's receive budget has room again after the loop asked (B14): its starving
  // channels resume in the next pass. Any thread.
  void onReceiveRoom();

  // A post on channel `number` was refused and began a refusal episode (B16): the next pass
  // looks at its send queue, which may have drained before the channel was marked. Any thread.
  void onSendRefused(std::uint16_t number);

  // ---- Services for channels; loop thread only. ----
  Engine& engine() noexcept { return engine_; }
  EpollPoller& poller() noexcept { return poller_; }
  std::span<std::uint8_t> readBuffer() noexcept { return {readBuffer_.get(), kReadBufferSize}; }
  // Where a flush copies small frames together (SendQueue::gather); free between flushes.
  std::span<std::uint8_t> sendStaging() noexcept { return {sendStaging_.get(), kSendStagingSize}; }

  // Queues `message` for `group`'s receive queue (flushed at the end of the pass).
  void deliver(GroupImpl& group, MessagePtr message);
  // The same for a frame read from a peer: it is charged to the group's receive budget (B14).
  void deliverReceived(GroupImpl& group, MessagePtr frame);
  // Hands a posted message back to the group that posted it: origin engine, `status` (B1).
  void returnMessage(MessagePtr message, Status status);
  // Frames `channel` wrote completely: their send-queue charge is given back at once and
  // the messages go back to the pool at the end of the pass.
  void recycleWritten(std::uint16_t channel, MessageQueue& written);
  // Sends `channel`'s group the send-ready notice (B16) when the channel refused a post, its
  // queue has drained to half the limit, and it still takes posts. Called after every write:
  // a virtual call and a relaxed load when the channel refused nothing.
  void checkSendReady(Channel& channel);
  // A message to receive a frame for `group` into, or null when the group's receive budget
  // is spent: the channel then starves until the application gives messages back (B5, B14).
  // Taken from the pool in batches (made when none is idle); what a pass leaves unused goes
  // back at its end.
  MessagePtr takeReceiveMessage(GroupImpl& group);
  // A message from takeReceiveMessage() whose frame will never complete (its channel closes).
  void abandonReceive(GroupImpl& group, MessagePtr message);
  // How many bytes the next read of a channel of `group` may take, when its frames are at
  // least `smallestFrameBytes`: as many as the group's receive budget can still take, at most
  // a full read buffer, the spare messages for them taken from the pool. The bytes the budget
  // cannot take stay in the socket, pushing back on the peer, instead of being read and set
  // aside. At least kShortReadBytes while fewer than kStarvingWithStash channels starve: a
  // channel resumed with room for a message or two still reads a useful amount, and sets at
  // most that aside. (A binary header per spare message was tried as the bound: it cut UDS
  // 256-channel 64 B throughput from 4.9 M to 1.0 M msgs/s, resumed channels reading a frame
  // per read.)
  std::size_t readLimit(GroupImpl& group, std::size_t smallestFrameBytes);
  // True when `group`'s budget is spent and many channels already starve with bytes set
  // aside: a channel should then starve before reading, leaving its bytes in the socket, so
  // the bytes set aside stay bounded however many channels starve at once.
  bool starveBeforeReading(GroupImpl& group);
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
  // What a frame being received counts against its group's budget until it is delivered
  // (then its real cost counts): a small frame's real cost.
  static constexpr std::size_t kFrameReserve = MessageAccess::estimatedBytes(0);
  // How often idle pool messages are trimmed (MessagePool::trimIdle).
  static constexpr std::chrono::seconds kTrimInterval{1};
  // The deadline number of the loop's own housekeeping: no channel has number 0.
  static constexpr std::uint16_t kHousekeeping = 0;
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
  // True when `group` may receive one more message; otherwise asks to be woken (onReceiveRoom)
  // once it may.
  bool hasReceiveRoom(GroupImpl& group);
  void resumeStarving();
  void runDeadlines();
  void setDeadline(std::uint16_t number, std::uint64_t incarnation, Clock::time_point when);
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

  std::vector<IoChannel*> starving_;  // in the order they starved: they resume in that order
  std::vector<IoChannel*> resuming_;  // resumeStarving()'s turn; null once a channel left it
  std::size_t starvingCount_ = 0;     // in starving_ or waiting for their turn in resuming_
  std::atomic<bool> receiveRoom_{false};  // onReceiveRoom() since the last resumeStarving()
  StashReserve stashes_{kStarvingWithStash};
  std::deque<ChannelInfo> recentlyClosed_;  // newest first, at most kRecentlyClosed
  static constexpr std::size_t kRecentlyClosed = 64;
  struct Deadline {
    Clock::time_point when;
    std::uint16_t number;  // kHousekeeping for the loop's own
    std::uint64_t incarnation;
    bool operator>(const Deadline& other) const noexcept { return when > other.when; }
  };
  // A binary min-heap on a vector: arming a timer allocates nothing once it has grown.
  std::vector<Deadline> deadlines_;
};

}  // namespace tofu::detail
