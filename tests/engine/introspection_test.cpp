// Introspection (DECISIONS.md A1), snapshots: what Ampe::snapshot() reports through every
// channel life cycle of PROTOCOL.md section 5 (listener, client, server; graceful close, abort,
// peer loss, failed connect), incarnation and engine ids, per-channel and engine counters against
// the frames and bytes actually exchanged, send-queue depth, the pool and the groups, and
// snapshots taken while traffic flows. The event stream is in introspection_observer_test.cpp.
// Connection tests run over TCP and UDS.
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
namespace {

using Clock = std::chrono::steady_clock;

// Most recently closed channels a snapshot lists (introspection.h).
constexpr std::size_t kRecentlyClosed = 64;

// Bytes of the frame `message` makes on the wire: binary header, text headers, body.
std::uint64_t frameSize(const Message& message) {
  return kBinaryHeaderSize + message.headers().size() + message.body().size();
}

ObserverOptions observerWith(std::size_t capacity) {
  ObserverOptions options;
  options.capacity = capacity;
  return options;
}

std::string listing(const EngineSnapshot& snapshot) {
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
void expectWellFormed(const EngineSnapshot& snapshot, std::uint64_t engineId) {
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

EngineSnapshot snapshotOf(Ampe& ampe) {
  Result<EngineSnapshot> taken = ampe.snapshot();
  EXPECT_EQ(taken.status(), Status::success);
  if (!taken.ok()) {
    return {};
  }
  expectWellFormed(taken.value(), ampe.engineId());
  return std::move(taken).value();
}

std::vector<ChannelInfo> openChannels(const EngineSnapshot& snapshot) {
  std::vector<ChannelInfo> open;
  for (const ChannelInfo& info : snapshot.channels) {
    if (info.state != ChannelState::closed) {
      open.push_back(info);
    }
  }
  return open;
}

std::vector<ChannelInfo> closedChannels(const EngineSnapshot& snapshot) {
  std::vector<ChannelInfo> closed;
  for (const ChannelInfo& info : snapshot.channels) {
    if (info.state == ChannelState::closed) {
      closed.push_back(info);
    }
  }
  return closed;
}

// The open channel numbered `number`; a failure when there is none.
std::optional<ChannelInfo> openChannel(const EngineSnapshot& snapshot, std::uint16_t number) {
  for (const ChannelInfo& info : openChannels(snapshot)) {
    if (info.channelNumber == number) {
      return info;
    }
  }
  ADD_FAILURE() << "no open channel " << number << " in" << listing(snapshot);
  return std::nullopt;
}

// The closed entry of incarnation `incarnation`; a failure when there is none.
std::optional<ChannelInfo> closedChannel(const EngineSnapshot& snapshot, std::uint64_t incarnation) {
  for (const ChannelInfo& info : closedChannels(snapshot)) {
    if (info.incarnation == incarnation) {
      return info;
    }
  }
  ADD_FAILURE() << "no closed entry for incarnation " << incarnation << " in" << listing(snapshot);
  return std::nullopt;
}

void expectNoTraffic(const ChannelInfo& info) {
  EXPECT_EQ(info.messagesSent, 0u);
  EXPECT_EQ(info.bytesSent, 0u);
  EXPECT_EQ(info.messagesReceived, 0u);
  EXPECT_EQ(info.bytesReceived, 0u);
  EXPECT_EQ(info.sendQueueMessages, 0u);
  EXPECT_EQ(info.sendQueueBytes, 0u);
  EXPECT_EQ(info.lastSendNs, 0);
  EXPECT_EQ(info.lastReceiveNs, 0);
}

void expectSameCounters(const ChannelInfo& now, const ChannelInfo& before) {
  EXPECT_EQ(now.messagesSent, before.messagesSent);
  EXPECT_EQ(now.bytesSent, before.bytesSent);
  EXPECT_EQ(now.messagesReceived, before.messagesReceived);
  EXPECT_EQ(now.bytesReceived, before.bytesReceived);
  EXPECT_EQ(now.lastSendNs, before.lastSendNs);
  EXPECT_EQ(now.lastReceiveNs, before.lastReceiveNs);
}

void expectEqualCounters(const EngineCounters& a, const EngineCounters& b) {
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
void expectTotalsAreChannelSums(const EngineSnapshot& snapshot) {
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

Listening openListener(Ampe& ampe, ChannelGroup& group, const Address& local) {
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
    result.bound = bound.value();
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
Link openLink(Ampe& clientAmpe, ChannelGroup& client, ChannelGroup& server, const Address& peer) {
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

std::string describeStates(const std::vector<StateChange>& changes) {
  std::string text;
  for (const StateChange& change : changes) {
    text += std::string(" ") + toString(change.state) + "(" + toString(change.status) + ")";
  }
  return text.empty() ? " (none)" : text;
}

std::vector<StateChange> stateChanges(const std::vector<Event>& events, std::uint64_t incarnation) {
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
void expectStates(const std::vector<StateChange>& got, std::vector<StateChange> want,
                  bool mayConnectFirst = false) {
  if (mayConnectFirst && !got.empty() && got.front().state == ChannelState::connecting) {
    want.insert(want.begin(), StateChange{ChannelState::connecting, Status::success});
  }
  EXPECT_EQ(got, want) << "got" << describeStates(got) << "\nwant" << describeStates(want);
}

// Moves every buffered event of `stream` to the back of `into`.
void collect(EventStream& stream, std::vector<Event>& into) {
  while (stream.poll(into, 4096) > 0) {
  }
}

// ---------------------------------------------------------------------------------------------
// Life cycles (PROTOCOL.md 5), a server engine and a client engine, both observed throughout.

class IntrospectionLifecycle : public ::testing::TestWithParam<Transport> {
 protected:
  IntrospectionLifecycle()
      : serverGroup_(server_.group()),
        clientGroup_(client_.group()),
        serverStream_(server_.ampe().startObserving(observerWith(4096))),
        clientStream_(client_.ampe().startObserving(observerWith(4096))) {}

  // The state changes each engine published so far. Call after snapshots of both engines, which
  // run on the I/O threads after everything they did before.
  std::vector<StateChange> serverStates(std::uint64_t incarnation) {
    collect(*serverStream_, serverEvents_);
    return stateChanges(serverEvents_, incarnation);
  }
  std::vector<StateChange> clientStates(std::uint64_t incarnation) {
    collect(*clientStream_, clientEvents_);
    return stateChanges(clientEvents_, incarnation);
  }

  // The only group of an engine.
  static std::uint64_t groupIdOf(const EngineSnapshot& snapshot) {
    EXPECT_EQ(snapshot.groups.size(), 1u);
    return snapshot.groups.empty() ? 0 : snapshot.groups.front().groupId;
  }

  // A listener and a connection to it, with the snapshot entries of the three channels.
  void connect() {
    listening_ = listen(server_.ampe(), serverGroup_, listenAddress(GetParam()));
    ASSERT_NE(listening_.channel, 0);
    link_ = openLink(client_.ampe(), clientGroup_, serverGroup_, listening_.bound);
    ASSERT_TRUE(link_.ok());
    const EngineSnapshot serverSnapshot = snapshotOf(server_.ampe());
    const EngineSnapshot clientSnapshot = snapshotOf(client_.ampe());
    const auto listener = openChannel(serverSnapshot, listening_.channel);
    const auto server = openChannel(serverSnapshot, link_.server);
    const auto client = openChannel(clientSnapshot, link_.client);
    ASSERT_TRUE(listener && server && client);
    listener_ = *listener;
    serverChannel_ = *server;
    clientChannel_ = *client;
  }

  Engine server_;
  Engine client_;
  ChannelGroup& serverGroup_;
  ChannelGroup& clientGroup_;
  std::shared_ptr<EventStream> serverStream_;
  std::shared_ptr<EventStream> clientStream_;
  std::vector<Event> serverEvents_;
  std::vector<Event> clientEvents_;

  Listening listening_;
  Link link_;
  ChannelInfo listener_;
  ChannelInfo serverChannel_;
  ChannelInfo clientChannel_;
};

TEST_P(IntrospectionLifecycle, ListenerIsReadyOnItsBoundAddressThenClosedByByeSignal) {
  Ampe& ampe = server_.ampe();
  const EngineSnapshot empty = snapshotOf(ampe);
  EXPECT_TRUE(empty.channels.empty()) << listing(empty);
  const std::uint64_t groupId = groupIdOf(empty);

  const Listening listening = listen(ampe, serverGroup_, listenAddress(GetParam()));
  ASSERT_NE(listening.channel, 0);
  if (GetParam() == Transport::tcp) {
    EXPECT_NE(listening.bound.port(), 0);
  }
  const EngineSnapshot up = snapshotOf(ampe);
  ASSERT_EQ(up.channels.size(), 1u) << listing(up);
  const ChannelInfo listener = up.channels.front();
  EXPECT_EQ(listener.channelNumber, listening.channel);
  EXPECT_EQ(listener.kind, ChannelKind::listener);
  EXPECT_EQ(listener.state, ChannelState::ready);
  EXPECT_EQ(listener.groupId, groupId);
  EXPECT_EQ(listener.localAddress, listening.bound.toString());
  EXPECT_EQ(listener.peerAddress, "");
  EXPECT_EQ(listener.closeReason, Status::success);
  expectNoTraffic(listener);

  post(serverGroup_, byeSignal(ampe, listening.channel));
  MessagePtr echoed = receive(serverGroup_);
  ASSERT_TRUE(echoed);
  EXPECT_EQ(echoed->opCode(), OpCode::ByeSignal) << describe(echoed);
  EXPECT_EQ(echoed->status(), Status::channel_closed) << describe(echoed);
  MessagePtr closed = receive(serverGroup_);
  ASSERT_TRUE(closed);
  EXPECT_TRUE(closedSignal(listening.channel)(*closed)) << describe(closed);

  const EngineSnapshot down = snapshotOf(ampe);
  EXPECT_TRUE(openChannels(down).empty()) << listing(down);
  const auto gone = closedChannel(down, listener.incarnation);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->channelNumber, listening.channel);
  EXPECT_EQ(gone->kind, ChannelKind::listener);
  EXPECT_EQ(gone->groupId, groupId);
  EXPECT_EQ(gone->localAddress, listening.bound.toString());
  EXPECT_EQ(gone->peerAddress, "");
  EXPECT_EQ(gone->closeReason, Status::channel_closed);
  expectNoTraffic(*gone);
  EXPECT_EQ(down.totals.channelsOpened, 1u);
  EXPECT_EQ(down.totals.channelsClosed, 1u);

  expectStates(serverStates(listener.incarnation),
               {{ChannelState::ready, Status::success}, {ChannelState::closed, Status::channel_closed}});
}

TEST_P(IntrospectionLifecycle, ListenerThatCannotListenIsListedClosedWithListenFailed) {
  Ampe& ampe = server_.ampe();
  const Listening first = listen(ampe, serverGroup_, listenAddress(GetParam()));
  ASSERT_NE(first.channel, 0);
  // B8: a second listener on a busy TCP port or on a live UDS listener's path fails.
  const BinaryHeader second = post(serverGroup_, welcomeRequest(ampe, first.bound));
  ASSERT_NE(second.channelNumber, 0);
  MessagePtr reply = receive(serverGroup_);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->opCode(), OpCode::WelcomeResponse) << describe(reply);
  EXPECT_EQ(reply->status(), Status::listen_failed) << describe(reply);
  MessagePtr closed = receive(serverGroup_);
  ASSERT_TRUE(closed);
  EXPECT_TRUE(closedSignal(second.channelNumber)(*closed)) << describe(closed);

  // Listeners only: to find a live UDS listener the engine connects to the path, and its own
  // listener may accept that probe as a server channel that closes at once, silently. (Not
  // snapshotOf(): that channel can close in the pass of the snapshot and then be misplaced, see
  // AChannelClosedJustBeforeASnapshotIsNotListedAmongTheOpenOnes.)
  const Result<EngineSnapshot> taken = ampe.snapshot();
  ASSERT_TRUE(taken.ok());
  const EngineSnapshot& snapshot = taken.value();
  const auto listenersOf = [](std::vector<ChannelInfo> channels) {
    std::erase_if(channels, [](const ChannelInfo& info) { return info.kind != ChannelKind::listener; });
    return channels;
  };
  const std::vector<ChannelInfo> open = listenersOf(openChannels(snapshot));
  const std::vector<ChannelInfo> gone = listenersOf(closedChannels(snapshot));
  ASSERT_EQ(open.size(), 1u) << listing(snapshot);
  ASSERT_EQ(gone.size(), 1u) << listing(snapshot);
  EXPECT_EQ(open.front().channelNumber, first.channel);
  EXPECT_EQ(open.front().state, ChannelState::ready);
  const ChannelInfo& failed = gone.front();
  EXPECT_EQ(failed.channelNumber, second.channelNumber);
  EXPECT_EQ(failed.kind, ChannelKind::listener);
  EXPECT_EQ(failed.groupId, groupIdOf(snapshot));
  EXPECT_GT(failed.incarnation, open.front().incarnation);
  EXPECT_EQ(failed.closeReason, Status::listen_failed);
  EXPECT_EQ(failed.localAddress, "") << "it never had a socket";
  EXPECT_EQ(failed.peerAddress, "");
  expectNoTraffic(failed);

  expectStates(serverStates(failed.incarnation), {{ChannelState::closed, Status::listen_failed}});
}

TEST_P(IntrospectionLifecycle, ConnectedChannelsShowKindGroupAndAddresses) {
  ASSERT_NO_FATAL_FAILURE(connect());
  const EngineSnapshot serverSnapshot = snapshotOf(server_.ampe());
  const EngineSnapshot clientSnapshot = snapshotOf(client_.ampe());
  EXPECT_NE(serverSnapshot.engineId, clientSnapshot.engineId);
  EXPECT_EQ(serverSnapshot.channels.size(), 2u) << listing(serverSnapshot);
  EXPECT_EQ(clientSnapshot.channels.size(), 1u) << listing(clientSnapshot);
  const std::string bound = listening_.bound.toString();

  EXPECT_EQ(listener_.kind, ChannelKind::listener);
  EXPECT_EQ(listener_.state, ChannelState::ready);
  EXPECT_EQ(listener_.localAddress, bound);

  // The server channel: the listener's group and local address; over TCP the client's port.
  EXPECT_EQ(serverChannel_.kind, ChannelKind::serverIo);
  EXPECT_EQ(serverChannel_.state, ChannelState::ready);
  EXPECT_EQ(serverChannel_.groupId, groupIdOf(serverSnapshot));
  EXPECT_EQ(serverChannel_.groupId, listener_.groupId);
  EXPECT_GT(serverChannel_.incarnation, listener_.incarnation);
  EXPECT_EQ(serverChannel_.localAddress, bound);
  EXPECT_EQ(serverChannel_.closeReason, Status::success);

  // The client channel: its own group, the address it connected to.
  EXPECT_EQ(clientChannel_.kind, ChannelKind::clientIo);
  EXPECT_EQ(clientChannel_.state, ChannelState::ready);
  EXPECT_EQ(clientChannel_.groupId, groupIdOf(clientSnapshot));
  EXPECT_EQ(clientChannel_.peerAddress, bound);
  EXPECT_EQ(clientChannel_.closeReason, Status::success);

  if (GetParam() == Transport::tcp) {
    const Result<Address> clientLocal = Address::parse(clientChannel_.localAddress);
    ASSERT_TRUE(clientLocal.ok()) << "'" << clientChannel_.localAddress << "'";
    EXPECT_EQ(clientLocal.value().host(), "127.0.0.1");
    EXPECT_NE(clientLocal.value().port(), 0);
    EXPECT_NE(clientLocal.value().port(), listening_.bound.port());
    EXPECT_EQ(serverChannel_.peerAddress, clientChannel_.localAddress) << "the two ends of one connection";
  } else {
    // A connecting UDS socket is unnamed: neither end knows a path for it.
    EXPECT_EQ(clientChannel_.localAddress, "");
    EXPECT_EQ(serverChannel_.peerAddress, "");
  }

  // Hello (client) and HelloResponse (server) so far.
  EXPECT_EQ(clientChannel_.messagesSent, 1u);
  EXPECT_EQ(clientChannel_.bytesSent, link_.helloBytes);
  EXPECT_EQ(clientChannel_.messagesReceived, 1u);
  EXPECT_EQ(clientChannel_.bytesReceived, kBinaryHeaderSize);
  EXPECT_EQ(serverChannel_.messagesReceived, 1u);
  EXPECT_EQ(serverChannel_.bytesReceived, link_.helloBytes);
  EXPECT_EQ(serverChannel_.messagesSent, 1u);
  EXPECT_EQ(serverChannel_.bytesSent, kBinaryHeaderSize);

  expectStates(serverStates(listener_.incarnation), {{ChannelState::ready, Status::success}});
  expectStates(serverStates(serverChannel_.incarnation), {{ChannelState::ready, Status::success}});
  expectStates(clientStates(clientChannel_.incarnation), {{ChannelState::ready, Status::success}},
               GetParam() == Transport::tcp);
}

TEST_P(IntrospectionLifecycle, GracefulCloseGoesThroughClosingToClosed) {
  ASSERT_NO_FATAL_FAILURE(connect());
  Ampe& serverAmpe = server_.ampe();
  Ampe& clientAmpe = client_.ampe();
  const BinaryHeader bye = post(clientGroup_, byeRequest(clientAmpe, link_.client));
  MessagePtr request = receive(serverGroup_);
  ASSERT_TRUE(request);
  ASSERT_EQ(request->opCode(), OpCode::ByeRequest) << describe(request);

  // The client wrote its ByeRequest, the server received it: both are closing, not closed.
  {
    const EngineSnapshot serverSnapshot = snapshotOf(serverAmpe);
    const EngineSnapshot clientSnapshot = snapshotOf(clientAmpe);
    const auto server = openChannel(serverSnapshot, link_.server);
    const auto client = openChannel(clientSnapshot, link_.client);
    ASSERT_TRUE(server && client);
    EXPECT_EQ(server->state, ChannelState::closing);
    EXPECT_EQ(server->incarnation, serverChannel_.incarnation);
    EXPECT_EQ(server->closeReason, Status::success) << "not closed yet";
    EXPECT_EQ(client->state, ChannelState::closing);
    EXPECT_EQ(client->incarnation, clientChannel_.incarnation);
    EXPECT_EQ(client->closeReason, Status::success) << "not closed yet";
  }

  request->setOpCode(OpCode::ByeResponse);
  ASSERT_TRUE(serverGroup_.enqueueToPeer(request).ok());
  MessagePtr response = receive(clientGroup_);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->opCode(), OpCode::ByeResponse) << describe(response);
  EXPECT_EQ(response->messageId(), bye.messageId);
  MessagePtr clientClosed = receive(clientGroup_);
  ASSERT_TRUE(clientClosed);
  EXPECT_TRUE(closedSignal(link_.client)(*clientClosed)) << describe(clientClosed);
  MessagePtr serverClosed = receive(serverGroup_);
  ASSERT_TRUE(serverClosed);
  EXPECT_TRUE(closedSignal(link_.server)(*serverClosed)) << describe(serverClosed);

  const EngineSnapshot serverSnapshot = snapshotOf(serverAmpe);
  const EngineSnapshot clientSnapshot = snapshotOf(clientAmpe);
  const auto server = closedChannel(serverSnapshot, serverChannel_.incarnation);
  const auto client = closedChannel(clientSnapshot, clientChannel_.incarnation);
  ASSERT_TRUE(server && client);
  EXPECT_TRUE(openChannels(clientSnapshot).empty()) << listing(clientSnapshot);
  ASSERT_EQ(openChannels(serverSnapshot).size(), 1u) << "the listener stays up" << listing(serverSnapshot);
  EXPECT_EQ(openChannels(serverSnapshot).front().incarnation, listener_.incarnation);

  EXPECT_EQ(client->closeReason, Status::channel_closed);
  EXPECT_EQ(client->kind, ChannelKind::clientIo);
  EXPECT_EQ(client->channelNumber, link_.client);
  EXPECT_EQ(client->groupId, clientChannel_.groupId);
  EXPECT_EQ(client->localAddress, clientChannel_.localAddress);
  EXPECT_EQ(client->peerAddress, clientChannel_.peerAddress);
  EXPECT_EQ(client->messagesSent, 2u);      // HelloRequest, ByeRequest
  EXPECT_EQ(client->messagesReceived, 2u);  // HelloResponse, ByeResponse
  EXPECT_EQ(client->bytesSent, link_.helloBytes + kBinaryHeaderSize);
  EXPECT_EQ(client->bytesReceived, 2 * kBinaryHeaderSize);
  EXPECT_EQ(server->closeReason, Status::channel_closed);
  EXPECT_EQ(server->kind, ChannelKind::serverIo);
  EXPECT_EQ(server->channelNumber, link_.server);
  EXPECT_EQ(server->localAddress, serverChannel_.localAddress);
  EXPECT_EQ(server->peerAddress, serverChannel_.peerAddress);
  EXPECT_EQ(server->messagesSent, 2u);
  EXPECT_EQ(server->messagesReceived, 2u);
  expectTotalsAreChannelSums(serverSnapshot);
  expectTotalsAreChannelSums(clientSnapshot);

  expectStates(clientStates(clientChannel_.incarnation),
               {{ChannelState::ready, Status::success},
                {ChannelState::closing, Status::success},
                {ChannelState::closed, Status::channel_closed}},
               GetParam() == Transport::tcp);
  expectStates(serverStates(serverChannel_.incarnation), {{ChannelState::ready, Status::success},
                                                          {ChannelState::closing, Status::success},
                                                          {ChannelState::closed, Status::channel_closed}});
  expectStates(serverStates(listener_.incarnation), {{ChannelState::ready, Status::success}});
}

TEST_P(IntrospectionLifecycle, AbortByByeSignalClosesTheClientAndThePeerSeesItsLoss) {
  ASSERT_NO_FATAL_FAILURE(connect());
  post(clientGroup_, byeSignal(client_.ampe(), link_.client));
  MessagePtr echoed = receive(clientGroup_);
  ASSERT_TRUE(echoed);
  EXPECT_EQ(echoed->opCode(), OpCode::ByeSignal) << describe(echoed);
  EXPECT_EQ(echoed->status(), Status::channel_closed) << describe(echoed);
  MessagePtr clientClosed = receive(clientGroup_);
  ASSERT_TRUE(clientClosed);
  EXPECT_TRUE(closedSignal(link_.client)(*clientClosed)) << describe(clientClosed);
  MessagePtr serverClosed = receive(serverGroup_);
  ASSERT_TRUE(serverClosed);
  EXPECT_TRUE(closedSignal(link_.server)(*serverClosed)) << describe(serverClosed);

  const EngineSnapshot serverSnapshot = snapshotOf(server_.ampe());
  const EngineSnapshot clientSnapshot = snapshotOf(client_.ampe());
  const auto client = closedChannel(clientSnapshot, clientChannel_.incarnation);
  const auto server = closedChannel(serverSnapshot, serverChannel_.incarnation);
  ASSERT_TRUE(client && server);
  EXPECT_EQ(client->closeReason, Status::channel_closed);
  EXPECT_EQ(client->peerAddress, clientChannel_.peerAddress);
  expectSameCounters(*client, clientChannel_);
  EXPECT_EQ(server->closeReason, Status::peer_disconnected);
  EXPECT_EQ(server->localAddress, serverChannel_.localAddress);
  expectSameCounters(*server, serverChannel_);
  const auto listener = openChannel(serverSnapshot, listening_.channel);
  ASSERT_TRUE(listener);
  EXPECT_EQ(listener->incarnation, listener_.incarnation);
  EXPECT_EQ(listener->state, ChannelState::ready) << "closing a connection leaves its listener up";

  expectStates(clientStates(clientChannel_.incarnation),
               {{ChannelState::ready, Status::success}, {ChannelState::closed, Status::channel_closed}},
               GetParam() == Transport::tcp);
  expectStates(serverStates(serverChannel_.incarnation),
               {{ChannelState::ready, Status::success}, {ChannelState::closed, Status::peer_disconnected}});
}

TEST_P(IntrospectionLifecycle, PeerLossClosesTheClientWithPeerDisconnected) {
  ASSERT_NO_FATAL_FAILURE(connect());
  server_.shutdown();  // the server engine goes away: its sockets close abortively
  MessagePtr closed = receive(clientGroup_);
  ASSERT_TRUE(closed);
  EXPECT_TRUE(closedSignal(link_.client)(*closed)) << describe(closed);

  const EngineSnapshot snapshot = snapshotOf(client_.ampe());
  EXPECT_TRUE(openChannels(snapshot).empty()) << listing(snapshot);
  const auto client = closedChannel(snapshot, clientChannel_.incarnation);
  ASSERT_TRUE(client);
  EXPECT_EQ(client->closeReason, Status::peer_disconnected);
  EXPECT_EQ(client->kind, ChannelKind::clientIo);
  EXPECT_EQ(client->peerAddress, clientChannel_.peerAddress);
  EXPECT_EQ(client->localAddress, clientChannel_.localAddress);
  expectSameCounters(*client, clientChannel_);
  expectTotalsAreChannelSums(snapshot);

  expectStates(clientStates(clientChannel_.incarnation),
               {{ChannelState::ready, Status::success}, {ChannelState::closed, Status::peer_disconnected}},
               GetParam() == Transport::tcp);
}

TEST_P(IntrospectionLifecycle, FailedConnectIsListedClosedWithItsReason) {
  // TCP: a bound port nobody listens on refuses; UDS: a path that does not exist.
  ReservedTcpPort refusing;
  const bool tcp = GetParam() == Transport::tcp;
  const Address target = tcp ? refusing.address() : Address::uds(tofu::testing::tempUdsPath());
  const Status reason = tcp ? Status::connect_failed : Status::uds_path_not_found;
  const BinaryHeader hello = post(clientGroup_, helloRequest(client_.ampe(), target));
  ASSERT_NE(hello.channelNumber, 0);
  MessagePtr returned = receive(clientGroup_);
  ASSERT_TRUE(returned);
  EXPECT_EQ(returned->status(), reason) << describe(returned);
  EXPECT_EQ(returned->opCode(), tcp ? OpCode::HelloRequest : OpCode::HelloResponse) << describe(returned);
  MessagePtr closed = receive(clientGroup_);
  ASSERT_TRUE(closed);
  EXPECT_TRUE(closedSignal(hello.channelNumber)(*closed)) << describe(closed);

  const EngineSnapshot snapshot = snapshotOf(client_.ampe());
  ASSERT_EQ(snapshot.channels.size(), 1u) << listing(snapshot);
  const ChannelInfo& failed = snapshot.channels.front();
  EXPECT_EQ(failed.channelNumber, hello.channelNumber);
  EXPECT_EQ(failed.kind, ChannelKind::clientIo);
  EXPECT_EQ(failed.state, ChannelState::closed);
  EXPECT_EQ(failed.closeReason, reason);
  EXPECT_EQ(failed.groupId, groupIdOf(snapshot));
  EXPECT_EQ(failed.peerAddress, target.toString());
  EXPECT_EQ(failed.localAddress, "") << "never connected";
  expectNoTraffic(failed);
  EXPECT_EQ(snapshot.totals.messagesReturned, 1u);

  expectStates(clientStates(failed.incarnation), {{ChannelState::closed, reason}}, tcp);
}

INSTANTIATE_TEST_SUITE_P(Transports, IntrospectionLifecycle, kAllTransports, TransportName());

// ---------------------------------------------------------------------------------------------
// Closed entries and incarnations

// Posts `count` HelloRequests to UDS paths that do not exist (each fails at once:
// uds_path_not_found) and waits for both notifications of each. Returns the channel numbers in
// posting order.
std::vector<std::uint16_t> failConnects(Ampe& ampe, ChannelGroup& group, std::size_t count) {
  std::vector<std::uint16_t> numbers;
  for (std::size_t i = 0; i < count; ++i) {
    const BinaryHeader posted = post(group, helloRequest(ampe, Address::uds(tofu::testing::tempUdsPath())));
    if (posted.channelNumber == 0) {
      return {};
    }
    numbers.push_back(posted.channelNumber);
  }
  for (std::size_t i = 0; i < 2 * count; ++i) {
    MessagePtr message = receive(group);
    if (!message) {
      return {};
    }
    const bool expected =
        message->status() == Status::uds_path_not_found || closedSignal(message->channelNumber())(*message);
    EXPECT_TRUE(expected) << describe(message);
    ampe.put(message);
  }
  return numbers;
}

TEST(IntrospectionClosed, SnapshotListsOpenChannelsThenTheNewest64ClosedNewestFirst) {
  Engine engine;
  ChannelGroup& group = engine.group();
  const Listening listening = listen(engine.ampe(), group, listenAddress(Transport::uds));
  ASSERT_NE(listening.channel, 0);
  const std::vector<std::uint16_t> numbers = failConnects(engine.ampe(), group, kRecentlyClosed + 6);
  ASSERT_EQ(numbers.size(), kRecentlyClosed + 6);

  const EngineSnapshot snapshot = snapshotOf(engine.ampe());
  ASSERT_EQ(snapshot.channels.size(), 1 + kRecentlyClosed) << listing(snapshot);
  EXPECT_EQ(snapshot.channels.front().channelNumber, listening.channel);
  EXPECT_EQ(snapshot.channels.front().state, ChannelState::ready);
  for (std::size_t i = 0; i < kRecentlyClosed; ++i) {
    const ChannelInfo& info = snapshot.channels[1 + i];
    EXPECT_EQ(info.channelNumber, numbers[numbers.size() - 1 - i])
        << "closed entry " << i << ": newest first";
    EXPECT_EQ(info.closeReason, Status::uds_path_not_found);
    EXPECT_EQ(info.kind, ChannelKind::clientIo);
  }
  EXPECT_EQ(snapshot.totals.channelsOpened, 1 + kRecentlyClosed + 6);
  EXPECT_EQ(snapshot.totals.channelsClosed, kRecentlyClosed + 6);
}

TEST(IntrospectionClosed, AChannelClosedJustBeforeASnapshotIsNotListedAmongTheOpenOnes) {
  // ampe.h: a snapshot shows the channels "between two of its passes": open ones, then the
  // recently closed. A ByeSignal posted just before snapshot() is usually handled in the same
  // pass as the snapshot; the listener it closes must then be listed as closed, after the open
  // channels, not as an open channel in state `closed`.
  // Several listeners stay open, so a wrongly placed entry is rarely the last open one.
  Engine engine;
  ChannelGroup& group = engine.group();
  for (int i = 0; i < 8; ++i) {
    ASSERT_NE(listen(engine.ampe(), group, listenAddress(Transport::uds)).channel, 0);
  }
  for (int attempt = 0; attempt < 50 && !::testing::Test::HasFailure(); ++attempt) {
    SCOPED_TRACE("attempt " + std::to_string(attempt));
    const Listening closing = listen(engine.ampe(), group, listenAddress(Transport::uds));
    ASSERT_NE(closing.channel, 0);
    post(group, byeSignal(engine.ampe(), closing.channel));
    const EngineSnapshot snapshot = snapshotOf(engine.ampe());  // checks the order
    for (const ChannelInfo& info : openChannels(snapshot)) {
      EXPECT_NE(info.channelNumber, closing.channel) << listing(snapshot);
    }
    Recorder recorder(group);
    ASSERT_TRUE(recorder.until(closedSignal(closing.channel)));
  }
}

TEST(IntrospectionIncarnations, NeverRepeatEvenWhenChannelNumbersDo) {
  // Numbers are random and quarantined for 1024 releases (B4), so after some more releases a
  // number comes back. Batches of 64 failed connects: each batch is exactly the closed part of
  // the snapshot that follows it, in creation order reversed.
  Engine engine;
  ChannelGroup& group = engine.group();
  constexpr std::size_t kMaxBatches = 200;  // a repeat is expected after ~22 batches
  std::map<std::uint16_t, std::vector<std::uint64_t>> incarnationsByNumber;
  std::uint64_t lastIncarnation = 0;
  std::size_t batches = 0;
  std::optional<std::uint16_t> repeated;
  while (!repeated && batches < kMaxBatches) {
    const std::vector<std::uint16_t> numbers = failConnects(engine.ampe(), group, kRecentlyClosed);
    ASSERT_EQ(numbers.size(), kRecentlyClosed);
    ++batches;
    const EngineSnapshot snapshot = snapshotOf(engine.ampe());
    ASSERT_EQ(snapshot.channels.size(), kRecentlyClosed);
    for (std::size_t i = 0; i < kRecentlyClosed; ++i) {
      const ChannelInfo& info = snapshot.channels[kRecentlyClosed - 1 - i];  // creation order
      ASSERT_EQ(info.channelNumber, numbers[i]) << "batch " << batches << " entry " << i;
      ASSERT_GT(info.incarnation, lastIncarnation) << "incarnations grow in creation order";
      lastIncarnation = info.incarnation;
      std::vector<std::uint64_t>& seen = incarnationsByNumber[info.channelNumber];
      seen.push_back(info.incarnation);
      if (seen.size() > 1) {
        repeated = info.channelNumber;
      }
    }
  }
  ASSERT_TRUE(repeated) << "no channel number came back within " << batches * kRecentlyClosed << " channels";
  const std::vector<std::uint64_t>& incarnations = incarnationsByNumber[*repeated];
  EXPECT_NE(incarnations[0], incarnations[1]) << "channel " << *repeated;
  // Every incarnation seen is distinct (they grew strictly above, so this counts them).
  std::set<std::uint64_t> all;
  for (const auto& [number, list] : incarnationsByNumber) {
    all.insert(list.begin(), list.end());
  }
  EXPECT_EQ(all.size(), batches * kRecentlyClosed);
}

TEST(IntrospectionIncarnations, EngineIdsDifferAndQualifyIncarnations) {
  Engine first;
  Engine second;
  EXPECT_NE(first.ampe().engineId(), 0u);
  EXPECT_NE(second.ampe().engineId(), 0u);
  EXPECT_NE(first.ampe().engineId(), second.ampe().engineId());
  EXPECT_EQ(first.ampe().engineId(), first.ampe().engineId()) << "stable";
  ChannelGroup& firstGroup = first.group();
  ChannelGroup& secondGroup = second.group();
  ASSERT_NE(listen(first.ampe(), firstGroup, listenAddress(Transport::uds)).channel, 0);
  ASSERT_NE(listen(second.ampe(), secondGroup, listenAddress(Transport::uds)).channel, 0);
  const EngineSnapshot a = snapshotOf(first.ampe());
  const EngineSnapshot b = snapshotOf(second.ampe());
  ASSERT_EQ(a.channels.size(), 1u);
  ASSERT_EQ(b.channels.size(), 1u);
  // Incarnations count per engine: the pair (engineId, incarnation) is what is unique.
  EXPECT_EQ(a.channels.front().incarnation, b.channels.front().incarnation);
  EXPECT_EQ(a.channels.front().engineId, first.ampe().engineId());
  EXPECT_EQ(b.channels.front().engineId, second.ampe().engineId());
  // Group ids are unique in the process.
  ASSERT_EQ(a.groups.size(), 1u);
  ASSERT_EQ(b.groups.size(), 1u);
  EXPECT_NE(a.groups.front().groupId, b.groups.front().groupId);
}

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
  const EngineSnapshot after = snapshotOf(client.ampe());
  EXPECT_EQ(after.pool.inUse, 0u);
  EXPECT_EQ(after.pool.idle, clientSnapshot.pool.idle + kHeld);
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
  Engine engine;  // default pool: 16 messages made up front, at most 64 kept idle
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
  Engine engine;  // 16 pool messages
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
