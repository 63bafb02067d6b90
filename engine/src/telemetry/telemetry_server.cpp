#include "telemetry/telemetry_server.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "telemetry/telemetry_json.h"
#include <unistd.h>

namespace tofu::detail {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kListenTimeout{10};
// Monitors are few; this bounds what a crowd of them could cost the process.
constexpr std::uint16_t kMaxTelemetryChannels = 256;

struct Listening {
  std::uint16_t channel = 0;
  Address bound;
};

// Posts the WelcomeRequest and waits for its WelcomeResponse (B8: it carries the real port).
Result<Listening> listenOn(Ampe& ampe, ChannelGroup& group, const Address& address) {
  TelemetrySender sender(ampe, group);
  MessagePtr welcome = sender.fresh();
  if (prepareWelcomeRequest(*welcome, address) != Status::success) return Status::invalid_address;
  const Result<BinaryHeader> posted = group.enqueueToPeer(welcome);
  if (!posted.ok()) return posted.status();
  const Clock::time_point deadline = Clock::now() + kListenTimeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - Clock::now()).count();
    if (left <= 0) return Status::listen_failed;
    Result<MessagePtr> received = group.waitReceive(static_cast<std::uint64_t>(left));
    if (!received.ok()) return received.status();
    MessagePtr message = std::move(received).value();
    if (!message) continue;
    const bool answer = message->opCode() == OpCode::WelcomeResponse &&
                        message->channelNumber() == posted.value().channelNumber;
    const Status status = message->status();
    // addressOf() accepts only request opcodes, so the header is read directly.
    const std::optional<std::string_view> listenOn = message->headers().find(kListenOnHeader);
    const Result<Address> bound =
        answer && listenOn ? Address::parse(*listenOn) : Result<Address>(Status::invalid_address);
    sender.recycle(message);
    if (!answer) continue;
    if (status != Status::success) return status;
    if (!bound.ok()) return Status::listen_failed;
    return Listening{posted.value().channelNumber, bound.value()};
  }
}

}  // namespace

Result<std::unique_ptr<TelemetryServer>> TelemetryServer::start(Ampe& observed, const Address& address) {
  Options options;
  options.telemetryFromEnvironment = false;  // never serve telemetry about the telemetry
  options.maxChannels = kMaxTelemetryChannels;
  Result<std::unique_ptr<Reactor>> reactor = Reactor::create(options);
  if (!reactor.ok()) return reactor.status();
  const Result<ChannelGroup*> group = reactor.value()->ampe().create();
  if (!group.ok()) return group.status();
  const Result<Listening> listening = listenOn(reactor.value()->ampe(), *group.value(), address);
  if (!listening.ok()) return listening.status();
  return std::unique_ptr<TelemetryServer>(new TelemetryServer(observed, std::move(reactor).value(),
                                                              *group.value(), listening.value().bound,
                                                              listening.value().channel));
}

Result<std::unique_ptr<TelemetryServer>> TelemetryServer::startConfigured(Ampe& observed,
                                                                          const Options& options) {
  std::string address = options.telemetryAddress;
  const bool fromEnvironment = address.empty();
  if (fromEnvironment) {
    const char* value = options.telemetryFromEnvironment ? std::getenv(kEnvironmentVariable) : nullptr;
    if (value == nullptr || *value == '\0') return std::unique_ptr<TelemetryServer>();
    address = value;
  }
  const Result<Address> parsed = Address::parse(address);
  Result<std::unique_ptr<TelemetryServer>> server =
      parsed.ok() ? start(observed, parsed.value())
                  : Result<std::unique_ptr<TelemetryServer>>(parsed.status());
  if (server.ok() || !fromEnvironment) return server;
  // A variable set for a whole process tree must not stop programs that cannot honour it.
  std::fprintf(stderr, "tofu: telemetry disabled: cannot listen on %s: %s\n", address.c_str(),
               toString(server.status()));
  return std::unique_ptr<TelemetryServer>();
}

TelemetryServer::TelemetryServer(Ampe& observed, std::unique_ptr<Reactor> reactor, ChannelGroup& group,
                                 Address bound, std::uint16_t listenerChannel)
    : observed_(observed),
      reactor_(std::move(reactor)),
      group_(group),
      bound_(std::move(bound)),
      boundText_(bound_.toString()),
      listenerChannel_(listenerChannel),
      sender_(reactor_->ampe(), group_),
      feed_(observed_, sender_, [this] { return snapshotJson(); }) {
  thread_ = std::thread([this] { run(); });
}

