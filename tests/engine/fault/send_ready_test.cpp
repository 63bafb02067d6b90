// Fault injection: a peer that stops reading, seen by a sender (B16, issue 19). Once
// enqueueToPeer() has refused a message with notification_failed, the engine tells the group
// once, with a send-ready Signal, when the channel's send queue has drained to half the limit;
// never when nothing was refused, never after the channel closed, and at most one unread at a
// time per channel.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "raw_peer.h"

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;

// A client channel to a raw peer with a small receive buffer that reads only when told to.
class SendReady : public ::testing::TestWithParam<Transport> {
 protected:
  SendReady()
      : engine_(limitedOptions()), group_(engine_.group()), server_(GetParam(), kSmallReceiveBuffer) {}

  void SetUp() override {
    ASSERT_TRUE(server_.valid());
    hello_ = postHello(engine_.ampe(), group_, server_.address());
    ASSERT_NE(hello_.channelNumber, 0u);
    peer_ = server_.accept();
    ASSERT_NE(peer_, nullptr);
    pinEngineSendBuffer(*peer_);  // TCP: or the kernel's growing send buffer takes the frames
    ++framesSent_;                // the HelloRequest
  }

  std::uint16_t channel() const noexcept { return hello_.channelNumber; }

  enum class Strays { take, leave };

  // Posts until the queue refuses and stays full (the peer reads nothing), then has
  // kRefusals more posts refused: one episode, many refusals, and no notice yet.
  // A notice can rightly come without the peer reading: the poster may outrun the I/O
  // thread (a refusal before the socket is full, then the queue drains), and a loaded machine
  // may not run that thread for the whole of fillSendQueue()'s stall window. With
  // Strays::take such notices are taken and the fill starts over until an episode stays
  // open; with Strays::leave (a notice is already waiting unread) the fill is done once.
  void fillAndPress(Strays strays = Strays::take) {
    constexpr int kRefusals = 1000;
    constexpr int kAttempts = 10;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
      const FillResult fill = fillSendQueue(engine_.ampe(), group_, channel(), kFillBodyBytes);
      ASSERT_TRUE(fill.full);
      framesSent_ += fill.ids.size();
      if (strays == Strays::take) takeSendReadyNotices(engine_.ampe(), group_, channel());
      MessagePtr pressed = request(engine_.ampe(), channel(), std::string(kFillBodyBytes, 'r'));
      for (int refusals = 0; refusals < kRefusals;) {
        const Status status = group_.enqueueToPeer(pressed).status();
        if (status == Status::success) {  // the I/O thread caught up a little
          ++framesSent_;
          pressed = request(engine_.ampe(), channel(), std::string(kFillBodyBytes, 'r'));
          continue;
        }
        ASSERT_EQ(status, Status::notification_failed);
        ++refusals;
      }
      engine_.ampe().put(pressed);
      if (strays == Strays::leave || takeSendReadyNotices(engine_.ampe(), group_, channel()) == 0) return;
    }
    FAIL() << "a send-ready notice came without the peer reading, " << kAttempts << " times in a row";
  }

  // The peer reads every frame posted so far.
  void peerReadsAll() {
    RawFrame frame;
    while (framesRead_ < framesSent_) {
      ASSERT_EQ(peer_->readFrame(frame), ReadEnd::frame)
          << framesRead_ << " of " << framesSent_ << " frames read";
      ++framesRead_;
    }
  }

  // Waits (bounded) until the group has `depth` messages queued, without taking them.
  void awaitQueued(std::size_t depth) {
    const auto deadline = Clock::now() + defaultTimeout();
    std::size_t queued = 0;
    while (Clock::now() < deadline) {
      const Result<EngineSnapshot> snapshot = engine_.ampe().snapshot();
      ASSERT_TRUE(snapshot.ok());
      queued = snapshot.value().groups.empty() ? 0 : snapshot.value().groups.front().receiveQueueDepth;
      if (queued >= depth) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    FAIL() << "the group has " << queued << " messages queued, expected " << depth;
  }

  void expectSendReady(const MessagePtr& notice) {
    ASSERT_NE(notice, nullptr);
    EXPECT_TRUE(isSendReady(*notice)) << describe(notice);
    expectNotification(notice, OpCode::Signal, Status::success, channel(), 0);
    EXPECT_EQ(notice->headers().find(kEventHeader), std::optional<std::string_view>(kSendReadyEvent));
    EXPECT_EQ(notice->body().size(), 0u);
  }

  Engine engine_;
  ChannelGroup& group_;
  RawServer server_;
  BinaryHeader hello_;
  std::unique_ptr<RawPeer> peer_;
  std::uint64_t framesSent_ = 0;
  std::uint64_t framesRead_ = 0;
};
INSTANTIATE_TEST_SUITE_P(Transports, SendReady, kAllTransports, TransportName());

