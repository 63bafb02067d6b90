// Helpers shared by the engine tests: engines with RAII teardown, bounded receives, the
// listen/connect/accept handshakes, message builders, a recorder for message sequences and raw
// sockets that play a peer on the wire. Everything here runs on the calling test thread unless
// stated; every wait is bounded (defaultTimeout(), scaled up under sanitizers) and failures are
// reported with ADD_FAILURE, so a helper returns an empty value rather than aborting the test.
// Only failures nothing can continue after (Reactor::create, Ampe::create, get(always)) throw;
// GoogleTest reports the exception as a failure of the running test.
// Note: inside namespace tofu, `testing` names tofu::testing; GoogleTest is `::testing`.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

namespace tofu::test {

// ---------------------------------------------------------------------------------------------
// Time bounds

// How much slower this build runs than a plain one: 1, or 10 under ASan/TSan; the environment
// variable TOFU_TEST_TIMEOUT_SCALE overrides it. Waits scale by it, so slow builds do not flake.
int timeoutScale();

// `base` multiplied by timeoutScale().
std::chrono::milliseconds scaled(std::chrono::milliseconds base);

// The default bound of every wait: 5 s, scaled.
std::chrono::milliseconds defaultTimeout();

// How long to listen for a message that must NOT come (absence checks, not synchronisation):
// 100 ms, scaled.
std::chrono::milliseconds quietPeriod();

// CPU time used by this process so far (every thread), in seconds.
double processCpuSeconds();

// The most CPU time, as a share of the wall time, that an engine with nothing to do may use
// (the "no busy loop" checks): `base` scaled by timeoutScale(), since sanitizers slow each
// wake-up too, but at most half a core, which a busy-looping thread (a whole core) exceeds.
double idleCpuShare(double base);

// ---------------------------------------------------------------------------------------------
// Transports

// tls: TLS 1.3 over TCP with the test certificates (tls_certificates.h), in builds with TLS.
enum class Transport { tcp, uds, tls };

// "tcp" / "uds" / "tls"; used for parameterised test names.
const char* toString(Transport transport) noexcept;
void PrintTo(Transport transport, std::ostream* out);

// Names instances of a TEST_P over Transport "tcp" and "uds" (INSTANTIATE_TEST_SUITE_P's 4th
// argument).
struct TransportName {
  std::string operator()(const ::testing::TestParamInfo<Transport>& info) const;
};

// Both plain transports, for INSTANTIATE_TEST_SUITE_P(..., kAllTransports, TransportName()).
inline const auto kAllTransports = ::testing::Values(Transport::tcp, Transport::uds);
// The same and, in a build with TLS, tls: for suites whose engines take their options through
// forTransport() and whose raw peers are RawPeers (which speak TLS to a tls address).
#if TOFU_WITH_TLS
inline const auto kTransportsWithTls = ::testing::Values(Transport::tcp, Transport::uds, Transport::tls);
#else
inline const auto kTransportsWithTls = kAllTransports;
#endif

// Where a test listener binds: tcp|127.0.0.1|0 or tls|127.0.0.1|0 (the engine picks the
// port, B8) or a fresh temporary UDS path.
Address listenAddress(Transport transport);

// `options` for an engine on `transport`: for tls, with the test server certificate (so it can
// listen) and the test CA (so it verifies its servers); unchanged otherwise.
Options forTransport(Options options, Transport transport);

// ---------------------------------------------------------------------------------------------
// Engines and groups

// One engine (Reactor). Groups made with group() are destroyed (explicitly, as an application
// would) before the Reactor is, so teardown does not rely on B7. Not thread-safe itself; the
// Ampe and groups it hands out follow the engine's own thread rules.
class Engine {
 public:
  explicit Engine(const Options& options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // False when Reactor::create failed (already reported with ADD_FAILURE).
  bool ok() const noexcept { return reactor_ != nullptr; }
  Ampe& ampe();
  Reactor& reactor() { return *reactor_; }

  // A new group of this engine; a failure is reported and aborts the test via exception.
  ChannelGroup& group();

  // Destroys `group` now (expects success); the engine will not destroy it again.
  void destroy(ChannelGroup& group);

  // Destroys every remaining group and then the Reactor; idempotent. For tests that check
  // what happens after the engine is gone (e.g. peers seeing a reset).
  void shutdown();

 private:
  std::unique_ptr<Reactor> reactor_;
  std::vector<ChannelGroup*> groups_;
};

// ---------------------------------------------------------------------------------------------
// Receiving

using MessagePredicate = std::function<bool(const Message&)>;

// "HelloResponse ch=513 id=7 origin=engine status=invalid_address thl=32 bl=0".
std::string describe(const Message& message);
std::string describe(const MessagePtr& message);

// The next message of `group`, waiting at most `timeout`. On timeout or a waitReceive error
// the test gets a failure and the result is null.
MessagePtr receive(ChannelGroup& group, std::chrono::milliseconds timeout = defaultTimeout());

// Like receive() but a timeout is not a failure (null). Errors from waitReceive still fail.
MessagePtr tryReceive(ChannelGroup& group, std::chrono::milliseconds timeout);

// The first message matching `predicate`; messages before it are appended to `skipped` (or
// dropped when it is null). Null and a failure on timeout.
MessagePtr receiveMatching(ChannelGroup& group, const MessagePredicate& predicate,
                           std::vector<MessagePtr>* skipped = nullptr,
                           std::chrono::milliseconds timeout = defaultTimeout());

// Expects that `group` receives nothing during `period` (default quietPeriod()); a message that
// does arrive is reported (with describe()) and returned, else null.
MessagePtr expectNothing(ChannelGroup& group, std::chrono::milliseconds period = quietPeriod());

// Collects everything a group receives, in order. Not thread-safe (one consumer per group).
class Recorder {
 public:
  explicit Recorder(ChannelGroup& group) : group_(group) {}