TelemetryServer::~TelemetryServer() {
  stopping_.store(true);
  // Fails only when the group is already being destroyed, which also wakes the thread.
  (void)group_.updateReceiver();
  thread_.join();
  // feed_ (destroyed after this body) stops observing; the group goes with the engine.
  (void)reactor_->ampe().destroy(&group_);
}

void TelemetryServer::run() {
  while (!stopping_.load()) {
    std::uint64_t waitNs = kWaitReceiveInfiniteTimeout;
    if (!feed_.empty()) {
      const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(feed_.nextTick() - Clock::now());
      waitNs = left.count() > 0 ? static_cast<std::uint64_t>(left.count()) : 0;
    }
    Result<MessagePtr> received = group_.waitReceive(waitNs);
    if (!received.ok()) return;  // the group is gone: the server is being destroyed
    MessagePtr message = std::move(received).value();
    if (message && stopping_.load()) {
      sender_.recycle(message);
    } else if (message) {
      handle(std::move(message));
    }
    if (!stopping_.load()) feed_.tick(Clock::now());
  }
}

void TelemetryServer::handle(MessagePtr message) {
  if (message->isFromEngine()) {
    handleNotification(message);
    sender_.recycle(message);
    return;
  }
  switch (message->opCode()) {
    case OpCode::HelloRequest:
      reply(std::move(message), OpCode::HelloResponse, "hello");
      return;
    case OpCode::ByeRequest:
      feed_.remove(message->channelNumber());
      reply(std::move(message), OpCode::ByeResponse, "bye");
      return;
    case OpCode::Request:
      handleRequest(std::move(message));
      return;
    default:  // Signals, stray Responses, a peer's ByeSignal: nothing to answer
      sender_.recycle(message);
      return;
  }
}

void TelemetryServer::handleNotification(MessagePtr& message) {
  const bool closed = message->opCode() == OpCode::Signal && message->status() == Status::channel_closed;
  if (message->status() == Status::pool_empty) {
    // B5: a starving channel reads again once the pool has a message.
    MessagePtr fresh = Message::create();
    sender_.recycle(fresh);
  } else if (closed && message->channelNumber() == listenerChannel_) {
    std::fprintf(stderr, "tofu: telemetry stopped: the listener on %s closed\n", boundText_.c_str());
  } else if (closed) {
    feed_.remove(message->channelNumber());
  }
  // Anything else is a frame of ours handed back (its channel closed): nothing to do.
}

void TelemetryServer::handleRequest(MessagePtr message) {
  const TextHeaders& headers = message->headers();
  const std::optional<std::string_view> version = headers.find(kTelemetryVersionHeader);
  const std::string kind(headers.find(kTelemetryHeader).value_or(""));
  if (version && *version != kTelemetryVersionValue) {
    replyError(std::move(message), kind.empty() ? "error" : kind, "unsupported telemetry-version");
    return;
  }
  const std::uint16_t channel = message->channelNumber();
  if (kind == "snapshot") {
    const std::optional<std::string> json = snapshotJson();
    if (!json) {
      replyError(std::move(message), kind, "the engine is shutting down");
      return;
    }
    const BinaryHeader header = message->header();
    if (sender_.send(std::move(message), {OpCode::Response, channel, header.messageId, kind}, *json) !=
        Status::success) {
      sender_.abort(channel);  // a half-sent snapshot is useless to the monitor
    }
  } else if (kind == "subscribe") {
    reply(std::move(message), OpCode::Response, kind);
    feed_.add(channel);  // sends the first snapshot Signal right away
  } else if (kind == "unsubscribe") {
    feed_.remove(channel);
    reply(std::move(message), OpCode::Response, kind);
  } else {
    replyError(std::move(message), kind.empty() ? "error" : kind, "unknown request");
  }
}

void TelemetryServer::reply(MessagePtr message, OpCode opCode, std::string_view kind) {
  const BinaryHeader header = message->header();
  // Refused only when the channel is already gone; its channel_closed will follow.
  (void)sender_.send(std::move(message), {opCode, header.channelNumber, header.messageId, kind}, {});
}

void TelemetryServer::replyError(MessagePtr message, std::string_view kind, std::string_view error) {
  const BinaryHeader header = message->header();
  (void)sender_.send(std::move(message), {OpCode::Response, header.channelNumber, header.messageId, kind}, {},
                     {{"telemetry-error", error}});
}

std::optional<std::string> TelemetryServer::snapshotJson() {
  Result<EngineSnapshot> snapshot = observed_.snapshot();
  if (!snapshot.ok()) return std::nullopt;
  const SnapshotSource source{static_cast<std::int64_t>(::getpid()), boundText_};
  return snapshotToJson(snapshot.value(), source);
}

}  // namespace tofu::detail
