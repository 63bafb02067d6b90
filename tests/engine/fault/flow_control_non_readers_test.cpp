// Flow control (DECISIONS.md B6, B12, B14): peers that never read cannot stop a server, and
// their going away is still noticed.
// - Two raw peers with a 4 KiB SO_RCVBUF (set before connect) say Hello, then each send 200
//   Requests of 65,535-byte bodies and read nothing. The server engine (default options) runs
//   the echo application, which answers each Request and puts back what its full send queue
//   refuses. Checked: a fresh client is served within 1 s while they flood and once both send
//   queues are full; the server reads every Request (its application takes each one, so
//   nothing may hold the flooders back); once the flooders close, their channels close with
//   peer_disconnected within 2 s, the answers still queued come back with it, and a fresh
//   client is served within 1 s.
// - A channel that starves (its group past a 64 KiB receive budget, nothing taken by the
//   application) still notices its peer resetting the connection: it closes with
//   peer_disconnected within 2 s, without the application giving anything back. TCP only:
//   a Unix socket has no reset.
// Times scale under sanitizers (timeoutScale()).
#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "echo_server.h"
#include "engine_harness.h"
#include "flow_harness.h"
#include "raw_peer.h"
#include <poll.h>
#include <sys/socket.h>

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kNonReaders = 2;
constexpr int kRequestsEach = 200;
constexpr std::uint64_t kNonReaderHelloIds = 0x0EAD'1000;

milliseconds servedWithin() { return scaled(milliseconds(1000)); }
milliseconds noticedWithin() { return scaled(milliseconds(2000)); }

