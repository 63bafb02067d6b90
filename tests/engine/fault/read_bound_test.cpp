// Fault injection: one peer floods a server whose application holds every message (B5). A
// channel reads no more than its spare pool messages can take, plus at most one short read
// (4 KiB) set aside when it starves: the rest stays in the socket, pushing back on the peer,
// instead of being read and set aside (ReceiveFlow::readLimit). Once the application gives the
// messages back, every Signal arrives, once and in order. TCP only: there the engine's unread
// bytes can be counted exactly (FIONREAD on its socket); the read limit does not depend on the
// transport.
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "raw_peer.h"

namespace tofu::test {
namespace {

constexpr int kPoolMessages = 64;
constexpr int kSignals = 1000;
constexpr std::size_t kBodyBytes = 64;
constexpr std::size_t kFrameBytes = kBinaryHeaderSize + kBodyBytes;
// What a starving channel may have read beyond the frames it decoded.
constexpr std::size_t kShortReadBytes = 4 * 1024;

// Signals with ids 1..kSignals and kBodyBytes bodies, back to back.
std::vector<std::uint8_t> signalFrames() {
  auto frame = Message::create();
  std::vector<std::uint8_t> bytes;
  for (std::uint64_t id = 1; id <= kSignals; ++id) {
    frame->header() = rawHeader(OpCode::Signal, 1, id, 0, static_cast<std::uint16_t>(kBodyBytes));
    frame->body().assign(std::string(kBodyBytes, static_cast<char>('a' + id % 26)));
    const std::vector<std::uint8_t> one = frameBytes(*frame);
    bytes.insert(bytes.end(), one.begin(), one.end());
  }
  EXPECT_EQ(bytes.size(), kSignals * kFrameBytes);
  return bytes;
}

TEST(FaultReadBound, AStarvingChannelLeavesWhatThePoolCannotTakeInTheSocket) {
  Engine server(fixedPoolOptions(kPoolMessages));
  ChannelGroup& group = server.group();
  const Listening listening = listen(server.ampe(), group, listenAddress(Transport::tcp));
  ASSERT_NE(listening.channel, 0u);
  auto peer = RawPeer::connectTo(listening.bound);
  ASSERT_NE(peer, nullptr);
  ASSERT_TRUE(sayHello(*peer, server.ampe(), 1, 1));
  std::vector<MessagePtr> held;  // nothing goes back to the pool until the count below
  MessagePtr hello = receive(group);
  ASSERT_NE(hello, nullptr);
  ASSERT_EQ(hello->opCode(), OpCode::HelloRequest) << describe(hello);
  hello->setOpCode(OpCode::HelloResponse);  // B15: the Signals are held until it is answered
  post(group, std::move(hello));

  const std::vector<std::uint8_t> signals = signalFrames();
  ASSERT_TRUE(peer->sendBytes(signals));
  std::size_t decoded = 0;
  for (;;) {
    auto got = receive(group);
    ASSERT_NE(got, nullptr) << decoded << " Signals and no pool_empty";
    const bool poolEmpty = got->isFromEngine() && got->status() == Status::pool_empty;
    if (!poolEmpty) {
      EXPECT_EQ(got->messageId(), ++decoded) << describe(got);
    }
    held.push_back(std::move(got));
    if (poolEmpty) break;
  }
  ASSERT_LT(decoded, static_cast<std::size_t>(kSignals)) << "the pool should have run dry first";
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a channel that read on would show
  const int unread = unreadBytes(Transport::tcp, *peer);
  ASSERT_GE(unread, 0) << "cannot see the engine's socket";
  const std::size_t read = signals.size() - static_cast<std::size_t>(unread);
  EXPECT_LE(read, decoded * kFrameBytes + kShortReadBytes)
      << "the channel read " << read << " bytes for " << decoded << " frames it could decode";

  for (MessagePtr& message : held) server.ampe().put(message);
  std::uint64_t expectedId = decoded + 1;
  while (expectedId <= kSignals) {
    auto got = receive(group);
    ASSERT_NE(got, nullptr) << "Signal " << expectedId << " never arrived";
    if (got->opCode() == OpCode::Signal && !got->isFromEngine()) {
      ASSERT_EQ(got->messageId(), expectedId) << describe(got);
      EXPECT_EQ(got->body().size(), kBodyBytes);
      ++expectedId;
    }
    server.ampe().put(got);
  }
}

}  // namespace
}  // namespace tofu::test
