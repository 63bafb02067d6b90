// Internal, not part of the API.
// ProtocolOrder: what an IO channel may receive next (B15, docs/behaviour.md "Protocol
// order"). A server channel's first frame must be a HelloRequest; the frames behind it wait on
// the channel until the application answers with a HelloResponse (a Bye instead is a refusal:
// they are dropped), except a ByeSignal or ByeResponse frame, which ends the channel at once. A
// client channel takes nothing but its HelloResponse, or a Bye, before its HelloResponse. After
// the peer's ByeRequest only a ByeResponse or ByeSignal may follow; a HelloRequest or
// HelloResponse out of turn is never allowed. The per-frame check is two comparisons on an open
// channel. Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tofu/message.h"
#include "util/message_queue.h"

namespace tofu::detail {

class ChannelContext;
class GroupImpl;

class ProtocolOrder {
 public:
  enum class Verdict : std::uint8_t {
    deliver,    // hand the frame to the application now
    hold,       // keep it on the channel until the application answers the HelloRequest
    drop,       // the application refused the peer: back to the pool, unseen
    violation,  // out of order: the channel closes with kViolation
  };
  // What the held frames become after the application posted a message.
  enum class Answer : std::uint8_t { none, release, drop };

  // The close reason of an order violation (an existing status, K2).
  static constexpr Status kViolation = Status::not_allowed;

  explicit ProtocolOrder(bool server) noexcept : phase_(server ? Phase::awaitingHello : Phase::awaitingHelloResponse) {}

  // A complete frame with opcode `op` arrived from the peer.
  Verdict onReceived(OpCode op) noexcept {
    if (phase_ == Phase::open && op <= OpCode::Signal) return Verdict::deliver;  // steady state
    return judge(op);
  }
  // The application's `op` was accepted for sending on the channel (server: its answer to the
  // HelloRequest releases or drops the held frames).
  Answer onPosted(OpCode op) noexcept;

  // Server: the HelloRequest arrived.
  bool helloReceived() const noexcept { return phase_ != Phase::awaitingHello; }

 private:
  enum class Phase : std::uint8_t {
    awaitingHello,          // server: nothing received yet
    answerPending,          // server: HelloRequest delivered, the application has not answered
    refused,                // server: the application answered with a Bye
    awaitingHelloResponse,  // client: nothing but the HelloResponse (or a Bye) yet
    open,                   // both sides: handshake done, the peer has not sent a ByeRequest
    closing,                // open, and the peer sent its ByeRequest
  };

  Verdict judge(OpCode op) noexcept;

  Phase phase_;
  bool peerBye_ = false;  // the peer sent its ByeRequest: only a ByeResponse or ByeSignal may follow
};

// The frames a server channel holds while its HelloRequest is unanswered (B15). Each was taken
// with ChannelContext::takeReceiveMessage() and keeps that reserve; on top, its real memory counts
// against the group's receive budget while held, so holding cannot get round the budget (B14):
// when the held frames fill it, the channel starves and stops reading like any other.
class HeldFrames {
 public:
  HeldFrames() = default;
  HeldFrames(const HeldFrames&) = delete;
  HeldFrames& operator=(const HeldFrames&) = delete;

  bool empty() const noexcept { return frames_.empty(); }
  void hold(ChannelContext& context, GroupImpl& group, MessagePtr frame) noexcept;
  // The application accepted the peer: the frames, in arrival order, for the channel to deliver
  // (ChannelContext::deliverReceived() then charges each as delivered) or abandon.
  MessageQueue release(ChannelContext& context, GroupImpl& group) noexcept;
  // Refused or closed: the frames go back to the pool unseen, and channels that starved behind
  // them may read again.
  void drop(ChannelContext& context, GroupImpl& group);

 private:
  MessageQueue frames_;
  std::size_t bytes_ = 0;  // what they add to the group's receive budget (ChannelContext::holdReceived)
};

}  // namespace tofu::detail
