// Acceptance 7 / DECISIONS.md B7: safe teardown. Destroying a group wakes its blocked
// receiver with shutdown_started, closes its channels (peers see the close) and gives its
// messages back; destroying the Reactor does that for every live group and returns promptly.
// Leaks are caught by LeakSanitizer in the asan build.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "blocked_call.h"
#include "engine_harness.h"
#include "raw_peer.h"
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;

// Destroying an engine must be quick (B7: no multi-second waits): 2 s, scaled like every
// other time bound under sanitizers (scaled()), whose slowdown is not the engine's.
std::chrono::milliseconds promptly() { return scaled(std::chrono::milliseconds(2000)); }

// A thread blocked in waitReceive(kWaitReceiveInfiniteTimeout) on `group`.
std::unique_ptr<BlockedCall> blockedReceiver(ChannelGroup& group) {
  return std::make_unique<BlockedCall>([&group] { return group.waitReceive(kWaitReceiveInfiniteTimeout); });
}

// True when a plain client can connect to `address` right now.
bool canConnect(const Address& address) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (address.kind() == AddressKind::tcp) {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
    in4->sin_family = AF_INET;
    in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    in4->sin_port = htons(address.port());
    length = sizeof(sockaddr_in);
  } else {
    auto* un = reinterpret_cast<sockaddr_un*>(&storage);
    un->sun_family = AF_UNIX;
    std::snprintf(un->sun_path, sizeof(un->sun_path), "%s", address.path().c_str());
    length = sizeof(sockaddr_un);
  }
  const int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const bool connected = ::connect(fd, reinterpret_cast<const sockaddr*>(&storage), length) == 0;
  ::close(fd);
  return connected;
}

// Pool messages not idle: held by the application or queued in the engine. The pool may
// grow while receiving (B14), so what comes back is judged by this, not by the idle count.
std::size_t poolInUse(Ampe& ampe) {
  const Result<EngineSnapshot> snapshot = ampe.snapshot();
  EXPECT_TRUE(snapshot.ok());
  return snapshot.ok() ? snapshot.value().pool.inUse : 0;
}

std::unique_ptr<Reactor> makeReactor() {
  auto created = Reactor::create(roomyOptions());
  EXPECT_TRUE(created.ok()) << toString(created.status());
  return std::move(created).value();
}

ChannelGroup& makeGroup(Ampe& ampe) {
  auto created = ampe.create();
  EXPECT_TRUE(created.ok() && created.value() != nullptr) << toString(created.status());
  return *created.value();
}

class Teardown : public ::testing::TestWithParam<Transport> {};
INSTANTIATE_TEST_SUITE_P(Transports, Teardown, kAllTransports, TransportName());

// ---------------------------------------------------------------------------------------------

TEST(TeardownGroup, B7_GroupDestroyWakesBlockedReceiverWithShutdownStarted) {
  Engine engine(roomyOptions());
  ChannelGroup& group = engine.group();
  const auto receiver = blockedReceiver(group);
  ASSERT_TRUE(receiver->waitUntilBlocked());
  const auto start = Clock::now();
  engine.destroy(group);
  const auto woke = receiver->returnedAt(scaled(std::chrono::milliseconds(5000)));
  EXPECT_EQ(receiver->status(), Status::shutdown_started);
  EXPECT_EQ(receiver->message(), nullptr);
  EXPECT_LT(woke - start, promptly());
}

TEST(TeardownGroup, B7_DestroyNullGroupIsInvalidAddress) {
  Engine engine(roomyOptions());
  EXPECT_EQ(engine.ampe().destroy(nullptr), Status::invalid_address);
}

TEST(TeardownReactor, B7_ReactorDestroyWakesBlockedReceiversOfEveryGroup) {
  auto reactor = makeReactor();
  ASSERT_NE(reactor, nullptr);
  std::vector<std::unique_ptr<BlockedCall>> receivers;
  for (int i = 0; i < 3; ++i) {
    receivers.push_back(blockedReceiver(makeGroup(reactor->ampe())));
  }
  for (auto& receiver : receivers) {
    ASSERT_TRUE(receiver->waitUntilBlocked());
  }
  const auto start = Clock::now();
  reactor.reset();
  EXPECT_LT(Clock::now() - start, promptly()) << "Reactor destruction";
  for (auto& receiver : receivers) {
    const auto woke = receiver->returnedAt(scaled(std::chrono::milliseconds(5000)));
    EXPECT_EQ(receiver->status(), Status::shutdown_started);
    EXPECT_LT(woke - start, promptly());
  }
}

