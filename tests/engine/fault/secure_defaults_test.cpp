// Secure defaults (docs/security.md, options.h), each an engine option with a documented
// default: UDS socket files owner-only (udsFileMode 0600), a handshake timeout for connections
// that never say Hello (handshakeTimeoutMs 10 s), a channel limit per engine (maxChannels),
// and receive frame limits enforced before anything is allocated for the frame
// (maxReceiveHeadersLen / maxReceiveBodyLen). Where messages are pending on a channel that
// is closed, the nothing-lost accounting of B1 is checked: written + returned == posted.
//
// A server channel that closes before delivering any frame is never announced
// (docs/behaviour.md), so for those cases the test looks at the peer's side (reset / end of
// stream) and at EngineCounters.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "os_probes.h"
#include "raw_peer.h"
#include <sys/stat.h>
#include <unistd.h>

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How a raw peer sees an abortive close by the engine: a reset over TCP; UDS has no reset, the
// peer reads what was sent and then end of stream.
ReadEnd abortiveEnd(Transport transport) {
  return transport == Transport::tcp ? ReadEnd::reset : ReadEnd::eof;
}

// A server engine with one listener; the transport is the test parameter.
class ServerBench {
 public:
  ServerBench(Transport transport, const Options& options) : engine_(options) {
    group_ = &engine_.group();
    listening_ = listen(engine_.ampe(), *group_, listenAddress(transport));
  }

  Ampe& ampe() { return engine_.ampe(); }
  ChannelGroup& group() { return *group_; }
  const Listening& listening() const { return listening_; }

  // Everything the I/O thread did before this call has completed when it returns: a message
  // posted to the listener comes back (not_allowed, B1) from a later loop pass.
  void barrier() {
    const BinaryHeader probe = post(*group_, request(ampe(), listening_.channel, "barrier", OpCode::Signal));
    auto back = receive(*group_);
    ASSERT_TRUE(back && back->messageId() == probe.messageId && back->status() == Status::not_allowed)
        << describe(back);
  }

  // A raw peer that said Hello and got its HelloResponse, and the server channel that its
  // HelloRequest arrived on.
  std::unique_ptr<RawPeer> helloPeer(std::uint64_t id, std::uint16_t& channel, int receiveBuffer = 0) {
    auto peer = RawPeer::connectTo(listening_.bound, receiveBuffer);
    channel = 0;
    if (!peer || !sayHello(*peer, ampe(), 9, id)) {
      ADD_FAILURE() << "raw peer " << id << " could not say Hello";
      return peer;
    }
    auto hello = receive(*group_);
    if (!hello || hello->opCode() != OpCode::HelloRequest || hello->messageId() != id) {
      ADD_FAILURE() << "expected the HelloRequest " << id << ", got " << describe(hello);
      return peer;
    }
    channel = hello->channelNumber();
    // Answered (B15: what the peer sends next is held until then); the peer reads the answer.
    const std::uint64_t written = ampe().counters().framesWritten;
    hello->setOpCode(OpCode::HelloResponse);
    post(*group_, std::move(hello));
    RawFrame answer;
    if (peer->readFrame(answer) != ReadEnd::frame || answer.header.proto.opCode != OpCode::HelloResponse) {
      ADD_FAILURE() << "raw peer " << id << " got no HelloResponse";
    }
    waitForFramesWritten(ampe(), written + 1);  // counted before the tests take their counters
    return peer;
  }

 private:
  Engine engine_;
  ChannelGroup* group_ = nullptr;
  Listening listening_;
};

class SecureDefaults : public ::testing::TestWithParam<Transport> {};
INSTANTIATE_TEST_SUITE_P(Transports, SecureDefaults, kAllTransports, TransportName());

