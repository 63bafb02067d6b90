// Flow control (DECISIONS.md B10, B14): with default options, steady-state traffic allocates
// nothing: every message comes from the pool, which grows on demand during the warm-up and is
// then enough. One-way traffic between two engines: a sender thread takes a pool message
// (waitGet: it waits for one to come back rather than allocate), makes it a Signal with a
// 64-byte body and posts it, retrying while the send queue is full; a receiver thread takes
// each one with waitReceive, checks it (in order, intact) and puts it back. The sender keeps
// at most kBacklog Signals ahead of the receiving application (free-running, how far the
// receiver falls behind depends only on scheduling, and each new maximum rightly grows the
// receiving pool). After a warm-up of 200,000 Signals, every operator new in the process is
// counted (counting_new.h) while 200,000 more travel: none is allowed. The pool also frees
// idle messages after about a second, so on a loaded machine a window can rightly grow it
// again; up to kWindows windows are measured and one must allocate nothing (an engine that
// allocates per message or per batch does so in every window). ASan, TSan: 20,000 per
// window. TCP and UDS.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "counting_new.h"
#include "engine_harness.h"
#include "flow_harness.h"

namespace tofu::test {
namespace {

using std::chrono::milliseconds;

constexpr std::size_t kBodyBytes = 64;
constexpr std::uint64_t kFirstId = 0xA110'0000;
constexpr std::uint64_t kWaitNs = 10'000'000;
constexpr std::uint64_t kBacklog = 2048;
constexpr int kWindows = 5;

std::uint64_t windowCount() { return perBuild(200'000, 20'000, 20'000); }

// The two application threads. post() sends until `target`; the receiver takes everything.
class OneWayTraffic {
 public:
  OneWayTraffic(Ampe& senderAmpe, ChannelGroup& senderGroup, std::uint16_t senderChannel, Ampe& receiverAmpe,
                ChannelGroup& receiverGroup, std::uint16_t receiverChannel)
      : out_{OpCode::Signal, senderChannel, kFirstId, kBodyBytes},
        in_{OpCode::Signal, receiverChannel, kFirstId, kBodyBytes},
        sender_([this, &senderAmpe, &senderGroup] { send(senderAmpe, senderGroup); }),
        receiver_([this, &receiverAmpe, &receiverGroup] { receive(receiverAmpe, receiverGroup); }) {}
  ~OneWayTraffic() {
    stop_.store(true);
    sender_.join();
    receiver_.join();
  }
  OneWayTraffic(const OneWayTraffic&) = delete;
  OneWayTraffic& operator=(const OneWayTraffic&) = delete;

  // Sends up to `total` Signals in all and waits until they arrived; false (and the counts in
  // failure()) when nothing moves for 10 s or a Signal arrives wrong.
  bool runUntil(std::uint64_t total) {
    target_.store(total);
    ProgressWatch watch;
    while (received_.load() < total && !failed_.load() && watch.moving(sent_.load() + received_.load())) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    return received_.load() == total && !failed_.load();
  }
  std::string counts() const {
    return "sent " + std::to_string(sent_.load()) + ", received " + std::to_string(received_.load()) + ", " +
           std::to_string(poolEmpty_.load()) + " pool_empty notices";
  }
  // Read once the threads stopped (destruction) or when runUntil() said a Signal arrived wrong.
  const std::string& failure() const { return failure_; }

 private:
  void send(Ampe& ampe, ChannelGroup& group) {
    while (!stop_.load()) {
      const std::uint64_t index = sent_.load();
      if (index == target_.load() || index - received_.load() >= kBacklog) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        continue;
      }
      auto got = ampe.waitGet(kWaitNs);
      if (!got.ok() || !got.value()) continue;
      MessagePtr message = std::move(got).value();
      out_.fill(*message, index);
      while (!stop_.load() && !group.enqueueToPeer(message).ok()) std::this_thread::yield();
      ampe.put(message);  // null once posted; a message still held at shutdown goes back
      sent_.store(index + 1);
    }
  }

  void receive(Ampe& ampe, ChannelGroup& group) {
    while (!stop_.load()) {
      auto got = group.waitReceive(kWaitNs);
      if (!got.ok() || !got.value()) continue;
      MessagePtr message = std::move(got).value();
      if (message->isFromEngine() && message->status() == Status::pool_empty) {
        poolEmpty_.fetch_add(1);  // not this test's subject (B5); counted for the output
        ampe.put(message);
        continue;
      }
      const std::uint64_t index = received_.load();
      if (!failed_.load() && !in_.matches(*message, index)) {
        failure_ = "Signal #" + std::to_string(index) + " expected, got " + describe(message);
        failed_.store(true);
      }
      ampe.put(message);
      if (!failed_.load()) received_.store(index + 1);
    }
  }

  const NumberedStream out_;
  const NumberedStream in_;
  std::atomic<std::uint64_t> target_{0};
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> poolEmpty_{0};
  std::atomic<bool> failed_{false};
  std::atomic<bool> stop_{false};
  std::string failure_;
  std::thread sender_;
  std::thread receiver_;
};

class FlowControlAllocations : public ::testing::TestWithParam<Transport> {};
INSTANTIATE_TEST_SUITE_P(Transports, FlowControlAllocations, kAllTransports, TransportName());

TEST_P(FlowControlAllocations, SteadyStateTrafficAllocatesNothingWithDefaultOptions) {
  Engine senderEngine;
  Engine receiverEngine;
  ChannelGroup& senderGroup = senderEngine.group();
  ChannelGroup& receiverGroup = receiverEngine.group();
  const Listening listening = listen(receiverEngine.ampe(), receiverGroup, listenAddress(GetParam()));
  ASSERT_NE(listening.channel, 0u);
  const Connection connection =
      connectPair(senderEngine.ampe(), senderGroup, receiverEngine.ampe(), receiverGroup, listening.bound);
  ASSERT_TRUE(connection.ok());

  std::vector<std::uint64_t> windows;  // allocations in each measured window
  std::string counts;
  {
    OneWayTraffic traffic(senderEngine.ampe(), senderGroup, connection.clientChannel, receiverEngine.ampe(),
                          receiverGroup, connection.serverChannel);
    ASSERT_TRUE(traffic.runUntil(windowCount()))
        << "warm-up: " << traffic.counts() << "; " << traffic.failure();
    while (windows.size() < kWindows && (windows.empty() || windows.back() != 0)) {
      const std::uint64_t before = heap::allocations();
      const bool done = traffic.runUntil((windows.size() + 2) * windowCount());
      windows.push_back(heap::allocations() - before);
      ASSERT_TRUE(done) << "measured window " << windows.size() << ": " << traffic.counts() << "; "
                        << traffic.failure() << "\nsender:\n"
                        << flowDump(senderEngine.ampe()) << "receiver:\n"
                        << flowDump(receiverEngine.ampe());
    }
    counts = traffic.counts();
  }
  std::string list;
  for (const std::uint64_t count : windows) list += (list.empty() ? "" : ", ") + std::to_string(count);
  EXPECT_EQ(windows.back(), 0u) << "heap allocations in each of " << windows.size() << " windows of "
                                << windowCount() << " Signals in steady state: " << list;
  std::printf("[ measure  ] allocations per window of %llu Signals: %s (%s)\n",
              static_cast<unsigned long long>(windowCount()), list.c_str(), counts.c_str());
}

}  // namespace
}  // namespace tofu::test
