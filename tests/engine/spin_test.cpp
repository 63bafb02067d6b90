// Options::spinMicros: the I/O thread and waitReceive() poll before sleeping, and that never
// delays what a call promises. Each test sets a spin far longer than the bound it checks, so
// a spin that ignored timeouts, timers, arriving messages or a closing group would fail it.
#include <chrono>
#include <cstdint>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "blocked_call.h"
#include "engine_harness.h"
#include "raw_peer.h"

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::uint32_t kLongSpinMicros = 10'000'000;  // 10 s: longer than any bound below

Options longSpin() {
  Options options;
  options.spinMicros = kLongSpinMicros;
  return options;
}

std::uint64_t nanoseconds(milliseconds duration) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count());
}

// A thread waiting on `group` without a timeout.
BlockedCall receiver(ChannelGroup& group) {
  return BlockedCall([&group] { return group.waitReceive(kWaitReceiveInfiniteTimeout); });
}

TEST(Spin, ATimeoutShorterThanTheSpinIsKept) {
  Engine engine(longSpin());
  ChannelGroup& group = engine.group();
  const auto start = Clock::now();
  auto got = group.waitReceive(nanoseconds(milliseconds(20)));
  const auto waited = Clock::now() - start;
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got.value(), nullptr);
  EXPECT_GE(waited, milliseconds(20));
  EXPECT_LT(waited, scaled(milliseconds(2000))) << "the spin outlasted the timeout";
}

TEST(Spin, AMessageArrivingDuringTheSpinIsTakenAtOnce) {
  Engine engine(longSpin());
  ChannelGroup& group = engine.group();
  BlockedCall consumer = receiver(group);
  EXPECT_TRUE(consumer.waitUntilSpinning());  // not ASSERT: what follows ends the call
  const auto start = Clock::now();
  ASSERT_EQ(group.updateReceiver(), Status::success);
  EXPECT_LT(consumer.returnedAt(scaled(milliseconds(5000))) - start, scaled(milliseconds(2000)));
  EXPECT_EQ(consumer.status(), Status::success);
  ASSERT_NE(consumer.message(), nullptr);
  EXPECT_EQ(consumer.message()->status(), Status::receiver_update);
}

TEST(Spin, DestroyingTheGroupEndsTheSpinWithShutdownStarted) {
  Engine engine(longSpin());
  ChannelGroup& group = engine.group();
  BlockedCall consumer = receiver(group);
  EXPECT_TRUE(consumer.waitUntilSpinning());  // not ASSERT: what follows ends the call
  const auto start = Clock::now();
  engine.destroy(group);
  EXPECT_LT(consumer.returnedAt(scaled(milliseconds(5000))) - start, scaled(milliseconds(2000)));
  EXPECT_EQ(consumer.status(), Status::shutdown_started);
}

TEST(Spin, TimersFireOnTimeWhileTheIoThreadSpins) {
  // The handshake timeout closes a silent connection; the I/O thread spins right after the
  // pass that accepted it, and must stop spinning when the timer is due.
  Options options = longSpin();
  options.handshakeTimeoutMs = 200;
  Engine engine(options);
  ChannelGroup& group = engine.group();
  const Listening listening = listen(engine.ampe(), group, listenAddress(Transport::tcp));
  ASSERT_NE(listening.channel, 0u);
  const auto start = Clock::now();
  auto silent = RawPeer::connectTo(listening.bound);
  ASSERT_NE(silent, nullptr);
  EXPECT_EQ(silent->readUntilClosed(nullptr, scaled(milliseconds(3000))), ReadEnd::reset);
  const auto closedAfter = Clock::now() - start;
  EXPECT_GE(closedAfter, milliseconds(195));
  EXPECT_LT(closedAfter, scaled(milliseconds(3000))) << "the timer waited for the spin";
}

TEST(Spin, ZeroSleepsAtOnceAndStillWakesOnAMessage) {
  Options options;
  options.spinMicros = 0;
  Engine engine(options);
  ChannelGroup& group = engine.group();
  BlockedCall consumer = receiver(group);
  EXPECT_TRUE(consumer.waitUntilBlocked()) << "asleep, not spinning";  // what follows ends the call
  ASSERT_EQ(group.updateReceiver(), Status::success);
  consumer.returnedAt(scaled(milliseconds(5000)));
  ASSERT_NE(consumer.message(), nullptr);
  EXPECT_EQ(consumer.message()->status(), Status::receiver_update);
}

}  // namespace
}  // namespace tofu::test
