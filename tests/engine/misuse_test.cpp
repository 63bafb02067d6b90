// Issue 17, "misuse fails loudly": value() on a failed Result aborts with the status on stderr
// instead of handing out a default value, and a second thread calling waitReceive() on a group
// that already has a consumer is refused with not_allowed instead of corrupting the group's
// batch (double free, duplicates, losses).
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "blocked_call.h"
#include "engine_harness.h"

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Result<T>::value()

// The message names the status and says what it means, so the abort explains itself.
constexpr const char* kChannelClosedAbort =
    "tofu: Result::value\\(\\) called on a failed result: channel_closed \\(the channel is closed\\)";

TEST(ResultDeathTest, ValueOfAFailedResultAbortsNamingTheStatus) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const Result<std::uint16_t> failed = Status::channel_closed;
  EXPECT_DEATH((void)failed.value(), kChannelClosedAbort);
}

TEST(ResultDeathTest, EveryFormOfValueAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Result<MessagePtr> failed = Status::channel_closed;
        MessagePtr& message = failed.value();
        (void)message;
      },
      kChannelClosedAbort);
  EXPECT_DEATH(
      {
        Result<std::unique_ptr<Reactor>> failed = Status::shutdown_started;
        std::unique_ptr<Reactor> reactor = std::move(failed).value();
      },
      "failed result: shutdown_started \\(the channel group or engine is being destroyed\\)");
}

TEST(Result, ValueOfASuccessIsTheValue) {
  const Result<std::uint16_t> number = std::uint16_t{513};
  ASSERT_TRUE(number.ok());
  EXPECT_EQ(number.value(), 513);

  Result<MessagePtr> message = Message::create();
  ASSERT_TRUE(message.ok());
  MessagePtr taken = std::move(message).value();
  EXPECT_NE(taken, nullptr);
}

// Success from a status alone is a legitimate "nothing" (get(poolOnly) on an empty pool, a
// waitReceive timeout): its default value is readable.
TEST(Result, SuccessWithoutAValueReadsAsTheDefault) {
  const Result<MessagePtr> nothing = Status::success;
  ASSERT_TRUE(nothing.ok());
  EXPECT_EQ(nothing.value(), nullptr);
}

// A failure built with an explicit value says the value means something despite the status.
TEST(Result, AFailureWithAnExplicitValueKeepsItReadable) {
  const Result<std::uint16_t> partial(Status::notification_failed, std::uint16_t{7});
  EXPECT_FALSE(partial.ok());
  EXPECT_EQ(partial.status(), Status::notification_failed);
  EXPECT_EQ(partial.value(), 7);
}

// ---------------------------------------------------------------------------------------------
// One consumer per group

// A wake-up message carrying `body`, queued with updateReceiver().
Status queueBody(Ampe& ampe, ChannelGroup& group, const std::string& body) {
  MessagePtr message = newMessage(ampe);
  message->body().assign(body);
  return group.updateReceiver(message);
}

// Deterministic: thread 1 sleeps in waitReceive on an empty group; a second call is refused at
// once without taking anything, and thread 1 still gets the next message.
TEST(WaitReceiveMisuse, ASecondConcurrentCallerIsRefusedAndTheFirstIsServed) {
  Engine engine;
  Ampe& ampe = engine.ampe();
  ChannelGroup& group = engine.group();
  BlockedCall first([&group] { return group.waitReceive(kWaitReceiveInfiniteTimeout); });
  ASSERT_TRUE(first.waitUntilBlocked());

  // Without the refusal this call would wait for (or steal) the message thread 1 waits for.
  const std::uint64_t secondTimeoutNs =
      static_cast<std::uint64_t>(std::chrono::nanoseconds(defaultTimeout()).count());
  const Clock::time_point asked = Clock::now();
  const Result<MessagePtr> second = group.waitReceive(secondTimeoutNs);
  const Clock::duration took = Clock::now() - asked;
  EXPECT_EQ(second.status(), Status::not_allowed) << toString(second.status());
  EXPECT_LT(took, defaultTimeout()) << "refused at once, not after the timeout";

  ASSERT_EQ(queueBody(ampe, group, "for the first caller"), Status::success);
  first.returnedAt(defaultTimeout());
  ASSERT_EQ(first.status(), Status::success) << toString(first.status());
  ASSERT_NE(first.message(), nullptr);
  EXPECT_EQ(first.message()->body().view(), "for the first caller");
  EXPECT_EQ(first.message()->status(), Status::receiver_update);

  // The first caller has left: another thread may consume now, and nothing was duplicated.
  const Result<MessagePtr> after = group.waitReceive(0);
  ASSERT_TRUE(after.ok()) << toString(after.status());
  EXPECT_EQ(after.value(), nullptr);
}

// A refused caller leaves nothing behind that would hold up destroy(): the group still closes
// at once and wakes the real consumer with shutdown_started.
TEST(WaitReceiveMisuse, ARefusedCallerDoesNotDelayDestroy) {
  Engine engine;
  ChannelGroup& group = engine.group();
  BlockedCall first([&group] { return group.waitReceive(kWaitReceiveInfiniteTimeout); });
  ASSERT_TRUE(first.waitUntilBlocked());
  EXPECT_EQ(group.waitReceive(0).status(), Status::not_allowed);

  const Clock::time_point destroyed = Clock::now();
  engine.destroy(group);
  EXPECT_LT(first.returnedAt(defaultTimeout()) - destroyed, defaultTimeout());
  EXPECT_EQ(first.status(), Status::shutdown_started) << toString(first.status());
}

