// Helpers shared by the introspection tests (introspection_test.cpp,
// introspection_counters_test.cpp): snapshot checks, lookups, handshakes that keep the pool
// counts exact, and channel-state events. Header only; everything is inline.
#pragma once

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
#include "raw_peer.h"

namespace tofu {
// GoogleTest prints these by name (found by argument-dependent lookup in namespace tofu).
[[maybe_unused]] static void PrintTo(Status value, std::ostream* out) { *out << toString(value); }
[[maybe_unused]] static void PrintTo(ChannelState value, std::ostream* out) { *out << toString(value); }
[[maybe_unused]] static void PrintTo(ChannelKind value, std::ostream* out) { *out << toString(value); }
[[maybe_unused]] static void PrintTo(EventKind value, std::ostream* out) { *out << toString(value); }
}  // namespace tofu

namespace tofu::test {

// Most recently closed channels a snapshot lists (introspection.h).
inline constexpr std::size_t kRecentlyClosed = 64;

// Bytes of the frame `message` makes on the wire: binary header, text headers, body.
inline std::uint64_t frameSize(const Message& message) {
  return kBinaryHeaderSize + message.headers().size() + message.body().size();
}

inline ObserverOptions observerWith(std::size_t capacity) {
  ObserverOptions options;
  options.capacity = capacity;
  return options;
}

inline std::string listing(const EngineSnapshot& snapshot) {
  std::string text;
  for (const ChannelInfo& info : snapshot.channels) {
    text += "\n  ch=" + std::to_string(info.channelNumber) + " inc=" + std::to_string(info.incarnation) +
            " " + toString(info.kind) + " " + toString(info.state) + " reason=" + toString(info.closeReason) +
            " local='" + info.localAddress + "' peer='" + info.peerAddress + "'";
  }
  return text;
}

// What every snapshot must satisfy, whatever the engine is doing: its engine id everywhere,
// open channels first and then at most 64 closed ones, newest first, distinct ids, a pool whose
// numbers add up.
inline void expectWellFormed(const EngineSnapshot& snapshot, std::uint64_t engineId) {
  EXPECT_EQ(snapshot.engineId, engineId);
  EXPECT_GT(snapshot.takenAtNs, 0);
  std::size_t firstClosed = snapshot.channels.size();
  for (std::size_t i = 0; i < snapshot.channels.size(); ++i) {
    if (snapshot.channels[i].state == ChannelState::closed) {
      firstClosed = i;
      break;
    }
  }
  std::set<std::uint16_t> openNumbers;
  std::set<std::uint64_t> incarnations;
  for (std::size_t i = 0; i < snapshot.channels.size(); ++i) {
    const ChannelInfo& info = snapshot.channels[i];
    EXPECT_EQ(info.engineId, engineId) << "channel " << info.channelNumber;
    EXPECT_NE(info.incarnation, 0u) << "channel " << info.channelNumber;
    EXPECT_NE(info.channelNumber, 0) << "entry " << i;
    EXPECT_NE(info.groupId, 0u) << "channel " << info.channelNumber;
    EXPECT_TRUE(incarnations.insert(info.incarnation).second)
        << "incarnation " << info.incarnation << " listed twice";
    if (i < firstClosed) {
      EXPECT_TRUE(openNumbers.insert(info.channelNumber).second)
          << "open channel " << info.channelNumber << " listed twice";
      continue;
    }
    EXPECT_EQ(info.state, ChannelState::closed)
        << "entry " << i << ": open channels must come first" << listing(snapshot);
    EXPECT_EQ(info.sendQueueMessages, 0u) << "closed channel " << info.channelNumber;
    EXPECT_EQ(info.sendQueueBytes, 0u) << "closed channel " << info.channelNumber;
    if (i > firstClosed) {
      EXPECT_LT(info.incarnation, snapshot.channels[i - 1].incarnation)
          << "closed channels: newest first" << listing(snapshot);
    }
  }
  EXPECT_LE(snapshot.channels.size() - firstClosed, kRecentlyClosed);
  std::set<std::uint64_t> groupIds;
  for (const GroupInfo& group : snapshot.groups) {
    EXPECT_NE(group.groupId, 0u);
    EXPECT_TRUE(groupIds.insert(group.groupId).second) << "group " << group.groupId << " listed twice";
  }
  EXPECT_EQ(snapshot.pool.idle + snapshot.pool.inUse, snapshot.pool.allocated);
  EXPECT_EQ(snapshot.pool.poolEmptyEpisodes, snapshot.totals.poolEmptyEpisodes);
}

inline EngineSnapshot snapshotOf(Ampe& ampe) {
  Result<EngineSnapshot> taken = ampe.snapshot();
  EXPECT_EQ(taken.status(), Status::success);
  if (!taken.ok()) {
    return {};
  }
  expectWellFormed(taken.value(), ampe.engineId());
  return std::move(taken).value();
}

inline std::vector<ChannelInfo> openChannels(const EngineSnapshot& snapshot) {
  std::vector<ChannelInfo> open;
  for (const ChannelInfo& info : snapshot.channels) {
    if (info.state != ChannelState::closed) {
      open.push_back(info);
    }
  }
  return open;
}

inline std::vector<ChannelInfo> closedChannels(const EngineSnapshot& snapshot) {
  std::vector<ChannelInfo> closed;
  for (const ChannelInfo& info : snapshot.channels) {
    if (info.state == ChannelState::closed) {
      closed.push_back(info);
    }
  }
  return closed;
}

// The open channel numbered `number`; a failure when there is none.
inline std::optional<ChannelInfo> openChannel(const EngineSnapshot& snapshot, std::uint16_t number) {
  for (const ChannelInfo& info : openChannels(snapshot)) {
    if (info.channelNumber == number) {
      return info;
    }
  }
  ADD_FAILURE() << "no open channel " << number << " in" << listing(snapshot);
  return std::nullopt;
}

// The closed entry of incarnation `incarnation`; a failure when there is none.
inline std::optional<ChannelInfo> closedChannel(const EngineSnapshot& snapshot, std::uint64_t incarnation) {
  for (const ChannelInfo& info : closedChannels(snapshot)) {
    if (info.incarnation == incarnation) {
      return info;
    }
  }
  ADD_FAILURE() << "no closed entry for incarnation " << incarnation << " in" << listing(snapshot);
  return std::nullopt;
}

inline void expectNoTraffic(const ChannelInfo& info) {
  EXPECT_EQ(info.messagesSent, 0u);
  EXPECT_EQ(info.bytesSent, 0u);
  EXPECT_EQ(info.messagesReceived, 0u);
  EXPECT_EQ(info.bytesReceived, 0u);
  EXPECT_EQ(info.sendQueueMessages, 0u);
  EXPECT_EQ(info.sendQueueBytes, 0u);
  EXPECT_EQ(info.lastSendNs, 0);
  EXPECT_EQ(info.lastReceiveNs, 0);
}

inline void expectSameCounters(const ChannelInfo& now, const ChannelInfo& before) {
  EXPECT_EQ(now.messagesSent, before.messagesSent);
  EXPECT_EQ(now.bytesSent, before.bytesSent);
  EXPECT_EQ(now.messagesReceived, before.messagesReceived);
  EXPECT_EQ(now.bytesReceived, before.bytesReceived);
  EXPECT_EQ(now.lastSendNs, before.lastSendNs);
  EXPECT_EQ(now.lastReceiveNs, before.lastReceiveNs);
}

inline void expectEqualCounters(const EngineCounters& a, const EngineCounters& b) {
  EXPECT_EQ(a.framesWritten, b.framesWritten);
  EXPECT_EQ(a.bytesWritten, b.bytesWritten);
  EXPECT_EQ(a.framesRead, b.framesRead);
  EXPECT_EQ(a.bytesRead, b.bytesRead);
  EXPECT_EQ(a.messagesReturned, b.messagesReturned);
  EXPECT_EQ(a.poolEmptyEpisodes, b.poolEmptyEpisodes);
  EXPECT_EQ(a.channelsOpened, b.channelsOpened);
  EXPECT_EQ(a.channelsClosed, b.channelsClosed);
}

// The engine totals are the sums over its channels (valid while every channel the engine ever
// had is still listed, i.e. at most 64 have closed).
inline void expectTotalsAreChannelSums(const EngineSnapshot& snapshot) {
  EngineCounters sums;
  for (const ChannelInfo& info : snapshot.channels) {
    sums.framesWritten += info.messagesSent;
    sums.bytesWritten += info.bytesSent;
    sums.framesRead += info.messagesReceived;
    sums.bytesRead += info.bytesReceived;
  }
  EXPECT_EQ(snapshot.totals.framesWritten, sums.framesWritten);
  EXPECT_EQ(snapshot.totals.bytesWritten, sums.bytesWritten);
  EXPECT_EQ(snapshot.totals.framesRead, sums.framesRead);
  EXPECT_EQ(snapshot.totals.bytesRead, sums.bytesRead);
  EXPECT_EQ(snapshot.totals.channelsOpened, snapshot.channels.size());
  EXPECT_EQ(snapshot.totals.channelsClosed, closedChannels(snapshot).size());
}

// ---------------------------------------------------------------------------------------------
// Handshakes that give every message back to the pool, so the pool counts stay exact.

inline Listening openListener(Ampe& ampe, ChannelGroup& group, const Address& local) {
  Listening result;
  const BinaryHeader posted = post(group, welcomeRequest(ampe, local));
  MessagePtr reply = receive(group);
  if (posted.channelNumber == 0 || !reply) {
    return result;
  }
  EXPECT_EQ(reply->opCode(), OpCode::WelcomeResponse) << describe(reply);
  EXPECT_EQ(reply->status(), Status::success) << describe(reply);
  const auto value = reply->headers().find(kListenOnHeader);
  if (value) {
    const Result<Address> bound = Address::parse(*value);
    EXPECT_TRUE(bound.ok()) << *value;
    if (bound.ok()) result.bound = bound.value();
    result.channel = posted.channelNumber;
    result.messageId = posted.messageId;
  } else {
    ADD_FAILURE() << "WelcomeResponse without " << kListenOnHeader;
  }
  ampe.put(reply);
  return result;
}

struct Link {
  std::uint16_t client = 0;
  std::uint16_t server = 0;
  std::uint64_t helloBytes = 0;  // the HelloRequest's frame
  bool ok() const noexcept { return client != 0 && server != 0; }
};

// Connects, accepts with a bare HelloResponse (16 bytes) and waits for it on the client.
inline Link openLink(Ampe& clientAmpe, ChannelGroup& client, ChannelGroup& server, const Address& peer) {
  Link link;
  MessagePtr hello = helloRequest(clientAmpe, peer);
  const std::uint64_t helloBytes = frameSize(*hello);
  const BinaryHeader posted = post(client, std::move(hello));
  if (posted.channelNumber == 0) {
    return link;
  }
  MessagePtr request = receive(server);
  if (!request || request->opCode() != OpCode::HelloRequest || request->messageId() != posted.messageId) {
    ADD_FAILURE() << "expected the HelloRequest, got " << describe(request);
    return link;
  }
  const std::uint16_t serverChannel = request->channelNumber();
  request->setOpCode(OpCode::HelloResponse);
  request->headers().reset();
  request->body().reset();
  if (!server.enqueueToPeer(request).ok()) {
    ADD_FAILURE() << "HelloResponse refused";
    return link;
  }
  MessagePtr reply = receive(client);
  if (!reply || reply->opCode() != OpCode::HelloResponse || reply->status() != Status::success ||
      reply->channelNumber() != posted.channelNumber) {
    ADD_FAILURE() << "expected the HelloResponse, got " << describe(reply);
    return link;
  }
  clientAmpe.put(reply);
  link.client = posted.channelNumber;
  link.server = serverChannel;
  link.helloBytes = helloBytes;
  return link;
}

// ---------------------------------------------------------------------------------------------
// Channel-state events, to check the life cycles the snapshots show step by step.

struct StateChange {
  ChannelState state = ChannelState::opening;
  Status status = Status::success;
  bool operator==(const StateChange&) const = default;
};

inline std::string describeStates(const std::vector<StateChange>& changes) {
  std::string text;
  for (const StateChange& change : changes) {
    text += std::string(" ") + toString(change.state) + "(" + toString(change.status) + ")";
  }
  return text.empty() ? " (none)" : text;
}

inline std::vector<StateChange> stateChanges(const std::vector<Event>& events, std::uint64_t incarnation) {
  std::vector<StateChange> changes;
  for (const Event& event : events) {
    if (event.kind == EventKind::channelState && event.incarnation == incarnation) {
      changes.push_back({event.state, event.status});
    }
  }
  return changes;
}

// `got` is `want`, where a client may first pass through `connecting` (a TCP connect that does
// not complete at once; a UDS one usually does).
inline void expectStates(const std::vector<StateChange>& got, std::vector<StateChange> want,
                         bool mayConnectFirst = false) {
  if (mayConnectFirst && !got.empty() && got.front().state == ChannelState::connecting) {
    want.insert(want.begin(), StateChange{ChannelState::connecting, Status::success});
  }
  EXPECT_EQ(got, want) << "got" << describeStates(got) << "\nwant" << describeStates(want);
}

// Moves every buffered event of `stream` to the back of `into`.
inline void collect(EventStream& stream, std::vector<Event>& into) {
  while (stream.poll(into, 4096) > 0) {
  }
}

}  // namespace tofu::test
