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
  const Transport& transport = transportFor(local.kind());
  SocketAddress socketAddress;
  if (!transport.literalSocketAddress(local, socketAddress)) return Status::invalid_address;
  std::string problem;
  if (const Status usable = transport.listenProblem(context_.tls(), problem); usable != Status::success) {
    setFailureText(std::move(problem));
    return usable;
  }
  ListenerSocket opened = transport.listen(local, socketAddress, context_.options().udsFileMode);
  if (opened.status != Status::success) return opened.status;
  local_ = local;
  transport_ = &transport;
  socketFile_ = opened.file;
  gate_ = context_.acceptGate();
  bound = transport.boundAddress(opened.fd.get(), local);
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
    switch (acceptOne(socket(), accepted)) {
      case AcceptOutcome::accepted:
        if (gate_ && !gate_->admit(accepted.get())) {
          setAbortiveClose(accepted.get());  // refused: reset, and closed with `accepted`
          break;
        }
        transport_->tuneConnection(accepted.get(), tuning);
        context_.adoptConnection(group(), std::move(accepted), *transport_);
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
  if (transport_ != nullptr) transport_->releaseListener(local_, socketFile_);
  socketFile_ = {};
}

}  // namespace tofu::detail
