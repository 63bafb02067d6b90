// Several threads posting on one group, on one channel or spread over two (enqueueToPeer is
// thread-safe): each thread's messages reach the peer in the order that thread posted them on
// that channel, and B1's accounting holds per channel, exactly: frames written (the sending
// engine's own count for the channel) + messages returned == posts accepted. With the channel
// aborted (ByeSignal) while they post, every returned message carries channel_closed and the
// peer receives, of each thread, a gap-free prefix of what it posted there.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "introspection_harness.h"

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kThreads = 4;
constexpr int kPostsPerThread = 1000;

// Posts accepted per channel, summed over the posting threads.
using Accepted = std::map<std::uint16_t, std::atomic<std::uint64_t>>;

// "THREAD.SEQUENCE": SEQUENCE counts that thread's posts on that channel from 0.
std::string tag(int thread, std::uint64_t sequence) {
  return std::to_string(thread) + "." + std::to_string(sequence);
}

// Posts kPostsPerThread Requests, the i-th on channels[i % size]; a full send queue (B6) is
// retried, a released channel number (the channel was aborted) ends the posting on it.
void postFrom(int thread, Ampe& ampe, ChannelGroup& group, const std::vector<std::uint16_t>& channels,
              Accepted& accepted) {
  std::map<std::uint16_t, std::uint64_t> sequence;
  std::map<std::uint16_t, bool> released;
  for (int i = 0; i < kPostsPerThread; ++i) {
    const std::uint16_t channel = channels[static_cast<std::size_t>(i) % channels.size()];
    if (released[channel]) continue;
    auto message = request(ampe, channel, tag(thread, sequence[channel]));
    for (;;) {
      const auto posted = group.enqueueToPeer(message);
      if (posted.ok()) {
        ++sequence[channel];
        ++accepted.at(channel);
        break;
      }
      if (posted.status() != Status::notification_failed) {
        EXPECT_EQ(posted.status(), Status::invalid_channel_number) << "thread " << thread;
        released[channel] = true;
        ampe.put(message);
        break;
      }
      std::this_thread::yield();  // B6: still ours; the I/O thread drains the queue
    }
  }
}

// What the peer received on one channel: per posting thread, the sequence number it expects next
// (after an undisturbed run, how many of that thread's posts arrived).
struct Arrivals {
  std::vector<std::uint64_t> perThread = std::vector<std::uint64_t>(kThreads, 0);
  std::uint64_t total() const {
    std::uint64_t sum = 0;
    for (const std::uint64_t count : perThread) sum += count;
    return sum;
  }
};

// Checks `message` (a Request "T.S") against what `arrivals` expects next from thread T.
void expectNextInOrder(const Message& message, Arrivals& arrivals) {
  const std::string body(message.body().view());
  const auto dot = body.find('.');
  ASSERT_NE(dot, std::string::npos) << describe(message);
  const int thread = std::stoi(body.substr(0, dot));
  ASSERT_TRUE(thread >= 0 && thread < kThreads) << body;
  std::uint64_t& next = arrivals.perThread[static_cast<std::size_t>(thread)];
  const std::uint64_t sequence = std::stoull(body.substr(dot + 1));
  EXPECT_EQ(sequence, next) << "thread " << thread << "'s order broken";
  next = sequence + 1;  // one failure per gap, not one per message after it
}

// The client channel's frames written so far, from a snapshot (open or recently closed).
std::uint64_t writtenOn(Ampe& ampe, std::uint64_t incarnation) {
  const EngineSnapshot snapshot = snapshotOf(ampe);
  for (const ChannelInfo& info : snapshot.channels) {
    if (info.incarnation == incarnation) return info.messagesSent;
  }
  ADD_FAILURE() << "channel incarnation " << incarnation << " not in the snapshot";
  return 0;
}

std::uint64_t incarnationOf(Ampe& ampe, std::uint16_t channel) {
  const auto info = openChannel(snapshotOf(ampe), channel);
  EXPECT_TRUE(info.has_value()) << "channel " << channel;
  return info ? info->incarnation : 0;
}

