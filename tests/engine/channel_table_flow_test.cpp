// ChannelTable's send flow (B16): a refusal marks the channel, the loop takes the mark once
// the queue holds at most half the limit, and no new episode starts while the notice is
// unread. The interleavings the engine cannot be made to show on demand are driven here.
#include "core/channel_table.h"

#include <cstdint>

#include <gtest/gtest.h>

namespace tofu::detail {
namespace {

constexpr std::size_t kLimit = 1000;

class ChannelTableFlow : public ::testing::Test {
 protected:
  ChannelTableFlow() : table_(kLimit, 0) {
    const Result<std::uint16_t> allocated = table_.allocate(owner());
    number_ = allocated.ok() ? allocated.value() : 0;
  }

  // Only compared, never dereferenced.
  GroupImpl* owner() { return reinterpret_cast<GroupImpl*>(&ownerTag_); }

  // Queues `bytes`, then has one post refused; returns whether that refusal began an episode.
  bool fillAndRefuse(std::uint32_t bytes) {
    EXPECT_EQ(table_.charge(number_, owner(), bytes), Status::success);
    EXPECT_EQ(table_.charge(number_, owner(), 100), Status::notification_failed);
    return table_.markRefused(number_);
  }

  ChannelTable table_;
  int ownerTag_ = 0;
  std::uint16_t number_ = 0;
};

TEST_F(ChannelTableFlow, NothingRefusedNothingToTell) {
  ASSERT_NE(number_, 0u);
  ASSERT_EQ(table_.charge(number_, owner(), 900), Status::success);
  table_.uncharge(number_, 900);
  EXPECT_FALSE(table_.takeSendReady(number_));
}

TEST_F(ChannelTableFlow, OneEpisodeEndsAtHalfTheLimit) {
  EXPECT_TRUE(fillAndRefuse(950));
  EXPECT_FALSE(table_.markRefused(number_)) << "later refusals continue the episode";
  EXPECT_FALSE(table_.takeSendReady(number_)) << "still over half the limit";
  table_.uncharge(number_, 449);  // 501 queued
  EXPECT_FALSE(table_.takeSendReady(number_));
  table_.uncharge(number_, 1);  // 500 queued: half
  EXPECT_TRUE(table_.takeSendReady(number_));
  EXPECT_FALSE(table_.takeSendReady(number_)) << "once per episode";
}

TEST_F(ChannelTableFlow, AMarkSetAfterTheQueueDrainedIsStillTaken) {
  // The poster saw the queue full; the loop drained it before the mark was set. The loop's
  // look after the mark (ChannelRegistry::onSendRefused) must still find it.
  ASSERT_EQ(table_.charge(number_, owner(), 950), Status::success);
  ASSERT_EQ(table_.charge(number_, owner(), 100), Status::notification_failed);
  table_.uncharge(number_, 950);
  EXPECT_FALSE(table_.takeSendReady(number_)) << "nothing marked yet";
  EXPECT_TRUE(table_.markRefused(number_));
  EXPECT_TRUE(table_.takeSendReady(number_));
}

TEST_F(ChannelTableFlow, NoNewEpisodeWhileTheNoticeIsUnread) {
  EXPECT_TRUE(fillAndRefuse(950));
  table_.uncharge(number_, 950);
  ASSERT_TRUE(table_.takeSendReady(number_));

  EXPECT_FALSE(fillAndRefuse(950)) << "the unread notice covers this refusal";
  table_.uncharge(number_, 950);
  EXPECT_FALSE(table_.takeSendReady(number_));

  table_.sendReadyTaken(number_);
  EXPECT_TRUE(fillAndRefuse(950)) << "read: a new episode";
  table_.uncharge(number_, 950);
  EXPECT_TRUE(table_.takeSendReady(number_));
}

TEST_F(ChannelTableFlow, ALateReadOfAnOldNoticeKeepsANewMark) {
  // A notice read after its channel's number was reused must not clear the new channel's mark.
  EXPECT_TRUE(fillAndRefuse(950));
  table_.sendReadyTaken(number_);  // no notice is unread: a stray read
  table_.uncharge(number_, 950);
  EXPECT_TRUE(table_.takeSendReady(number_));
}

}  // namespace
}  // namespace tofu::detail
