// Fault injection: connections that never come up or go silent. Connect refused and connect
// timeout (B11), the idle timeout that finds half-open peers (Options::idleTimeoutMs) and TCP
// keep-alive (Options::tcpKeepAliveSec), each with the nothing-lost accounting of B1:
// written + returned == posted, exactly, from the engine's own counters.
//
// Keep-alive is checked on the engine's own sockets (getsockopt in this process): a half-open
// loopback peer that keep-alive probes would expose needs dropped packets (a firewall rule),
// which a test cannot set up, and the kernel would take at least 4 probe intervals anyway.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "os_probes.h"
#include "raw_peer.h"
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Counter deltas since construction, for B1 accounting on one engine.
class CounterDelta {
 public:
  explicit CounterDelta(Ampe& ampe) : ampe_(ampe), start_(ampe.counters()) {}
  std::uint64_t written() const { return ampe_.counters().framesWritten - start_.framesWritten; }
  std::uint64_t returned() const { return ampe_.counters().messagesReturned - start_.messagesReturned; }
  std::uint64_t closed() const { return ampe_.counters().channelsClosed - start_.channelsClosed; }

 private:
  Ampe& ampe_;
  EngineCounters start_;
};

bool isRequest(const Message& m) { return m.opCode() == OpCode::Request; }

// How a peer sees an abortive close by the engine: a reset over TCP; UDS has no reset, the
// peer reads what was sent and then end of stream.
ReadEnd abortiveEnd(Transport transport) {
  return transport == Transport::tcp ? ReadEnd::reset : ReadEnd::eof;
}

// ---------------------------------------------------------------------------------------------
// Connect refused

// A UDS path with a socket bound to it that does not listen: connects are refused at once.
class RefusingUdsPath {
 public:
  RefusingUdsPath() : path_(tofu::testing::tempUdsPath()) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path_.copy(address.sun_path, sizeof(address.sun_path) - 1);
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RefusingUdsPath() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    ::unlink(path_.c_str());
  }
  RefusingUdsPath(const RefusingUdsPath&) = delete;
  RefusingUdsPath& operator=(const RefusingUdsPath&) = delete;

  bool bound() const noexcept { return bound_; }
  Address address() const { return Address::uds(path_); }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

