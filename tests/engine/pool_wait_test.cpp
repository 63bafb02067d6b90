// Ampe::waitGet: a producer waits for a pool message instead of allocating or spinning. It
// returns an idle message at once, sleeps while the pool is empty until one is put back (the
// application's put or the I/O thread's, after a write), times out with no message, and is
// woken with shutdown_started when the engine goes away.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "blocked_call.h"
#include "engine_harness.h"
#include "raw_peer.h"

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;

// Far longer than any test: a call that returns did so because it was woken.
constexpr std::uint64_t kLongWaitNs = std::uint64_t{600} * 1'000'000'000;

// One pool message, with or without polling before sleeping.
Options onePoolMessage(std::uint32_t spinMicros) {
  Options options = poolOptions(1, 1);
  options.spinMicros = spinMicros;
  return options;
}

// The pool's only message, taken so that the pool is empty.
MessagePtr takeTheOnlyMessage(Ampe& ampe) {
  auto got = ampe.get(AllocationStrategy::poolOnly);
  EXPECT_TRUE(got.ok() && got.value() != nullptr) << "pool {1,1} starts with one message";
  auto none = ampe.get(AllocationStrategy::poolOnly);
  EXPECT_EQ(none.value(), nullptr) << "the pool is now empty";
  return std::move(got).value();
}

class PoolWait : public ::testing::TestWithParam<std::uint32_t> {};
INSTANTIATE_TEST_SUITE_P(Spin, PoolWait, ::testing::Values(0u, 50u), [](const auto& spin) {
  return "spin" + std::to_string(spin.param) + "us";
});

TEST_P(PoolWait, AnIdleMessageIsReturnedAtOnce) {
  Engine engine(onePoolMessage(GetParam()));
  auto got = engine.ampe().waitGet(kLongWaitNs);
  ASSERT_TRUE(got.ok()) << toString(got.status());
  ASSERT_NE(got.value(), nullptr);
  EXPECT_EQ(engine.ampe().get(AllocationStrategy::poolOnly).value(), nullptr) << "it was the pool's one message";
}

TEST_P(PoolWait, AnEmptyPoolTimesOutWithNoMessage) {
  Engine engine(onePoolMessage(GetParam()));
  const MessagePtr held = takeTheOnlyMessage(engine.ampe());
  constexpr std::uint64_t kTimeoutNs = 50'000'000;
  const auto start = Clock::now();
  auto got = engine.ampe().waitGet(kTimeoutNs);
  EXPECT_GE(Clock::now() - start, std::chrono::nanoseconds(kTimeoutNs));
  ASSERT_TRUE(got.ok()) << toString(got.status());
  EXPECT_EQ(got.value(), nullptr);
}

TEST_P(PoolWait, ASleepingCallerGetsTheMessagePutBack) {
  Engine engine(onePoolMessage(GetParam()));
  Ampe& ampe = engine.ampe();
  MessagePtr held = takeTheOnlyMessage(ampe);
  const Message* const expected = held.get();
  BlockedCall waiter([&ampe] { return ampe.waitGet(kLongWaitNs); });
  ASSERT_TRUE(waiter.waitUntilBlocked());
  ampe.put(held);
  waiter.returnedAt(defaultTimeout());
  EXPECT_EQ(waiter.status(), Status::success);
  EXPECT_EQ(waiter.message().get(), expected);
}

// The I/O thread puts a message back once it is written: that wakes the waiter too.
TEST_P(PoolWait, ASleepingCallerGetsTheMessageTheEngineWrote) {
  RawServer peer(Transport::tcp);
  ASSERT_TRUE(peer.valid());
  Engine engine(onePoolMessage(GetParam()));
  Ampe& ampe = engine.ampe();
  ChannelGroup& group = engine.group();
  const BinaryHeader hello = postHello(ampe, group, peer.address());
  ASSERT_NE(hello.channelNumber, 0);
  auto socket = peer.accept();
  ASSERT_NE(socket, nullptr);
  ASSERT_TRUE(socket->readFrameBytes()) << "the HelloRequest";
  // The pool's one message, back from carrying the HelloRequest.
  auto back = ampe.waitGet(kLongWaitNs);
  ASSERT_TRUE(back.ok() && back.value() != nullptr);
  MessagePtr signal = std::move(back).value();
  const Message* const expected = signal.get();

  BlockedCall waiter([&ampe] { return ampe.waitGet(kLongWaitNs); });
  ASSERT_TRUE(waiter.waitUntilBlocked());
  signal->setOpCode(OpCode::Signal);
  signal->setChannelNumber(hello.channelNumber);
  ASSERT_TRUE(group.enqueueToPeer(signal).ok());
  ASSERT_TRUE(socket->readFrameBytes()) << "the Signal";
  waiter.returnedAt(defaultTimeout());
  EXPECT_EQ(waiter.status(), Status::success);
  EXPECT_EQ(waiter.message().get(), expected) << "the written Signal, back in the pool";
}

TEST_P(PoolWait, DestroyingTheEngineWakesASleepingCallerWithShutdownStarted) {
  auto engine = std::make_unique<Engine>(onePoolMessage(GetParam()));
  Ampe& ampe = engine->ampe();
  const MessagePtr held = takeTheOnlyMessage(ampe);
  BlockedCall waiter([&ampe] { return ampe.waitGet(kLongWaitNs); });
  ASSERT_TRUE(waiter.waitUntilBlocked());
  engine.reset();
  waiter.returnedAt(defaultTimeout());
  EXPECT_EQ(waiter.status(), Status::shutdown_started);
  EXPECT_EQ(waiter.message(), nullptr);
}

}  // namespace
}  // namespace tofu::test
