#include "telemetry/telemetry_server.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <system_error>
#include <utility>

#include "tofu/telemetry/codec.h"
#include "tofu/telemetry/frame_headers.h"

#include "core/ampe_impl.h"
#include "net/transport.h"
#include <malloc.h>
#include <unistd.h>

namespace tofu::detail {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kListenTimeout{10};

// Options::telemetryBodyLimit, else TOFU_TELEMETRY_BODY_LIMIT (decimal bytes, at most 4 GiB - 1)
// when the environment may be read, else the default. A bad value is reported, not fatal.
std::uint32_t configuredBodyLimit(const Options& options) {
  if (options.telemetryBodyLimit) return *options.telemetryBodyLimit;
  const char* value =
      options.telemetryFromEnvironment ? std::getenv(TelemetryServer::kBodyLimitEnvironmentVariable) : nullptr;
  if (value == nullptr || *value == '\0') return Options::kDefaultTelemetryBodyLimit;
  std::uint32_t limit = 0;
  const std::string_view text(value);
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), limit);
  if (error == std::errc() && end == text.data() + text.size()) return limit;
  std::fprintf(stderr, "tofu: telemetry: %s=%s is not a byte count; using %u\n",
               TelemetryServer::kBodyLimitEnvironmentVariable, value, Options::kDefaultTelemetryBodyLimit);
  return Options::kDefaultTelemetryBodyLimit;
}
// Monitors are few; this bounds what a crowd of them could cost the process (descriptors
// included). The guard keeps any one peer from holding them (docs/telemetry.md).
constexpr std::uint16_t kMaxTelemetryChannels = 256;
// A connection must say HelloRequest, which carries the token, within this time.
constexpr std::uint32_t kAuthenticationDeadlineMs = 2000;
// Connections not authorised yet, of all peers together, kept at accept time (the
// TelemetryAcceptGate; one peer gets kMaxPendingPerPeer of them). The slots above it (the
// listener's and those for TelemetryGuard::kMaxMonitors monitors among them) stay free.
constexpr std::size_t kMaxPendingConnections = 128;
static_assert(kMaxPendingConnections + TelemetryGuard::kMaxMonitors + 1 < kMaxTelemetryChannels);
// How long a connection can be pending before the server closes it: the authentication
// deadline, then a refusal's grace, then the sweep that cuts it, with a margin.
constexpr std::chrono::milliseconds kLongestPending{kAuthenticationDeadlineMs + 2000};
// Memory given back to the system at most this often, after monitors with output left.
constexpr std::chrono::seconds kTrimInterval{1};

// The server's own engine: small, never spinning, quick to cut the silent. It speaks TLS with
// the observed engine's certificate, key and CAs, so a tls telemetry address is served as the
// application's own tls listeners are (docs/telemetry.md, "Over TLS").
Options serverOptions(const Options& observed) {
  Options options;
  options.tlsCertificateChainFile = observed.tlsCertificateChainFile;
  options.tlsPrivateKeyFile = observed.tlsPrivateKeyFile;
  options.tlsCaFile = observed.tlsCaFile;
  options.tlsCaDirectory = observed.tlsCaDirectory;
  options.tlsRequireClientCertificate = observed.tlsRequireClientCertificate;
  options.tlsMinVersion = observed.tlsMinVersion;
  options.telemetryFromEnvironment = false;  // never serve telemetry about the telemetry
  options.maxChannels = kMaxTelemetryChannels;
  options.handshakeTimeoutMs = kAuthenticationDeadlineMs;
  options.spinMicros = 0;        // answering monitors is not worth a spinning core
  options.initialPoolMsgs = 8;  // the frames of dropped monitors are freed, not pooled
  options.maxPoolMsgs = 16;
  options.receiveBudgetBytes = 1024 * 1024;
  return options;
}

// Who can reach `address` without a token: on UDS only the socket file's owner (and root); on
// TLS with client certificates only holders of a certificate the CAs signed. Anyone else
// (TCP, TLS without client certificates) must present one.
bool needsToken(const Address& address, const Options& observed) {
  if (transportFor(address.kind()).guardedByFilePermissions()) return false;
  return address.kind() != AddressKind::tls || !observed.tlsRequireClientCertificate;
}