  // Receives until a message matching `predicate` arrives (it is recorded too). False and a
  // failure on timeout.
  bool until(const MessagePredicate& predicate, std::chrono::milliseconds timeout = defaultTimeout());

  // Receives until `count` messages matching `predicate` have been recorded in total.
  bool untilCount(const MessagePredicate& predicate, std::size_t count,
                  std::chrono::milliseconds timeout = defaultTimeout());

  // Receives whatever arrives until nothing has come for `quiet` (no failure).
  void settle(std::chrono::milliseconds quiet = quietPeriod());

  std::vector<MessagePtr>& messages() noexcept { return messages_; }
  std::size_t count(const MessagePredicate& predicate) const;
  // The first recorded message matching `predicate`, or null.
  const Message* find(const MessagePredicate& predicate) const;
  // One describe() line per recorded message, for failure output.
  std::string dump() const;

 private:
  ChannelGroup& group_;
  std::vector<MessagePtr> messages_;
};

// Predicate builders, combinable with allOf().
MessagePredicate onChannel(std::uint16_t channel);
MessagePredicate withOpCode(OpCode op);
MessagePredicate withStatus(Status status);
MessagePredicate withId(std::uint64_t id);
MessagePredicate fromEngine();
// The final notification of a channel: Signal, origin engine, status channel_closed.
MessagePredicate closedSignal(std::uint16_t channel);
MessagePredicate allOf(std::vector<MessagePredicate> predicates);

// ---------------------------------------------------------------------------------------------
// Messages

// A reset message from the pool (get(always)); never null unless get fails (reported).
MessagePtr newMessage(Ampe& ampe);

// A message with `op`, `channel`, `body` and `id` (0 = let the engine assign).
MessagePtr request(Ampe& ampe, std::uint16_t channel, std::string_view body, OpCode op = OpCode::Request,
                   std::uint64_t id = 0);

// ByeSignal on `channel`: local abort (B13).
MessagePtr byeSignal(Ampe& ampe, std::uint16_t channel);

// ByeRequest on `channel`: graceful close (B3).
MessagePtr byeRequest(Ampe& ampe, std::uint16_t channel);

// A HelloRequest to `peer` / a WelcomeRequest for `local` (channel 0, id 0).
MessagePtr helloRequest(Ampe& ampe, const Address& peer);
MessagePtr welcomeRequest(Ampe& ampe, const Address& local);

// A Hello/WelcomeRequest whose address header has the raw `value` (not validated here), for
// address parsing tests: header `~connect_to` for Hello, `~listen_on` for Welcome.
MessagePtr rawAddressRequest(Ampe& ampe, OpCode op, std::string_view headerName, std::string_view value);

// Posts `message`, expecting success; returns the header snapshot (channelNumber 0 and a
// failure when refused; the message is then dropped).
BinaryHeader post(ChannelGroup& group, MessagePtr message);

// ---------------------------------------------------------------------------------------------
// Handshakes

struct Listening {
  std::uint16_t channel = 0;  // 0 when listening failed (already reported)
  std::uint64_t messageId = 0;
  Address bound;  // from the WelcomeResponse's ~listen_on header (B8: real port)
};

// Posts a WelcomeRequest for `local` and waits for its WelcomeResponse with status success on
// the same channel and id; other messages arriving first are a failure.
Listening listen(Ampe& ampe, ChannelGroup& group, const Address& local);

// Posts a HelloRequest to `peer`; returns the snapshot (channel and id), channelNumber 0 on
// refusal (reported).
BinaryHeader postHello(Ampe& ampe, ChannelGroup& client, const Address& peer);

// postHello(...).channelNumber.
std::uint16_t connect(Ampe& ampe, ChannelGroup& client, const Address& peer);

// Receives the next message of `server`, which must be a HelloRequest with status success,
// answers it with a HelloResponse on the same channel and id (headers and body dropped) and
// returns the server channel (0 and a failure otherwise). `helloId`, when given, receives the
// HelloRequest's id.
std::uint16_t acceptHello(Ampe& ampe, ChannelGroup& server,
                          std::chrono::milliseconds timeout = defaultTimeout(),
                          std::uint64_t* helloId = nullptr);

// Waits on `client` for the HelloResponse (success, application origin) on `channel` with `id`.
bool awaitHelloResponse(ChannelGroup& client, std::uint16_t channel, std::uint64_t id,
                        std::chrono::milliseconds timeout = defaultTimeout());

struct Connection {
  std::uint16_t clientChannel = 0;  // 0 when any step failed (already reported)
  std::uint16_t serverChannel = 0;
  std::uint64_t helloId = 0;
  bool ok() const noexcept { return clientChannel != 0 && serverChannel != 0; }
};

// connect + acceptHello + awaitHelloResponse. Client and server may be the same engine and
// even the same group (then the HelloRequest is received before the HelloResponse).
Connection connectPair(Ampe& clientAmpe, ChannelGroup& client, Ampe& serverAmpe, ChannelGroup& server,
                       const Address& peer);

// Expects a peer's application message: `op`, origin application, status success.
void expectPeerMessage(const MessagePtr& message, OpCode op, std::uint16_t channel, std::uint64_t id);

// Receives on `group` until the final Signal of `channel` (checked by closedSignal) within
// `timeout`; returns everything before it, and the Signal itself in `*signal` when not null.
std::vector<MessagePtr> receiveUntilClosed(ChannelGroup& group, std::uint16_t channel,
                                           MessagePtr* signal = nullptr,
                                           std::chrono::milliseconds timeout = defaultTimeout());

// Posts a HelloRequest that fails at once (TCP port 0: its HelloResponse comes back with
// invalid_address, then its channel's final Signal). The engine handles a group's posts in
// order, so once that Signal has arrived, every message posted on `group` before the fence
// has come back too, even one posted to a channel after that channel's own final Signal.
// Returns the fence's header snapshot (channelNumber 0 and a failure when refused).
BinaryHeader postFence(Ampe& ampe, ChannelGroup& group);

// Pool options as the reference scenarios state them ({initial, max}).
Options poolOptions(std::uint16_t initial, std::uint16_t max);

// Expects `message` to be exactly: `op`, origin engine, `status`, on `channel` with `id`.
void expectNotification(const MessagePtr& message, OpCode op, Status status, std::uint16_t channel,
                        std::uint64_t id);

// Expects the final notification of `channel`: Signal, origin engine, channel_closed, with the
// channel's recorded id (first frame received, else the creating request's id, else 0).
void expectClosedSignal(const MessagePtr& message, std::uint16_t channel, std::uint64_t id);

// ---------------------------------------------------------------------------------------------
// Raw sockets: the hand-written peers on the wire (RawPeer, RawServer) are in raw_peer.h;
// a reserved TCP port and the resident-size probe in os_probes.h.

// The frame bytes for `message` as the wire format defines them (tofu::encodeFrame).
std::vector<std::uint8_t> frameBytes(const Message& message);

// "00 05 20 00 ..." for failure output.
std::string hex(const std::vector<std::uint8_t>& bytes);

}  // namespace tofu::test