// Posts a HelloRequest to `target` and kRequests Requests right behind it (K8), and checks
// how each ends. The Hello comes back first as `helloOp` with `helloStatus`. A Request that
// reached the channel before the refusal comes back with `helloStatus` when the HelloRequest
// stayed a HelloRequest (connect_failed: "every message queued behind it"), one that reached
// it after the refusal with channel_closed (closed, number not yet released), one posted after
// the release is refused synchronously with invalid_channel_number. When the refusal happens
// relative to the posts is up to the I/O thread, so each Request may end in any of those ways,
// but in posting order and with the statuses in that order. B1: returned == accepted, exactly.
void expectConnectRefused(const Address& target, OpCode helloOp, Status helloStatus) {
  constexpr int kRequests = 20;
  Engine engine(roomyOptions());
  ChannelGroup& group = engine.group();
  const CounterDelta delta(engine.ampe());
  const BinaryHeader hello = postHello(engine.ampe(), group, target);
  ASSERT_NE(hello.channelNumber, 0u);
  std::vector<std::uint64_t> accepted;
  for (int i = 0; i < kRequests; ++i) {
    auto message = request(engine.ampe(), hello.channelNumber, "behind the hello");
    auto posted = group.enqueueToPeer(message);
    if (posted.ok()) {
      accepted.push_back(posted.value().messageId);
      continue;
    }
    EXPECT_EQ(posted.status(), Status::invalid_channel_number) << "request " << i;
    EXPECT_NE(message, nullptr) << "a refused message stays with the caller (K5)";
    engine.ampe().put(message);
  }

  std::vector<MessagePtr> before = receiveUntilClosed(group, hello.channelNumber);
  ASSERT_FALSE(before.empty()) << "the HelloRequest must come back";
  const Message& failed = *before.front();
  EXPECT_EQ(failed.opCode(), helloOp) << describe(failed);
  EXPECT_TRUE(failed.isFromEngine()) << describe(failed);
  EXPECT_EQ(failed.status(), helloStatus) << describe(failed);
  EXPECT_EQ(failed.messageId(), hello.messageId) << describe(failed);
  EXPECT_EQ(failed.channelNumber(), hello.channelNumber) << describe(failed);

  // Requests dispatched after the final Signal find no channel: channel_closed as well.
  std::vector<MessagePtr> returned(std::make_move_iterator(before.begin() + 1),
                                   std::make_move_iterator(before.end()));
  const std::size_t beforeSignal = returned.size();
  while (returned.size() < accepted.size()) {
    auto late = receive(group);
    ASSERT_NE(late, nullptr) << returned.size() << " of " << accepted.size() << " requests came back";
    returned.push_back(std::move(late));
  }
  const Status queuedStatus = helloOp == OpCode::HelloRequest ? helloStatus : Status::channel_closed;
  bool sawClosed = false;
  for (std::size_t i = 0; i < returned.size(); ++i) {
    const Message& m = *returned[i];
    ASSERT_TRUE(isRequest(m)) << "#" << i << ": " << describe(m);
    EXPECT_EQ(m.messageId(), accepted[i]) << "#" << i << " out of posting order";
    EXPECT_TRUE(m.isFromEngine()) << describe(m);
    EXPECT_EQ(m.body().view(), "behind the hello") << "#" << i << " corrupted";
    if (m.status() == Status::channel_closed) {
      sawClosed = true;
    } else {
      EXPECT_EQ(m.status(), queuedStatus) << "#" << i << ": " << describe(m);
      EXPECT_FALSE(sawClosed) << "#" << i << ": " << toString(queuedStatus) << " after channel_closed";
      EXPECT_LT(i, beforeSignal) << "only messages queued before the close carry its reason";
    }
  }
  EXPECT_EQ(expectNothing(group), nullptr);
  EXPECT_EQ(delta.written(), 0u);
  EXPECT_EQ(delta.returned(), 1 + accepted.size()) << "written + returned == posted (B1)";
  EXPECT_EQ(delta.closed(), 1u);
}

TEST(FaultConnect, TcpRefusedReturnsHelloAndEverythingBehindIt) {
  ReservedTcpPort closed;
  expectConnectRefused(closed.address(), OpCode::HelloRequest, Status::connect_failed);
}

TEST(FaultConnect, UdsRefusedFailsAtOnceWithCommunicationFailed) {
  RefusingUdsPath refusing;
  ASSERT_TRUE(refusing.bound());
  expectConnectRefused(refusing.address(), OpCode::HelloResponse, Status::communication_failed);
}

TEST(FaultConnect, RefusedConnectLeavesOtherChannelsAlone) {
  Engine server(roomyOptions());
  Engine client(roomyOptions());
  ChannelGroup& serverGroup = server.group();
  ChannelGroup& clientGroup = client.group();
  ChannelGroup& failingGroup = client.group();
  const Listening listening = listen(server.ampe(), serverGroup, Address::tcp("127.0.0.1", 0));
  ASSERT_NE(listening.channel, 0u);
  const Connection connection =
      connectPair(client.ampe(), clientGroup, server.ampe(), serverGroup, listening.bound);
  ASSERT_TRUE(connection.ok());
  ReservedTcpPort closed;
  for (int attempt = 0; attempt < 10; ++attempt) {
    const BinaryHeader hello = postHello(client.ampe(), failingGroup, closed.address());
    auto failed = receive(failingGroup);
    ASSERT_TRUE(failed && failed->opCode() == OpCode::HelloRequest &&
                failed->status() == Status::connect_failed && failed->messageId() == hello.messageId)
        << describe(failed);
    auto signal = receive(failingGroup);
    ASSERT_TRUE(signal && closedSignal(hello.channelNumber)(*signal)) << describe(signal);
    EXPECT_EQ(signal->messageId(), hello.messageId);
  }
  EXPECT_TRUE(echo(client.ampe(), clientGroup, connection.clientChannel, server.ampe(), serverGroup,
                   connection.serverChannel, "unaffected"));
}

// ---------------------------------------------------------------------------------------------
// Connect timeout (B11)

