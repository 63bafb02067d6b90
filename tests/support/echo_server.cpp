// Implementation of the echo server of the flow-control tests (see echo_server.h).
#include "echo_server.h"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::uint64_t kEchoWaitNs = 100'000'000;  // serveEcho() looks at `stop` this often

std::uint64_t nanosecondsLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<std::uint64_t>(left);
}

// Engine notifications the echo loop keeps count of (send-ready notices, B16, are not
// returned messages); everything it is given goes back.
void noteFromEngine(const Message& message, EchoTally& tally) {
  if (message.opCode() == OpCode::Signal && message.status() == Status::channel_closed) {
    std::lock_guard<std::mutex> lock(tally.mutex);
    tally.closed.push_back(message.channelNumber());
  } else if (message.opCode() == OpCode::Signal && message.status() == Status::pool_empty) {
    tally.poolEmpty.fetch_add(1);
  } else if (message.status() != Status::receiver_update && !isSendReady(message)) {
    std::lock_guard<std::mutex> lock(tally.mutex);
    ++tally.returnedByStatus[message.status()];
    tally.returned.fetch_add(1);
  }
}

void answer(Ampe& ampe, ChannelGroup& group, MessagePtr& message, EchoTally& tally, OnRefusal onRefusal,
            const std::atomic<bool>& stop) {
  for (;;) {
    auto posted = group.enqueueToPeer(message);
    if (posted.ok()) {
      tally.answered.fetch_add(1);
      return;
    }
    if (posted.status() != Status::notification_failed || onRefusal == OnRefusal::putBack || stop.load()) {
      tally.putBack.fetch_add(1);
      ampe.put(message);
      return;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(50));  // the peer is behind: let it read
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The echo application

std::uint16_t EchoTally::channelOfHello(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex);
  const auto found = hellos.find(id);
  return found == hellos.end() ? 0 : found->second;
}

std::vector<std::uint16_t> EchoTally::closedChannels() {
  std::lock_guard<std::mutex> lock(mutex);
  return closed;
}

std::uint64_t EchoTally::returnedWith(Status status) {
  std::lock_guard<std::mutex> lock(mutex);
  const auto found = returnedByStatus.find(status);
  return found == returnedByStatus.end() ? 0 : found->second;
}

bool EchoTally::waitTold(const std::vector<std::uint16_t>& channels, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const std::vector<std::uint16_t> told = closedChannels();
    const bool all = std::all_of(channels.begin(), channels.end(), [&](std::uint16_t channel) {
      return std::find(told.begin(), told.end(), channel) != told.end();
    });
    if (all || Clock::now() >= deadline) return all;
    std::this_thread::sleep_for(milliseconds(5));
  }
}

void serveEcho(Ampe& ampe, ChannelGroup& group, EchoTally& tally, OnRefusal onRefusal,
               const std::atomic<bool>& stop) {
  while (!stop.load()) {
    auto received = group.waitReceive(kEchoWaitNs);
    if (!received.ok()) return;  // the group is being destroyed
    MessagePtr message = std::move(received).value();
    if (!message) continue;
    if (message->isFromEngine() || message->status() != Status::success) {
      noteFromEngine(*message, tally);
      ampe.put(message);
      continue;
    }
    switch (message->opCode()) {
      case OpCode::HelloRequest: {
        std::lock_guard<std::mutex> lock(tally.mutex);
        tally.hellos[message->messageId()] = message->channelNumber();
        message->setOpCode(OpCode::HelloResponse);
        message->headers().reset();
        message->body().reset();
        break;
      }
      case OpCode::Request:
        tally.requests.fetch_add(1);
        message->setOpCode(OpCode::Response);
        break;
      case OpCode::ByeRequest:
        message->setOpCode(OpCode::ByeResponse);
        break;
      default:
        ampe.put(message);
        continue;
    }
    answer(ampe, group, message, tally, onRefusal, stop);
  }
}

EchoServer::EchoServer(Transport transport, const Options& options, OnRefusal onRefusal)
    : engine_(options), group_(engine_.group()) {
  listening_ = listen(engine_.ampe(), group_, listenAddress(transport));
  thread_ = std::thread([this, onRefusal] { serveEcho(engine_.ampe(), group_, tally_, onRefusal, stop_); });
}

EchoServer::~EchoServer() { stop(); }

void EchoServer::stop() {
  if (!thread_.joinable()) return;
  stop_.store(true);
  EXPECT_EQ(group_.updateReceiver(), Status::success);
  thread_.join();
}

std::vector<std::uint16_t> connectAnnouncedPeers(EchoServer& server, int count, std::uint64_t firstHelloId,
                                                 int receiveBufferBytes,
                                                 std::vector<std::unique_ptr<RawPeer>>& peers) {
  for (int i = 0; i < count; ++i) {
    auto peer = RawPeer::connectTo(server.address(), receiveBufferBytes);
    if (peer) {
      EXPECT_TRUE(sayHello(*peer, server.ampe(), 1, firstHelloId + static_cast<std::uint64_t>(i)));
    }
    peers.push_back(std::move(peer));
  }
  std::vector<std::uint16_t> channels(static_cast<std::size_t>(count), 0);
  const auto deadline = Clock::now() + defaultTimeout();
  for (int i = 0; i < count; ++i) {
    const std::uint64_t id = firstHelloId + static_cast<std::uint64_t>(i);
    while ((channels[static_cast<std::size_t>(i)] = server.tally().channelOfHello(id)) == 0 &&
           Clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    EXPECT_NE(channels[static_cast<std::size_t>(i)], 0u)
        << "the HelloRequest of raw peer " << i << " did not arrive";
  }
  return channels;
}

::testing::AssertionResult servesFreshClient(const Address& server, milliseconds within) {
  Engine client;
  ChannelGroup& group = client.group();
  const auto start = Clock::now();
  const auto deadline = start + within;
  const BinaryHeader hello = postHello(client.ampe(), group, server);
  if (hello.channelNumber == 0) return ::testing::AssertionFailure() << "the HelloRequest was refused";
  const BinaryHeader sent = post(group, request(client.ampe(), hello.channelNumber, "fresh client"));
  bool welcomed = false;
  for (;;) {
    auto received = group.waitReceive(nanosecondsLeft(deadline));
    if (!received.ok() || !received.value()) {
      if (received.ok() && Clock::now() < deadline) continue;
      return ::testing::AssertionFailure()
             << "a fresh client was not served within " << within.count() << " ms ("
             << (welcomed ? "HelloResponse arrived, no Response" : "no HelloResponse") << ")";
    }
    const MessagePtr message = std::move(received).value();
    const bool ours = message->isFromApplication() && message->status() == Status::success &&
                      message->channelNumber() == hello.channelNumber;
    if (ours && !welcomed && message->opCode() == OpCode::HelloResponse &&
        message->messageId() == hello.messageId) {
      welcomed = true;
      continue;
    }
    if (!ours || !welcomed || message->opCode() != OpCode::Response ||
        message->messageId() != sent.messageId || message->body().view() != "fresh client") {
      return ::testing::AssertionFailure() << "the fresh client got " << describe(message);
    }
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    std::printf("[ measure  ] a fresh client was served in %.1f ms\n", static_cast<double>(took) / 1000.0);
    return ::testing::AssertionSuccess();
  }
}

}  // namespace tofu::test
