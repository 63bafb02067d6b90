// Fault injection: the receive pool runs dry (DECISIONS.md B5). A server engine with a pool
// of 4 messages serves two groups; its application holds every message it receives, so the
// pool empties and the channels starve. Checked: exactly one pool_empty per starvation
// episode per group (however many of its channels starve, however long it lasts); no busy
// loop while starved (process CPU time over the interval); recovery once messages are given
// back, with every frame delivered in order; a second episode is reported again; and the
// nothing-lost accounting of B1 (graceful closes: received == written == posted). Also: a
// frame without payload that a channel starved on is delivered once the pool refills.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "raw_peer.h"

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool isPoolEmpty(const Message& m) {
  return m.opCode() == OpCode::Signal && m.isFromEngine() && m.status() == Status::pool_empty;
}

constexpr int kRequestsPerRound = 30;  // well over the pool, so every channel starves

class FaultPool : public ::testing::TestWithParam<Transport> {
 protected:
  struct ClientChannel {
    std::uint16_t number = 0;
    std::vector<std::uint64_t> ids;  // every Request posted, in order
  };

  // What one server group saw.
  struct ServerSide {
    ChannelGroup* group = nullptr;
    Listening listening;
    std::vector<MessagePtr> held;
    std::uint64_t poolEmpty = 0;
    // Request ids per server channel, in arrival order.
    std::map<std::uint16_t, std::vector<std::uint64_t>> requests;
    std::map<std::uint16_t, std::uint64_t> hellos;  // server channel -> HelloRequest id
  };

  void SetUp() override {
    for (ServerSide* side : {&g1_, &g2_}) {
      side->group = &server_.group();
      side->listening = listen(server_.ampe(), *side->group, listenAddress(GetParam()));
      ASSERT_NE(side->listening.channel, 0u);
    }
    // Two channels to the first group, one to the second; their Requests follow the Hello (K8).
    for (const Address& peer : {g1_.listening.bound, g1_.listening.bound, g2_.listening.bound}) {
      ClientChannel channel;
      channel.number = connect(client_.ampe(), clientGroup_, peer);
      ASSERT_NE(channel.number, 0u);
      ++posted_;
      clients_.push_back(channel);
    }
    // Take the three HelloRequests now, answering them and giving everything back, so that no starvation episode
    // is under way when a round starts (the pool may run dry already: the listeners'
    // WelcomeRequests were taken from it too).
    const auto deadline = Clock::now() + defaultTimeout();
    while (g1_.hellos.size() < 2 || g2_.hellos.size() < 1) {
      ASSERT_LT(Clock::now(), deadline) << "the HelloRequests did not arrive";
      for (ServerSide* side : {&g1_, &g2_}) {
        while (auto got = tryReceive(*side->group, milliseconds(10))) {
          note(*side, *got);
          if (got->opCode() == OpCode::HelloRequest && !got->isFromEngine()) {
            got->setOpCode(OpCode::HelloResponse);  // B15: the Requests are held until then
            post(*side->group, std::move(got));
          } else {
            server_.ampe().put(got);
          }
        }
      }
    }
  }

  void postRound(int round) {
    for (ClientChannel& channel : clients_) {
      for (int i = 0; i < kRequestsPerRound; ++i) {
        const std::string body = "round " + std::to_string(round) + " #" + std::to_string(i);
        channel.ids.push_back(post(clientGroup_, request(client_.ampe(), channel.number, body)).messageId);
        ++posted_;
      }
    }
  }

  // Files `message` (kept, not given back) under what it is.
  static void note(ServerSide& side, const Message& message) {
    if (isPoolEmpty(message)) {
      ++side.poolEmpty;
      EXPECT_EQ(message.messageId(), 0u);
      EXPECT_NE(message.channelNumber(), 0u) << "pool_empty names the starving channel";
      EXPECT_NE(message.channelNumber(), side.listening.channel);
    } else if (message.opCode() == OpCode::HelloRequest) {
      side.hellos[message.channelNumber()] = message.messageId();
    } else {
      EXPECT_EQ(message.opCode(), OpCode::Request) << describe(message);
      EXPECT_TRUE(message.isFromApplication()) << describe(message);
      side.requests[message.channelNumber()].push_back(message.messageId());
    }
  }

  // Receives on `side` and holds everything until its pool_empty arrives.
  void holdUntilPoolEmpty(ServerSide& side) {
    const std::uint64_t before = side.poolEmpty;
    while (side.poolEmpty == before) {
      auto got = receive(*side.group);
      ASSERT_NE(got, nullptr) << "no pool_empty while holding every message";
      note(side, *got);
      side.held.push_back(std::move(got));
    }
  }

  // Over `period`, neither group may receive anything; returns the process CPU seconds used.
  double quietWhileStarved(milliseconds period) {
    const auto start = Clock::now();
    const double cpuStart = processCpuSeconds();
    while (Clock::now() - start < period) {
      for (ServerSide* side : {&g1_, &g2_}) {
        if (auto got = tryReceive(*side->group, milliseconds(50))) {
          ADD_FAILURE() << "while starved and holding: " << describe(got);
          note(*side, *got);
          side->held.push_back(std::move(got));
        }
      }
    }
    return processCpuSeconds() - cpuStart;
  }