TEST(FaultConnect, TimeoutReturnsEverythingQueuedInOrder) {
  HangingTcpServer hanging;
  ASSERT_TRUE(hanging.hangs()) << "a connect to a full accept queue was answered";
  const milliseconds timeout = scaled(milliseconds(300));
  Options options = roomyOptions();
  options.connectTimeoutMs = static_cast<std::uint32_t>(timeout.count());
  Engine engine(options);
  ChannelGroup& group = engine.group();
  const CounterDelta delta(engine.ampe());
  const auto start = Clock::now();
  const BinaryHeader hello = postHello(engine.ampe(), group, hanging.address());
  ASSERT_NE(hello.channelNumber, 0u);
  // The connect hangs, so every Request is queued behind the HelloRequest.
  constexpr int kQueued = 50;
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < kQueued; ++i) {
    ids.push_back(post(group, request(engine.ampe(), hello.channelNumber, "queued")).messageId);
  }
  std::vector<MessagePtr> before =
      receiveUntilClosed(group, hello.channelNumber, nullptr, timeout + defaultTimeout());
  const auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, timeout - milliseconds(10)) << "failed before the timeout";
  ASSERT_EQ(before.size(), 1u + kQueued);
  EXPECT_EQ(before[0]->opCode(), OpCode::HelloRequest) << describe(before[0]);
  EXPECT_EQ(before[0]->status(), Status::connect_failed) << describe(before[0]);
  EXPECT_EQ(before[0]->messageId(), hello.messageId);
  for (int i = 0; i < kQueued; ++i) {
    const Message& m = *before[static_cast<std::size_t>(i) + 1];
    EXPECT_TRUE(isRequest(m) && m.isFromEngine() && m.status() == Status::connect_failed) << describe(m);
    EXPECT_EQ(m.messageId(), ids[static_cast<std::size_t>(i)]) << "#" << i << " out of order";
    EXPECT_EQ(m.body().view(), "queued");
  }
  EXPECT_EQ(delta.written(), 0u);
  EXPECT_EQ(delta.returned(), 1u + kQueued) << "written + returned == posted (B1)";
  // The number is released after the final Signal (B4).
  auto after = request(engine.ampe(), hello.channelNumber, "too late");
  EXPECT_EQ(group.enqueueToPeer(after).status(), Status::invalid_channel_number);
  engine.ampe().put(after);
}

TEST(FaultConnect, TimeoutDoesNotTouchEstablishedConnections) {
  // connectTimeoutMs bounds connecting only: an open channel that is quiet for longer stays.
  const milliseconds timeout = scaled(milliseconds(200));
  Options options = roomyOptions();
  options.connectTimeoutMs = static_cast<std::uint32_t>(timeout.count());
  Engine server(options);
  Engine client(options);
  ChannelGroup& serverGroup = server.group();
  ChannelGroup& clientGroup = client.group();
  const Listening listening = listen(server.ampe(), serverGroup, Address::tcp("127.0.0.1", 0));
  ASSERT_NE(listening.channel, 0u);
  const Connection connection =
      connectPair(client.ampe(), clientGroup, server.ampe(), serverGroup, listening.bound);
  ASSERT_TRUE(connection.ok());
  EXPECT_EQ(expectNothing(clientGroup, 3 * timeout), nullptr);
  EXPECT_EQ(expectNothing(serverGroup, milliseconds(0)), nullptr);
  EXPECT_TRUE(echo(client.ampe(), clientGroup, connection.clientChannel, server.ampe(), serverGroup,
                   connection.serverChannel, "still connected"));
}

// ---------------------------------------------------------------------------------------------
// Idle timeout: a silent (half-open) peer is closed, an active one is kept

class FaultIdle : public ::testing::TestWithParam<Transport> {};
INSTANTIATE_TEST_SUITE_P(Transports, FaultIdle, kAllTransports, TransportName());

TEST(FaultIdleDefaults, IdleTimeoutAndKeepAliveAreOffByDefault) {
  const Options defaults;
  EXPECT_EQ(defaults.idleTimeoutMs, 0u);
  EXPECT_EQ(defaults.tcpKeepAliveSec, 0u);
  EXPECT_EQ(defaults.connectTimeoutMs, 0u);
}