bool validToken(const std::string& token) {
  TextHeaders scratch;
  const bool trimmed = !token.empty() && token.front() != ' ' && token.front() != '\t' &&
                       token.back() != ' ' && token.back() != '\t';
  return trimmed && token.size() <= 65535 && scratch.append(telemetry::kTokenHeader, token) == HeaderCheck::ok;
}

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

Result<std::unique_ptr<TelemetryServer>> TelemetryServer::start(Ampe& observed, const Options& observedOptions,
                                                                const Address& address, std::string token,
                                                                std::uint32_t bodyLimit) {
  if (!token.empty() && !validToken(token)) return Status::not_allowed;
  if (token.empty() && needsToken(address, observedOptions)) return Status::not_allowed;
  const bool openToAnyone = !transportFor(address.kind()).guardedByFilePermissions();
  Result<std::unique_ptr<Reactor>> reactor = Reactor::create(serverOptions(observedOptions));
  if (!reactor.ok()) return reactor.status();
  std::shared_ptr<TelemetryAcceptGate> gate;
  if (openToAnyone) {
    gate = std::make_shared<TelemetryAcceptGate>(kMaxPendingConnections, kLongestPending);
    // Before the WelcomeRequest: the listener takes the gate when it opens. The server's
    // engine is always a detail::AmpeImpl (Reactor::create).
    static_cast<AmpeImpl&>(reactor.value()->ampe()).setAcceptGate(gate);
  }
  const Result<ChannelGroup*> group = reactor.value()->ampe().create();
  if (!group.ok()) return group.status();
  const Result<Listening> listening = listenOn(reactor.value()->ampe(), *group.value(), address);
  if (!listening.ok()) return listening.status();
  return std::unique_ptr<TelemetryServer>(new TelemetryServer(observed, std::move(reactor).value(),
                                                              *group.value(), listening.value().bound,
                                                              listening.value().channel, std::move(token),
                                                              std::move(gate), bodyLimit));
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
  std::string token = options.telemetryToken;
  if (token.empty() && options.telemetryFromEnvironment) {
    const char* value = std::getenv(kTokenEnvironmentVariable);
    if (value != nullptr) token = value;
  }
  const std::uint32_t bodyLimit = configuredBodyLimit(options);
  const Result<Address> parsed = Address::parse(address);
  if (parsed.ok() &&
      (token.empty() ? needsToken(parsed.value(), options) : !validToken(token))) {
    // Anyone on the host (or the network) could read such an endpoint without a token.
    std::fprintf(stderr, "tofu: telemetry %s: %s on %s (set Options::telemetryToken or TOFU_TELEMETRY_TOKEN)\n",
                 fromEnvironment ? "disabled" : "refused",
                 token.empty() ? "a TCP or TLS endpoint needs a token" : "the token is not a valid header value",
                 address.c_str());
    if (fromEnvironment) return std::unique_ptr<TelemetryServer>();
    return Status::not_allowed;
  }
  Result<std::unique_ptr<TelemetryServer>> server =
      parsed.ok() ? start(observed, options, parsed.value(), std::move(token), bodyLimit)
                  : Result<std::unique_ptr<TelemetryServer>>(parsed.status());
  if (server.ok() || !fromEnvironment) return server;
  // A variable set for a whole process tree must not stop programs that cannot honour it.
  std::fprintf(stderr, "tofu: telemetry disabled: cannot listen on %s: %s\n", address.c_str(),
               toString(server.status()));
  return std::unique_ptr<TelemetryServer>();
}

TelemetryServer::TelemetryServer(Ampe& observed, std::unique_ptr<Reactor> reactor, ChannelGroup& group,
                                 Address bound, std::uint16_t listenerChannel, std::string token,
                                 std::shared_ptr<TelemetryAcceptGate> gate, std::uint32_t bodyLimit)
    : observed_(observed),
      reactor_(std::move(reactor)),
      group_(group),
      bound_(std::move(bound)),
      boundText_(bound_.toString()),
      listenerChannel_(listenerChannel),
      bodyLimit_(bodyLimit),
      identity_(telemetry::ProcessIdentity::current()),
      gate_(std::move(gate)),
      sender_(reactor_->ampe(), group_),
      feed_(observed_, sender_, [this] { return snapshotJson(); }, [this] { return eventRoom(); }, bodyLimit),
      guard_(std::move(token)) {
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
    Clock::time_point wake = guard_.nextDeadline();
    if (!feed_.empty()) wake = std::min(wake, feed_.nextTick());
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(wake - Clock::now());
    const std::uint64_t waitNs = left.count() > 0 ? static_cast<std::uint64_t>(left.count()) : 0;
    Result<MessagePtr> received = group_.waitReceive(waitNs);
    if (!received.ok()) return;  // the group is gone: the server is being destroyed
    MessagePtr message = std::move(received).value();
    if (message && stopping_.load()) {
      sender_.recycle(message);
    } else if (message) {
      handle(std::move(message));
    }
    if (!stopping_.load()) {
      feed_.tick(Clock::now());
      housekeeping(Clock::now());
    }
  }
}

