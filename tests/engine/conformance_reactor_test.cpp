// Conformance scenarios R1..R5, R8 and cookbook C0 (PROTOCOL.md 10.2), with the expectations of
// OUR engine (docs/behaviour.md, DECISIONS.md): where the reference accepted several outcomes, or
// did something we changed (B8 duplicate listeners, B4 fresh channel numbers), the test says so
// and asserts our exact behaviour. Connection scenarios run over TCP and UDS. The multithreaded
// scenarios R6 and R9 are in conformance_reactor_threads_test.cpp.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "os_probes.h"
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace tofu::test {
namespace {

using std::chrono::milliseconds;

class ReactorScenarios : public ::testing::TestWithParam<Transport> {};

INSTANTIATE_TEST_SUITE_P(Transports, ReactorScenarios, kAllTransports, TransportName());

// Posts `message` expecting a synchronous refusal with `expected`; the caller keeps the message
// (K5) and, when `statusByte` is given, its status byte says why.
void expectRefused(ChannelGroup& group, MessagePtr message, Status expected,
                   std::optional<Status> statusByte = std::nullopt) {
  ASSERT_TRUE(message);
  const Message* const original = message.get();
  auto posted = group.enqueueToPeer(message);
  EXPECT_EQ(posted.status(), expected) << toString(posted.status());
  ASSERT_EQ(message.get(), original) << "a refused message stays with the caller (K5)";
  if (statusByte) {
    EXPECT_EQ(message->status(), *statusByte) << describe(message);
  }
}

// ---------------------------------------------------------------------------------------------
// R1: illegal messages

// R1a: a message fresh from the pool is a Request on channel 0.
TEST(ReactorScenario, R1a_PoolMessageOnChannelZeroIsInvalidChannelNumber) {
  Engine engine(poolOptions(1, 1));
  ChannelGroup& group = engine.group();
  auto got = engine.ampe().get(AllocationStrategy::poolOnly);
  ASSERT_TRUE(got.ok()) << toString(got.status());
  ASSERT_NE(got.value(), nullptr) << "pool {1,1} starts with one message";
  EXPECT_EQ(got.value()->opCode(), OpCode::Request);
  EXPECT_EQ(got.value()->channelNumber(), 0);
  expectRefused(group, std::move(got).value(), Status::invalid_channel_number,
                Status::invalid_channel_number);
}

// R1b
TEST(ReactorScenario, R1b_ByeRequestOnChannelZeroIsInvalidChannelNumber) {
  Engine engine;
  ChannelGroup& group = engine.group();
  expectRefused(group, byeRequest(engine.ampe(), 0), Status::invalid_channel_number,
                Status::invalid_channel_number);
}

// R1c
TEST(ReactorScenario, R1c_HelloWithoutAddressIsWrongAddress) {
  Engine engine;
  ChannelGroup& group = engine.group();
  expectRefused(group, request(engine.ampe(), 0, {}, OpCode::HelloRequest), Status::wrong_address,
                Status::wrong_address);
}

// R1d: the post succeeds (the address is checked on the I/O thread); the HelloRequest comes
// back as HelloResponse with invalid_address, then the channel's closed signal. Our parser is
// strict (B8): the reference's value "tofu.server.zig:<port>" has no protocol token and is
// invalid; "tcp|tofu.server.zig|<port>" parses but cannot be resolved, which is also
// invalid_address.
TEST(ReactorScenario, R1d_HelloWithWrongAddressIsInvalidAddress) {
  Engine engine;
  Ampe& ampe = engine.ampe();
  ChannelGroup& group = engine.group();
  const std::string port = std::to_string(tofu::testing::findFreeTcpPort());
  for (const std::string& value : {"tofu.server.zig:" + port, "tcp|tofu.server.zig|" + port}) {
    SCOPED_TRACE(value);
    const BinaryHeader posted =
        post(group, rawAddressRequest(ampe, OpCode::HelloRequest, kConnectToHeader, value));
    ASSERT_NE(posted.channelNumber, 0);
    // Name resolution may wait for a DNS server: allow more than the default bound.
    auto failed = receive(group, scaled(milliseconds(30000)));
    expectNotification(failed, OpCode::HelloResponse, Status::invalid_address, posted.channelNumber,
                       posted.messageId);
    expectClosedSignal(receive(group), posted.channelNumber, posted.messageId);
  }
}

// R1e: nobody listens. TCP: the connection is refused later (after EINPROGRESS), so the
// HelloRequest comes back still a HelloRequest with connect_failed (docs/behaviour.md; the
// reference also allowed communication_failed). UDS: the path does not exist, which fails at
// once: HelloResponse with uds_path_not_found.
TEST_P(ReactorScenarios, R1e_HelloToNonListeningServer) {
  Engine engine(poolOptions(16, 64));
  Ampe& ampe = engine.ampe();
  ChannelGroup& group = engine.group();
  ReservedTcpPort reserved;  // bound, not listening: connects are refused
  const Address address =
      GetParam() == Transport::tcp ? reserved.address() : Address::uds(tofu::testing::tempUdsPath());
  const BinaryHeader hello = postHello(ampe, group, address);
  ASSERT_NE(hello.channelNumber, 0);
  if (GetParam() == Transport::tcp) {
    expectNotification(receive(group), OpCode::HelloRequest, Status::connect_failed, hello.channelNumber,
                       hello.messageId);
  } else {
    expectNotification(receive(group), OpCode::HelloResponse, Status::uds_path_not_found, hello.channelNumber,
                       hello.messageId);
  }
  expectClosedSignal(receive(group), hello.channelNumber, hello.messageId);
  expectNothing(group);
}

// R1e, UDS variant: the path exists (a stale socket file) but nobody listens: fails at once with
// communication_failed (docs/behaviour.md).
TEST(ReactorScenario, R1e_UdsPathWithoutListenerIsCommunicationFailed) {
  Engine engine;
  Ampe& ampe = engine.ampe();
  ChannelGroup& group = engine.group();
  const std::string path = tofu::testing::tempUdsPath();
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un local{};
  local.sun_family = AF_UNIX;
  path.copy(local.sun_path, sizeof(local.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof(local)), 0) << path;
  ::close(fd);  // a bound socket that never listened leaves its file; connects are refused

  const BinaryHeader hello = postHello(ampe, group, Address::uds(path));
  ASSERT_NE(hello.channelNumber, 0);
  expectNotification(receive(group), OpCode::HelloResponse, Status::communication_failed, hello.channelNumber,
                     hello.messageId);
  expectClosedSignal(receive(group), hello.channelNumber, hello.messageId);
  ::unlink(path.c_str());
}

// R1f: listening on an address that is not local (TCP) or in a directory that does not exist
// (UDS): WelcomeResponse with listen_failed or invalid_address (both allowed by the reference
// scenario and by docs/behaviour.md), then the closed signal.
TEST_P(ReactorScenarios, R1f_WelcomeWithWrongAddressFails) {
  Engine engine(poolOptions(10, 32));
  ChannelGroup& group = engine.group();
  const Address address = GetParam() == Transport::tcp ? Address::tcp("192.128.4.5", 3298)
                                                       : Address::uds("/nonexistent-tofu-dir/listener.port");
  const BinaryHeader welcome = post(group, welcomeRequest(engine.ampe(), address));
  ASSERT_NE(welcome.channelNumber, 0);
  auto failed = receive(group);
  ASSERT_TRUE(failed);
  EXPECT_TRUE(failed->status() == Status::listen_failed || failed->status() == Status::invalid_address)
      << describe(failed);
  expectNotification(failed, OpCode::WelcomeResponse, failed->status(), welcome.channelNumber,
                     welcome.messageId);
  expectClosedSignal(receive(group), welcome.channelNumber, welcome.messageId);
}

// ---------------------------------------------------------------------------------------------
// R2 / C2: update receiver

TEST(ReactorScenario, R2_UpdateReceiver) {
  Engine engine(poolOptions(16, 32));
  ChannelGroup& group = engine.group();

  auto nothing = group.waitReceive(100);  // 100 ns: effectively a poll
  ASSERT_TRUE(nothing.ok()) << toString(nothing.status());
  EXPECT_EQ(nothing.value(), nullptr);

  ASSERT_EQ(group.updateReceiver(), Status::success);
  auto wake = receive(group);
  ASSERT_TRUE(wake);
  EXPECT_EQ(wake->messageId(), 0u);
  EXPECT_EQ(wake->channelNumber(), 0);
  EXPECT_EQ(wake->origin(), Origin::engine);
  EXPECT_EQ(wake->opCode(), OpCode::Signal);
  EXPECT_EQ(wake->role(), MessageRole::signal);
  EXPECT_EQ(wake->status(), Status::receiver_update);
  EXPECT_TRUE(wake->headers().empty());
  EXPECT_TRUE(wake->body().empty());

  // Reuse it as an application command: fields are kept, origin and status are overwritten.
  wake->setOpCode(OpCode::Request);
  wake->header().status = Status::success;
  wake->setMessageId(1);
  wake->body().assign("stop");
  const Message* const original = wake.get();
  ASSERT_EQ(group.updateReceiver(wake), Status::success);
  EXPECT_EQ(wake, nullptr) << "updateReceiver clears the handle on success (K5)";
  auto command = receive(group);
  ASSERT_TRUE(command);
  EXPECT_EQ(command.get(), original) << "the same message object comes back";
  EXPECT_EQ(command->messageId(), 1u);
  EXPECT_EQ(command->channelNumber(), 0);
  EXPECT_EQ(command->origin(), Origin::application);
  EXPECT_EQ(command->role(), MessageRole::request);
  EXPECT_EQ(command->status(), Status::receiver_update);
  EXPECT_EQ(command->body().view(), "stop");
  expectNothing(group);
}

// ---------------------------------------------------------------------------------------------
// R3: create / destroy

// Creates and destroys an engine three ways; every call succeeds.
void runCreateDestroy() {
  {
    auto reactor = Reactor::create();
    ASSERT_TRUE(reactor.ok()) << toString(reactor.status());
    ASSERT_NE(reactor.value(), nullptr);
  }
  {
    auto reactor = Reactor::create();
    ASSERT_TRUE(reactor.ok()) << toString(reactor.status());
    Ampe& ampe = reactor.value()->ampe();
    EXPECT_EQ(&ampe, &reactor.value()->ampe()) << "ampe() is one interface per engine";
  }
  {
    auto reactor = Reactor::create();
    ASSERT_TRUE(reactor.ok()) << toString(reactor.status());
    Ampe& ampe = reactor.value()->ampe();
    auto group = ampe.create();
    ASSERT_TRUE(group.ok()) << toString(group.status());
    ASSERT_NE(group.value(), nullptr);
    EXPECT_EQ(ampe.destroy(group.value()), Status::success);
    EXPECT_EQ(ampe.destroy(nullptr), Status::invalid_address) << "destroy(null) as in the reference";
  }
}

TEST(ReactorScenario, R3_CreateAndDestroyEngineAndGroup) { runCreateDestroy(); }

// ---------------------------------------------------------------------------------------------
// R4: listeners, connect and abort (C1)

// R4 "start listener": WelcomeResponse with status success on the same channel and id; ours
// also reports the address actually bound (B8: port 0 becomes the real port).
TEST_P(ReactorScenarios, R4_StartListener) {
  Engine engine(poolOptions(2, 32));
  Ampe& ampe = engine.ampe();
  ChannelGroup& group = engine.group();
  auto pooled = ampe.get(AllocationStrategy::poolOnly);
  ASSERT_TRUE(pooled.ok());
  ASSERT_NE(pooled.value(), nullptr) << "pool {2,32} starts with two messages";
  ampe.put(pooled.value());

  const Address requested = listenAddress(GetParam());
  const Listening listener = listen(ampe, group, requested);
  ASSERT_NE(listener.channel, 0);
  EXPECT_EQ(listener.bound.kind(), requested.kind());
  if (GetParam() == Transport::tcp) {
    EXPECT_EQ(listener.bound.host(), "127.0.0.1");
    EXPECT_NE(listener.bound.port(), 0) << "B8: the bound port is reported";
  } else {
    EXPECT_EQ(listener.bound.path(), requested.path());
  }
  expectNothing(group);
}

// R4 "start listeners": the reference lets a second listener on the same TCP address or UDS
// path succeed (SO_REUSEPORT / unlink). OURS (B8, docs/behaviour.md) refuses it while the first
// listener is alive: WelcomeResponse listen_failed, then the closed signal; the first listener
// keeps working (its UDS path is not stolen).
TEST_P(ReactorScenarios, R4_SecondListenerOnSameAddressFails_B8) {
  Engine first;
  ChannelGroup& firstGroup = first.group();
  const Listening listener = listen(first.ampe(), firstGroup, listenAddress(GetParam()));
  ASSERT_NE(listener.channel, 0);

  Engine second;
  ChannelGroup& secondGroup = second.group();
  const BinaryHeader welcome = post(secondGroup, welcomeRequest(second.ampe(), listener.bound));
  ASSERT_NE(welcome.channelNumber, 0);
  expectNotification(receive(secondGroup), OpCode::WelcomeResponse, Status::listen_failed,
                     welcome.channelNumber, welcome.messageId);
  expectClosedSignal(receive(secondGroup), welcome.channelNumber, welcome.messageId);

  // The first listener still accepts, and sees nothing else first: for UDS our engine decides
  // "a live listener is there" by connecting to the path, and that probe connection never
  // delivers a frame, so its closing is not announced (docs/behaviour.md).
  const BinaryHeader hello = postHello(second.ampe(), secondGroup, listener.bound);
  ASSERT_NE(hello.channelNumber, 0);
  auto helloIn = receive(firstGroup);
  ASSERT_TRUE(helloIn) << "the first listener no longer accepts";
  expectPeerMessage(helloIn, OpCode::HelloRequest, helloIn->channelNumber(), hello.messageId);
  helloIn->setOpCode(OpCode::HelloResponse);
  post(firstGroup, std::move(helloIn));
  EXPECT_TRUE(awaitHelloResponse(secondGroup, hello.channelNumber, hello.messageId));
}

// C1 (R4 "connect"): one engine, one group for both ends; exact statuses, channel numbers and
// ids; ByeSignal aborts the listener and then the client channel (B13: ByeSignal, its
// channel_closed echo, then the closed signal); the server side sees the reset.
void runConnectAndAbort(Transport transport) {
  Engine engine(poolOptions(24, 32));
  Ampe& ampe = engine.ampe();
  ChannelGroup& group = engine.group();

  const Listening listener = listen(ampe, group, listenAddress(transport));
  ASSERT_NE(listener.channel, 0);

  const BinaryHeader hello = postHello(ampe, group, listener.bound);
  ASSERT_NE(hello.channelNumber, 0);
  EXPECT_NE(hello.channelNumber, listener.channel);
  EXPECT_NE(hello.messageId, 0u);

  auto serverHello = receive(group, scaled(milliseconds(20000)));
  ASSERT_TRUE(serverHello);
  const std::uint16_t serverChannel = serverHello->channelNumber();
  expectPeerMessage(serverHello, OpCode::HelloRequest, serverChannel, hello.messageId);
  EXPECT_NE(serverChannel, 0);
  EXPECT_NE(serverChannel, listener.channel);
  EXPECT_NE(serverChannel, hello.channelNumber);
  EXPECT_EQ(serverHello->headers().find(kConnectToHeader), listener.bound.toString());

  serverHello->setOpCode(OpCode::HelloResponse);
  const BinaryHeader response = post(group, std::move(serverHello));
  EXPECT_EQ(response.channelNumber, serverChannel);
  EXPECT_EQ(response.messageId, hello.messageId);
  expectPeerMessage(receive(group), OpCode::HelloResponse, hello.channelNumber, hello.messageId);

  const BinaryHeader listenerBye = post(group, byeSignal(ampe, listener.channel));
  expectNotification(receive(group), OpCode::ByeSignal, Status::channel_closed, listener.channel,
                     listenerBye.messageId);
  expectClosedSignal(receive(group), listener.channel, listener.messageId);

  const BinaryHeader clientBye = post(group, byeSignal(ampe, hello.channelNumber));
  expectNotification(receive(group), OpCode::ByeSignal, Status::channel_closed, hello.channelNumber,
                     clientBye.messageId);
  // Recorded id: the first frame received on the client channel, the HelloResponse.
  expectClosedSignal(receive(group), hello.channelNumber, hello.messageId);
  // The server side sees the reset (nothing pending, so only the signal); its recorded id is
  // the HelloRequest's.
  expectClosedSignal(receive(group), serverChannel, hello.messageId);
  expectNothing(group);
}

TEST_P(ReactorScenarios, R4_ConnectAndAbort) { runConnectAndAbort(GetParam()); }

// ---------------------------------------------------------------------------------------------
// R5 / C4: reconnect, single threaded

// Phase 1: `tries` HelloRequests while nobody listens, each failing exactly (TCP: HelloRequest
// connect_failed; UDS: HelloResponse uds_path_not_found) and closing its channel, every attempt
// on a new channel number. Phase 2: a second engine listens there and the next attempt
// connects. Phases 3-4: graceful close (B3): ByeRequest, ByeResponse, both sides closed.
void runReconnectSingleThreaded(Transport transport, int tries) {
  Engine clientEngine(poolOptions(16, 32));
  Engine serverEngine(poolOptions(16, 32));
  Ampe& clientAmpe = clientEngine.ampe();
  Ampe& serverAmpe = serverEngine.ampe();
  ChannelGroup& client = clientEngine.group();
  ChannelGroup& server = serverEngine.group();

  std::optional<ReservedTcpPort> reserved;
  Address address;
  if (transport == Transport::tcp) {
    reserved.emplace();
    address = reserved->address();
  } else {
    address = Address::uds(tofu::testing::tempUdsPath());
  }

  std::set<std::uint16_t> channels;
  for (int attempt = 0; attempt < tries; ++attempt) {
    SCOPED_TRACE("attempt " + std::to_string(attempt));
    const BinaryHeader hello = postHello(clientAmpe, client, address);
    ASSERT_NE(hello.channelNumber, 0);
    EXPECT_TRUE(channels.insert(hello.channelNumber).second)
        << "channel number reused: " << hello.channelNumber;
    if (transport == Transport::tcp) {
      expectNotification(receive(client), OpCode::HelloRequest, Status::connect_failed, hello.channelNumber,
                         hello.messageId);
    } else {
      expectNotification(receive(client), OpCode::HelloResponse, Status::uds_path_not_found,
                         hello.channelNumber, hello.messageId);
    }
    expectClosedSignal(receive(client), hello.channelNumber, hello.messageId);
  }

  if (reserved) {
    reserved->release();
  }
  const Listening listener = listen(serverAmpe, server, address);
  ASSERT_NE(listener.channel, 0);
  EXPECT_EQ(listener.bound, address);

  const Connection connection = connectPair(clientAmpe, client, serverAmpe, server, address);
  ASSERT_TRUE(connection.ok());
  EXPECT_EQ(channels.count(connection.clientChannel), 0u);

  const BinaryHeader bye = post(client, byeRequest(clientAmpe, connection.clientChannel));
  ASSERT_NE(bye.channelNumber, 0);

  auto byeIn = receive(server);
  expectPeerMessage(byeIn, OpCode::ByeRequest, connection.serverChannel, bye.messageId);
  ASSERT_TRUE(byeIn);
  byeIn->setOpCode(OpCode::ByeResponse);
  post(server, std::move(byeIn));

  auto byeOut = receive(client);
  expectPeerMessage(byeOut, OpCode::ByeResponse, connection.clientChannel, bye.messageId);
  ASSERT_TRUE(byeOut);
  EXPECT_EQ(byeOut->role(), MessageRole::response);
  EXPECT_EQ(byeOut->type(), MessageType::bye);
  expectClosedSignal(receive(client), connection.clientChannel, connection.helloId);
  expectClosedSignal(receive(server), connection.serverChannel, connection.helloId);
  expectNothing(client);
  expectNothing(server);
}

TEST_P(ReactorScenarios, R5_ReconnectSingleThreaded) { runReconnectSingleThreaded(GetParam(), 20); }

// ---------------------------------------------------------------------------------------------
// R8: scenarios concurrently (a smaller "simm test": 4 threads x 2 runs)

TEST(ReactorConcurrency, R8_ScenariosRunConcurrently) {
  constexpr int kThreads = 4;
  constexpr int kRuns = 2;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int run = 0; run < kRuns; ++run) {
        SCOPED_TRACE("thread " + std::to_string(t) + " run " + std::to_string(run));
        runCreateDestroy();
        runConnectAndAbort(Transport::tcp);
        runConnectAndAbort(Transport::uds);
        runReconnectSingleThreaded((t + run) % 2 == 0 ? Transport::tcp : Transport::uds, 3);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
}

// ---------------------------------------------------------------------------------------------
// C0: smallest pool

// Pool {1,1}: the one pooled message, then poolOnly on the empty pool gives success with no
// message (not an error), then `always` allocates.
TEST(CookbookScenario, C0_GetMessagesFromSmallestPool) {
  Engine engine(poolOptions(1, 1));
  Ampe& ampe = engine.ampe();
  auto first = ampe.get(AllocationStrategy::always);
  ASSERT_TRUE(first.ok()) << toString(first.status());
  EXPECT_NE(first.value(), nullptr);
  auto none = ampe.get(AllocationStrategy::poolOnly);
  ASSERT_EQ(none.status(), Status::success);
  EXPECT_EQ(none.value(), nullptr);
  auto allocated = ampe.get(AllocationStrategy::always);
  ASSERT_TRUE(allocated.ok()) << toString(allocated.status());
  EXPECT_NE(allocated.value(), nullptr);
  EXPECT_NE(allocated.value(), first.value());
}

}  // namespace
}  // namespace tofu::test
