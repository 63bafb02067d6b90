// Flow control (DECISIONS.md B14): pipelined request/response cannot deadlock. A client engine
// sends Requests built with get(always) on one channel, pipelined (README: queue them right
// away), to a server engine whose application answers each one with a Response by turning the
// received message around (tofu echo), retrying while its own send queue is full. Every
// answer is checked: in posting order, the id and body of its Request, exactly as many as sent.
// Two client shapes, both realistic: one thread that posts until enqueueToPeer() refuses
// (notification_failed: the send queue is full), then takes what has arrived and retries; and
// a sender thread with a receiver thread. Default options on both engines, TCP and UDS.
// An engine whose send queues can hold the messages it needs for receiving deadlocked here
// past about 700,000 Requests, so the plain build sends a million (ASan 100,000, TSan 50,000);
// a deadlock fails with the counts and both engines' queues after 10 s without progress.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "echo_server.h"
#include "engine_harness.h"
#include "flow_harness.h"

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::uint64_t kFirstId = 0x7100'0000'0000;
constexpr std::size_t kBodyBytes = 32;

std::uint64_t requestCount() { return perBuild(1'000'000, 100'000, 50'000); }

// The client application: posts Requests kFirstId, kFirstId + 1, ... and checks the answers.
// postNext() and receiveSome() may run on two threads (one each); the counters are atomic.
class PipelinedClient {
 public:
  PipelinedClient(Ampe& ampe, ChannelGroup& group, std::uint16_t channel, std::uint64_t total)
      : ampe_(ampe),
        group_(group),
        requests_{OpCode::Request, channel, kFirstId, kBodyBytes},
        responses_{OpCode::Response, channel, kFirstId, kBodyBytes},
        total_(total) {}

  // Posts the next Request; false when the send queue refused it (kept for the retry) or
  // when every Request is out.
  bool postNext() {
    const std::uint64_t index = sent_.load();
    if (index == total_) return false;
    if (!pending_) {
      pending_ = newMessage(ampe_);
      requests_.fill(*pending_, index);
    }
    auto posted = group_.enqueueToPeer(pending_);
    if (posted.ok()) {
      sent_.store(index + 1);
      return true;
    }
    ++refusals_;
    if (posted.status() != Status::notification_failed) {
      senderFailure_ = std::string("enqueueToPeer refused Request ") + std::to_string(index) + ": " +
                       toString(posted.status());
      failed_.store(true);
    }
    return false;
  }

  // Takes what has arrived, waiting up to `wait` for the first message; checks each answer.
  void receiveSome(milliseconds wait) {
    takeQueued(ampe_, group_, wait, [this](const Message& message) { return check(message); });
  }

  bool allSent() const { return sent_.load() == total_; }
  bool allAnswered() const { return answered_.load() == total_; }
  std::uint64_t progress() const { return sent_.load() + answered_.load(); }
  bool failed() const { return failed_.load(); }
  // What went wrong; read once the threads using this client have stopped.
  std::string failure() const { return senderFailure_ + receiverFailure_; }
  std::string counts() const {
    return "sent " + std::to_string(sent_.load()) + " of " + std::to_string(total_) + ", answered " +
           std::to_string(answered_.load()) + ", refused " + std::to_string(refusals_) + " times";
  }
  void release() { ampe_.put(pending_); }

 private:
  bool check(const Message& message) {
    if (message.isFromEngine() && message.opCode() == OpCode::Signal &&
        message.status() == Status::pool_empty) {
      return true;  // the client's budget ran out for a while (B14); reading resumes as we take them
    }
    if (isSendReady(message) && message.channelNumber() == requests_.channel) {
      return true;  // B16: the sender was refused, and the queue has room again
    }
    if (!welcomed_ && message.opCode() == OpCode::HelloResponse && message.isFromApplication() &&
        message.status() == Status::success && message.channelNumber() == requests_.channel) {
      welcomed_ = true;
      return true;
    }
    const std::uint64_t index = answered_.load();
    if (!welcomed_ || index >= total_ || !responses_.matches(message, index)) {
      receiverFailure_ = "answer #" + std::to_string(index) + ": expected Response id " +
                         std::to_string(kFirstId + index) + " with its Request's body, got " +
                         describe(message);
      failed_.store(true);
      return false;
    }
    answered_.store(index + 1);
    return true;
  }