  // Gives every held message back, then receives (giving back at once) until all Requests
  // posted so far have arrived on both groups.
  void releaseAndDrain() {
    for (ServerSide* side : {&g1_, &g2_}) {
      for (auto& message : side->held) {
        server_.ampe().put(message);
      }
      side->held.clear();
    }
    std::size_t expected = 0;
    for (const ClientChannel& channel : clients_) {
      expected += channel.ids.size();
    }
    const auto deadline = Clock::now() + defaultTimeout();
    while (receivedRequests() < expected) {
      ASSERT_LT(Clock::now(), deadline) << receivedRequests() << " of " << expected << " requests arrived";
      for (ServerSide* side : {&g1_, &g2_}) {
        while (auto got = tryReceive(*side->group, milliseconds(10))) {
          note(*side, *got);
          server_.ampe().put(got);
        }
      }
    }
  }

  std::size_t receivedRequests() const {
    std::size_t count = 0;
    for (const ServerSide* side : {&g1_, &g2_}) {
      for (const auto& [channel, ids] : side->requests) {
        count += ids.size();
      }
    }
    return count;
  }

  // Every server channel received exactly the Requests of one client channel, in order.
  void expectEverythingInOrder() {
    std::vector<std::vector<std::uint64_t>> received;
    for (const ServerSide* side : {&g1_, &g2_}) {
      for (const auto& [channel, ids] : side->requests) {
        received.push_back(ids);
      }
    }
    ASSERT_EQ(received.size(), clients_.size());
    for (const ClientChannel& channel : clients_) {
      EXPECT_EQ(std::count(received.begin(), received.end(), channel.ids), 1)
          << "the Requests of client channel " << channel.number << " did not arrive complete and in order";
    }
    EXPECT_EQ(g1_.requests.size(), 2u);
    EXPECT_EQ(g2_.requests.size(), 1u);
  }

  Engine server_{fixedPoolOptions(4)};
  Engine client_{roomyOptions()};
  ChannelGroup& clientGroup_ = client_.group();
  ServerSide g1_;
  ServerSide g2_;
  std::vector<ClientChannel> clients_;
  std::uint64_t posted_ = 0;  // by the client: Hello, Requests, ByeRequests
};

INSTANTIATE_TEST_SUITE_P(Transports, FaultPool, kAllTransports, TransportName());

TEST_P(FaultPool, OnePoolEmptyPerEpisodePerGroupNoBusyLoopAndFullRecovery) {
  for (int round = 1; round <= 2; ++round) {
    SCOPED_TRACE("starvation episode " + std::to_string(round));
    const std::uint64_t episodesBefore = server_.ampe().counters().poolEmptyEpisodes;
    const std::uint64_t g1Before = g1_.poolEmpty;
    const std::uint64_t g2Before = g2_.poolEmpty;
    postRound(round);
    ASSERT_NO_FATAL_FAILURE(holdUntilPoolEmpty(g1_));
    ASSERT_NO_FATAL_FAILURE(holdUntilPoolEmpty(g2_));

    // Starved: half a second with nothing delivered, no second pool_empty and no spinning.
    const milliseconds period(500);
    const double cpu = quietWhileStarved(period);
    EXPECT_EQ(g1_.poolEmpty - g1Before, 1u) << "one pool_empty per episode for the group with two channels";
    EXPECT_EQ(g2_.poolEmpty - g2Before, 1u);
    EXPECT_EQ(server_.ampe().counters().poolEmptyEpisodes - episodesBefore, 2u);
    EXPECT_LT(cpu, idleCpuShare(0.2) * 0.5) << "process CPU " << cpu << " s over 0.5 s while starved (busy loop?)";

    // Recovery: everything arrives, in order. Giving messages back one by one may end and
    // start short episodes while this thread catches up; each is reported once.
    const std::uint64_t g1Starved = g1_.poolEmpty;
    const std::uint64_t g2Starved = g2_.poolEmpty;
    ASSERT_NO_FATAL_FAILURE(releaseAndDrain());
    const std::uint64_t recoveryEpisodes = (g1_.poolEmpty - g1Starved) + (g2_.poolEmpty - g2Starved);
    EXPECT_LE(recoveryEpisodes, 2u * kRequestsPerRound * 3) << "at most one per message given back";
    EXPECT_EQ(server_.ampe().counters().poolEmptyEpisodes - episodesBefore, 2u + recoveryEpisodes)
        << "every episode counted is reported, once";
    expectEverythingInOrder();
  }
  EXPECT_EQ(g1_.hellos.size(), 2u);
  EXPECT_EQ(g2_.hellos.size(), 1u);

  // Graceful closes: the server answers each ByeRequest; both sides end with the final Signal.
  for (const ClientChannel& channel : clients_) {
    post(clientGroup_, byeRequest(client_.ampe(), channel.number));
    ++posted_;
  }
  std::size_t serverClosed = 0;
  std::size_t byeResponses = 0;
  const auto deadline = Clock::now() + defaultTimeout();
  while (serverClosed < clients_.size()) {
    ASSERT_LT(Clock::now(), deadline) << serverClosed << " server channels closed";
    for (ServerSide* side : {&g1_, &g2_}) {
      while (auto got = tryReceive(*side->group, milliseconds(10))) {
        if (got->opCode() == OpCode::ByeRequest) {
          got->setOpCode(OpCode::ByeResponse);
          post(*side->group, std::move(got));
          ++byeResponses;
        } else if (got->opCode() == OpCode::Signal && got->status() == Status::channel_closed) {
          EXPECT_TRUE(side->hellos.count(got->channelNumber()) == 1) << describe(got);
          ++serverClosed;
          server_.ampe().put(got);
        } else {
          EXPECT_TRUE(isPoolEmpty(*got)) << describe(got);
          server_.ampe().put(got);
        }
      }
    }
  }
  Recorder clientSide(clientGroup_);
  for (const ClientChannel& channel : clients_) {
    EXPECT_TRUE(clientSide.until(closedSignal(channel.number)));
  }
  EXPECT_EQ(clientSide.count(withOpCode(OpCode::ByeResponse)), clients_.size());
  EXPECT_EQ(clientSide.count(fromEngine()), clients_.size()) << "only the final Signals come from the engine";

  // B1 with graceful closes: nothing returned, and the server received all the client wrote.
  const EngineCounters client = client_.ampe().counters();
  const EngineCounters server = server_.ampe().counters();
  EXPECT_EQ(client.framesWritten, posted_);
  EXPECT_EQ(client.messagesReturned, 0u);
  EXPECT_EQ(server.framesRead, client.framesWritten) << "received == written when every close is graceful";
  // The server wrote the HelloResponses (B15: the Requests waited for them) and ByeResponses.
  const std::uint64_t answers = byeResponses + clients_.size();
  EXPECT_EQ(server.framesWritten, answers);
  EXPECT_EQ(server.messagesReturned, 0u);
  EXPECT_EQ(client.framesRead, answers);
}

