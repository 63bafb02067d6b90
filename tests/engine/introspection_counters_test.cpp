// Introspection (DECISIONS.md A1), snapshots: per-channel and engine counters against the
// frames and bytes actually exchanged, send-queue depth, the pool and the groups, and snapshots
// taken while traffic flows. Life cycles are in introspection_test.cpp; the event stream is in
// introspection_observer_test.cpp. Connection tests run over TCP and UDS.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "introspection_harness.h"
#include "raw_peer.h"

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Counters, queues, pool, groups

class IntrospectionCounters : public ::testing::TestWithParam<Transport> {};

TEST_P(IntrospectionCounters, MatchTheFramesAndBytesExchanged) {
  Engine server(roomyOptions());
  Engine client(roomyOptions());
  ChannelGroup& serverGroup = server.group();
  ChannelGroup& clientGroup = client.group();
  const Listening listening = openListener(server.ampe(), serverGroup, listenAddress(GetParam()));
  ASSERT_NE(listening.channel, 0);
  const Link link = openLink(client.ampe(), clientGroup, serverGroup, listening.bound);
  ASSERT_TRUE(link.ok());

  constexpr std::size_t kRequests = 20;
  constexpr std::size_t kHeld = 3;
  std::uint64_t clientToServer = link.helloBytes;    // HelloRequest
  std::uint64_t serverToClient = kBinaryHeaderSize;  // bare HelloResponse
  for (std::size_t i = 1; i <= kRequests; ++i) {
    MessagePtr message = request(client.ampe(), link.client, std::string(7 * i + 1, 'q'));
    ASSERT_EQ(message->headers().append("seq", std::to_string(i)), HeaderCheck::ok);
    clientToServer += frameSize(*message);
    post(clientGroup, std::move(message));
  }
  for (std::size_t i = 1; i <= kRequests; ++i) {
    MessagePtr message = receive(serverGroup);
    ASSERT_TRUE(message);
    ASSERT_EQ(message->opCode(), OpCode::Request) << describe(message);
    ASSERT_EQ(message->body().size(), 7 * i + 1) << describe(message);
    message->setOpCode(OpCode::Response);
    message->headers().reset();
    message->body().assign(std::string(3 * i + 2, 'r'));
    serverToClient += frameSize(*message);
    ASSERT_TRUE(serverGroup.enqueueToPeer(message).ok());
  }

  // The responses wait in the client group's queue until received: its depth shows them.
  const Clock::time_point deadline = Clock::now() + defaultTimeout();
  std::size_t depth = 0;
  while (depth < kRequests && Clock::now() < deadline) {
    const EngineSnapshot snapshot = snapshotOf(client.ampe());
    ASSERT_EQ(snapshot.groups.size(), 1u);
    depth = snapshot.groups.front().receiveQueueDepth;
  }
  ASSERT_EQ(depth, kRequests);

  std::vector<MessagePtr> held;
  for (std::size_t i = 1; i <= kRequests; ++i) {
    MessagePtr message = receive(clientGroup);
    ASSERT_TRUE(message);
    ASSERT_EQ(message->opCode(), OpCode::Response) << describe(message);
    ASSERT_EQ(message->body().size(), 3 * i + 2) << describe(message);
    if (i > kRequests - kHeld) {
      held.push_back(std::move(message));
    } else {
      client.ampe().put(message);
    }
  }

  // A snapshot runs on the I/O thread after the pass that wrote the last Response, whose
  // accounting can follow the client's read of it.
  const EngineSnapshot serverSnapshot = snapshotOf(server.ampe());
  const EngineSnapshot clientSnapshot = snapshotOf(client.ampe());
  const auto clientChannel = openChannel(clientSnapshot, link.client);
  const auto serverChannel = openChannel(serverSnapshot, link.server);
  const auto listener = openChannel(serverSnapshot, listening.channel);
  ASSERT_TRUE(clientChannel && serverChannel && listener);

  EXPECT_EQ(clientChannel->messagesSent, kRequests + 1);
  EXPECT_EQ(clientChannel->bytesSent, clientToServer);
  EXPECT_EQ(clientChannel->messagesReceived, kRequests + 1);
  EXPECT_EQ(clientChannel->bytesReceived, serverToClient);
  EXPECT_EQ(serverChannel->messagesReceived, kRequests + 1);
  EXPECT_EQ(serverChannel->bytesReceived, clientToServer);
  EXPECT_EQ(serverChannel->messagesSent, kRequests + 1);
  EXPECT_EQ(serverChannel->bytesSent, serverToClient);
  for (const ChannelInfo* info : {&*clientChannel, &*serverChannel}) {
    EXPECT_EQ(info->sendQueueMessages, 0u) << "idle";
    EXPECT_EQ(info->sendQueueBytes, 0u) << "idle";
  }
  expectNoTraffic(*listener);
  // Last activity: the client's last read (a Response) follows its last write (a Request); the
  // server read the last Request before writing the last Response.
  EXPECT_GT(clientChannel->lastSendNs, 0);
  EXPECT_GT(clientChannel->lastReceiveNs, clientChannel->lastSendNs);
  EXPECT_LE(clientChannel->lastReceiveNs, clientSnapshot.takenAtNs);
  EXPECT_GT(serverChannel->lastReceiveNs, 0);
  EXPECT_GT(serverChannel->lastSendNs, serverChannel->lastReceiveNs);
  EXPECT_LE(serverChannel->lastSendNs, serverSnapshot.takenAtNs);

  EXPECT_EQ(clientSnapshot.totals.framesWritten, kRequests + 1);
  EXPECT_EQ(clientSnapshot.totals.bytesWritten, clientToServer);
  EXPECT_EQ(clientSnapshot.totals.framesRead, kRequests + 1);
  EXPECT_EQ(clientSnapshot.totals.bytesRead, serverToClient);
  EXPECT_EQ(clientSnapshot.totals.messagesReturned, 0u);
  EXPECT_EQ(serverSnapshot.totals.framesWritten, kRequests + 1);
  EXPECT_EQ(serverSnapshot.totals.bytesWritten, serverToClient);
  EXPECT_EQ(serverSnapshot.totals.framesRead, kRequests + 1);
  EXPECT_EQ(serverSnapshot.totals.bytesRead, clientToServer);
  EXPECT_EQ(serverSnapshot.totals.messagesReturned, 0u);
  expectTotalsAreChannelSums(clientSnapshot);
  expectTotalsAreChannelSums(serverSnapshot);
  // Idle engines: Ampe::counters() says the same as the snapshot.
  expectEqualCounters(client.ampe().counters(), clientSnapshot.totals);
  expectEqualCounters(server.ampe().counters(), serverSnapshot.totals);

  // Every message went back to its pool but those the test holds; the queues are empty.
  EXPECT_EQ(clientSnapshot.pool.inUse, kHeld);
  EXPECT_EQ(serverSnapshot.pool.inUse, 0u);
  ASSERT_EQ(clientSnapshot.groups.size(), 1u);
  EXPECT_EQ(clientSnapshot.groups.front().receiveQueueDepth, 0u);
  ASSERT_EQ(serverSnapshot.groups.size(), 1u);
  EXPECT_EQ(serverSnapshot.groups.front().receiveQueueDepth, 0u);
  for (MessagePtr& message : held) {
    client.ampe().put(message);
  }
  // Back in the pool: in use no more. (How many stay idle is the pool's business since it grows
  // while receiving and trims idle messages each second: B14.)
  const EngineSnapshot after = snapshotOf(client.ampe());
  EXPECT_EQ(after.pool.inUse, 0u);
}

