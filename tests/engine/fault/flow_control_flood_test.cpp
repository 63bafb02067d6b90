// Flow control (DECISIONS.md B1, B5, B6, B14): two engines flood each other. Each side's
// application posts numbered Signals to the other without reading, retrying what is refused,
// until its posts have been refused for 100 ms on both sides (notification_failed: each peer
// stopped reading, its receive budget spent) or 2 s have passed; then each side posts the
// rest (a refused message stays with the caller, K5, and is posted again) and reads.
// Checked on both sides: every Signal arrives, once, in order, intact; pool_empty notices
// (B5) are the only engine messages; the flood did stop both sides' reading (plain build; in
// sanitizer builds, which send fewer, with the small budget). With default options, with the
// smallest pool the options allow (1 message kept), and with a 64 KiB receive budget; TCP
// and UDS. A deadlock fails after 10 s without progress, with both engines' queues.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <thread>
#include <utility>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "flow_harness.h"
#include "raw_peer.h"

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kBodyBytes = 64;
constexpr auto kQuietFlood = milliseconds(2000);
// Refused this long without a post getting through: the peer has stopped reading.
constexpr auto kStuck = milliseconds(100);

// Enough that the flood outgrows what the engines and the kernel take in, so both sides are
// refused for good: in the plain build the default 4 MiB receive budget and 8 MiB send queue
// and the TCP buffers (over 60,000 of these frames); in the sanitizer builds a 64 KiB budget.
std::uint64_t floodCount() { return perBuild(250'000, 100'000, 100'000); }

enum class Variant { defaults, smallestPool, smallBudget };

Options optionsFor(Variant variant) {
  Options options;
  if (variant == Variant::smallestPool) {
    options.initialPoolMsgs = 1;
    options.maxPoolMsgs = 1;
  } else if (variant == Variant::smallBudget) {
    options.receiveBudgetBytes = 64 * 1024;
  }
  return options;
}

// One side's application, run on its own thread: Signals firstId, firstId + 1, ... out;
// the peer's, from peerFirstId, in.
class FloodSide {
 public:
  FloodSide(Ampe& ampe, ChannelGroup& group, std::uint16_t channel, std::uint64_t firstId,
            std::uint64_t peerFirstId)
      : ampe_(ampe),
        group_(group),
        out_{OpCode::Signal, channel, firstId, kBodyBytes},
        in_{OpCode::Signal, channel, peerFirstId, kBodyBytes} {}

  // Floods without reading until its posts have been refused for kStuck (the peer stopped
  // reading) and the other side's too (`stuckSides` counts them), or until `quietUntil`;
  // then posts the rest and reads everything.
  void run(std::atomic<int>& stuckSides, Clock::time_point quietUntil) {
    Clock::time_point refusedSince{};
    while (Clock::now() < quietUntil && stuckSides.load() < 2 && failure_.empty()) {
      if (sent_ == total_) {  // everything went out: wait for the quiet time to end
        std::this_thread::sleep_for(milliseconds(1));
        continue;
      }
      if (postNext()) {
        refusedSince = {};
        if (std::exchange(stuck_, false)) stuckSides.fetch_sub(1);
        continue;
      }
      if (refusedSince == Clock::time_point{}) refusedSince = Clock::now();
      if (!stuck_ && Clock::now() - refusedSince >= kStuck) {
        stuck_ = true;
        stuckSides.fetch_add(1);
      }
      std::this_thread::sleep_for(milliseconds(1));
    }
    postedInQuiet_ = sent_;
    ProgressWatch watch;
    while ((sent_ < total_ || received_ < total_) && failure_.empty() && watch.moving(sent_ + received_)) {
      if (sent_ < total_ && postNext()) continue;
      takeQueued(ampe_, group_, sent_ < total_ ? milliseconds(1) : milliseconds(100),
                 [this](const Message& message) { return check(message); });
    }
    if (sent_ + received_ < 2 * total_ && failure_.empty()) {
      failure_ = "no progress for " + std::to_string(watch.patience().count()) + " ms";
    }
    ampe_.put(pending_);
  }

  std::string report() const {
    return "sent " + std::to_string(sent_) + ", received " + std::to_string(received_) + " of " +
           std::to_string(total_) + "; " + std::to_string(postedInQuiet_) + " posted before reading (" +
           (stuck_ ? "then refused for good" : "never refused for good") + "), " +
           std::to_string(poolEmpty_) + " pool_empty";
  }
  const std::string& failure() const { return failure_; }
  bool stuck() const { return stuck_; }
  std::uint64_t poolEmpty() const { return poolEmpty_; }

 private:
  bool postNext() {
    if (!pending_) {
      pending_ = newMessage(ampe_);
      out_.fill(*pending_, sent_);
    }
    auto posted = group_.enqueueToPeer(pending_);
    if (posted.ok()) {
      ++sent_;
      return true;
    }
    if (posted.status() != Status::notification_failed) {
      failure_ = "enqueueToPeer refused Signal " + std::to_string(sent_) + ": " + toString(posted.status());
    }
    return false;
  }

  bool check(const Message& message) {
    // The notice names the starving channel (behaviour.md); a group-wide one would name none.
    if (message.isFromEngine() && message.opCode() == OpCode::Signal &&
        message.status() == Status::pool_empty &&
        (message.channelNumber() == in_.channel || message.channelNumber() == 0) &&
        message.messageId() == 0) {
      ++poolEmpty_;
      return true;
    }
    if (isSendReady(message) && message.channelNumber() == out_.channel) {
      return true;  // B16: its posts were refused, and the queue has room again
    }
    if (received_ >= total_ || !in_.matches(message, received_)) {
      failure_ = "Signal #" + std::to_string(received_) + " expected (id " +
                 std::to_string(in_.firstId + received_) + "), got " + describe(message);
      return false;
    }
    ++received_;
    return true;
  }

  Ampe& ampe_;
  ChannelGroup& group_;
  const NumberedStream out_;
  const NumberedStream in_;
  const std::uint64_t total_ = floodCount();
  MessagePtr pending_;  // kept across refusals
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
  std::uint64_t postedInQuiet_ = 0;
  std::uint64_t poolEmpty_ = 0;
  bool stuck_ = false;  // refused for kStuck before reading
  std::string failure_;
};

struct Case {
  Transport transport;
  Variant variant;
};

std::string caseName(const Case& param) {
  static const char* const names[] = {"DefaultOptions", "SmallestPool", "SmallReceiveBudget"};
  return std::string(toString(param.transport)) + "_" + names[static_cast<int>(param.variant)];
}
void PrintTo(const Case& param, std::ostream* out) { *out << caseName(param); }

class FlowControlFlood : public ::testing::TestWithParam<Case> {};
INSTANTIATE_TEST_SUITE_P(Variants, FlowControlFlood,
                         ::testing::Values(Case{Transport::tcp, Variant::defaults},
                                           Case{Transport::tcp, Variant::smallestPool},
                                           Case{Transport::tcp, Variant::smallBudget},
                                           Case{Transport::uds, Variant::defaults},
                                           Case{Transport::uds, Variant::smallestPool},
                                           Case{Transport::uds, Variant::smallBudget}),
                         [](const auto& instance) { return caseName(instance.param); });

TEST_P(FlowControlFlood, BothSidesGetEverySignalInOrderAfterNotReading) {
  const Options options = optionsFor(GetParam().variant);
  Engine serverEngine(options);
  Engine clientEngine(options);
  ChannelGroup& serverGroup = serverEngine.group();
  ChannelGroup& clientGroup = clientEngine.group();
  const Listening listening = listen(serverEngine.ampe(), serverGroup, listenAddress(GetParam().transport));
  ASSERT_NE(listening.channel, 0u);
  const Connection connection =
      connectPair(clientEngine.ampe(), clientGroup, serverEngine.ampe(), serverGroup, listening.bound);
  ASSERT_TRUE(connection.ok());

  constexpr std::uint64_t kClientIds = 0xC100'0000'0000;
  constexpr std::uint64_t kServerIds = 0x5E00'0000'0000;
  FloodSide client(clientEngine.ampe(), clientGroup, connection.clientChannel, kClientIds, kServerIds);
  FloodSide server(serverEngine.ampe(), serverGroup, connection.serverChannel, kServerIds, kClientIds);
  std::atomic<int> stuckSides{0};
  const auto quietUntil = Clock::now() + kQuietFlood;
  const auto start = Clock::now();
  std::thread clientThread([&] { client.run(stuckSides, quietUntil); });
  std::thread serverThread([&] { server.run(stuckSides, quietUntil); });
  clientThread.join();
  serverThread.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  const std::string state = "\nclient: " + client.report() + "\nserver: " + server.report() +
                            "\nclient engine:\n" + flowDump(clientEngine.ampe()) + "server engine:\n" +
                            flowDump(serverEngine.ampe());
  const bool failed = !client.failure().empty() || !server.failure().empty();
  EXPECT_FALSE(failed) << "client: " << client.failure() << "; server: " << server.failure() << state;
  // The flood outgrows what the engines take in, in the plain build. Sanitizer builds send
  // so much slower that a reader on a busy machine may keep up; there the budget's
  // pool_empty below is what the small-budget variant shows.
  if (activeSanitizer() == Sanitizer::none) {
    EXPECT_TRUE(client.stuck() && server.stuck()) << "the flood did not stop both sides' reading" << state;
  }
  if (GetParam().variant == Variant::smallBudget) {
    EXPECT_GE(client.poolEmpty(), 1u) << "past its budget a group gets Signal(pool_empty)" << state;
    EXPECT_GE(server.poolEmpty(), 1u) << "past its budget a group gets Signal(pool_empty)" << state;
  }
  if (!failed) {
    // Nothing more, but for the notice ending each side's last refusal episode (B16).
    EXPECT_LE(takeSendReadyNotices(clientEngine.ampe(), clientGroup, connection.clientChannel), 1u);
    EXPECT_LE(takeSendReadyNotices(serverEngine.ampe(), serverGroup, connection.serverChannel), 1u);
  }
  std::printf("[ measure  ] %.2f s\n  client: %s\n  server: %s\n", seconds, client.report().c_str(),
              server.report().c_str());
}

}  // namespace
}  // namespace tofu::test
