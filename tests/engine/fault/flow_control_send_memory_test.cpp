// Flow control (DECISIONS.md B6, B14): a peer that never reads holds at most about the send
// queue limit of the server's memory, however small its frames. The limit counts each queued
// message's real memory (the Message and its text-header and body buffers), not its frame
// bytes: counted in frame bytes, a 4 MiB limit would let 131,072 tiny answers (over 80 MiB of
// messages) pile up. A raw peer with a 4 KiB SO_RCVBUF says Hello, then sends Requests with
// 16-byte bodies and never reads; the server engine (send queue limit 4 MiB, receive budget
// 256 KiB, so that what it may legitimately hold on the receiving side is small) runs the
// echo application, which answers each Request and puts back what the full queue refuses.
// Checked: the server reads every Request; its queue filled (answers were refused); the
// channel's queued bytes (snapshot) stay within the limit; the heap grows by at most 1.25x the
// limit. The heap is measured exactly, in every build, by counting operator new and delete
// (counting_new.h): resident memory also moves with the allocator's caching, and under ASan
// with its quarantine. RSS is printed for information. Then a fresh client is served within
// 1 s, and the channel itself is still served: the peer reads its answers (in order, intact)
// and one more Request gets its Response.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "counting_new.h"
#include "echo_server.h"
#include "engine_harness.h"
#include "flow_harness.h"
#include "os_probes.h"
#include "raw_peer.h"

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kLimit = 4u * 1024u * 1024u;
constexpr std::size_t kBudget = 256u * 1024u;
// One message over the limit at most: a message is accepted while the queue is under it.
constexpr std::size_t kOneMessage = 4096;
constexpr std::string_view kBody = "sixteen bytes!!!";
constexpr std::size_t kBatch = 1024;
constexpr std::uint64_t kHelloId = 0x7E11'0000;
constexpr std::uint64_t kFirstId = 0x7E11'1000;

std::uint64_t frameCount() { return perBuild(300'000, 40'000, 30'000); }

// kBatch tiny Request frames back to back, renumbered in place (no allocation while measuring).
class TinyBatch {
 public:
  TinyBatch() {
    auto message = Message::create();
    message->setChannelNumber(1);
    message->body().assign(kBody);
    frame_ = frameBytes(*message).size();
    for (std::size_t i = 0; i < kBatch; ++i) {
      const std::vector<std::uint8_t> bytes = frameBytes(*message);
      bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
    }
  }
  const std::vector<std::uint8_t>& numbered(std::uint64_t first) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      encodeBinaryHeader(
          rawHeader(OpCode::Request, 1, first + i, 0, static_cast<std::uint16_t>(kBody.size())),
          std::span<std::uint8_t, kBinaryHeaderSize>(bytes_.data() + i * frame_, kBinaryHeaderSize));
    }
    return bytes_;
  }

 private:
  std::size_t frame_ = 0;
  std::vector<std::uint8_t> bytes_;
};

const ChannelInfo* findChannel(const EngineSnapshot& snapshot, std::uint16_t channel) {
  for (const ChannelInfo& info : snapshot.channels) {
    if (info.channelNumber == channel) return &info;
  }
  return nullptr;
}

// The peer reads its answers until none comes for a while: Responses to its Requests, in
// order, intact. Returns how many; `lastId` is the id of the last one.
std::size_t readAnswers(RawPeer& peer, std::uint64_t& lastId) {
  std::size_t answers = 0;
  RawFrame frame;
  while (peer.readFrame(frame, scaled(milliseconds(300))) == ReadEnd::frame) {
    if (frame.header.proto.opCode == OpCode::HelloResponse && answers == 0 && lastId == 0) continue;
    if (frame.header.proto.opCode != OpCode::Response || frame.header.messageId <= lastId ||
        frame.body != kBody) {
      ADD_FAILURE() << "answer #" << answers << " after id " << lastId << ": "
                    << toString(frame.header.proto.opCode) << " id " << frame.header.messageId << " body '"
                    << frame.body << "'";
      break;
    }
    lastId = frame.header.messageId;
    ++answers;
  }
  return answers;
}

class FlowControlSendMemory : public ::testing::TestWithParam<Transport> {};
INSTANTIATE_TEST_SUITE_P(Transports, FlowControlSendMemory, kAllTransports, TransportName());