// Live groups, open channels (client, server and listener), messages queued in both
// directions and unread in group queues: the Reactor still goes away promptly, the peer sees
// every channel close, the listener is gone, and nothing leaks.
TEST_P(Teardown, B7_ReactorDestroyWithTrafficInFlightIsPromptAndPeersSeeTheClose) {
  Engine peer(roomyOptions());
  ChannelGroup& peerGroup = peer.group();
  const Listening peerListener = listen(peer.ampe(), peerGroup, listenAddress(GetParam()));
  ASSERT_NE(peerListener.channel, 0u);

  auto reactor = makeReactor();
  ASSERT_NE(reactor, nullptr);
  Ampe& ampe = reactor->ampe();
  std::vector<ChannelGroup*> groups;
  std::vector<Connection> connections;
  for (int i = 0; i < 3; ++i) {
    groups.push_back(&makeGroup(ampe));
    connections.push_back(connectPair(ampe, *groups.back(), peer.ampe(), peerGroup, peerListener.bound));
    ASSERT_TRUE(connections.back().ok());
  }
  const Listening ownListener = listen(ampe, *groups.front(), listenAddress(GetParam()));
  ASSERT_NE(ownListener.channel, 0u);
  // Unread messages in every group's queue, and requests still on their way out.
  for (std::size_t i = 0; i < connections.size(); ++i) {
    for (int j = 0; j < 5; ++j) {
      post(peerGroup, request(peer.ampe(), connections[i].serverChannel, "unread", OpCode::Signal));
    }
  }
  // Wait until they sit in the groups' queues, so the peer has nothing pending at the end.
  const std::uint64_t expectedRead = connections.size() * (1 + 5);  // HelloResponse + 5 Signals
  const auto deadline = Clock::now() + defaultTimeout();
  while (ampe.counters().framesRead < expectedRead && Clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_EQ(ampe.counters().framesRead, expectedRead);
  for (std::size_t i = 0; i < connections.size(); ++i) {
    for (int j = 0; j < 200; ++j) {
      post(*groups[i], request(ampe, connections[i].clientChannel, std::string(512, 'q')));
    }
  }

  const auto start = Clock::now();
  reactor.reset();
  EXPECT_LT(Clock::now() - start, promptly()) << "Reactor destruction with traffic in flight";

  // The peer sees each channel close (requests that made it may arrive first). Messages are
  // given back at once: a peer that held them would starve and stop reading (B5).
  std::vector<std::size_t> closedCount(connections.size(), 0);
  std::size_t requests = 0;
  std::size_t closedTotal = 0;
  while (closedTotal < connections.size()) {
    auto message = receive(peerGroup);
    ASSERT_NE(message, nullptr) << closedTotal << " of " << connections.size() << " channels closed";
    bool known = false;
    for (std::size_t i = 0; i < connections.size(); ++i) {
      if (closedSignal(connections[i].serverChannel)(*message)) {
        ++closedCount[i];
        ++closedTotal;
        known = true;
      }
    }
    const bool starved = message->isFromEngine() && message->status() == Status::pool_empty;
    if (!known && !starved) {
      EXPECT_TRUE(message->isFromApplication() && message->opCode() == OpCode::Request)
          << "the peer had nothing pending: only requests, pool_empty and final Signals, got "
          << describe(message);
      ++requests;
    }
    peer.ampe().put(message);
  }
  for (std::size_t i = 0; i < connections.size(); ++i) {
    EXPECT_EQ(closedCount[i], 1u) << "server channel " << connections[i].serverChannel;
  }
  EXPECT_LE(requests, 600u);
  EXPECT_FALSE(canConnect(ownListener.bound)) << "the destroyed engine's listener must be closed";
}

TEST_P(Teardown, B7_GroupDestroyClosesItsChannelsAndGivesMessagesBack) {
  Engine peer(roomyOptions());
  Engine engine(roomyOptions());
  ChannelGroup& peerGroup = peer.group();
  ChannelGroup& doomed = engine.group();
  ChannelGroup& survivor = engine.group();
  const Listening peerListener = listen(peer.ampe(), peerGroup, listenAddress(GetParam()));
  ASSERT_NE(peerListener.channel, 0u);
  const Connection lost = connectPair(engine.ampe(), doomed, peer.ampe(), peerGroup, peerListener.bound);
  const Connection kept = connectPair(engine.ampe(), survivor, peer.ampe(), peerGroup, peerListener.bound);
  ASSERT_TRUE(lost.ok() && kept.ok());
  const Listening ownListener = listen(engine.ampe(), doomed, listenAddress(GetParam()));
  ASSERT_NE(ownListener.channel, 0u);

  // Ten frames land in the doomed group's queue and stay unread.
  const std::size_t inUseBefore = poolInUse(engine.ampe());
  const std::uint64_t readBefore = engine.ampe().counters().framesRead;
  for (int i = 0; i < 10; ++i) {
    post(peerGroup, request(peer.ampe(), lost.serverChannel, "unread", OpCode::Signal));
  }
  const auto deadline = Clock::now() + defaultTimeout();
  while (engine.ampe().counters().framesRead < readBefore + 10 && Clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_EQ(engine.ampe().counters().framesRead, readBefore + 10);

  engine.destroy(doomed);
  EXPECT_EQ(poolInUse(engine.ampe()), inUseBefore) << "the queued messages go back to the pool";
  auto closed = receive(peerGroup);
  EXPECT_TRUE(closed && closedSignal(lost.serverChannel)(*closed)) << describe(closed);
  EXPECT_FALSE(canConnect(ownListener.bound)) << "the destroyed group's listener must be closed";
  // Other groups are untouched.
  EXPECT_TRUE(echo(engine.ampe(), survivor, kept.clientChannel, peer.ampe(), peerGroup, kept.serverChannel,
                   "survivor"));
  EXPECT_EQ(expectNothing(survivor), nullptr);
}

// A group destroyed while its channel has frames waiting to be written: they are dropped with
// the group, without notifications, and counted as returned (B1: written + returned == posted,
// exactly); the pool gets each of them back (LeakSanitizer checks they are freed), the peer
// sees the connection end, and the group's listener is gone.
TEST_P(Teardown, B7_GroupDestroyWithPendingSendsDropsThemAccounted) {
  Engine engine(limitedOptions());
  ChannelGroup& group = engine.group();
  const Listening listening = listen(engine.ampe(), group, listenAddress(GetParam()));
  ASSERT_NE(listening.channel, 0u);
  auto raw = RawPeer::connectTo(listening.bound, kSmallReceiveBuffer);
  ASSERT_NE(raw, nullptr);
  auto hello = newMessage(engine.ampe());
  ASSERT_EQ(prepareHelloRequest(*hello, listening.bound), Status::success);
  hello->setMessageId(7001);
  ASSERT_TRUE(raw->sendFrame(*hello));
  engine.ampe().put(hello);
  auto arrived = receive(group);
  ASSERT_TRUE(arrived && arrived->opCode() == OpCode::HelloRequest) << describe(arrived);
  const std::uint16_t channel = arrived->channelNumber();
  engine.ampe().put(arrived);
  pinEngineSendBuffer(*raw);
  const EngineCounters before = engine.ampe().counters();
  ASSERT_EQ(before.messagesReturned, 0u);
  const std::uint64_t writtenBefore = before.framesWritten;
  const FillResult fill = fillSendQueue(engine.ampe(), group, channel, kFillBodyBytes);
  ASSERT_TRUE(fill.full);
  // Only the unsent frames may be left for the destroy to give back: no notice stays queued.
  while (MessagePtr notice = tryReceive(group, quietPeriod())) {
    EXPECT_TRUE(isSendReady(*notice)) << describe(notice);
    engine.ampe().put(notice);
  }
  const std::size_t inUseBefore = poolInUse(engine.ampe());
  engine.destroy(group);
  const std::uint64_t dropped = inUseBefore - poolInUse(engine.ampe());
  const std::uint64_t written = engine.ampe().counters().framesWritten - writtenBefore;
  const std::uint64_t returned = engine.ampe().counters().messagesReturned;
  EXPECT_GT(dropped, 0u) << "frames were pending";
  EXPECT_EQ(returned, dropped) << "each dropped message is counted as returned, nothing else";
  EXPECT_EQ(written + returned, fill.ids.size())
      << "written " << written << " + returned " << returned << " == posted (B1, B7)";
  const ReadEnd end = raw->readUntilClosed(nullptr);
  EXPECT_TRUE(end == ReadEnd::eof || end == ReadEnd::reset)
      << "the peer sees the channel close: " << toString(end);
  EXPECT_FALSE(canConnect(listening.bound));
}

}  // namespace
}  // namespace tofu::test
