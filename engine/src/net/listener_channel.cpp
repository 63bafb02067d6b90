#include "net/listener_channel.h"

#include <chrono>

#include "net/channel_context.h"
#include "net/socket_ops.h"

namespace tofu::detail {

namespace {
// Accepts per readiness event, so one busy listener cannot starve the other channels.
constexpr int kAcceptsPerEvent = 64;
// How long a listener rests when the process is out of descriptors (B5: no spinning).
constexpr std::chrono::milliseconds kExhaustedPause{100};
}  // namespace

ListenerChannel::ListenerChannel(ChannelContext& context, std::uint16_t number, GroupImpl& group, std::uint64_t welcomeId)
    : Channel(context, Kind::listener, number, group) {
  setFinalMessageId(welcomeId);
}

Status ListenerChannel::open(const Address& local, Address& bound) {
  SocketAddress socketAddress;
  if (!literalSocketAddress(local, socketAddress)) return Status::invalid_address;
  SocketResult opened = openListener(local, socketAddress, context_.options().udsFileMode, udsFile_);
  if (opened.status != Status::success) return opened.status;
  local_ = local;
  gate_ = context_.acceptGate();
  bound = boundAddress(opened.fd.get(), local);
  attachSocket(std::move(opened.fd));
  watch({.read = true});
  setLocalAddress(bound.toString());
  setState(ChannelState::ready);
  return Status::success;
}

void ListenerChannel::onEvents(std::uint32_t) {
  const TcpTuning tuning = context_.tcpTuning();
  for (int i = 0; i < kAcceptsPerEvent; ++i) {
    Fd accepted;
    switch (acceptOne(socket(), tuning, accepted)) {
      case AcceptOutcome::accepted:
        if (gate_ && !gate_->admit(accepted.get())) {
          setAbortiveClose(accepted.get());  // refused: reset, and closed with `accepted`
          break;
        }
        context_.adoptConnection(group(), std::move(accepted));
        break;
      case AcceptOutcome::retry:
        break;
      case AcceptOutcome::drained:
        return;
      case AcceptOutcome::exhausted:
        unwatch();
        context_.setDeadline(*this, ChannelContext::Clock::now() + kExhaustedPause);
        return;
    }
  }
}

void ListenerChannel::onDeadline() { watch({.read = true}); }

void ListenerChannel::onPost(MessagePtr message) {
  if (message->opCode() == OpCode::ByeSignal) {
    context_.returnMessage(std::move(message), Status::channel_closed);
    close(Status::channel_closed, false);
    return;
  }
  // B1: a listener carries no traffic; the message comes back and the listener stays up.
  context_.returnMessage(std::move(message), Status::not_allowed);
}

void ListenerChannel::releaseHeld(Status) {
  // Here rather than after close(): while the listening socket is open it pins its file's
  // inode, so device and inode cannot belong to a file someone put at the path since. What
  // is there now is removed only if it is still that socket (docs/security.md).
  if (local_.kind() == AddressKind::uds) removeUdsFile(local_.path(), udsFile_);
  udsFile_ = {};
}

}  // namespace tofu::detail