TEST_P(IntrospectionCounters, SendQueueHoldsTheFramesAPeerDoesNotRead) {
  RawServer peers(GetParam(), kSmallReceiveBuffer);
  ASSERT_TRUE(peers.valid());
  Engine client(limitedOptions());
  ChannelGroup& group = client.group();
  MessagePtr hello = helloRequest(client.ampe(), peers.address());
  const std::uint64_t helloBytes = frameSize(*hello);
  const BinaryHeader posted = post(group, std::move(hello));
  ASSERT_NE(posted.channelNumber, 0);
  std::unique_ptr<RawPeer> peer = peers.accept();  // and never reads
  ASSERT_TRUE(peer);
  const FillResult fill = fillSendQueue(client.ampe(), group, posted.channelNumber, kFillBodyBytes);
  ASSERT_TRUE(fill.full);

  const EngineSnapshot stalled = snapshotOf(client.ampe());
  const auto channel = openChannel(stalled, posted.channelNumber);
  ASSERT_TRUE(channel);
  const std::uint64_t requestBytes = kBinaryHeaderSize + kFillBodyBytes;
  const std::uint64_t frames = 1 + fill.ids.size();
  EXPECT_EQ(channel->state, ChannelState::ready);
  EXPECT_GT(channel->sendQueueMessages, 0u);
  ASSERT_GE(channel->messagesSent, 1u) << "the HelloRequest went first";
  // Each frame is either written completely (counted) or still queued, a partly written head
  // included; the queue's bytes are those not yet written, so only the head can be short.
  EXPECT_EQ(channel->messagesSent + channel->sendQueueMessages, frames);
  EXPECT_EQ(channel->bytesSent, helloBytes + (channel->messagesSent - 1) * requestBytes);
  EXPECT_LE(channel->sendQueueBytes, channel->sendQueueMessages * requestBytes);
  EXPECT_GT(channel->sendQueueBytes, (channel->sendQueueMessages - 1) * requestBytes);
  EXPECT_EQ(stalled.totals.framesWritten, channel->messagesSent);
  EXPECT_EQ(stalled.totals.bytesWritten, channel->bytesSent);

  // Abort: the queued frames come back, the closed entry keeps the counters, its queue is empty.
  post(group, byeSignal(client.ampe(), posted.channelNumber));
  Recorder recorder(group);
  ASSERT_TRUE(recorder.until(closedSignal(posted.channelNumber)));
  const std::size_t returned =
      recorder.count(allOf({withOpCode(OpCode::Request), withStatus(Status::channel_closed)}));
  EXPECT_EQ(returned, channel->sendQueueMessages) << recorder.dump();
  const EngineSnapshot aborted = snapshotOf(client.ampe());
  const auto closed = closedChannel(aborted, channel->incarnation);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->closeReason, Status::channel_closed);
  EXPECT_EQ(closed->messagesSent, channel->messagesSent);
  EXPECT_EQ(closed->bytesSent, channel->bytesSent);
  EXPECT_EQ(aborted.totals.messagesReturned, channel->sendQueueMessages + 1)
      << "the queued frames and the ByeSignal";
  EXPECT_EQ(aborted.totals.framesWritten + aborted.totals.messagesReturned, frames + 1)
      << "B1: written + returned";
}