// A Request frame with a body of `bodyBytes` bytes.
std::vector<std::uint8_t> requestFrame(std::size_t bodyBytes) {
  auto message = Message::create();
  message->setChannelNumber(1);
  message->setMessageId(0x0EAD'2000);
  message->body().assign(std::string(bodyBytes, 'q'));
  return frameBytes(*message);
}

// Frames received completely on `channels`, from a snapshot of the server.
std::uint64_t receivedOn(Ampe& ampe, const std::vector<std::uint16_t>& channels) {
  auto snapshot = ampe.snapshot();
  std::uint64_t frames = 0;
  for (const ChannelInfo& info : snapshot.ok() ? snapshot.value().channels : std::vector<ChannelInfo>{}) {
    if (std::find(channels.begin(), channels.end(), info.channelNumber) != channels.end()) {
      frames += info.messagesReceived;
    }
  }
  return frames;
}

class FlowControlNonReaders : public ::testing::TestWithParam<Transport> {};
INSTANTIATE_TEST_SUITE_P(Transports, FlowControlNonReaders, kAllTransports, TransportName());

TEST_P(FlowControlNonReaders, DoNotStopTheServerAndTheirCloseIsNoticed) {
  EchoServer server(GetParam(), Options{}, OnRefusal::putBack);
  ASSERT_TRUE(server.listening());
  std::vector<std::unique_ptr<RawPeer>> peers;
  const std::vector<std::uint16_t> channels =
      connectAnnouncedPeers(server, kNonReaders, kNonReaderHelloIds, kSmallReceiveBuffer, peers);
  ASSERT_EQ(std::count(channels.begin(), channels.end(), 0), 0);
  for (const auto& peer : peers) pinEngineSendBuffer(*peer);  // TCP: answers pile up in the engine

  const std::vector<std::uint8_t> frame = requestFrame(65'535);
  std::array<std::atomic<int>, kNonReaders> sent{};
  std::vector<std::thread> flooders;
  for (std::size_t i = 0; i < kNonReaders; ++i) {
    flooders.emplace_back([&, i] {
      while (sent[i].load() < kRequestsEach && peers[i]->sendBytes(frame)) sent[i].fetch_add(1);
    });
  }
  const auto floodDeadline = Clock::now() + servedWithin();
  while (server.tally().requests.load() < 20 && Clock::now() < floodDeadline) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  EXPECT_TRUE(servesFreshClient(server.address(), servedWithin()))
      << "while two peers that never read flood it";
  for (std::thread& flooder : flooders) flooder.join();
  EXPECT_TRUE(sent[0].load() == kRequestsEach && sent[1].load() == kRequestsEach)
      << "the server stopped reading the non-readers: they could write " << sent[0].load() << " and "
      << sent[1].load() << " of their " << kRequestsEach << " Requests:\n"
      << flowDump(server.ampe());
  // The server read all of it: each channel received its HelloRequest and every Request.
  const auto readDeadline = Clock::now() + defaultTimeout();
  std::uint64_t framesRead = 0;
  while ((framesRead = receivedOn(server.ampe(), channels)) < kNonReaders * (1 + kRequestsEach) &&
         Clock::now() < readDeadline) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  EXPECT_EQ(framesRead, static_cast<std::uint64_t>(kNonReaders * (1 + kRequestsEach)))
      << "frames the server received from the non-readers";
  EXPECT_GT(server.tally().putBack.load(), 0u)
      << "the send queues to the non-readers should have filled (B6)";
  EXPECT_TRUE(servesFreshClient(server.address(), servedWithin())) << "with both send queues full";

  for (auto& peer : peers) peer->close();  // unread bytes in their buffers: the engine sees a reset
  const auto reasons = closeReasons(server.ampe(), channels, noticedWithin());
  EXPECT_EQ(reasons.size(), channels.size())
      << "channels of the departed non-readers still open after " << noticedWithin().count() << " ms:\n"
      << flowDump(server.ampe());
  for (const auto& [channel, reason] : reasons) {
    EXPECT_EQ(reason, Status::peer_disconnected)
        << "close reason of channel " << channel << ": " << toString(reason);
  }
  EXPECT_TRUE(server.tally().waitTold(channels, defaultTimeout()));
  EXPECT_GE(server.tally().returnedWith(Status::peer_disconnected), static_cast<std::uint64_t>(kNonReaders))
      << "the answers still queued come back with the close reason (B1, B12)";
  EXPECT_TRUE(servesFreshClient(server.address(), servedWithin())) << "after the non-readers left";
}

// Writes `frame` over and over without blocking until the socket takes nothing for `stall`;
// returns the bytes written. Bounded by `cap` bytes.
std::size_t sendUntilStalled(RawPeer& peer, const std::vector<std::uint8_t>& frame, milliseconds stall,
                             std::size_t cap) {
  std::size_t total = 0;
  std::size_t offset = 0;
  while (total < cap) {
    const ssize_t written =
        ::send(peer.fd(), frame.data() + offset, frame.size() - offset, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (written > 0) {
      total += static_cast<std::size_t>(written);
      offset = (offset + static_cast<std::size_t>(written)) % frame.size();
      continue;
    }
    if (written < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) break;
    pollfd entry{peer.fd(), POLLOUT, 0};
    if (::poll(&entry, 1, static_cast<int>(stall.count())) == 0) break;
  }
  return total;
}

TEST(FlowControlStarvingChannel, NoticesItsPeerResettingTheConnection) {
  Options options;
  options.receiveBudgetBytes = 64 * 1024;
  Engine server(options);
  ChannelGroup& group = server.group();
  const Listening listening = listen(server.ampe(), group, listenAddress(Transport::tcp));
  ASSERT_NE(listening.channel, 0u);
  auto peer = RawPeer::connectTo(listening.bound);
  ASSERT_NE(peer, nullptr);
  ASSERT_TRUE(sayHello(*peer, server.ampe(), 1, 0x0EAD'3000));

  // Nobody receives: the budget runs out and the channel stops reading.
  constexpr std::size_t kCap = 256u * 1024u * 1024u;
  const std::size_t written = sendUntilStalled(*peer, requestFrame(60'000), scaled(milliseconds(300)), kCap);
  ASSERT_LT(written, kCap) << "the server kept reading past its receive budget";
  std::uint16_t channel = 0;
  auto snapshot = server.ampe().snapshot();
  ASSERT_TRUE(snapshot.ok());
  for (const ChannelInfo& info : snapshot.value().channels) {
    if (info.kind == ChannelKind::serverIo) channel = info.channelNumber;
  }
  ASSERT_NE(channel, 0u);
  const auto resetAt = Clock::now();
  peer->abort();
  const auto reasons = closeReasons(server.ampe(), {channel}, noticedWithin());
  EXPECT_EQ(reasons.size(), 1u) << "the starving channel did not notice the reset within "
                                << noticedWithin().count() << " ms:\n"
                                << flowDump(server.ampe());
  if (reasons.empty()) return;
  EXPECT_EQ(reasons.begin()->second, Status::peer_disconnected) << toString(reasons.begin()->second);
  const auto noticedMs = std::chrono::duration_cast<milliseconds>(Clock::now() - resetAt).count();

  // What the application finds: the frames read before, a pool_empty notice, the final Signal.
  Recorder recorder(group);
  EXPECT_TRUE(recorder.until(closedSignal(channel)));
  EXPECT_GE(recorder.count(allOf({withOpCode(OpCode::Signal), withStatus(Status::pool_empty), fromEngine()})),
            1u)
      << recorder.dump();
  std::printf("[ measure  ] %zu KiB written before the channel stopped reading; reset noticed in %lld ms\n",
              written / 1024, static_cast<long long>(noticedMs));
}

}  // namespace
}  // namespace tofu::test