struct Pair {
  Engine client{roomyOptions()};
  Engine server{roomyOptions()};
  ChannelGroup& clientGroup = client.group();
  ChannelGroup& serverGroup = server.group();
};

class SharedPosting : public ::testing::TestWithParam<Transport> {
 protected:
  // Connects `count` channels from the client group to the server group.
  void connectChannels(int count) {
    const Listening listening = listen(pair_.server.ampe(), pair_.serverGroup, listenAddress(GetParam()));
    ASSERT_NE(listening.channel, 0u);
    for (int i = 0; i < count; ++i) {
      const Connection connection = connectPair(pair_.client.ampe(), pair_.clientGroup, pair_.server.ampe(),
                                                pair_.serverGroup, listening.bound);
      ASSERT_TRUE(connection.ok());
      const std::uint16_t channel = connection.clientChannel;
      clientChannels_.push_back(channel);
      serverToClient_[connection.serverChannel] = channel;
      incarnations_[channel] = incarnationOf(pair_.client.ampe(), channel);
      writtenBefore_[channel] = writtenOn(pair_.client.ampe(), incarnations_[channel]);
      accepted_[channel] = 0;
    }
  }

  std::vector<std::thread> startPosters() {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back(
          [this, t] { postFrom(t, pair_.client.ampe(), pair_.clientGroup, clientChannels_, accepted_); });
    }
    return threads;
  }

  // The server takes one message: a Request is checked for its thread's order, a final
  // Signal goes into `closed` when given. False when nothing came.
  bool receiveOnServer(std::set<std::uint16_t>* closed = nullptr) {
    MessagePtr message = receive(pair_.serverGroup);
    if (!message) return false;
    const auto client = serverToClient_.find(message->channelNumber());
    EXPECT_NE(client, serverToClient_.end()) << describe(message);
    if (closed != nullptr && closedSignal(message->channelNumber())(*message)) {
      closed->insert(message->channelNumber());
    } else if (client != serverToClient_.end()) {
      EXPECT_EQ(message->opCode(), OpCode::Request) << describe(message);
      expectNextInOrder(*message, arrivals_[client->second]);
    }
    pair_.server.ampe().put(message);
    return true;
  }

  // Frames written on the client channel since connectChannels(), once they reach `expected`
  // (a frame is counted just after its write) or the default timeout passes.
  std::uint64_t written(std::uint16_t channel, std::uint64_t expected) {
    const auto deadline = Clock::now() + defaultTimeout();
    std::uint64_t count = 0;
    while ((count = writtenOn(pair_.client.ampe(), incarnations_[channel]) - writtenBefore_[channel]) <
               expected &&
           Clock::now() < deadline) {
      std::this_thread::yield();
    }
    return count;
  }

  // Undisturbed: every post is accepted, written and received in its thread's order; the
  // client group gets nothing back but send-ready notices (B16).
  void runUndisturbed() {
    std::vector<std::thread> posters = startPosters();
    const auto expected = static_cast<std::uint64_t>(kThreads * kPostsPerThread);
    std::uint64_t received = 0;
    while (received < expected && receiveOnServer()) ++received;
    for (std::thread& poster : posters) poster.join();
    EXPECT_EQ(received, expected);
    const std::uint64_t perThreadAndChannel = kPostsPerThread / clientChannels_.size();
    for (const std::uint16_t channel : clientChannels_) {
      SCOPED_TRACE("client channel " + std::to_string(channel));
      const std::uint64_t accepted = accepted_.at(channel).load();
      EXPECT_EQ(accepted, perThreadAndChannel * kThreads);
      for (int t = 0; t < kThreads; ++t) {
        EXPECT_EQ(arrivals_[channel].perThread[static_cast<std::size_t>(t)], perThreadAndChannel)
            << "thread " << t;
      }
      EXPECT_EQ(written(channel, accepted), accepted) << "written == posted (B1): nothing returned";
    }
    while (MessagePtr message = tryReceive(pair_.clientGroup, quietPeriod())) {
      EXPECT_TRUE(isSendReady(*message)) << "came back: " << describe(message);
      pair_.client.ampe().put(message);
    }
  }

  Pair pair_;
  std::vector<std::uint16_t> clientChannels_;
  std::map<std::uint16_t, std::uint16_t> serverToClient_;
  std::map<std::uint16_t, std::uint64_t> incarnations_;
  std::map<std::uint16_t, std::uint64_t> writtenBefore_;
  Accepted accepted_;
  std::map<std::uint16_t, Arrivals> arrivals_;  // by client channel
};
INSTANTIATE_TEST_SUITE_P(Transports, SharedPosting, kAllTransports, TransportName());

