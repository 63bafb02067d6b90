// Conformance, part 2 (our improvements): channel numbers, DECISIONS.md B4. A released number
// is not handed out again within 1024 releases, and running out of numbers is an immediate
// error that a release clears. How a closing channel releases its number is in
// conformance_better_close_test.cpp.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "raw_peer.h"

namespace tofu::test {
namespace {

TEST(BetterNumbers, B4_ReleasedNumbersAreNotReusedWithin1024Releases) {
  Engine engine(roomyOptions());
  ChannelGroup& group = engine.group();
  constexpr std::size_t kCycles = 1100;
  constexpr std::size_t kQuarantine = 1024;
  std::deque<std::uint16_t> released;
  std::unordered_set<std::uint16_t> quarantined;
  for (std::size_t cycle = 0; cycle < kCycles; ++cycle) {
    const Listening listening = listen(engine.ampe(), group, Address::tcp("127.0.0.1", 0));
    const std::uint16_t channel = listening.channel;
    ASSERT_NE(channel, 0u) << "cycle " << cycle;
    ASSERT_NE(channel, 65535u);
    ASSERT_EQ(quarantined.count(channel), 0u)
        << "cycle " << cycle << ": number " << channel << " reused within " << kQuarantine << " releases";
    post(group, byeSignal(engine.ampe(), channel));
    auto echoed = receive(group);
    ASSERT_TRUE(echoed && echoed->opCode() == OpCode::ByeSignal && echoed->status() == Status::channel_closed)
        << describe(echoed);
    auto closed = receive(group);
    ASSERT_TRUE(closed && closedSignal(channel)(*closed)) << describe(closed);
    released.push_back(channel);
    quarantined.insert(channel);
    if (released.size() > kQuarantine) {
      quarantined.erase(released.front());
      released.pop_front();
    }
  }
}

// Running out of channels is an error returned at once, never a hang (B4); Options::maxChannels
// makes the limit reachable in a test.
TEST(BetterNumbers, B4_RunningOutOfChannelsIsAnError) {
  Options options = roomyOptions();
  options.maxChannels = 3;
  Engine engine(options);
  ChannelGroup& group = engine.group();
  std::vector<std::uint16_t> listeners;
  for (int i = 0; i < 3; ++i) {
    listeners.push_back(listen(engine.ampe(), group, Address::tcp("127.0.0.1", 0)).channel);
    ASSERT_NE(listeners.back(), 0u);
  }
  auto extra = welcomeRequest(engine.ampe(), Address::tcp("127.0.0.1", 0));
  auto refused = group.enqueueToPeer(extra);
  EXPECT_EQ(refused.status(), Status::allocation_failed);
  ASSERT_NE(extra, nullptr) << "the caller keeps the refused message";
  // A channel closes, its number is released, and there is room again.
  post(group, byeSignal(engine.ampe(), listeners.front()));
  auto echoed = receive(group);
  EXPECT_TRUE(echoed && echoed->opCode() == OpCode::ByeSignal) << describe(echoed);
  auto closed = receive(group);
  ASSERT_TRUE(closed && closedSignal(listeners.front())(*closed)) << describe(closed);
  auto accepted = group.enqueueToPeer(extra);
  EXPECT_TRUE(accepted.ok()) << toString(accepted.status());
  auto reply = receive(group);
  EXPECT_TRUE(reply && reply->opCode() == OpCode::WelcomeResponse && reply->status() == Status::success)
      << describe(reply);
  engine.ampe().put(extra);
}

}  // namespace
}  // namespace tofu::test