  Ampe& ampe_;
  ChannelGroup& group_;
  const NumberedStream requests_;
  const NumberedStream responses_;
  const std::uint64_t total_;
  MessagePtr pending_;
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::uint64_t> answered_{0};
  std::atomic<bool> failed_{false};
  std::uint64_t refusals_ = 0;
  bool welcomed_ = false;
  std::string senderFailure_;
  std::string receiverFailure_;
};

enum class Shape { oneThread, senderAndReceiver };

struct Case {
  Transport transport;
  Shape shape;
};

std::string caseName(const Case& param) {
  return std::string(toString(param.transport)) +
         (param.shape == Shape::oneThread ? "_OneThread" : "_SenderAndReceiverThreads");
}
void PrintTo(const Case& param, std::ostream* out) { *out << caseName(param); }

class FlowControlPipelined : public ::testing::TestWithParam<Case> {};
INSTANTIATE_TEST_SUITE_P(Shapes, FlowControlPipelined,
                         ::testing::Values(Case{Transport::tcp, Shape::oneThread},
                                           Case{Transport::tcp, Shape::senderAndReceiver},
                                           Case{Transport::uds, Shape::oneThread},
                                           Case{Transport::uds, Shape::senderAndReceiver}),
                         [](const auto& instance) { return caseName(instance.param); });

// One thread: post until refused, then take what has arrived and retry.
void runOneThread(PipelinedClient& client, ProgressWatch& watch) {
  while (!client.allAnswered() && !client.failed() && watch.moving(client.progress())) {
    if (client.postNext()) continue;
    client.receiveSome(client.allSent() ? milliseconds(100) : milliseconds(1));
  }
}

// Two threads: the sender backs off briefly when refused; the receiver takes everything.
void runTwoThreads(PipelinedClient& client, ProgressWatch& watch) {
  std::atomic<bool> stop{false};
  std::thread sender([&] {
    while (!stop.load() && !client.allSent()) {
      if (!client.postNext()) std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  });
  std::thread receiver([&] {
    while (!stop.load() && !client.allAnswered()) client.receiveSome(milliseconds(100));
  });
  while (!client.allAnswered() && !client.failed() && watch.moving(client.progress())) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  stop.store(true);
  sender.join();
  receiver.join();
}

TEST_P(FlowControlPipelined, EveryRequestIsAnsweredInOrder) {
  EchoServer server(GetParam().transport, Options{}, OnRefusal::retry);
  ASSERT_TRUE(server.listening());
  Engine engine;
  ChannelGroup& group = engine.group();
  const BinaryHeader hello = postHello(engine.ampe(), group, server.address());
  ASSERT_NE(hello.channelNumber, 0u);

  PipelinedClient client(engine.ampe(), group, hello.channelNumber, requestCount());
  ProgressWatch watch(std::chrono::seconds(10));
  const auto start = Clock::now();
  if (GetParam().shape == Shape::oneThread) {
    runOneThread(client, watch);
  } else {
    runTwoThreads(client, watch);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  client.release();
  ASSERT_EQ(client.failure(), "") << client.counts();
  ASSERT_TRUE(client.allAnswered()) << "no progress for " << watch.patience().count()
                                    << " ms (deadlock): " << client.counts() << "; the server received "
                                    << server.tally().requests.load() << " and answered "
                                    << server.tally().answered.load() << "\nclient engine:\n"
                                    << flowDump(engine.ampe()) << "server engine:\n"
                                    << flowDump(server.ampe());
  EXPECT_EQ(server.tally().requests.load(), requestCount());
  EXPECT_EQ(server.tally().answered.load(), requestCount() + 1)
      << "the HelloResponse and every Response went out";
  EXPECT_EQ(server.tally().putBack.load() + server.tally().returned.load(), 0u);
  EXPECT_EQ(expectNothing(group), nullptr) << "nothing after the last answer";
  std::printf("[ measure  ] %s in %.2f s (%.0f round trips/s); server pool_empty %llu\n",
              client.counts().c_str(), seconds, static_cast<double>(requestCount()) / seconds,
              static_cast<unsigned long long>(server.tally().poolEmpty.load()));
}

}  // namespace
}  // namespace tofu::test