TEST_P(SendReady, OneNoticeOnceThePeerReadsThenPostingSucceeds) {
  const std::uint64_t returnedBefore = engine_.ampe().counters().messagesReturned;
  ASSERT_NO_FATAL_FAILURE(fillAndPress());  // refused, and no notice while nothing drains

  peerReadsAll();
  expectSendReady(receive(group_));
  expectNothing(group_);  // one per episode, not one per refusal or per write

  MessagePtr more = request(engine_.ampe(), channel(), "after the notice");
  const std::uint64_t id = post(group_, std::move(more)).messageId;
  ASSERT_NE(id, 0u);
  ++framesSent_;
  RawFrame frame;
  for (; framesRead_ < framesSent_; ++framesRead_) ASSERT_EQ(peer_->readFrame(frame), ReadEnd::frame);
  EXPECT_EQ(frame.header.messageId, id);
  EXPECT_EQ(frame.body, "after the notice");
  EXPECT_EQ(engine_.ampe().counters().messagesReturned, returnedBefore)
      << "a notice is not a returned message";
}

TEST_P(SendReady, NoNoticeWhenNothingWasRefused) {
  // Ten times the limit in all, one message at a time: the queue fills and drains, never
  // refusing (the previous frame may still be charged for a moment after the peer read it:
  // two of these stay under the 64 KiB limit).
  constexpr int kMessages = 40;
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_NE(
        post(group_, request(engine_.ampe(), channel(), std::string(kFillBodyBytes, 'n'))).channelNumber, 0u);
    ++framesSent_;
    peerReadsAll();
  }
  expectNothing(group_);
}

// The closing channel hands its queue back (B1) with `reason`, then Signal(channel_closed);
// nothing says it could take more, then or later.
void expectClosedWithoutNotice(ChannelGroup& group, std::uint16_t channel, Status reason) {
  MessagePtr closed;
  const std::vector<MessagePtr> before = receiveUntilClosed(group, channel, &closed);
  ASSERT_NE(closed, nullptr);
  EXPECT_FALSE(before.empty()) << "the queued frames come back";
  for (const MessagePtr& message : before) {
    EXPECT_FALSE(isSendReady(*message)) << describe(message);
    EXPECT_EQ(message->status(), reason) << describe(message);
  }
  expectNothing(group);
}

TEST_P(SendReady, NoNoticeWhenTheChannelIsAbortedWhileRefusing) {
  ASSERT_NO_FATAL_FAILURE(fillAndPress());
  ASSERT_NE(post(group_, byeSignal(engine_.ampe(), channel())).channelNumber, 0u);  // B13: never refused
  expectClosedWithoutNotice(group_, channel(), Status::channel_closed);
  EXPECT_TRUE(peer_->waitClosed());
  expectNothing(group_);
}

TEST_P(SendReady, NoNoticeWhenThePeerResetsWhileRefusing) {
  ASSERT_NO_FATAL_FAILURE(fillAndPress());
  peer_->abort();
  expectClosedWithoutNotice(group_, channel(), Status::peer_disconnected);
}

TEST_P(SendReady, RefusalsWhileTheNoticeIsUnreadStartNoNewEpisode) {
  ASSERT_NO_FATAL_FAILURE(fillAndPress());
  peerReadsAll();
  awaitQueued(1);  // the notice waits unread

  ASSERT_NO_FATAL_FAILURE(fillAndPress(Strays::leave));  // refused again, the notice still unread
  peerReadsAll();
  expectSendReady(receive(group_));
  expectNothing(group_);  // no second notice piled up behind the unread one

  ASSERT_NO_FATAL_FAILURE(fillAndPress());  // the notice was read: a new episode
  peerReadsAll();
  expectSendReady(receive(group_));
  expectNothing(group_);
}

}  // namespace
}  // namespace tofu::test
