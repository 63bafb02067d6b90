#include "net/protocol_order.h"

#include <utility>

#include "net/channel_context.h"
#include "util/message_access.h"

namespace tofu::detail {

namespace {
bool isBye(OpCode op) noexcept {
  return op == OpCode::ByeRequest || op == OpCode::ByeResponse || op == OpCode::ByeSignal;
}
}  // namespace

ProtocolOrder::Verdict ProtocolOrder::judge(OpCode op) noexcept {
  // B3: after its ByeRequest the peer sends nothing but the ByeResponse of a simultaneous
  // close (or aborts with a ByeSignal frame, B13).
  if (peerBye_ && op != OpCode::ByeResponse && op != OpCode::ByeSignal) return Verdict::violation;
  switch (phase_) {
    case Phase::awaitingHello:  // the first frame of a server channel
      if (op != OpCode::HelloRequest) return Verdict::violation;
      phase_ = Phase::answerPending;
      return Verdict::deliver;
    case Phase::awaitingHelloResponse:  // a server may refuse with a Bye (PROTOCOL.md §5.3)
      if (op == OpCode::HelloResponse) {
        phase_ = Phase::open;
        return Verdict::deliver;
      }
      if (!isBye(op)) return Verdict::violation;
      break;
    case Phase::answerPending:
    case Phase::refused:
    case Phase::open:
    case Phase::closing:
      // A second HelloRequest, or a HelloResponse the client role never sends.
      if (op == OpCode::HelloRequest || op == OpCode::HelloResponse) return Verdict::violation;
      break;
  }
  if (op == OpCode::ByeRequest) {
    peerBye_ = true;
    if (phase_ == Phase::open) phase_ = Phase::closing;  // leaves the steady-state fast path
  }
  if (phase_ == Phase::answerPending) {
    // A ByeSignal or ByeResponse frame ends the channel at once (B13, B3): delivered, it closes
    // the channel, which drops what was held.
    return op == OpCode::ByeSignal || op == OpCode::ByeResponse ? Verdict::deliver : Verdict::hold;
  }
  if (phase_ == Phase::refused) return isBye(op) ? Verdict::deliver : Verdict::drop;
  return Verdict::deliver;
}

ProtocolOrder::Answer ProtocolOrder::onPosted(OpCode op) noexcept {
  if (phase_ != Phase::answerPending) return Answer::none;
  if (op == OpCode::HelloResponse) {
    phase_ = peerBye_ ? Phase::closing : Phase::open;
    return Answer::release;
  }
  if (op == OpCode::ByeRequest || op == OpCode::ByeResponse) {  // refused: the peer is not heard
    phase_ = Phase::refused;
    return Answer::drop;
  }
  return Answer::none;
}

void HeldFrames::hold(ChannelContext& context, GroupImpl& group, MessagePtr frame) noexcept {
  const std::uint32_t cost = MessageAccess::realBytes(*frame);
  context.holdReceived(group, cost);
  bytes_ += cost;
  frames_.pushBack(std::move(frame));
}

MessageQueue HeldFrames::release(ChannelContext& context, GroupImpl& group) noexcept {
  context.releaseHeld(group, std::exchange(bytes_, 0));
  return std::move(frames_);
}

void HeldFrames::drop(ChannelContext& context, GroupImpl& group) {
  if (frames_.empty()) return;
  MessageQueue frames = release(context, group);
  while (MessagePtr frame = frames.popFront()) context.abandonReceive(group, std::move(frame));
  // The budget's own releases wake starving channels; this room came from elsewhere.
  context.onReceiveRoom();
}

}  // namespace tofu::detail