TEST_P(FlowControlSendMemory, PeerThatNeverReadsHoldsAtMostTheLimitHoweverSmallItsFrames) {
  Options options;
  options.sendQueueLimitBytes = kLimit;
  options.receiveBudgetBytes = kBudget;
  EchoServer server(GetParam(), options, OnRefusal::putBack);
  ASSERT_TRUE(server.listening());
  std::vector<std::unique_ptr<RawPeer>> peers;
  const std::uint16_t channel = connectAnnouncedPeers(server, 1, kHelloId, kSmallReceiveBuffer, peers).at(0);
  ASSERT_NE(channel, 0u);
  RawPeer& peer = *peers[0];
  pinEngineSendBuffer(peer);  // TCP: or the kernel's growing send buffer takes the answers instead
  TinyBatch batch;

  const std::int64_t heapBefore = heap::liveBytes();
  heap::resetPeak();
  const std::size_t rssBefore = residentBytes();
  std::size_t rssPeak = rssBefore;
  std::uint64_t sent = 0;
  while (sent < frameCount() && peer.sendBytes(batch.numbered(kFirstId + sent))) {
    sent += kBatch;
    rssPeak = std::max(rssPeak, residentBytes());
  }
  const auto deadline = Clock::now() + defaultTimeout();
  while (server.tally().requests.load() < sent && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  const std::int64_t heapGrowth = heap::peakBytes() - heapBefore;
  ASSERT_GE(sent, frameCount()) << "the server stopped reading the peer after " << sent << " frames:\n"
                                << flowDump(server.ampe());
  EXPECT_EQ(server.tally().requests.load(), sent) << "the server did not read every Request";
  EXPECT_GT(server.tally().putBack.load(), 0u) << "the send queue never filled: the limit was not reached";

  auto snapshot = server.ampe().snapshot();
  ASSERT_TRUE(snapshot.ok());
  const ChannelInfo* info = findChannel(snapshot.value(), channel);
  ASSERT_NE(info, nullptr);
  // The engine's own accounting: its queued bytes, and its queued messages at the least memory
  // each one holds (a pool message keeps kInitialCapacity for text headers and for body).
  EXPECT_LE(info->sendQueueBytes, kLimit + kOneMessage) << "the engine's own count of the queue";
  EXPECT_LE(info->sendQueueMessages * (sizeof(Message) + 2 * Message::kInitialCapacity), kLimit + kOneMessage)
      << info->sendQueueMessages << " answers queued: more than the limit's worth of messages";
  EXPECT_LE(heapGrowth, static_cast<std::int64_t>(kLimit * 5 / 4))
      << "the heap grew by " << heapGrowth / 1024 << " KiB for a send queue limit of " << kLimit / 1024
      << " KiB; " << info->sendQueueMessages << " answers queued";
  std::printf(
      "[ measure  ] %llu frames sent, %llu answers refused; queue %llu msgs / %llu KiB; heap +%lld KiB, "
      "RSS +%zu KiB (%s)\n",
      static_cast<unsigned long long>(sent), static_cast<unsigned long long>(server.tally().putBack.load()),
      static_cast<unsigned long long>(info->sendQueueMessages),
      static_cast<unsigned long long>(info->sendQueueBytes / 1024), static_cast<long long>(heapGrowth / 1024),
      (rssPeak - rssBefore) / 1024, toString(activeSanitizer()));

  EXPECT_TRUE(servesFreshClient(server.address(), scaled(milliseconds(1000)))) << "while the queue is full";

  // The channel is still served: its answers arrive, then one more Request is answered.
  std::uint64_t lastId = 0;
  const std::size_t answers = readAnswers(peer, lastId);
  EXPECT_GT(answers, 0u);
  EXPECT_LT(lastId, kFirstId + sent);
  const std::uint64_t finalId = kFirstId + sent;
  auto last = request(server.ampe(), 1, kBody, OpCode::Request, finalId);
  ASSERT_TRUE(peer.sendFrame(*last));
  server.ampe().put(last);
  EXPECT_EQ(readAnswers(peer, lastId), 1u);
  EXPECT_EQ(lastId, finalId) << "the last Request was not answered";
}

}  // namespace
}  // namespace tofu::test
