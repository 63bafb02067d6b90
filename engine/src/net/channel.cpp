#include "net/channel.h"

#include "net/channel_context.h"
#include "net/socket_ops.h"

namespace tofu::detail {

Channel::Channel(ChannelContext& context, Kind kind, std::uint16_t number, GroupImpl& group)
    : context_(context), kind_(kind), number_(number), incarnation_(context.nextIncarnation()), group_(group) {}

Channel::~Channel() = default;

void annotateFailure(Message& message, const std::string& failureText) {
  if (!failureText.empty()) (void)message.headers().append(kTlsErrorHeader, failureText);
}

void Channel::close(Status reason, bool abortive) {
  if (closing_) return;
  closing_ = true;
  abortive_ = abortive;
  closeReason_ = reason;
  setState(ChannelState::closed);
  releaseHeld(reason);
  context_.scheduleClose(*this);
}

void Channel::setState(ChannelState state) {
  if (state == state_) return;
  state_ = state;
  ObserverHub& hub = context_.observers();
  if (hub.observing()) hub.publish(hub.channelEvent(number_, incarnation_, state, closeReason_));
}

void Channel::countSent(std::size_t frames, std::size_t bytes, std::int64_t nowNs) noexcept {
  messagesSent_ += frames;
  bytesSent_ += bytes;
  lastSendNs_ = nowNs;
}

void Channel::countReceived(std::size_t bytes, std::int64_t nowNs) noexcept {
  ++messagesReceived_;
  bytesReceived_ += bytes;
  lastReceiveNs_ = nowNs;
}

ChannelInfo Channel::info() const {
  ChannelInfo info;
  info.engineId = context_.engineId();
  info.channelNumber = number_;
  info.incarnation = incarnation_;
  info.kind = kind_;
  info.state = state_;
  info.groupId = context_.groupId(group_);
  info.localAddress = localAddress_;
  info.peerAddress = peerAddress_;
  info.messagesSent = messagesSent_;
  info.bytesSent = bytesSent_;
  info.messagesReceived = messagesReceived_;
  info.bytesReceived = bytesReceived_;
  info.lastSendNs = lastSendNs_;
  info.lastReceiveNs = lastReceiveNs_;
  info.closeReason = closeReason_;
  return info;
}

void Channel::finish() {
  unwatch();
  if (fd_.valid() && abortive_) setAbortiveClose(fd_.get());
  fd_.reset();
  afterSocketClosed();
}

void Channel::watch(Interest interest) {
  if (!fd_.valid()) return;
  if (!watched_) {
    context_.poller().add(fd_.get(), interest, static_cast<IoHandler*>(this));
    watched_ = true;
  } else if (interest != interest_) {
    context_.poller().modify(fd_.get(), interest, static_cast<IoHandler*>(this));
  }
  interest_ = interest;
}

void Channel::unwatch() noexcept {
  if (!watched_) return;
  context_.poller().remove(fd_.get());
  watched_ = false;
}

}  // namespace tofu::detail
