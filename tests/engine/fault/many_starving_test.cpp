// Fault injection: far more channels starve at once than the engine sets read bytes aside for
// (DECISIONS.md B5, B14). 150 raw peers each write a HelloRequest and 8 Requests to a server
// whose receive budget (room for 16 messages) runs out because its application gives nothing
// back yet. Checked: past the
// channels that starve holding bytes already read (at most 64, ReceiveFlow::kStarvingWithStash),
// a channel starves before reading and its bytes stay in its socket, so the memory set aside
// is bounded however many channels starve; once the application receives, every frame of
// every channel arrives, once and in order. And a channel in the middle of a frame when that
// happens reads only the rest of its frame, not the frames behind it.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "raw_peer.h"

namespace tofu::test {
namespace {

constexpr int kPeers = 150;
constexpr int kRequestsPerPeer = 8;
constexpr std::uint64_t kFirstRequestId = 100;
// What the engine may hold read but undecoded: one stash per starving channel, for at most
// this many channels; every other channel leaves its bytes unread.
constexpr int kStarvingWithStash = 64;
constexpr int kPoolMessages = 16;

std::vector<std::uint8_t> hello() {
  auto frame = Message::create();
  EXPECT_EQ(prepareHelloRequest(*frame, Address::tcp("127.0.0.1", 1)), Status::success);
  frame->setChannelNumber(1);
  frame->setMessageId(1);
  return frameBytes(*frame);
}

// Requests `first` up to kRequestsPerPeer - 1 of `peer`, back to back. Each as large as the
// HelloRequest: an engine sizes its reads by the frames it has seen (ReceiveFlow::readLimit).
std::vector<std::uint8_t> requests(int peer, int first = 0) {
  static const std::size_t bodyBytes = hello().size() - kBinaryHeaderSize;
  auto frame = Message::create();
  std::vector<std::uint8_t> bytes;
  for (int i = first; i < kRequestsPerPeer; ++i) {
    std::string body = "peer " + std::to_string(peer) + " request " + std::to_string(i);
    body.resize(std::max(body.size(), bodyBytes), ' ');
    frame->header() = rawHeader(OpCode::Request, 1, kFirstRequestId + static_cast<std::uint64_t>(i), 0,
                                static_cast<std::uint16_t>(body.size()));
    frame->body().assign(body);
    const std::vector<std::uint8_t> request = frameBytes(*frame);
    bytes.insert(bytes.end(), request.begin(), request.end());
  }
  return bytes;
}

// The peer a Request came from: its body names it.
int peerOf(const Message& request) {
  const std::string body(request.body().view());
  return std::stoi(body.substr(body.find(' ') + 1));
}

std::vector<std::uint8_t> helloAndRequests(int peer) {
  std::vector<std::uint8_t> bytes = hello();
  const std::vector<std::uint8_t> more = requests(peer);
  bytes.insert(bytes.end(), more.begin(), more.end());
  return bytes;
}

// Peers `first` up to kPeers - 1 connect and write their HelloRequest and Requests; returns
// once the server's pool has run dry and its engine has had time to see every peer. With
// `answerFirst`, each peer writes its Requests only once the application has answered its
// HelloRequest, so that nothing is held behind an unanswered one (B15) when the pool runs dry.
void connectStarvingPeers(Engine& server, ChannelGroup& group, const Listening& listening, int first,
                          std::vector<std::unique_ptr<RawPeer>>& peers, bool answerFirst = false) {
  for (int i = first; i < kPeers; ++i) {
    peers.push_back(RawPeer::connectTo(listening.bound));
    ASSERT_NE(peers.back(), nullptr) << "peer " << i;
    ASSERT_TRUE(peers.back()->sendBytes(answerFirst ? hello() : helloAndRequests(i))) << "peer " << i;
  }
  if (answerFirst) {
    for (int answered = first; answered < kPeers;) {
      auto got = receive(group);
      ASSERT_NE(got, nullptr) << answered - first << " HelloRequests arrived";
      if (got->opCode() != OpCode::HelloRequest) {  // a pool_empty notice: information only (B14)
        EXPECT_EQ(got->status(), Status::pool_empty) << describe(got);
        server.ampe().put(got);
        continue;
      }
      ++answered;
      got->setOpCode(OpCode::HelloResponse);
      post(group, std::move(got));
    }
    for (int i = first; i < kPeers; ++i) {
      RawFrame response;
      ASSERT_EQ(peers[peers.size() - static_cast<std::size_t>(kPeers - i)]->readFrame(response), ReadEnd::frame) << "peer " << i;
      ASSERT_TRUE(peers[peers.size() - static_cast<std::size_t>(kPeers - i)]->sendBytes(requests(i))) << "peer " << i;
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (server.ampe().counters().poolEmptyEpisodes == 0) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the pool never ran dry";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the engine sees every peer
}

// Receives until every peer's HelloRequest and kRequestsPerPeer Requests arrived, answering each
// HelloRequest not answered yet and giving every other message back, and checks that each
// channel's Requests came once and in order.
void expectEveryFrameInOrder(Engine& server, ChannelGroup& group, std::vector<MessagePtr> alreadyReceived) {
  std::map<std::uint16_t, std::vector<std::uint64_t>> requestIds;
  int hellos = 0;
  int requestCount = 0;
  // `answer`: a HelloRequest not answered yet gets its HelloResponse.
  const auto count = [&](MessagePtr got, bool answer) {
    if (got->opCode() == OpCode::HelloRequest) {
      ++hellos;
      EXPECT_TRUE(requestIds.emplace(got->channelNumber(), std::vector<std::uint64_t>{}).second)
          << "two HelloRequests on " << describe(got);
    } else if (got->opCode() == OpCode::Request) {
      ++requestCount;
      requestIds[got->channelNumber()].push_back(got->messageId());
    } else {
      EXPECT_EQ(got->status(), Status::pool_empty) << describe(got);
    }
    if (answer && got->opCode() == OpCode::HelloRequest) {  // its Requests are held until then (B15)
      got->setOpCode(OpCode::HelloResponse);
      post(group, std::move(got));
      return;
    }
    server.ampe().put(got);
  };
  for (MessagePtr& got : alreadyReceived) count(std::move(got), false);
  while (hellos < kPeers || requestCount < kPeers * kRequestsPerPeer) {
    auto got = receive(group);
    ASSERT_NE(got, nullptr) << hellos << " HelloRequests and " << requestCount << " Requests arrived";
    count(std::move(got), true);
  }
  EXPECT_EQ(hellos, kPeers);
  ASSERT_EQ(requestIds.size(), static_cast<std::size_t>(kPeers));
  std::vector<std::uint64_t> expected;
  for (int i = 0; i < kRequestsPerPeer; ++i) {
    expected.push_back(kFirstRequestId + static_cast<std::uint64_t>(i));
  }
  for (const auto& [channel, ids] : requestIds) EXPECT_EQ(ids, expected) << "channel " << channel;
  EXPECT_EQ(expectNothing(group), nullptr);
}

class FaultManyStarving : public ::testing::TestWithParam<Transport> {};

INSTANTIATE_TEST_SUITE_P(Transports, FaultManyStarving, kAllTransports, TransportName());

TEST_P(FaultManyStarving, PastTheStashedChannelsBytesStayInTheSocketAndNothingIsLost) {
  Engine server(fixedPoolOptions(kPoolMessages));
  ChannelGroup& group = server.group();
  const Listening listening = listen(server.ampe(), group, listenAddress(GetParam()));
  ASSERT_NE(listening.channel, 0u);

  std::vector<std::unique_ptr<RawPeer>> peers;
  std::vector<int> written;
  for (int i = 0; i < kPeers; ++i) {
    peers.push_back(RawPeer::connectTo(listening.bound));
    ASSERT_NE(peers.back(), nullptr) << "peer " << i;
    const std::vector<std::uint8_t> bytes = helloAndRequests(i);
    ASSERT_TRUE(peers.back()->sendBytes(bytes)) << "peer " << i;
    written.push_back(static_cast<int>(bytes.size()));
  }

  // The application has received nothing, so the pool is dry: wait until the engine has seen
  // every peer's bytes (bounded), then count the peers whose bytes it left unread.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int untouched = 0;
  int readInPart = 0;
  int stable = 0;
  while (std::chrono::steady_clock::now() < deadline && stable < 5) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    int nowUntouched = 0;
    readInPart = 0;
    for (std::size_t i = 0; i < peers.size(); ++i) {
      const int unread = unreadBytes(GetParam(), *peers[i]);
      ASSERT_GE(unread, 0) << "cannot see the unread bytes of peer " << i;
      if (unread >= written[i]) {  // UDS counts the buffers' overhead too
        ++nowUntouched;
      } else if (unread != 0) {
        ++readInPart;
      }
    }
    stable = nowUntouched == untouched ? stable + 1 : 0;
    untouched = nowUntouched;
  }
  EXPECT_GE(server.ampe().counters().poolEmptyEpisodes, 1u);
  // At most kPoolMessages frames were decoded and at most kStarvingWithStash channels hold read
  // bytes; each peer's bytes fit in one read, so every other channel never read.
  EXPECT_GE(untouched, kPeers - kStarvingWithStash - kPoolMessages)
      << "channels read bytes they could not decode: memory set aside grows with the channels";
  EXPECT_EQ(readInPart, 0);

  // Now receive: every frame arrives once, in order per channel.
  expectEveryFrameInOrder(server, group, {});
}

TEST_P(FaultManyStarving, PastTheStashedChannelsAChannelMidFrameReadsOnlyTheRestOfItsFrame) {
  Engine server(fixedPoolOptions(kPoolMessages));
  ChannelGroup& group = server.group();
  const Listening listening = listen(server.ampe(), group, listenAddress(GetParam()));
  ASSERT_NE(listening.channel, 0u);

  // Mid-frame peers: a HelloRequest and the first half of their first Request, so they would
  // take the whole budget once their frames complete; the starving peers below take the room
  // their unfinished frames leave.
  auto snapshot = server.ampe().snapshot();
  ASSERT_TRUE(snapshot.ok());
  const int midFrame = static_cast<int>(snapshot.value().pool.idle / 2);
  ASSERT_GE(midFrame, 4) << "the listener kept too many pool messages";
  std::vector<std::unique_ptr<RawPeer>> peers;
  std::vector<std::vector<std::uint8_t>> rests;  // the rest of each one's first Request
  for (int i = 0; i < midFrame; ++i) {
    peers.push_back(RawPeer::connectTo(listening.bound));
    ASSERT_NE(peers.back(), nullptr) << "peer " << i;
    const std::vector<std::uint8_t> all = requests(i);
    const std::size_t firstSize = all.size() - requests(i, 1).size();
    const std::size_t half = kBinaryHeaderSize + (firstSize - kBinaryHeaderSize) / 2;
    std::vector<std::uint8_t> bytes = hello();
    bytes.insert(bytes.end(), all.begin(), all.begin() + static_cast<std::ptrdiff_t>(half));
    ASSERT_TRUE(peers.back()->sendBytes(bytes)) << "peer " << i;
    rests.emplace_back(all.begin() + static_cast<std::ptrdiff_t>(half),
                       all.begin() + static_cast<std::ptrdiff_t>(firstSize));
  }
  std::vector<MessagePtr> held;  // nothing goes back to the pool until the end
  while (held.size() < static_cast<std::size_t>(midFrame)) {
    auto got = receive(group);
    ASSERT_NE(got, nullptr) << held.size() << " of " << midFrame << " HelloRequests arrived";
    ASSERT_EQ(got->opCode(), OpCode::HelloRequest) << describe(got);
    // Answered with a message of its own (B15), the HelloRequest keeping its share of the budget.
    post(group, request(server.ampe(), got->channelNumber(), {}, OpCode::HelloResponse, got->messageId()));
    held.push_back(std::move(got));
  }

  // Every other peer starves: far more than the channels that may set bytes aside.
  ASSERT_NO_FATAL_FAILURE(connectStarvingPeers(server, group, listening, midFrame, peers));

  // The mid-frame peers send the rest of their frame and the Requests behind it: each channel
  // completes its frame with the message it holds, then starves before reading further.
  for (int i = 0; i < midFrame; ++i) {
    std::vector<std::uint8_t> bytes = rests[static_cast<std::size_t>(i)];
    const std::vector<std::uint8_t> behind = requests(i, 1);
    bytes.insert(bytes.end(), behind.begin(), behind.end());
    ASSERT_TRUE(peers[static_cast<std::size_t>(i)]->sendBytes(bytes)) << "peer " << i;
  }
  int completed = 0;
  while (completed < midFrame) {
    auto got = receive(group);
    ASSERT_NE(got, nullptr) << completed << " of " << midFrame << " half-sent Requests were completed";
    if (got->opCode() == OpCode::Request && peerOf(*got) < midFrame) {
      EXPECT_EQ(got->messageId(), kFirstRequestId) << describe(got);
      ++completed;
    }
    if (got->opCode() == OpCode::HelloRequest) {  // a starving peer's: answered, as above
      post(group, request(server.ampe(), got->channelNumber(), {}, OpCode::HelloResponse, got->messageId()));
    }
    held.push_back(std::move(got));  // a starving peer's frames delivered within the budget too
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (int i = 0; i < midFrame; ++i) {
    const int unread = unreadBytes(GetParam(), *peers[static_cast<std::size_t>(i)]);
    EXPECT_GE(unread, static_cast<int>(requests(i, 1).size()))
        << "peer " << i << ": the channel read past the frame it was in, with the pool dry";
  }

  expectEveryFrameInOrder(server, group, std::move(held));
}

// Messages trickle back one at a time while far more than kStarvingWithStash channels starve.
// A channel that had starved before reading may then read only what its spare messages can
// receive: no short read set aside past the bound. So the channels holding bytes read but not
// decoded after the trickle are some of those that held such bytes before it, never new ones.
// TCP: the engine's unread bytes per connection are exact there.
TEST(FaultManyStarvingTrickle, ChannelsResumedPastTheBoundSetNothingAside) {
  Engine server(fixedPoolOptions(kPoolMessages));
  ChannelGroup& group = server.group();
  const Listening listening = listen(server.ampe(), group, listenAddress(Transport::tcp));
  ASSERT_NE(listening.channel, 0u);
  std::vector<std::unique_ptr<RawPeer>> peers;
  ASSERT_NO_FATAL_FAILURE(connectStarvingPeers(server, group, listening, 0, peers, true));

  // Requests delivered per peer (their bodies name the peer).
  std::vector<int> requestsIn(kPeers, 0);
  int requestCount = 0;
  const auto note = [&](const MessagePtr& got) {
    if (got->opCode() != OpCode::Request) return;
    ++requestsIn[static_cast<std::size_t>(peerOf(*got))];
    ++requestCount;
  };
  // Gives a message back; a HelloRequest becomes its answer, which lets the Requests held
  // behind it through (B15).
  const auto giveBack = [&](MessagePtr& got) {
    if (got->opCode() != OpCode::HelloRequest) {
      server.ampe().put(got);
      return;
    }
    got->setOpCode(OpCode::HelloResponse);
    post(group, std::move(got));
  };
  // The peers whose bytes were read beyond the frames delivered (and the header of the next
  // one): they hold a stash. Takes
  // and holds what the group has queued first, so the pool stays dry while counting.
  std::vector<MessagePtr> held;
  const auto peersWithStash = [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    while (auto got = tryReceive(group, std::chrono::milliseconds(20))) {
      note(got);
      held.push_back(std::move(got));
    }
    std::set<int> withStash;
    for (int i = 0; i < kPeers; ++i) {
      const std::size_t written = helloAndRequests(i).size();
      const int unread = unreadBytes(Transport::tcp, *peers[static_cast<std::size_t>(i)]);
      EXPECT_GE(unread, 0) << "cannot see the unread bytes of peer " << i;
      const int in = requestsIn[static_cast<std::size_t>(i)];
      const std::size_t decoded = in == 0 ? hello().size() : written - requests(i, in).size();
      // A binary header waiting for its message is kept by the decoder, not set aside.
      if (written - static_cast<std::size_t>(unread) > decoded + kBinaryHeaderSize) withStash.insert(i);
    }
    for (MessagePtr& got : held) giveBack(got);
    held.clear();
    return withStash;
  };
  const std::set<int> before = peersWithStash();
  EXPECT_LE(before.size(), static_cast<std::size_t>(kStarvingWithStash));

  // Enough to drain the channels holding a stash (each is served greedily once resumed) and
  // resume many that starved before reading, while more than the bound still starve.
  constexpr int kTrickle = kStarvingWithStash * kRequestsPerPeer - kPoolMessages;  // Hellos answered first
  for (int i = 0; i < kTrickle; ++i) {
    auto got = receive(group);
    ASSERT_NE(got, nullptr) << "message " << i << " of the trickle";
    note(got);
    giveBack(got);
  }
  for (const int peer : peersWithStash()) {
    EXPECT_TRUE(before.count(peer) == 1) << "peer " << peer << " was resumed past the bound and set bytes aside";
  }

  // Nothing is lost: every Request of every peer arrives.
  while (requestCount < kPeers * kRequestsPerPeer) {
    auto got = receive(group);
    ASSERT_NE(got, nullptr) << requestCount << " Requests arrived";
    note(got);
    giveBack(got);
  }
  for (int i = 0; i < kPeers; ++i) EXPECT_EQ(requestsIn[static_cast<std::size_t>(i)], kRequestsPerPeer) << "peer " << i;
}

}  // namespace
}  // namespace tofu::test