void TelemetryServer::housekeeping(Clock::time_point now) {
  for (const TelemetryGuard::Due& due : guard_.due(now)) sendSnapshot(nullptr, due.channel, due.id);
  if (!guard_.sweepDue(now)) return;
  const Clock::time_point asOf = Clock::now();
  const Result<EngineSnapshot> own = reactor_->ampe().snapshot();
  if (own.ok()) {
    for (const std::uint16_t channel : guard_.sweep(own.value(), cachedSnapshot_.size(), now)) {
      sender_.abort(channel);
      feed_.remove(channel);
      trimPending_ = true;
    }
    if (gate_) {
      // What the gate counts as pending: every open connection not judged yet (neither
      // authorised nor refused; a refused one is closed after its grace by the guard).
      std::vector<std::string> pending;
      for (const ChannelInfo& channel : own.value().channels) {
        if (channel.kind == ChannelKind::serverIo && channel.state != ChannelState::closed &&
            !guard_.authorised(channel.channelNumber) && !guard_.refusedAlready(channel.channelNumber)) {
          pending.push_back(channel.peerAddress);
        }
      }
      gate_->settle(pending, asOf);
    }
  }
  // The frames of monitors that went are freed (the pool keeps few), but glibc gives back
  // memory of a thread arena only from its top, and the server engine's I/O thread frees
  // them in the middle of its arena. malloc_trim(0) returns the whole free pages there. The
  // bigger cause of retained memory, the event ring, is mmapped now (event_ring.h); without
  // this trim the 50-non-reader test still came back, but from a baseline 0.7 MB higher and
  // to +5.7 % instead of +2-4 %. At most once a second, and only after monitors left, so a
  // quiet server never pays for it.
  if (trimPending_ && now - lastTrim_ >= kTrimInterval) {
    trimPending_ = false;
    lastTrim_ = now;
    (void)::malloc_trim(0);
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
      handleHello(std::move(message));
      return;
    case OpCode::ByeRequest:
      feed_.remove(message->channelNumber());
      guard_.forget(message->channelNumber());
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
    trimPending_ = true;  // its queued frames have just come back and been freed
    feed_.remove(message->channelNumber());
    guard_.forget(message->channelNumber());
  }
  // Anything else is a frame of ours handed back (its channel closed): nothing to do.
}

void TelemetryServer::handleHello(MessagePtr message) {
  const std::uint16_t channel = message->channelNumber();
  switch (guard_.hello(channel, message->headers().find(telemetry::kTokenHeader), Clock::now())) {
    case TelemetryGuard::Admission::accepted:
      reply(std::move(message), OpCode::HelloResponse, "hello");
      return;
    case TelemetryGuard::Admission::unauthorised:
      refuse(std::move(message), OpCode::HelloResponse, "hello", "unauthorised: a valid telemetry-token is required");
      return;
    case TelemetryGuard::Admission::tooManyMonitors:
      refuse(std::move(message), OpCode::HelloResponse, "hello", "too many monitors");
      return;
  }
}

void TelemetryServer::refuse(MessagePtr message, OpCode replyOpCode, std::string_view kind,
                             std::string_view error) {
  const BinaryHeader header = message->header();
  (void)sender_.send(std::move(message), {replyOpCode, header.channelNumber, header.messageId, kind}, {},
                     {{telemetry::kErrorHeader, error}});
  MessagePtr bye = sender_.fresh();
  bye->setOpCode(OpCode::ByeRequest);
  bye->setChannelNumber(header.channelNumber);
  if (!group_.enqueueToPeer(bye).ok()) sender_.recycle(bye);
  guard_.refused(header.channelNumber, Clock::now());
}

void TelemetryServer::dropMonitor(std::uint16_t channel) {
  sender_.abort(channel);
  feed_.remove(channel);
  guard_.forget(channel);
  trimPending_ = true;
}

