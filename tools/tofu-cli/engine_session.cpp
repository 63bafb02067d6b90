#include "engine_session.h"

#include <cstdint>
#include <utility>

#include "message_format.h"

namespace tofu::cli {

Options optionsFor(const TlsFiles& tls, bool server) {
  Options options;
  options.tlsCertificateChainFile = tls.certificate;
  options.tlsPrivateKeyFile = tls.key;
  options.tlsCaFile = tls.ca;
  options.tlsRequireClientCertificate = server && !tls.ca.empty();
  if (tls.insecure) {
    options.tlsVerifyPeer = false;
    printError(
        "WARNING: --insecure: the server's certificate is NOT checked; anyone on the path can read "
        "and change this traffic. For tests only.");
  }
  return options;
}

Result<std::unique_ptr<EngineSession>> EngineSession::create(const Options& options) {
  Result<std::unique_ptr<Reactor>> reactor = Reactor::create(options);
  if (!reactor.ok()) {
    return reactor.status();
  }
  const Result<ChannelGroup*> group = reactor.value()->ampe().create();
  if (!group.ok()) {
    return group.status();
  }
  return std::unique_ptr<EngineSession>(new EngineSession(std::move(reactor).value(), group.value()));
}

EngineSession::EngineSession(std::unique_ptr<Reactor> reactor, ChannelGroup* group)
    : reactor_(std::move(reactor)), group_(group) {}

EngineSession::~EngineSession() {
  // Nothing useful can be done if this fails: the Reactor's destructor destroys the group anyway.
  (void)reactor_->ampe().destroy(group_);
}

MessagePtr EngineSession::newMessage() {
  Result<MessagePtr> pooled = reactor_->ampe().get(AllocationStrategy::always);
  if (pooled.ok() && pooled.value()) {
    return std::move(pooled).value();
  }
  return Message::create();
}

Result<MessagePtr> EngineSession::receive(std::optional<Clock::time_point> deadline) {
  for (;;) {
    std::uint64_t waitNs = kWaitReceiveInfiniteTimeout;
    if (deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(*deadline - Clock::now());
      waitNs = left.count() > 0 ? static_cast<std::uint64_t>(left.count()) : 0;
    }
    Result<MessagePtr> received = group_->waitReceive(waitNs);
    if (!received.ok() || !received.value()) {
      return received;
    }
    MessagePtr& message = received.value();
    if (!(message->isFromEngine() && message->status() == Status::pool_empty)) {
      return received;
    }
    MessagePtr fresh = Message::create();
    recycle(fresh);
    recycle(message);
  }
}

}  // namespace tofu::cli