TEST(SecureDefaultValues, AreTheDocumentedOnes) {
  const Options defaults;
  EXPECT_EQ(defaults.udsFileMode, 0600u);
  EXPECT_EQ(defaults.handshakeTimeoutMs, 10'000u);
  EXPECT_EQ(defaults.maxChannels, 16384u);
  EXPECT_EQ(defaults.maxReceiveHeadersLen, 65535u);
  EXPECT_EQ(defaults.maxReceiveBodyLen, 65535u);
  EXPECT_EQ(defaults.sendQueueLimitBytes, 8u * 1024u * 1024u);
  EXPECT_EQ(defaults.receiveBudgetBytes, 4u * 1024u * 1024u);
  EXPECT_EQ(defaults.receiveProgressTimeoutMs, 5'000u);
  EXPECT_EQ(defaults.initialPoolMsgs, 4096u);
  EXPECT_EQ(defaults.maxPoolMsgs, 65535u);
}

// ---------------------------------------------------------------------------------------------
// UDS socket file mode

// The permission bits of the socket file a listener of an engine with `options` creates.
mode_t listenerFileMode(const Options& options) {
  Engine engine(options);
  ChannelGroup& group = engine.group();
  const Listening listening = listen(engine.ampe(), group, listenAddress(Transport::uds));
  if (listening.channel == 0) {
    return 07777;
  }
  struct stat info {};
  EXPECT_EQ(::lstat(listening.bound.path().c_str(), &info), 0) << listening.bound.path();
  EXPECT_TRUE(S_ISSOCK(info.st_mode));
  return info.st_mode & 07777;
}

TEST(SecureUdsMode, SocketFileIsOwnerOnlyByDefaultWhateverTheUmask) {
  // umask 0 would leave the file 0777: the mode must come from the engine, not the umask.
  const UmaskScope permissive(0);
  EXPECT_EQ(listenerFileMode(Options{}), 0600u);
}

TEST(SecureUdsMode, OptionIsHonoured) {
  const UmaskScope strict(077);  // would strip group/other bits if only the umask applied
  for (const mode_t mode : {mode_t{0660}, mode_t{0666}, mode_t{0700}, mode_t{0600}}) {
    Options options;
    options.udsFileMode = mode;
    EXPECT_EQ(listenerFileMode(options), mode) << "udsFileMode 0" << std::oct << mode;
  }
}

TEST(SecureUdsMode, OwnerOnlyListenerStillAcceptsItsOwner) {
  Engine server;
  Engine client;
  ChannelGroup& serverGroup = server.group();
  ChannelGroup& clientGroup = client.group();
  const Listening listening = listen(server.ampe(), serverGroup, listenAddress(Transport::uds));
  ASSERT_NE(listening.channel, 0u);
  const Connection connection =
      connectPair(client.ampe(), clientGroup, server.ampe(), serverGroup, listening.bound);
  ASSERT_TRUE(connection.ok());
  EXPECT_TRUE(echo(client.ampe(), clientGroup, connection.clientChannel, server.ampe(), serverGroup,
                   connection.serverChannel, "0600 is enough for its owner"));
}

// ---------------------------------------------------------------------------------------------
// Handshake timeout

Options handshakeOptions(milliseconds timeout) {
  Options options = limitedOptions();
  options.handshakeTimeoutMs = static_cast<std::uint32_t>(timeout.count());
  return options;
}

TEST_P(SecureDefaults, SilentConnectionIsClosedAfterTheHandshakeTimeout) {
  const milliseconds timeout = scaled(milliseconds(200));
  ServerBench bench(GetParam(), handshakeOptions(timeout));
  ASSERT_NE(bench.listening().channel, 0u);
  const EngineCounters before = bench.ampe().counters();
  const auto start = Clock::now();
  auto silent = RawPeer::connectTo(bench.listening().bound);
  ASSERT_NE(silent, nullptr);
  EXPECT_EQ(silent->readUntilClosed(nullptr, timeout + defaultTimeout()), abortiveEnd(GetParam()));
  EXPECT_GE(Clock::now() - start, timeout - milliseconds(5)) << "closed before the handshake timeout";
  ASSERT_NO_FATAL_FAILURE(bench.barrier());
  // Never announced (it delivered nothing), so its closing is not announced either.
  EXPECT_EQ(expectNothing(bench.group()), nullptr);
  const EngineCounters after = bench.ampe().counters();
  EXPECT_EQ(after.channelsOpened - before.channelsOpened, 1u);
  EXPECT_EQ(after.channelsClosed - before.channelsClosed, 1u);
}

TEST_P(SecureDefaults, UnfinishedHelloIsClosedAfterTheHandshakeTimeout) {
  // A HelloRequest header announcing text headers that never come: not a HelloRequest yet.
  const milliseconds timeout = scaled(milliseconds(200));
  ServerBench bench(GetParam(), handshakeOptions(timeout));
  ASSERT_NE(bench.listening().channel, 0u);
  const EngineCounters before = bench.ampe().counters();
  auto slow = RawPeer::connectTo(bench.listening().bound);
  ASSERT_NE(slow, nullptr);
  ASSERT_TRUE(slow->sendHeader(rawHeader(OpCode::HelloRequest, 3, 77, 40, 0), protoByte(3)));
  ASSERT_TRUE(slow->sendBytes(std::string_view("~connect_to:tcp|")));
  EXPECT_EQ(slow->readUntilClosed(nullptr, timeout + defaultTimeout()), abortiveEnd(GetParam()));
  ASSERT_NO_FATAL_FAILURE(bench.barrier());
  EXPECT_EQ(expectNothing(bench.group()), nullptr);
  const EngineCounters after = bench.ampe().counters();
  EXPECT_EQ(after.channelsClosed - before.channelsClosed, 1u);
  EXPECT_EQ(after.framesRead - before.framesRead, 0u);
}

TEST_P(SecureDefaults, PeerThatSaysHelloInTimeIsKept) {
  const milliseconds timeout = scaled(milliseconds(200));
  ServerBench bench(GetParam(), handshakeOptions(timeout));
  ASSERT_NE(bench.listening().channel, 0u);
  std::uint16_t channel = 0;
  auto peer = bench.helloPeer(0x4E110, channel);
  ASSERT_NE(channel, 0u);
  // Three handshake timeouts pass: nothing happens to the channel.
  EXPECT_EQ(expectNothing(bench.group(), 3 * timeout), nullptr);
  const BinaryHeader signal =
      post(bench.group(), request(bench.ampe(), channel, "still here", OpCode::Signal));
  RawFrame frame;
  ASSERT_EQ(peer->readFrame(frame), ReadEnd::frame);
  EXPECT_EQ(frame.header.messageId, signal.messageId);
  EXPECT_EQ(frame.body, "still here");
}

TEST_P(SecureDefaults, ZeroDisablesTheHandshakeTimeout) {
  ServerBench bench(GetParam(), handshakeOptions(milliseconds(0)));
  ASSERT_NE(bench.listening().channel, 0u);
  auto silent = RawPeer::connectTo(bench.listening().bound);
  ASSERT_NE(silent, nullptr);
  RawFrame frame;
  EXPECT_EQ(silent->readFrame(frame, scaled(milliseconds(500))), ReadEnd::timeout)
      << "a silent connection stays open without a handshake timeout";
  // It can still say Hello late.
  ASSERT_TRUE(sayHello(*silent, bench.ampe(), 4, 0x1A7E));
  auto hello = receive(bench.group());
  EXPECT_TRUE(hello && hello->opCode() == OpCode::HelloRequest && hello->messageId() == 0x1A7Eu)
      << describe(hello);
}

TEST_P(SecureDefaults, RequestInsteadOfHelloClosesAtOnceUnannounced) {
  // The peer sends a Request instead of its HelloRequest. Before B15 the frame was delivered
  // (announcing the channel) and the handshake timeout closed it later; now it is a protocol
  // order violation: the channel closes at once with not_allowed, never announced.
  const milliseconds timeout = scaled(milliseconds(1000));
  ServerBench bench(GetParam(), handshakeOptions(timeout));
  ASSERT_NE(bench.listening().channel, 0u);
  const EngineCounters before = bench.ampe().counters();
  const auto start = Clock::now();
  auto rude = RawPeer::connectTo(bench.listening().bound, kSmallReceiveBuffer);
  ASSERT_NE(rude, nullptr);
  auto first = newMessage(bench.ampe());
  first->setChannelNumber(5);
  first->setMessageId(0xF1257);
  first->body().assign("no hello");
  ASSERT_TRUE(rude->sendFrame(*first));
  bench.ampe().put(first);
  EXPECT_EQ(rude->readUntilClosed(nullptr, timeout + defaultTimeout()), abortiveEnd(GetParam()));
  EXPECT_LT(Clock::now() - start, timeout) << "closed by the violation, not by the handshake timeout";
  ASSERT_NO_FATAL_FAILURE(bench.barrier());
  EXPECT_EQ(expectNothing(bench.group()), nullptr) << "the Request is never delivered";
  const EngineCounters after = bench.ampe().counters();
  EXPECT_EQ(after.channelsClosed - before.channelsClosed, 1u);
  auto snapshot = bench.ampe().snapshot();
  ASSERT_TRUE(snapshot.ok());
  bool found = false;
  for (const ChannelInfo& info : snapshot.value().channels) {
    if (info.kind == ChannelKind::serverIo && info.state == ChannelState::closed) {
      found = true;
      EXPECT_EQ(info.closeReason, Status::not_allowed);
    }
  }
  EXPECT_TRUE(found) << "the closed channel is in the snapshot";
}

// ---------------------------------------------------------------------------------------------
// Channel limit

TEST_P(SecureDefaults, ChannelLimitRefusesNewLocalChannelsWithAllocationFailed) {
  Engine server;
  Options limited;
  limited.maxChannels = 4;
  Engine client(limited);
  ChannelGroup& serverGroup = server.group();
  ChannelGroup& clientGroup = client.group();
  const Listening listening = listen(server.ampe(), serverGroup, listenAddress(GetParam()));
  ASSERT_NE(listening.channel, 0u);
  std::vector<Connection> connections;
  for (int i = 0; i < 4; ++i) {
    connections.push_back(
        connectPair(client.ampe(), clientGroup, server.ampe(), serverGroup, listening.bound));
    ASSERT_TRUE(connections.back().ok()) << "connection " << i;
  }
  const EngineCounters before = client.ampe().counters();
  // The 5th HelloRequest and a WelcomeRequest are refused at once; the caller keeps them (K5).
  auto hello = helloRequest(client.ampe(), listening.bound);
  auto refused = clientGroup.enqueueToPeer(hello);
  EXPECT_EQ(refused.status(), Status::allocation_failed);
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->opCode(), OpCode::HelloRequest);
  auto welcome = welcomeRequest(client.ampe(), listenAddress(GetParam()));
  EXPECT_EQ(clientGroup.enqueueToPeer(welcome).status(), Status::allocation_failed);
  ASSERT_NE(welcome, nullptr);
  client.ampe().put(welcome);
  EXPECT_EQ(client.ampe().counters().channelsOpened, before.channelsOpened);
  // The four channels work.
  for (const Connection& c : connections) {
    EXPECT_TRUE(echo(client.ampe(), clientGroup, c.clientChannel, server.ampe(), serverGroup, c.serverChannel,
                     "within the limit"));
  }
  // Closing one makes room: the kept HelloRequest can be posted again.
  post(clientGroup, byeSignal(client.ampe(), connections[0].clientChannel));
  Recorder recorder(clientGroup);
  ASSERT_TRUE(recorder.until(closedSignal(connections[0].clientChannel)));
  const std::uint16_t channel = post(clientGroup, std::move(hello)).channelNumber;
  ASSERT_NE(channel, 0u);
  auto accepted = receiveMatching(serverGroup, withOpCode(OpCode::HelloRequest));
  EXPECT_NE(accepted, nullptr);
}

TEST_P(SecureDefaults, ChannelLimitRefusesExtraIncomingConnections) {
  Options limited = roomyOptions();
  limited.maxChannels = 4;  // the listener and three connections
  ServerBench bench(GetParam(), limited);
  ASSERT_NE(bench.listening().channel, 0u);
  std::vector<std::unique_ptr<RawPeer>> peers;
  std::vector<std::uint16_t> channels;
  for (std::uint64_t id = 1; id <= 3; ++id) {
    std::uint16_t channel = 0;
    peers.push_back(bench.helloPeer(0xC0DE00 + id, channel));
    ASSERT_NE(channel, 0u);
    channels.push_back(channel);
  }
  const EngineCounters before = bench.ampe().counters();
  auto extra = RawPeer::connectTo(bench.listening().bound);
  ASSERT_NE(extra, nullptr) << "the kernel completes the connection; the engine then refuses it";
  // Nothing is sent: a write racing the reset would consume the error and leave only EOF.
  EXPECT_EQ(extra->readUntilClosed(nullptr), abortiveEnd(GetParam())) << "refused abortively";
  ASSERT_NO_FATAL_FAILURE(bench.barrier());
  EXPECT_EQ(expectNothing(bench.group()), nullptr) << "a refused connection is never announced";
  EXPECT_EQ(bench.ampe().counters().channelsOpened, before.channelsOpened);
  // The existing channels work both ways.
  for (std::size_t i = 0; i < peers.size(); ++i) {
    const BinaryHeader sent =
        post(bench.group(), request(bench.ampe(), channels[i], "to you", OpCode::Signal));
    RawFrame frame;
    ASSERT_EQ(peers[i]->readFrame(frame), ReadEnd::frame);
    EXPECT_EQ(frame.header.messageId, sent.messageId);
    auto back = newMessage(bench.ampe());
    back->setOpCode(OpCode::Signal);
    back->setChannelNumber(9);
    back->setMessageId(0xB0B0 + i);
    ASSERT_TRUE(peers[i]->sendFrame(*back));
    bench.ampe().put(back);
    auto got = receive(bench.group());
    EXPECT_TRUE(got && got->channelNumber() == channels[i] && got->messageId() == 0xB0B0 + i)
        << describe(got);
  }
  // One leaves; a newcomer is accepted.
  peers[0]->close();
  Recorder recorder(bench.group());
  ASSERT_TRUE(recorder.until(closedSignal(channels[0])));
  std::uint16_t channel = 0;
  auto newcomer = bench.helloPeer(0xC0DE05, channel);
  EXPECT_NE(channel, 0u);
}

TEST(SecureChannelLimit, ListenersCount) {
  Options limited;
  limited.maxChannels = 2;
  Engine engine(limited);
  ChannelGroup& group = engine.group();
  ASSERT_NE(listen(engine.ampe(), group, Address::tcp("127.0.0.1", 0)).channel, 0u);
  ASSERT_NE(listen(engine.ampe(), group, listenAddress(Transport::uds)).channel, 0u);
  auto third = welcomeRequest(engine.ampe(), Address::tcp("127.0.0.1", 0));
  EXPECT_EQ(group.enqueueToPeer(third).status(), Status::allocation_failed);
  EXPECT_NE(third, nullptr);
  engine.ampe().put(third);
}

// ---------------------------------------------------------------------------------------------
// Receive frame limits

// A victim channel with a full send queue and an empty pool, then an oversized frame header.
// The channel must close with `reason` at once: without waiting for the announced bytes and
// without taking a message for the frame (with the pool empty, taking one would starve the
// channel and report pool_empty instead).
void expectOversizedFrameRejected(Transport transport, const BinaryHeader& oversized, Status reason) {
  Options options = limitedOptions();
  options.maxReceiveHeadersLen = 128;
  options.maxReceiveBodyLen = 1024;
  ServerBench bench(transport, options);
  ASSERT_NE(bench.listening().channel, 0u);
  std::uint16_t channel = 0;
  auto victim = bench.helloPeer(0x0B16, channel, kSmallReceiveBuffer);
  ASSERT_NE(channel, 0u);
  const EngineCounters before = bench.ampe().counters();
  const FillResult fill = fillSendQueue(bench.ampe(), bench.group(), channel, kFillBodyBytes);
  ASSERT_TRUE(fill.full);
  std::vector<MessagePtr> held;
  for (;;) {
    auto got = bench.ampe().get(AllocationStrategy::poolOnly);
    ASSERT_TRUE(got.ok());
    if (!got.value()) {
      break;
    }
    held.push_back(std::move(got).value());
  }
  ASSERT_TRUE(victim->sendHeader(oversized, protoByte(static_cast<std::uint8_t>(oversized.proto.opCode))));

  MessagePtr signal;
  std::vector<MessagePtr> returned = receiveUntilClosed(bench.group(), channel, &signal);
  ASSERT_NE(signal, nullptr);
  EXPECT_EQ(signal->messageId(), 0x0B16u);
  EXPECT_GE(expectReturnedTail(returned, fill, channel, reason), 1u);
  const EngineCounters after = bench.ampe().counters();
  EXPECT_EQ(after.poolEmptyEpisodes, before.poolEmptyEpisodes) << "a message was wanted for the frame";
  EXPECT_EQ(after.framesRead, before.framesRead);
  EXPECT_EQ((after.framesWritten - before.framesWritten) + (after.messagesReturned - before.messagesReturned),
            fill.ids.size())
      << "written + returned == posted (B1)";
  EXPECT_EQ(victim->readUntilClosed(nullptr), abortiveEnd(transport));
  for (auto& message : held) {
    bench.ampe().put(message);
  }
}

TEST_P(SecureDefaults, BodyOverTheLimitClosesTheChannelBeforeAnyAllocation) {
  expectOversizedFrameRejected(GetParam(), rawHeader(OpCode::Request, 9, 0xB1C, 0, 60000),
                               Status::invalid_body_len);
}

TEST_P(SecureDefaults, HeadersOverTheLimitCloseTheChannelBeforeAnyAllocation) {
  expectOversizedFrameRejected(GetParam(), rawHeader(OpCode::Signal, 9, 0xB1D, 4000, 0),
                               Status::invalid_headers_len);
}

TEST_P(SecureDefaults, FrameAtTheLimitIsDeliveredOneByteMoreIsNot) {
  Options options = roomyOptions();
  options.maxReceiveBodyLen = 1024;
  ServerBench bench(GetParam(), options);
  ASSERT_NE(bench.listening().channel, 0u);
  std::uint16_t channel = 0;
  auto peer = bench.helloPeer(0x11A, channel);
  ASSERT_NE(channel, 0u);
  auto fits = newMessage(bench.ampe());
  fits->setChannelNumber(9);
  fits->setMessageId(0x11B);
  fits->body().assign(std::string(1024, 'f'));
  ASSERT_TRUE(peer->sendFrame(*fits));
  auto got = receive(bench.group());
  ASSERT_TRUE(got && got->messageId() == 0x11Bu && got->body().size() == 1024u) << describe(got);
  fits->setMessageId(0x11C);
  fits->body().assign(std::string(1025, 'g'));
  ASSERT_TRUE(peer->sendFrame(*fits));
  bench.ampe().put(fits);
  auto closed = receive(bench.group());
  EXPECT_TRUE(closed && closedSignal(channel)(*closed)) << describe(closed);
  EXPECT_EQ(expectNothing(bench.group()), nullptr);
}

TEST_P(SecureDefaults, DefaultLimitsAcceptTheProtocolMaximum) {
  ServerBench bench(GetParam(), roomyOptions());
  ASSERT_NE(bench.listening().channel, 0u);
  std::uint16_t channel = 0;
  auto peer = bench.helloPeer(0x3A1, channel);
  ASSERT_NE(channel, 0u);
  auto big = newMessage(bench.ampe());
  big->setChannelNumber(9);
  big->setMessageId(0x3A2);
  std::string headers;
  while (headers.size() + 12 <= 65535) {
    headers += "h" + std::to_string(headers.size() % 10) + ":vvvvvvv\r\n";
  }
  big->headers().buffer().assign(headers);
  big->body().assign(std::string(65535, 'b'));
  ASSERT_TRUE(peer->sendFrame(*big));
  bench.ampe().put(big);
  auto got = receive(bench.group());
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->messageId(), 0x3A2u);
  EXPECT_EQ(got->headers().size(), headers.size());
  EXPECT_EQ(got->body().size(), 65535u);
}

}  // namespace
}  // namespace tofu::test