TEST_P(IntrospectionCounters, SnapshotsDuringTrafficArePromptAndMonotonic) {
  Engine server(roomyOptions());
  Engine client(roomyOptions());
  ChannelGroup& serverGroup = server.group();
  ChannelGroup& clientGroup = client.group();
  const Listening listening = openListener(server.ampe(), serverGroup, listenAddress(GetParam()));
  ASSERT_NE(listening.channel, 0);
  const Link link = openLink(client.ampe(), clientGroup, serverGroup, listening.bound);
  ASSERT_TRUE(link.ok());

  // Echo traffic with a window of requests in flight until told to stop; then a Signal ends
  // the server side. Every wait is bounded: a lost message ends the thread with a failure.
  std::atomic<bool> stop{false};
  std::size_t sent = 0;
  std::size_t received = 0;
  std::thread clientThread([&] {
    constexpr std::size_t kWindow = 16;
    for (;;) {
      while (sent - received < kWindow && !stop.load()) {
        if (post(clientGroup, request(client.ampe(), link.client, "ping")).channelNumber == 0) {
          return;
        }
        ++sent;
      }
      if (received == sent) {
        break;
      }
      MessagePtr response = receive(clientGroup);
      if (!response || response->opCode() != OpCode::Response) {
        ADD_FAILURE() << "client: " << describe(response);
        return;
      }
      client.ampe().put(response);
      ++received;
    }
    post(clientGroup, request(client.ampe(), link.client, "end", OpCode::Signal));
  });
  std::thread serverThread([&] {
    for (;;) {
      MessagePtr message = receive(serverGroup);
      if (!message || message->opCode() == OpCode::Signal) {
        return;
      }
      message->setOpCode(OpCode::Response);
      if (!serverGroup.enqueueToPeer(message).ok()) {
        ADD_FAILURE() << "server: Response refused";
        return;
      }
    }
  });

  // Snapshots of both engines until the client channel was seen to progress between 10 pairs of
  // consecutive snapshots (bounded): each one prompt, each counter monotonic.
  const auto slowest = scaled(std::chrono::milliseconds(500));
  Clock::duration longest{};
  std::size_t progressed = 0;
  std::size_t taken = 0;
  std::optional<ChannelInfo> lastClient;
  std::optional<ChannelInfo> lastServer;
  EngineCounters lastTotals;
  const Clock::time_point deadline = Clock::now() + defaultTimeout();
  while (progressed < 10 && Clock::now() < deadline && !::testing::Test::HasFailure()) {
    const Clock::time_point start = Clock::now();
    const EngineSnapshot clientSnapshot = snapshotOf(client.ampe());
    longest = std::max(longest, Clock::now() - start);
    const Clock::time_point serverStart = Clock::now();
    const EngineSnapshot serverSnapshot = snapshotOf(server.ampe());
    longest = std::max(longest, Clock::now() - serverStart);
    ++taken;
    const auto clientChannel = openChannel(clientSnapshot, link.client);
    const auto serverChannel = openChannel(serverSnapshot, link.server);
    if (!clientChannel || !serverChannel) {
      break;
    }
    // One snapshot is one instant of its I/O thread: no Response before its Request.
    EXPECT_LE(clientChannel->messagesReceived, clientChannel->messagesSent);
    EXPECT_LE(serverChannel->messagesSent, serverChannel->messagesReceived);
    if (lastClient) {
      EXPECT_GE(clientChannel->messagesSent, lastClient->messagesSent);
      EXPECT_GE(clientChannel->bytesSent, lastClient->bytesSent);
      EXPECT_GE(clientChannel->messagesReceived, lastClient->messagesReceived);
      EXPECT_GE(clientChannel->bytesReceived, lastClient->bytesReceived);
      EXPECT_GE(clientChannel->lastSendNs, lastClient->lastSendNs);
      EXPECT_GE(serverChannel->messagesSent, lastServer->messagesSent);
      EXPECT_GE(serverChannel->messagesReceived, lastServer->messagesReceived);
      EXPECT_GE(serverChannel->bytesReceived, lastServer->bytesReceived);
      EXPECT_GE(clientSnapshot.totals.framesWritten, lastTotals.framesWritten);
      EXPECT_GE(clientSnapshot.totals.bytesRead, lastTotals.bytesRead);
      if (clientChannel->messagesSent > lastClient->messagesSent) {
        ++progressed;
      }
    }
    lastClient = clientChannel;
    lastServer = serverChannel;
    lastTotals = clientSnapshot.totals;
  }
  stop.store(true);
  clientThread.join();
  serverThread.join();
  EXPECT_GE(progressed, 10u) << "traffic must flow while the snapshots are taken (" << taken << " taken)";
  EXPECT_LT(longest, slowest) << "slowest snapshot: "
                              << std::chrono::duration_cast<std::chrono::microseconds>(longest).count()
                              << " us";

  // Afterwards the counters are exactly the traffic: Hello, `sent` Requests and the final Signal.
  EXPECT_EQ(received, sent);
  const EngineSnapshot serverSnapshot = snapshotOf(server.ampe());
  const EngineSnapshot clientSnapshot = snapshotOf(client.ampe());
  const auto clientChannel = openChannel(clientSnapshot, link.client);
  const auto serverChannel = openChannel(serverSnapshot, link.server);
  ASSERT_TRUE(clientChannel && serverChannel);
  EXPECT_EQ(clientChannel->messagesSent, sent + 2);
  EXPECT_EQ(clientChannel->messagesReceived, received + 1);
  EXPECT_EQ(serverChannel->messagesReceived, sent + 2);
  EXPECT_EQ(serverChannel->messagesSent, received + 1);
  EXPECT_EQ(serverChannel->bytesReceived, clientChannel->bytesSent);
  EXPECT_EQ(clientChannel->bytesReceived, serverChannel->bytesSent);
}