class FaultPoolFrame : public ::testing::TestWithParam<Transport> {};
INSTANTIATE_TEST_SUITE_P(Transports, FaultPoolFrame, kAllTransports, TransportName());

TEST_P(FaultPoolFrame, WithoutPayloadWaitingForAMessageIsDeliveredWhenThePoolRefills) {
  // A frame with no text headers and no body is complete as soon as its 16 header bytes are in
  // and a message is attached to it. When those bytes are the last the peer sends and the pool
  // is empty at that moment, the frame must still be delivered once a message comes back: no
  // further bytes will arrive to push it through (a graceful close's ByeRequest is such a frame).
  Engine server(fixedPoolOptions(1));  // room to receive one message
  ChannelGroup& group = server.group();
  const Listening listening = listen(server.ampe(), group, listenAddress(GetParam()));
  ASSERT_NE(listening.channel, 0u);
  std::vector<MessagePtr> held;

  auto peer = RawPeer::connectTo(listening.bound);
  ASSERT_NE(peer, nullptr);
  auto hello = Message::create();
  ASSERT_EQ(prepareHelloRequest(*hello, listening.bound), Status::success);
  hello->setChannelNumber(3);
  hello->setMessageId(0x5150);
  ASSERT_TRUE(peer->sendFrame(*hello));
  auto arrived = receive(group);  // took the last pool message; held below
  ASSERT_TRUE(arrived && arrived->opCode() == OpCode::HelloRequest && arrived->messageId() == 0x5150u)
      << describe(arrived);
  const std::uint16_t channel = arrived->channelNumber();
  held.push_back(std::move(arrived));
  // Answered with a message of its own (B15: the Signal is held until then), so the
  // HelloRequest keeps the group's receive budget spent.
  post(group, request(server.ampe(), channel, {}, OpCode::HelloResponse, 0x5150));

  // 16 bytes: a Signal without headers or body. The channel reads the header and starves.
  ASSERT_TRUE(peer->sendHeader(rawHeader(OpCode::Signal, 3, 0x5160), protoByte(2)));
  auto starving = receive(group);
  ASSERT_TRUE(starving && isPoolEmpty(*starving) && starving->channelNumber() == channel)
      << describe(starving);
  held.push_back(std::move(starving));

  for (auto& message : held) {
    server.ampe().put(message);
  }
  auto signal = receive(group);
  ASSERT_NE(signal, nullptr) << "the empty Signal was not delivered after the pool refilled";
  EXPECT_EQ(signal->opCode(), OpCode::Signal) << describe(signal);
  EXPECT_EQ(signal->messageId(), 0x5160u) << describe(signal);
  EXPECT_TRUE(signal->isFromApplication()) << describe(signal);
  EXPECT_EQ(server.ampe().counters().framesRead, 2u);
}

}  // namespace
}  // namespace tofu::test
