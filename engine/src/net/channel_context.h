// Internal, not part of the API.
// ChannelContext: everything a connection may ask of the engine core that owns it: the loop's
// poller and timers, shared buffers, settings, the receive budget of its group (B5, B14) and
// delivery. Channels hold it instead of the core itself, so net/ never includes core/; a
// GroupImpl is only a name here, passed back to the context. Implemented by ChannelRegistry
// (core/channel_registry.h); every call on the loop thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>

#include "introspection/engine_counters.h"
#include "introspection/observer_hub.h"
#include "net/frame_decoder.h"
#include "net/socket_ops.h"
#include "net/stash_reserve.h"
#include "net/transport.h"
#include "reactor/epoll_poller.h"
#include "tofu/options.h"
#include "util/fd.h"
#include "util/message_queue.h"

namespace tofu::detail {

class AcceptGate;
class Channel;
class GroupImpl;
class IoChannel;
class TlsSetup;

class ChannelContext {
 public:
  using Clock = std::chrono::steady_clock;

  // ---- The loop. ----
  virtual EpollPoller& poller() noexcept = 0;
  // channel.onDeadline() runs in the first pass after `when`, if the channel is still open.
  virtual void setDeadline(Channel& channel, Clock::time_point when) = 0;
  // channel.flush() runs at the end of this pass.
  virtual void scheduleFlush(IoChannel& channel) = 0;
  // The channel is torn down at the end of this pass (Channel::close).
  virtual void scheduleClose(Channel& channel) = 0;
  // Where reads land; shared by every channel, free between two reads.
  virtual std::span<std::uint8_t> readBuffer() noexcept = 0;
  // Where a flush copies small frames together (SendQueue::gather); free between flushes.
  virtual std::span<std::uint8_t> sendStaging() noexcept = 0;
  virtual StashReserve& stashReserve() noexcept = 0;

  // ---- Settings and bookkeeping. ----
  virtual const Options& options() const noexcept = 0;
  virtual TcpTuning tcpTuning() const noexcept = 0;
  virtual FrameDecoder::Limits frameLimits() const noexcept = 0;
  virtual std::uint64_t engineId() const noexcept = 0;
  virtual std::uint64_t groupId(const GroupImpl& group) const noexcept = 0;
  virtual std::uint64_t nextIncarnation() noexcept = 0;
  virtual ObserverHub& observers() noexcept = 0;
  virtual EngineCounterSet& counters() noexcept = 0;
  // What listeners ask about each accepted connection; usually null.
  virtual const std::shared_ptr<AcceptGate>& acceptGate() const noexcept = 0;
  // The engine's TLS contexts (made by Reactor::create); null in an engine built without TLS.
  virtual const TlsSetup* tls() const noexcept = 0;

  // ---- Channels and messages. ----
  // A listener of `transport` accepted `fd` for `group`: it becomes a server IO channel.
  virtual void adoptConnection(GroupImpl& group, Fd fd, const Transport& transport) = 0;
  // Hands a posted message back to the group that posted it: origin engine, `status` (B1).
  virtual void returnMessage(MessagePtr message, Status status) = 0;
  // Frames `channel` wrote completely: their send-queue charge is given back at once and
  // the messages go back to the pool at the end of the pass.
  virtual void recycleWritten(std::uint16_t channel, MessageQueue& written) = 0;
  // The send-ready notice (B16) when `channel` refused a post, its queue has drained to half
  // the limit, and it still takes posts. Called after every write.
  virtual void checkSendReady(Channel& channel) = 0;

  // ---- Receiving (B5, B14, B15). ----
  // A frame read from a peer, for `group`'s receive queue; charged to its receive budget.
  virtual void deliverReceived(GroupImpl& group, MessagePtr frame) = 0;
  // A message to receive a frame into, or null when `group`'s budget is spent: the channel
  // then starves until the application gives messages back.
  virtual MessagePtr takeReceiveMessage(GroupImpl& group) = 0;
  // A message from takeReceiveMessage() whose frame will never complete.
  virtual void abandonReceive(GroupImpl& group, MessagePtr message) = 0;
  // How many bytes the next read may take, its frames being at least `smallestFrameBytes`.
  virtual std::size_t readLimit(GroupImpl& group, std::size_t smallestFrameBytes) = 0;
  // True when a channel should starve before reading (many starve already, none has room).
  virtual bool starveBeforeReading(GroupImpl& group) = 0;
  virtual void startStarving(IoChannel& channel) = 0;
  virtual void stopStarving(IoChannel& channel) = 0;
  // Frames held behind an unanswered HelloRequest (B15) count against `group`'s budget.
  virtual void holdReceived(GroupImpl& group, std::size_t bytes) noexcept = 0;
  virtual void releaseHeld(GroupImpl& group, std::size_t bytes) noexcept = 0;
  // Room came back from elsewhere than the budget's own releases: starving channels resume.
  virtual void onReceiveRoom() = 0;

 protected:
  ~ChannelContext() = default;
};

}  // namespace tofu::detail