TEST_P(FaultIdle, SilentPeerIsClosedWithPeerDisconnectedWhileActivePeerStays) {
  // Long enough for fillSendQueue() to finish well inside it.
  const milliseconds idle = scaled(milliseconds(1000));
  Options options = limitedOptions();
  options.idleTimeoutMs = static_cast<std::uint32_t>(idle.count());
  Engine server(options);
  Engine client(roomyOptions());  // no idle timeout on the client side
  ChannelGroup& serverGroup = server.group();
  ChannelGroup& clientGroup = client.group();
  const Listening listening = listen(server.ampe(), serverGroup, listenAddress(GetParam()));
  ASSERT_NE(listening.channel, 0u);
  const Connection active =
      connectPair(client.ampe(), clientGroup, server.ampe(), serverGroup, listening.bound);
  ASSERT_TRUE(active.ok());

  // The silent peer: says Hello, then neither sends nor reads, as a peer whose host vanished.
  auto silent = RawPeer::connectTo(listening.bound, kSmallReceiveBuffer);
  ASSERT_NE(silent, nullptr);
  // Before the Hello is sent, so no later than the engine's own "last received" time.
  const auto lastHeard = Clock::now();
  ASSERT_TRUE(sayHello(*silent, server.ampe(), 7, 0x1D1E));
  auto hello = receive(serverGroup);
  ASSERT_TRUE(hello && hello->opCode() == OpCode::HelloRequest && hello->messageId() == 0x1D1Eu)
      << describe(hello);
  const std::uint16_t silentChannel = hello->channelNumber();
  server.ampe().put(hello);
  const CounterDelta delta(server.ampe());
  const FillResult fill = fillSendQueue(server.ampe(), serverGroup, silentChannel, kFillBodyBytes);
  ASSERT_TRUE(fill.full);
  ASSERT_LT(Clock::now() - lastHeard, idle) << "the send queue filled too slowly for this idle timeout";

  // Meanwhile the active peer sends a Signal every quarter of the idle time, for 2.5 of them.
  std::vector<MessagePtr> silentMessages;
  bool silentClosed = false;
  Clock::duration closedAfter{};
  int signalsSent = 0;
  int signalsReceived = 0;
  const auto activeEnd = Clock::now() + idle * 5 / 2;
  while (Clock::now() < activeEnd) {
    post(clientGroup, request(client.ampe(), active.clientChannel, "alive", OpCode::Signal));
    ++signalsSent;
    const auto tickEnd = Clock::now() + idle / 4;
    while (auto got = tryReceive(serverGroup, std::chrono::duration_cast<milliseconds>(std::max(
                                                  tickEnd - Clock::now(), Clock::duration::zero())))) {
      if (got->channelNumber() == active.serverChannel) {
        EXPECT_TRUE(got->opCode() == OpCode::Signal && got->isFromApplication()) << describe(got);
        ++signalsReceived;
      } else if (closedSignal(silentChannel)(*got)) {
        EXPECT_FALSE(silentClosed);
        silentClosed = true;
        closedAfter = Clock::now() - lastHeard;
        EXPECT_EQ(got->messageId(), 0x1D1Eu) << "the final Signal carries the first frame's id";
      } else if (got->channelNumber() == silentChannel && !silentClosed) {
        silentMessages.push_back(std::move(got));
      } else {
        ADD_FAILURE() << "unexpected: " << describe(got);
      }
      server.ampe().put(got);
    }
  }
  ASSERT_TRUE(silentClosed) << "the silent peer was not closed within 2.5 idle timeouts";
  EXPECT_GE(closedAfter, idle) << "closed before the idle timeout";
  EXPECT_EQ(signalsReceived, signalsSent) << "the active channel must carry on";
  EXPECT_GE(expectReturnedTail(silentMessages, fill, silentChannel, Status::peer_disconnected), 1u);
  EXPECT_EQ(delta.written() + delta.returned(), fill.ids.size()) << "written + returned == posted (B1)";
  // The silent peer's socket was closed abortively, not left open.
  EXPECT_EQ(silent->readUntilClosed(nullptr), abortiveEnd(GetParam()));
  EXPECT_TRUE(echo(client.ampe(), clientGroup, active.clientChannel, server.ampe(), serverGroup,
                   active.serverChannel, "after the idle close"));
}