void TelemetryServer::sendSnapshot(MessagePtr reuse, std::uint16_t channel, std::uint64_t id) {
  const std::optional<std::string> json = snapshotJson();
  if (!json) {
    MessagePtr message = reuse ? std::move(reuse) : sender_.fresh();
    message->setChannelNumber(channel);
    message->setMessageId(id);
    replyError(std::move(message), "snapshot", "the engine is shutting down");
    return;
  }
  guard_.snapshotSent(channel, Clock::now());
  if (sender_.send(std::move(reuse), {OpCode::Response, channel, id, "snapshot"}, *json) != Status::success) {
    dropMonitor(channel);  // a half-sent snapshot is useless to the monitor
  }
}

void TelemetryServer::handleRequest(MessagePtr message) {
  const std::uint16_t channel = message->channelNumber();
  if (!guard_.authorised(channel)) {
    // Its HelloRequest was refused (the refusal is on its way), or it never sent one.
    const std::string kind(message->headers().find(telemetry::kKindHeader).value_or("error"));
    if (guard_.refusedAlready(channel)) {
      sender_.recycle(message);
    } else {
      refuse(std::move(message), OpCode::Response, kind, "unauthorised: a valid telemetry-token is required");
    }
    return;
  }
  const Clock::time_point now = Clock::now();
  if (!guard_.request(channel, now)) {
    sender_.recycle(message);
    dropMonitor(channel);  // over its request rate
    return;
  }
  const TextHeaders& headers = message->headers();
  const std::optional<std::string_view> version = headers.find(telemetry::kVersionHeader);
  const std::string kind(headers.find(telemetry::kKindHeader).value_or(""));
  if (version && *version != telemetry::kVersionHeaderValue) {
    replyError(std::move(message), kind.empty() ? "error" : kind, "unsupported telemetry-version");
    return;
  }
  if (kind == "snapshot") {
    const std::uint64_t id = message->messageId();
    switch (guard_.snapshot(channel, id, now)) {
      case TelemetryGuard::Pace::now:
        sendSnapshot(std::move(message), channel, id);
        return;
      case TelemetryGuard::Pace::later:  // answered when its turn comes (housekeeping)
        sender_.recycle(message);
        return;
      case TelemetryGuard::Pace::tooMany:
        sender_.recycle(message);
        dropMonitor(channel);
        return;
    }
  } else if (kind == "subscribe") {
    const bool payloads = headers.find(telemetry::kPayloadsHeader).value_or("") == "1";
    // Observing starts before the Response goes: a monitor that acts on the Response (traffic it
    // causes, say) sees every event after it. Under load the server thread once replied, then
    // started the stream after the monitor's flood had passed, and those events were lost
    // without a count.
    feed_.add(channel, payloads);
    reply(std::move(message), OpCode::Response, kind);
    feed_.sendFirstSnapshot(channel);
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
                     {{telemetry::kErrorHeader, error}});
}

std::optional<std::string> TelemetryServer::snapshotJson() {
  const Clock::time_point now = Clock::now();
  if (cached_ && now - cachedAt_ < TelemetryGuard::kMinSnapshotInterval) return cachedSnapshot_;
  std::optional<std::string> json = buildSnapshotJson();
  cached_ = json.has_value();
  if (json) {
    cachedSnapshot_ = *json;
    cachedAt_ = now;
  }
  return json;
}

std::map<std::uint16_t, std::size_t> TelemetryServer::eventRoom() {
  std::map<std::uint16_t, std::size_t> room;
  const Result<EngineSnapshot> own = reactor_->ampe().snapshot();
  if (!own.ok()) return room;
  const std::size_t budget = TelemetryGuard::outputBound(cachedSnapshot_.size()) / 2;
  for (const ChannelInfo& channel : own.value().channels) {
    if (channel.kind != ChannelKind::serverIo || channel.state == ChannelState::closed) continue;
    room[channel.channelNumber] = budget > channel.sendQueueBytes ? budget - channel.sendQueueBytes : 0;
  }
  return room;
}

std::optional<std::string> TelemetryServer::buildSnapshotJson() {
  Result<EngineSnapshot> snapshot = observed_.snapshot();
  if (!snapshot.ok()) return std::nullopt;
  const telemetry::SnapshotSource source{identity_, boundText_, bodyLimit_};
  return telemetry::snapshotToJson(snapshot.value(), &source);
}

}  // namespace tofu::detail