TEST_P(SharedPosting, ThreadsOnOneChannelKeepTheirOrderAndLoseNothing) {
  ASSERT_NO_FATAL_FAILURE(connectChannels(1));
  runUndisturbed();
}

TEST_P(SharedPosting, ThreadsOnOneGroupKeepTheirOrderPerChannel) {
  ASSERT_NO_FATAL_FAILURE(connectChannels(2));
  runUndisturbed();
}

// The channel is aborted from another thread while four post on it: each accepted post is
// written or comes back with channel_closed (the ByeSignal too), exactly; the peer gets a
// gap-free prefix of each thread's posts.
TEST_P(SharedPosting, ThreadsPostingWhileTheChannelIsAbortedLoseNothing) {
  ASSERT_NO_FATAL_FAILURE(connectChannels(1));
  const std::uint16_t channel = clientChannels_[0];
  std::vector<std::thread> posters = startPosters();
  while (arrivals_[channel].total() < kThreads * kPostsPerThread / 4 && receiveOnServer()) {
  }
  post(pair_.clientGroup, byeSignal(pair_.client.ampe(), channel));
  ++accepted_.at(channel);
  std::set<std::uint16_t> closedOnServer;
  while (closedOnServer.empty() && receiveOnServer(&closedOnServer)) {
  }
  for (std::thread& poster : posters) poster.join();

  // Everything that comes back, by reason, up to the fence (which also brings back posts that
  // reached the channel after its final Signal).
  const BinaryHeader fence = postFence(pair_.client.ampe(), pair_.clientGroup);
  std::map<Status, std::uint64_t> returned;
  std::uint64_t finalSignals = 0;
  while (MessagePtr message = receive(pair_.clientGroup)) {
    const bool fenceDone = closedSignal(fence.channelNumber)(*message);
    if (fenceDone) {
    } else if (message->messageId() == fence.messageId) {
      EXPECT_EQ(message->status(), Status::invalid_address) << describe(message);
    } else if (closedSignal(channel)(*message)) {
      ++finalSignals;
    } else if (!isSendReady(*message)) {
      EXPECT_EQ(message->channelNumber(), channel) << describe(message);
      EXPECT_TRUE(message->isFromEngine()) << describe(message);
      ++returned[message->status()];
    }
    pair_.client.ampe().put(message);
    if (fenceDone) break;
  }
  std::uint64_t returnedTotal = 0;
  std::string reasons;
  for (const auto& [status, count] : returned) {
    returnedTotal += count;
    reasons += std::string(" ") + toString(status) + "=" + std::to_string(count);
  }
  EXPECT_EQ(finalSignals, 1u);
  EXPECT_EQ(returned[Status::channel_closed], returnedTotal) << "returned by reason:" << reasons;
  EXPECT_GE(returnedTotal, 1u) << "the ByeSignal comes back";
  const std::uint64_t accepted = accepted_.at(channel).load();
  const std::uint64_t sent = written(channel, accepted - returnedTotal);
  EXPECT_EQ(sent + returnedTotal, accepted)
      << "written + returned == posted (B1); returned by reason:" << reasons;
  EXPECT_LE(arrivals_[channel].total(), sent) << "received <= written";
}

}  // namespace
}  // namespace tofu::test