TEST_P(FaultIdle, ClientSideChannelToSilentServerIsClosed) {
  // Long enough for fillSendQueue to finish on a loaded machine before the idle clock, which
  // starts when the connection is up, closes the channel under it.
  const milliseconds idle = scaled(milliseconds(3000));
  Options options = limitedOptions();
  options.idleTimeoutMs = static_cast<std::uint32_t>(idle.count());
  Engine engine(options);
  ChannelGroup& group = engine.group();
  RawServer silentServer(GetParam(), kSmallReceiveBuffer);
  ASSERT_TRUE(silentServer.valid());
  const CounterDelta delta(engine.ampe());
  // The engine starts its idle clock when the connection is up, which is after this.
  const auto start = Clock::now();
  const BinaryHeader hello = postHello(engine.ampe(), group, silentServer.address());
  auto peer = silentServer.accept();
  ASSERT_NE(peer, nullptr);
  const FillResult fill = fillSendQueue(engine.ampe(), group, hello.channelNumber, kFillBodyBytes);
  ASSERT_TRUE(fill.full);
  std::vector<MessagePtr> before =
      receiveUntilClosed(group, hello.channelNumber, nullptr, idle + defaultTimeout());
  EXPECT_GE(Clock::now() - start, idle) << "closed before the idle timeout";
  EXPECT_GE(expectReturnedTail(before, fill, hello.channelNumber, Status::peer_disconnected), 1u);
  EXPECT_EQ(delta.written() + delta.returned(), 1 + fill.ids.size()) << "written + returned == posted (B1)";
}

TEST_P(FaultIdle, TrafficInTheOtherDirectionDoesNotKeepAChannelAlive) {
  // The timeout is about receiving: a peer that only reads is as silent as a vanished one.
  const milliseconds idle = scaled(milliseconds(300));
  Options options = roomyOptions();
  options.idleTimeoutMs = static_cast<std::uint32_t>(idle.count());
  Engine engine(options);
  ChannelGroup& group = engine.group();
  RawServer server(GetParam());
  ASSERT_TRUE(server.valid());
  const CounterDelta delta(engine.ampe());
  const auto start = Clock::now();
  const BinaryHeader hello = postHello(engine.ampe(), group, server.address());
  auto peer = server.accept();
  ASSERT_NE(peer, nullptr);
  RawFrame frame;
  ASSERT_EQ(peer->readFrame(frame), ReadEnd::frame);
  std::uint64_t posted = 1;
  std::uint64_t read = 1;
  std::vector<MessagePtr> seen;
  // One Request every tenth of the idle time, each read by the peer, until the channel closes.
  while (Clock::now() - start < idle * 4) {
    auto message = request(engine.ampe(), hello.channelNumber, "one way");
    auto result = group.enqueueToPeer(message);
    if (!result.ok()) {
      EXPECT_EQ(result.status(), Status::invalid_channel_number) << "only a released number refuses";
      engine.ampe().put(message);
      break;
    }
    ++posted;
    const ReadEnd end = peer->readFrame(frame);
    if (end != ReadEnd::frame) {
      EXPECT_EQ(end, abortiveEnd(GetParam())) << "the idle close is abortive";
      break;
    }
    ++read;
    EXPECT_EQ(frame.header.messageId, result.value().messageId);
    if (auto got = tryReceive(group, idle / 10)) {
      const bool closed = closedSignal(hello.channelNumber)(*got);
      seen.push_back(std::move(got));
      if (closed) {
        break;
      }
    }
  }
  if (seen.empty() || !closedSignal(hello.channelNumber)(*seen.back())) {
    Recorder recorder(group);
    ASSERT_TRUE(recorder.until(closedSignal(hello.channelNumber)))
        << "a channel that receives nothing must close after the idle timeout";
    for (auto& message : recorder.messages()) {
      seen.push_back(std::move(message));
    }
  }
  const auto closedAfter = Clock::now() - start;
  EXPECT_GE(closedAfter, idle) << "closed before the idle timeout";
  EXPECT_LT(closedAfter, idle * 4) << "the idle timeout did not fire while data kept flowing out";
  EXPECT_GT(read, 2u) << "the peer read traffic during the idle period";
  // Only Requests still queued at the close come back, with the idle close's reason.
  for (std::size_t i = 0; i + 1 < seen.size(); ++i) {
    EXPECT_TRUE(isRequest(*seen[i]) && seen[i]->isFromEngine() &&
                seen[i]->status() == Status::peer_disconnected)
        << describe(seen[i]);
  }
  EXPECT_EQ(delta.written() + delta.returned(), posted) << "written + returned == posted (B1)";
  EXPECT_GE(delta.written(), read);
}