// What two consumers of one group received in one round.
struct RoundOutcome {
  int refusedToQueue = 0;  // updateReceiver failures
  int otherFailures = 0;   // waitReceive statuses other than success and not_allowed
  int refusals = 0;        // not_allowed seen by either consumer
  int lost = 0;            // bodies never received
  int duplicated = 0;      // bodies received more than once
  int outOfRange = 0;      // bodies that were never queued
  bool leftOver = false;   // something still queued afterwards
};

// Two threads hammer waitReceive on `group` while this thread queues `messages` distinct bodies
// with updateReceiver(): half before the consumers start, so the first of them takes a large
// batch that both would serve from at once without the refusal, the other half once they are
// busy with it. Bounded by `deadline`.
RoundOutcome runTwoConsumers(Ampe& ampe, ChannelGroup& group, int messages, Clock::time_point deadline) {
  constexpr std::uint64_t kSliceNs = 1'000'000;  // 1 ms: consumers re-check when to stop
  struct Tally {
    std::vector<int> bodies;
    int refused = 0;
    int otherFailures = 0;
  };
  Tally tallies[2];
  std::atomic<int> received{0};
  std::atomic<int> ready{0};
  auto consume = [&](Tally& tally) {
    // Both start together, so that they really overlap on the first batch.
    ready.fetch_add(1);
    while (ready.load() < 2 && Clock::now() < deadline) std::this_thread::yield();
    while (received.load() < messages && Clock::now() < deadline) {
      Result<MessagePtr> got = group.waitReceive(kSliceNs);
      if (got.status() == Status::not_allowed) {
        ++tally.refused;
        std::this_thread::yield();  // let the consumer inside finish
        continue;
      }
      if (!got.ok()) {
        ++tally.otherFailures;
        return;
      }
      MessagePtr message = std::move(got).value();
      if (!message) continue;
      tally.bodies.push_back(std::stoi(std::string(message->body().view())));
      ampe.put(message);
      received.fetch_add(1);
    }
  };

  RoundOutcome outcome;
  const auto queueBodies = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      if (queueBody(ampe, group, std::to_string(i)) != Status::success) ++outcome.refusedToQueue;
    }
  };
  queueBodies(0, messages / 2);
  std::thread one(consume, std::ref(tallies[0]));
  std::thread two(consume, std::ref(tallies[1]));
  while (received.load() < messages / 4 && Clock::now() < deadline) std::this_thread::yield();
  queueBodies(messages / 2, messages);
  one.join();
  two.join();

  std::vector<int> seen(static_cast<std::size_t>(messages), 0);
  for (const Tally& tally : tallies) {
    outcome.otherFailures += tally.otherFailures;
    outcome.refusals += tally.refused;
    for (const int body : tally.bodies) {
      if (body < 0 || body >= messages) {
        ++outcome.outOfRange;
      } else {
        ++seen[static_cast<std::size_t>(body)];
      }
    }
  }
  for (const int times : seen) {
    outcome.lost += times == 0 ? 1 : 0;
    outcome.duplicated += times > 1 ? 1 : 0;
  }
  const Result<MessagePtr> rest = group.waitReceive(0);
  outcome.leftOver = !rest.ok() || rest.value() != nullptr;
  return outcome;
}

// Every body comes out exactly once, whichever consumer takes it. Before the fix the two
// threads shared the unlocked batch and bodies were lost, duplicated or freed twice (a crash
// or a hang in some rounds, so several rounds make the old code fail almost surely).
TEST(WaitReceiveMisuse, TwoConcurrentConsumersReceiveEveryMessageExactlyOnce) {
  constexpr int kRounds = 10;
  constexpr int kMessages = 20'000;
  Engine engine;
  Ampe& ampe = engine.ampe();
  int refusals = 0;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    ChannelGroup& group = engine.group();
    const RoundOutcome outcome = runTwoConsumers(ampe, group, kMessages, Clock::now() + defaultTimeout());
    engine.destroy(group);
    ASSERT_EQ(outcome.refusedToQueue, 0) << "updateReceiver refused messages";
    EXPECT_EQ(outcome.otherFailures, 0) << "waitReceive failed other than with not_allowed";
    EXPECT_EQ(outcome.outOfRange, 0) << "bodies that were never queued";
    EXPECT_EQ(outcome.lost, 0) << "messages never received";
    EXPECT_EQ(outcome.duplicated, 0) << "messages received more than once";
    EXPECT_FALSE(outcome.leftOver) << "something was left in the group";
    if (::testing::Test::HasFailure()) break;
    refusals += outcome.refusals;
  }
  // Whether the two ever overlapped depends on scheduling; the deterministic test above makes
  // sure a concurrent caller is refused.
  std::printf("not_allowed seen %d times over %d rounds\n", refusals, kRounds);
}

}  // namespace
}  // namespace tofu::test