INSTANTIATE_TEST_SUITE_P(Transports, IntrospectionCounters, kAllTransports, TransportName());

TEST(IntrospectionPool, CountsIdleInUseAndAllocatedAndGroupQueues) {
  Engine engine(poolOptions(16, 64));  // 16 messages made up front, at most 64 kept idle
  Ampe& ampe = engine.ampe();
  EngineSnapshot snapshot = snapshotOf(ampe);
  EXPECT_EQ(snapshot.pool.idle, 16u);
  EXPECT_EQ(snapshot.pool.inUse, 0u);
  EXPECT_EQ(snapshot.pool.allocated, 16u);
  EXPECT_EQ(snapshot.pool.poolEmptyEpisodes, 0u);
  EXPECT_TRUE(snapshot.groups.empty());
  EXPECT_TRUE(snapshot.channels.empty());

  ChannelGroup& noisy = engine.group();
  ChannelGroup& quiet = engine.group();
  std::vector<MessagePtr> held;
  for (int i = 0; i < 5; ++i) {
    held.push_back(newMessage(ampe));
  }
  snapshot = snapshotOf(ampe);
  EXPECT_EQ(snapshot.pool.idle, 11u);
  EXPECT_EQ(snapshot.pool.inUse, 5u);
  EXPECT_EQ(snapshot.pool.allocated, 16u);
  ASSERT_EQ(snapshot.groups.size(), 2u);

  for (int i = 0; i < 20; ++i) {
    held.push_back(newMessage(ampe));  // 11 from the pool, then 9 new ones
  }
  // updateReceiver() queues three engine Signals (pool messages) for `noisy`.
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(noisy.updateReceiver(), Status::success);
  }
  snapshot = snapshotOf(ampe);
  EXPECT_EQ(snapshot.pool.idle, 0u);
  EXPECT_EQ(snapshot.pool.inUse, 28u);
  EXPECT_EQ(snapshot.pool.allocated, 28u);
  ASSERT_EQ(snapshot.groups.size(), 2u);
  std::vector<std::size_t> depths{snapshot.groups[0].receiveQueueDepth, snapshot.groups[1].receiveQueueDepth};
  std::sort(depths.begin(), depths.end());
  EXPECT_EQ(depths, (std::vector<std::size_t>{0, 3}));
  const std::uint64_t noisyId =
      snapshot.groups[0].receiveQueueDepth == 3 ? snapshot.groups[0].groupId : snapshot.groups[1].groupId;

  for (int i = 0; i < 3; ++i) {
    MessagePtr signal = receive(noisy);
    ASSERT_TRUE(signal);
    EXPECT_EQ(signal->status(), Status::receiver_update);
    held.push_back(std::move(signal));
  }
  EXPECT_EQ(held.size(), 28u);
  for (MessagePtr& message : held) {
    ampe.put(message);
  }
  held.clear();
  snapshot = snapshotOf(ampe);
  EXPECT_EQ(snapshot.pool.idle, 28u);
  EXPECT_EQ(snapshot.pool.inUse, 0u);
  EXPECT_EQ(snapshot.pool.allocated, 28u);
  for (const GroupInfo& info : snapshot.groups) {
    EXPECT_EQ(info.receiveQueueDepth, 0u);
  }

  // Past maxPoolMsgs (64) idle messages, returned ones are freed.
  for (int i = 0; i < 70; ++i) {
    held.push_back(newMessage(ampe));
  }
  snapshot = snapshotOf(ampe);
  EXPECT_EQ(snapshot.pool.idle, 0u);
  EXPECT_EQ(snapshot.pool.inUse, 70u);
  EXPECT_EQ(snapshot.pool.allocated, 70u);
  for (MessagePtr& message : held) {
    ampe.put(message);
  }
  held.clear();
  snapshot = snapshotOf(ampe);
  EXPECT_EQ(snapshot.pool.idle, 64u);
  EXPECT_EQ(snapshot.pool.inUse, 0u);
  EXPECT_EQ(snapshot.pool.allocated, 64u);

  // A destroyed group is no longer listed.
  engine.destroy(noisy);
  snapshot = snapshotOf(ampe);
  ASSERT_EQ(snapshot.groups.size(), 1u);
  EXPECT_NE(snapshot.groups.front().groupId, noisyId);
  (void)quiet;
}

TEST(IntrospectionPool, InUseCountsHeldPoolMessagesAfterAForeignMessageWasPut) {
  // Ampe::put() accepts messages the pool did not make (Message::create(); the engine's own
  // pool_empty notices are such messages too). While one sits idle in the pool, a pool-made
  // message the application holds must still count as in use.
  Engine engine(poolOptions(16, 64));  // 16 pool messages
  Ampe& ampe = engine.ampe();
  MessagePtr poolMade = newMessage(ampe);
  MessagePtr foreign = Message::create();
  ampe.put(foreign);                      // idle: 15 pool-made + the foreign one
  ampe.put(poolMade);                     // idle: 16 pool-made + the foreign one
  MessagePtr holding = newMessage(ampe);  // LIFO: the pool-made one just put back
  const EngineSnapshot snapshot = snapshotOf(ampe);
  EXPECT_EQ(snapshot.pool.idle, 16u);
  EXPECT_EQ(snapshot.pool.inUse, 1u) << "the test holds one pool-made message";
  ampe.put(holding);
}

}  // namespace
}  // namespace tofu::test