// ---------------------------------------------------------------------------------------------
// TCP keep-alive, observed on the engine's sockets

int intOption(int fd, int level, int option) {
  int value = -1;
  socklen_t length = sizeof(value);
  return ::getsockopt(fd, level, option, &value, &length) == 0 ? value : -1;
}

struct KeepAlive {
  int enabled = -1;
  int idle = -1;
  int interval = -1;
  int count = -1;
};

KeepAlive keepAliveOf(int fd) {
  return {intOption(fd, SOL_SOCKET, SO_KEEPALIVE), intOption(fd, IPPROTO_TCP, TCP_KEEPIDLE),
          intOption(fd, IPPROTO_TCP, TCP_KEEPINTVL), intOption(fd, IPPROTO_TCP, TCP_KEEPCNT)};
}

// The keep-alive settings of an engine socket that accepted and of one that connected.
void engineSockets(const Options& options, KeepAlive& accepted, KeepAlive& connected) {
  Engine engine(options);
  ChannelGroup& group = engine.group();
  const Listening listening = listen(engine.ampe(), group, Address::tcp("127.0.0.1", 0));
  ASSERT_NE(listening.channel, 0u);
  auto inbound = RawPeer::connectTo(listening.bound);
  ASSERT_NE(inbound, nullptr);
  ASSERT_TRUE(sayHello(*inbound, engine.ampe(), 2, 0xCA11));
  auto hello = receive(group);
  ASSERT_TRUE(hello && hello->messageId() == 0xCA11u) << describe(hello);
  const int acceptedFd = findConnectedTcpSocket(listening.bound.port(), localPort(inbound->fd()));
  ASSERT_GE(acceptedFd, 0) << "the engine's accepted socket";
  accepted = keepAliveOf(acceptedFd);

  RawServer rawServer(Transport::tcp);
  postHello(engine.ampe(), group, rawServer.address());
  auto outbound = rawServer.accept();
  ASSERT_NE(outbound, nullptr);
  RawFrame frame;
  // The HelloRequest has been written, so the socket is past connect() and tuned.
  ASSERT_EQ(outbound->readFrame(frame), ReadEnd::frame);
  const int connectedFd = findConnectedTcpSocket(peerPort(outbound->fd()), rawServer.address().port());
  ASSERT_GE(connectedFd, 0) << "the engine's client socket";
  connected = keepAliveOf(connectedFd);
}

TEST(FaultKeepAlive, OffByDefault) {
  KeepAlive accepted;
  KeepAlive connected;
  ASSERT_NO_FATAL_FAILURE(engineSockets(roomyOptions(), accepted, connected));
  EXPECT_EQ(accepted.enabled, 0);
  EXPECT_EQ(connected.enabled, 0);
}

TEST(FaultKeepAlive, OptionSetsProbesOnAcceptedAndConnectedSockets) {
  Options options = roomyOptions();
  options.tcpKeepAliveSec = 7;
  KeepAlive accepted;
  KeepAlive connected;
  ASSERT_NO_FATAL_FAILURE(engineSockets(options, accepted, connected));
  for (const KeepAlive& k : {accepted, connected}) {
    EXPECT_EQ(k.enabled, 1);
    EXPECT_EQ(k.idle, 7) << "seconds of silence before the first probe";
    EXPECT_EQ(k.interval, 7) << "the same interval between probes";
    EXPECT_EQ(k.count, 3) << "3 probes (options.h)";
  }
}

}  // namespace
}  // namespace tofu::test
