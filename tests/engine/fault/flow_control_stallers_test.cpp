// Flow control (DECISIONS.md B14): peers that stop in the middle of a frame cannot stop a
// server. A server engine (default options but a receive-progress timeout of 2 s) runs the
// echo application; 20 raw peers each say HelloRequest properly, then send the binary header
// of a Request announcing a 65,535-byte body, and one byte of that body, and stall. Checked:
// a fresh client (a tofu engine: HelloRequest and a Request behind it) is served within 1 s
// while they stall; none of the stalled channels is closed before the timeout; each closes
// after it with communication_failed (its snapshot's close reason; the final Signal reaches
// the application, and the staller sees its connection end); a fresh client is served within
// 1 s after. TCP and UDS. Times scale under sanitizers (timeoutScale()).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "echo_server.h"
#include "engine_harness.h"
#include "flow_harness.h"
#include "raw_peer.h"

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kStallers = 20;
constexpr std::uint64_t kStallerHelloIds = 0x57A1'1000;
constexpr std::uint16_t kAnnouncedBody = 65'535;

milliseconds progressTimeout() { return scaled(milliseconds(2000)); }
milliseconds servedWithin() { return scaled(milliseconds(1000)); }

// The binary header of a Request announcing a 65,535-byte body, then the first body byte.
std::vector<std::uint8_t> stalledFrameStart(std::uint64_t id) {
  std::vector<std::uint8_t> bytes(kBinaryHeaderSize + 1, 'x');
  encodeBinaryHeader(rawHeader(OpCode::Request, 1, id, 0, kAnnouncedBody),
                     std::span<std::uint8_t, kBinaryHeaderSize>(bytes.data(), kBinaryHeaderSize));
  return bytes;
}

class FlowControlStallers : public ::testing::TestWithParam<Transport> {};
INSTANTIATE_TEST_SUITE_P(Transports, FlowControlStallers, kAllTransports, TransportName());

TEST_P(FlowControlStallers, MidFrameStallersDoNotStopTheServerAndCloseAfterTheProgressTimeout) {
  Options options;
  options.receiveProgressTimeoutMs = static_cast<std::uint32_t>(progressTimeout().count());
  EchoServer server(GetParam(), options, OnRefusal::putBack);
  ASSERT_TRUE(server.listening());
  std::vector<std::unique_ptr<RawPeer>> stallers;
  const std::vector<std::uint16_t> channels =
      connectAnnouncedPeers(server, kStallers, kStallerHelloIds, 0, stallers);
  ASSERT_EQ(std::count(channels.begin(), channels.end(), 0), 0);

  for (int i = 0; i < kStallers; ++i) {
    ASSERT_TRUE(stallers[static_cast<std::size_t>(i)]->sendBytes(
        stalledFrameStart(0x57A1'2000 + static_cast<std::uint64_t>(i))))
        << "staller " << i;
  }
  const auto stalledAt = Clock::now();

  EXPECT_TRUE(servesFreshClient(server.address(), servedWithin())) << "while " << kStallers << " peers stall";
  // Still inside the timeout: every stalled channel is open (the timeout is not cut short).
  const bool early = Clock::now() - stalledAt < progressTimeout() - milliseconds(100);
  const auto closedEarly = closeReasons(server.ampe(), channels, milliseconds(0));
  if (early) {
    EXPECT_TRUE(closedEarly.empty()) << closedEarly.size() << " stalled channel(s) closed before "
                                     << progressTimeout().count() << " ms:\n"
                                     << flowDump(server.ampe());
  }

  // Past the timeout every one of them closes, communication_failed.
  const auto bound = progressTimeout() + scaled(milliseconds(2000));
  const auto reasons = closeReasons(server.ampe(), channels, bound);
  const auto tookMs = std::chrono::duration_cast<milliseconds>(Clock::now() - stalledAt).count();
  EXPECT_EQ(reasons.size(), channels.size())
      << "stalled channels still open " << tookMs << " ms after they stalled (receiveProgressTimeoutMs "
      << progressTimeout().count() << "):\n"
      << flowDump(server.ampe());
  for (const auto& [channel, reason] : reasons) {
    EXPECT_EQ(reason, Status::communication_failed)
        << "close reason of stalled channel " << channel << ": " << toString(reason);
  }
  if (reasons.size() == channels.size()) {
    EXPECT_GE(tookMs, progressTimeout().count() - 10) << "closed before the progress timeout";
    int stillConnected = 0;
    for (const auto& staller : stallers)
      stillConnected += staller->waitClosed(scaled(milliseconds(500))) ? 0 : 1;
    EXPECT_EQ(stillConnected, 0) << "stallers whose connection the server did not end";
    EXPECT_TRUE(server.tally().waitTold(channels, defaultTimeout()))
        << "the application did not get Signal(channel_closed) for every stalled channel";
  }

  EXPECT_TRUE(servesFreshClient(server.address(), servedWithin())) << "after the stalled channels closed";
}

}  // namespace
}  // namespace tofu::test
