// Protocol order (DECISIONS.md B15, docs/behaviour.md "Protocol order"): raw-socket peers that
// break the order of the tofu handshake and close against a server engine, and a raw server
// against a client engine. A server channel's first frame must be a HelloRequest; what the
// peer pipelines behind it reaches the application only once the application answered with a
// HelloResponse (a refusal drops it); a second HelloRequest, data after the peer's ByeRequest,
// or data before the HelloRequest closes the channel with not_allowed; a client channel takes
// nothing but the HelloResponse (or a Bye) before its HelloResponse. A conforming exchange
// between two engines (HelloRequest with Requests pipelined behind it, then Bye) still passes.
// TCP and UDS, loopback, port 0, temporary UDS paths, every wait bounded.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "flow_harness.h"
#include "raw_peer.h"

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr Status kViolation = Status::not_allowed;  // B15: the close reason of an order violation
constexpr std::uint64_t kHelloId = 0xB15'0001;
constexpr std::uint64_t kFirstRequestId = 0xB15'1000;

std::uint8_t op(OpCode code) { return static_cast<std::uint8_t>(code); }

std::vector<std::uint8_t>& operator+=(std::vector<std::uint8_t>& left, const std::vector<std::uint8_t>& right) {
  left.insert(left.end(), right.begin(), right.end());
  return left;
}

std::vector<std::uint8_t> operator+(std::vector<std::uint8_t> left, const std::vector<std::uint8_t>& right) {
  left += right;
  return left;
}

std::vector<std::uint8_t> helloFrame(std::uint64_t id = kHelloId) {
  return packFrame(1, op(OpCode::HelloRequest), 0, id, "~connect_to:tcp|127.0.0.1|1\r\n", "");
}

std::vector<std::uint8_t> frame(OpCode code, std::uint64_t id, std::string_view body = {}) {
  return packFrame(1, op(code), 0, id, "", body);
}

std::string requestBody(std::uint64_t index) { return "request " + std::to_string(index); }

// `count` Requests with ids kFirstRequestId + i and bodies requestBody(i).
std::vector<std::uint8_t> requests(std::uint64_t count) {
  std::vector<std::uint8_t> bytes;
  for (std::uint64_t i = 0; i < count; ++i) bytes += frame(OpCode::Request, kFirstRequestId + i, requestBody(i));
  return bytes;
}

// A server engine with a listener in one group.
struct Server {
  explicit Server(Transport transport, const Options& options = roomyOptions()) : engine(options) {
    group = &engine.group();
    listening = listen(engine.ampe(), *group, listenAddress(transport));
  }
  Ampe& ampe() { return engine.ampe(); }

  // Connects a raw peer; null (and a failure) when listening failed.
  std::unique_ptr<RawPeer> connectPeer() {
    if (listening.channel == 0) return nullptr;
    return RawPeer::connectTo(listening.bound);
  }

  // The next message must be the peer's HelloRequest (not answered): its channel, else 0.
  std::uint16_t receiveHello() {
    MessagePtr hello = receive(*group);
    if (!hello || hello->opCode() != OpCode::HelloRequest || hello->isFromEngine()) {
      ADD_FAILURE() << "expected the peer's HelloRequest, got " << describe(hello);
      return 0;
    }
    EXPECT_EQ(hello->messageId(), kHelloId);
    const std::uint16_t channel = hello->channelNumber();
    ampe().put(hello);
    return channel;
  }

  void answerHello(std::uint16_t channel) {
    post(*group, request(ampe(), channel, {}, OpCode::HelloResponse, kHelloId));
  }

  // `peer` says Hello, the application answers, the peer reads the HelloResponse: the
  // server's channel, else 0 (and a failure).
  std::uint16_t openAnsweredChannel(RawPeer& peer) {
    if (!peer.sendBytes(helloFrame())) {
      ADD_FAILURE() << "the peer could not send its HelloRequest";
      return 0;
    }
    const std::uint16_t channel = receiveHello();
    if (channel == 0) return 0;
    answerHello(channel);
    RawFrame answer;
    if (peer.readFrame(answer) != ReadEnd::frame || answer.header.proto.opCode != OpCode::HelloResponse) {
      ADD_FAILURE() << "the peer got no HelloResponse";
      return 0;
    }
    return channel;
  }

  // `peer` sends its HelloRequest and `count` Requests behind it; the application has the
  // HelloRequest (unanswered) and the engine has read the Requests, which it holds (B15): the
  // server's channel, else 0 (and a failure).
  std::uint16_t openChannelHoldingRequests(RawPeer& peer, std::uint64_t count) {
    if (!peer.sendBytes(helloFrame() + requests(count))) {
      ADD_FAILURE() << "the peer could not send";
      return 0;
    }
    const std::uint16_t channel = receiveHello();
    if (channel == 0) return 0;
    // Read frames are counted on the channel whether delivered or held.
    const auto deadline = Clock::now() + defaultTimeout();
    while (receivedOn(channel) < 1 + count) {
      if (Clock::now() > deadline) {
        ADD_FAILURE() << "the engine did not read the " << count << " Requests";
        return 0;
      }
      std::this_thread::yield();
    }
    return channel;
  }

  Engine engine;
  ChannelGroup* group = nullptr;
  Listening listening;

 private:
  std::uint64_t receivedOn(std::uint16_t channel) {
    const Result<EngineSnapshot> snapshot = ampe().snapshot();
    if (!snapshot.ok()) return 0;
    for (const ChannelInfo& info : snapshot.value().channels) {
      if (info.channelNumber == channel && info.state != ChannelState::closed) return info.messagesReceived;
    }
    return 0;
  }
};

// The close reason of `channel` from snapshots (bounded wait); unknown_error when it stays open.
Status closeReasonOf(Ampe& ampe, std::uint16_t channel) {
  const auto reasons = closeReasons(ampe, {channel}, defaultTimeout());
  const auto found = reasons.find(channel);
  return found == reasons.end() ? Status::unknown_error : found->second;
}

// The close reasons of every closed server channel, waiting (bounded) until there is one.
std::vector<Status> closedServerChannels(Ampe& ampe) {
  const auto deadline = Clock::now() + defaultTimeout();
  for (;;) {
    std::vector<Status> reasons;
    if (auto snapshot = ampe.snapshot(); snapshot.ok()) {
      for (const ChannelInfo& info : snapshot.value().channels) {
        if (info.kind == ChannelKind::serverIo && info.state == ChannelState::closed) {
          reasons.push_back(info.closeReason);
        }
      }
    }
    if (!reasons.empty() || Clock::now() >= deadline) return reasons;
    std::this_thread::sleep_for(milliseconds(10));
  }
}

// Every message before `channel`'s final Signal, which must come (bounded).
std::vector<MessagePtr> untilClosed(ChannelGroup& group, std::uint16_t channel) {
  MessagePtr signal;
  std::vector<MessagePtr> before = receiveUntilClosed(group, channel, &signal);
  EXPECT_NE(signal, nullptr) << "channel " << channel << " must close";
  return before;
}

std::string describeAll(const std::vector<MessagePtr>& messages) {
  std::string text;
  for (const MessagePtr& message : messages) text += describe(message) + "\n";
  return text;
}

void expectPeerGone(RawPeer& peer, std::vector<RawFrame>* frames = nullptr) {
  const ReadEnd end = peer.readUntilClosed(frames);
  EXPECT_TRUE(end == ReadEnd::eof || end == ReadEnd::reset) << "the peer's connection must end: " << toString(end);
}

class ProtocolOrder : public ::testing::TestWithParam<Transport> {};
INSTANTIATE_TEST_SUITE_P(Transports, ProtocolOrder, kAllTransports, TransportName());

// A Request as the first frame: the channel closes with the violation status, and since it
// never delivered a frame, silently; the application never sees the Request.
TEST_P(ProtocolOrder, RequestBeforeHelloClosesTheChannelUnseen) {
  Server server(GetParam());
  auto peer = server.connectPeer();
  ASSERT_NE(peer, nullptr);
  ASSERT_TRUE(peer->sendBytes(requests(1) + helloFrame()));
  expectPeerGone(*peer);
  const std::vector<Status> reasons = closedServerChannels(server.ampe());
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_EQ(reasons[0], kViolation);
  MessagePtr seen = expectNothing(*server.group);
  EXPECT_EQ(seen, nullptr) << "the application must not hear of the channel: " << describe(seen);
}

// A second HelloRequest closes the channel: the application sees the close, not the request,
// and the peer gets no second HelloResponse.
TEST_P(ProtocolOrder, SecondHelloRequestClosesTheChannel) {
  Server server(GetParam());
  auto peer = server.connectPeer();
  ASSERT_NE(peer, nullptr);
  const std::uint16_t channel = server.openAnsweredChannel(*peer);
  ASSERT_NE(channel, 0u);

  ASSERT_TRUE(peer->sendBytes(helloFrame(kHelloId + 1)));
  const std::vector<MessagePtr> before = untilClosed(*server.group, channel);
  EXPECT_TRUE(before.empty()) << describeAll(before);
  EXPECT_EQ(closeReasonOf(server.ampe(), channel), kViolation);
  std::vector<RawFrame> after;
  expectPeerGone(*peer, &after);
  EXPECT_TRUE(after.empty()) << "no second HelloResponse";
}

// The peer's frames after its own ByeRequest (other than the ByeResponse) never reach the
// application: the first one closes the channel.
TEST_P(ProtocolOrder, FramesAfterThePeersByeRequestCloseTheChannel) {
  Server server(GetParam());
  auto peer = server.connectPeer();
  ASSERT_NE(peer, nullptr);
  const std::uint16_t channel = server.openAnsweredChannel(*peer);
  ASSERT_NE(channel, 0u);

  std::vector<std::uint8_t> bytes = frame(OpCode::ByeRequest, kHelloId + 7);
  bytes += requests(20);
  ASSERT_TRUE(peer->sendBytes(bytes));
  const std::vector<MessagePtr> before = untilClosed(*server.group, channel);
  ASSERT_EQ(before.size(), 1u) << "only the ByeRequest:\n" << describeAll(before);
  EXPECT_EQ(before[0]->opCode(), OpCode::ByeRequest);
  EXPECT_EQ(closeReasonOf(server.ampe(), channel), kViolation);
  expectPeerGone(*peer);
}

// Frames pipelined behind the HelloRequest wait until the application answered: it sees the
// HelloRequest alone, then, once it posted its HelloResponse, the Requests in order.
TEST_P(ProtocolOrder, PipelinedFramesAreHeldUntilTheHelloResponse) {
  Server server(GetParam());
  auto peer = server.connectPeer();
  ASSERT_NE(peer, nullptr);
  constexpr std::uint64_t kPipelined = 8;
  ASSERT_TRUE(peer->sendBytes(helloFrame() + requests(kPipelined)));
  const std::uint16_t channel = server.receiveHello();
  ASSERT_NE(channel, 0u);
  MessagePtr early = expectNothing(*server.group, scaled(milliseconds(300)));
  EXPECT_EQ(early, nullptr) << "delivered before the HelloResponse: " << describe(early);

  server.answerHello(channel);
  for (std::uint64_t i = 0; i < kPipelined; ++i) {
    MessagePtr message = receive(*server.group);
    expectPeerMessage(message, OpCode::Request, channel, kFirstRequestId + i);
    if (message) {
      EXPECT_EQ(message->body().view(), requestBody(i));
    }
    server.ampe().put(message);
  }
  RawFrame answer;
  ASSERT_EQ(peer->readFrame(answer), ReadEnd::frame);
  EXPECT_EQ(answer.header.proto.opCode, OpCode::HelloResponse);
  peer->close();
  const std::vector<MessagePtr> rest = untilClosed(*server.group, channel);
  EXPECT_TRUE(rest.empty()) << describeAll(rest);
}

// Held frames count against the group's receive budget: a peer that pipelines megabytes behind
// its HelloRequest gets only about the budget read while the application has not answered;
// then everything arrives, in order.
TEST_P(ProtocolOrder, HeldFramesCountAgainstTheReceiveBudget) {
  Options options = roomyOptions();
  options.receiveBudgetBytes = 512 * 1024;
  Server server(GetParam(), options);
  auto peer = server.connectPeer();
  ASSERT_NE(peer, nullptr);
  const std::string body(60 * 1024, 'h');
  constexpr std::uint64_t kFrames = 48;  // about 2.9 MB, more than five budgets
  std::vector<std::uint8_t> bytes = helloFrame();
  for (std::uint64_t i = 0; i < kFrames; ++i) bytes += frame(OpCode::Request, kFirstRequestId + i, body);
  std::thread sender([&] { EXPECT_TRUE(peer->sendBytes(bytes)); });

  const std::uint16_t channel = server.receiveHello();
  std::this_thread::sleep_for(scaled(milliseconds(500)));
  const std::uint64_t readWhileHeld = server.ampe().counters().framesRead;
  // The HelloRequest, the budget's worth of 60 KiB frames, and one read past it.
  EXPECT_LE(readWhileHeld, 1 + options.receiveBudgetBytes / body.size() + 3) << "held frames must be charged";
  // The budget is spent: the group hears pool_empty (B5), and nothing else.
  const MessagePredicate poolEmpty = allOf({fromEngine(), withStatus(Status::pool_empty)});
  for (MessagePtr early = tryReceive(*server.group, quietPeriod()); early;
       early = tryReceive(*server.group, quietPeriod())) {
    EXPECT_TRUE(poolEmpty(*early)) << "delivered before the HelloResponse: " << describe(early);
    server.ampe().put(early);
  }

  if (channel != 0) server.answerHello(channel);
  std::uint64_t received = 0;
  while (received < kFrames) {
    MessagePtr message = receive(*server.group);
    if (message && poolEmpty(*message)) {
      server.ampe().put(message);
      continue;
    }
    if (!message || message->opCode() != OpCode::Request || message->messageId() != kFirstRequestId + received) {
      ADD_FAILURE() << "frame " << received << ": " << describe(message);
      break;
    }
    server.ampe().put(message);
    ++received;
  }
  EXPECT_EQ(received, kFrames);
  sender.join();
}

// A refusal drops the held frames: the application that aborts the channel (ByeSignal) after
// the HelloRequest never sees what the peer pipelined.
TEST_P(ProtocolOrder, AbortedHelloDropsHeldFrames) {
  Server server(GetParam());
  auto peer = server.connectPeer();
  ASSERT_NE(peer, nullptr);
  const std::uint16_t channel = server.openChannelHoldingRequests(*peer, 5);
  ASSERT_NE(channel, 0u);
  post(*server.group, byeSignal(server.ampe(), channel));
  const std::vector<MessagePtr> before = untilClosed(*server.group, channel);
  ASSERT_EQ(before.size(), 1u) << "only the ByeSignal back:\n" << describeAll(before);
  expectNotification(before[0], OpCode::ByeSignal, Status::channel_closed, channel, before[0]->messageId());
  expectPeerGone(*peer);
}

// The same for a graceful refusal: a ByeResponse instead of the HelloResponse.
TEST_P(ProtocolOrder, ByeResponseToTheHelloDropsHeldFrames) {
  Server server(GetParam());
  auto peer = server.connectPeer();
  ASSERT_NE(peer, nullptr);
  const std::uint16_t channel = server.openChannelHoldingRequests(*peer, 5);
  ASSERT_NE(channel, 0u);
  post(*server.group, request(server.ampe(), channel, {}, OpCode::ByeResponse, kHelloId));
  RawFrame answer;
  ASSERT_EQ(peer->readFrame(answer), ReadEnd::frame);
  EXPECT_EQ(answer.header.proto.opCode, OpCode::ByeResponse);
  peer->close();  // as a tofu client does on a ByeResponse
  const std::vector<MessagePtr> before = untilClosed(*server.group, channel);
  EXPECT_TRUE(before.empty()) << describeAll(before);
}

// The client side: a server that sends anything but its HelloResponse (or a Bye) first is
// violating the protocol; the client channel closes and its application sees only the close.
class ProtocolOrderClient : public ::testing::TestWithParam<std::tuple<Transport, OpCode>> {};
INSTANTIATE_TEST_SUITE_P(Cases, ProtocolOrderClient,
                         ::testing::Combine(kAllTransports, ::testing::Values(OpCode::Signal, OpCode::Request,
                                                                              OpCode::Response,
                                                                              OpCode::HelloRequest)),
                         [](const ::testing::TestParamInfo<std::tuple<Transport, OpCode>>& param) {
                           return std::string(toString(std::get<0>(param.param))) + "_" +
                                  toString(std::get<1>(param.param));
                         });

TEST_P(ProtocolOrderClient, DataBeforeTheHelloResponseClosesTheClientChannel) {
  const auto [transport, sent] = GetParam();
  RawServer rawServer(transport);
  ASSERT_TRUE(rawServer.valid());
  Engine client(roomyOptions());
  ChannelGroup& group = client.group();
  const BinaryHeader hello = postHello(client.ampe(), group, rawServer.address());
  ASSERT_NE(hello.channelNumber, 0u);
  auto peer = rawServer.accept();
  ASSERT_NE(peer, nullptr);
  RawFrame received;
  ASSERT_EQ(peer->readFrame(received), ReadEnd::frame);
  ASSERT_EQ(received.header.proto.opCode, OpCode::HelloRequest);

  std::vector<std::uint8_t> bytes = sent == OpCode::HelloRequest ? helloFrame(77) : frame(sent, 77, "early");
  bytes += frame(OpCode::HelloResponse, hello.messageId);
  ASSERT_TRUE(peer->sendBytes(bytes));
  const std::vector<MessagePtr> before = untilClosed(group, hello.channelNumber);
  EXPECT_TRUE(before.empty()) << describeAll(before);
  EXPECT_EQ(closeReasonOf(client.ampe(), hello.channelNumber), kViolation);
  expectPeerGone(*peer);
}

// Conforming peers are unaffected: a client engine pipelines Requests behind its HelloRequest
// (K8), the server application sees them after its HelloResponse and answers each; then a
// Bye exchange from `clientCloses` side closes both ends gracefully.
class ProtocolOrderConforming : public ::testing::TestWithParam<std::tuple<Transport, bool>> {};
INSTANTIATE_TEST_SUITE_P(Cases, ProtocolOrderConforming, ::testing::Combine(kAllTransports, ::testing::Bool()),
                         [](const ::testing::TestParamInfo<std::tuple<Transport, bool>>& param) {
                           return std::string(toString(std::get<0>(param.param))) +
                                  (std::get<1>(param.param) ? "_client_says_bye" : "_server_says_bye");
                         });

TEST_P(ProtocolOrderConforming, HelloPipelinedRequestsAndByePass) {
  const auto [transport, clientCloses] = GetParam();
  Server server(transport);
  ASSERT_NE(server.listening.channel, 0u);
  Engine client(roomyOptions());
  ChannelGroup& clientGroup = client.group();
  const BinaryHeader hello = postHello(client.ampe(), clientGroup, server.listening.bound);
  const std::uint16_t clientChannel = hello.channelNumber;
  ASSERT_NE(clientChannel, 0u);
  constexpr std::uint64_t kPipelined = 5;
  std::vector<std::uint64_t> ids;
  for (std::uint64_t i = 0; i < kPipelined; ++i) {
    ids.push_back(post(clientGroup, request(client.ampe(), clientChannel, requestBody(i))).messageId);
  }

  MessagePtr helloIn = receive(*server.group);
  ASSERT_TRUE(helloIn && helloIn->opCode() == OpCode::HelloRequest) << describe(helloIn);
  const std::uint16_t channel = helloIn->channelNumber();
  MessagePtr early = expectNothing(*server.group, scaled(milliseconds(300)));
  EXPECT_EQ(early, nullptr) << "delivered before the HelloResponse: " << describe(early);
  helloIn->setOpCode(OpCode::HelloResponse);
  post(*server.group, std::move(helloIn));
  for (std::uint64_t i = 0; i < kPipelined; ++i) {
    MessagePtr message = receive(*server.group);
    expectPeerMessage(message, OpCode::Request, channel, ids[i]);
    if (!message) break;
    message->setOpCode(OpCode::Response);
    post(*server.group, std::move(message));
  }
  ASSERT_TRUE(awaitHelloResponse(clientGroup, clientChannel, hello.messageId));
  for (std::uint64_t i = 0; i < kPipelined; ++i) {
    MessagePtr message = receive(clientGroup);
    expectPeerMessage(message, OpCode::Response, clientChannel, ids[i]);
    if (message) {
      EXPECT_EQ(message->body().view(), requestBody(i));
    }
    client.ampe().put(message);
  }

  // The Bye: the initiator may still receive data from the responder (B3).
  ChannelGroup& initiator = clientCloses ? clientGroup : *server.group;
  ChannelGroup& responder = clientCloses ? *server.group : clientGroup;
  Ampe& initiatorAmpe = clientCloses ? client.ampe() : server.ampe();
  Ampe& responderAmpe = clientCloses ? server.ampe() : client.ampe();
  const std::uint16_t initiatorChannel = clientCloses ? clientChannel : channel;
  const std::uint16_t responderChannel = clientCloses ? channel : clientChannel;
  const std::uint64_t byeId = post(initiator, byeRequest(initiatorAmpe, initiatorChannel)).messageId;
  MessagePtr bye = receive(responder);
  expectPeerMessage(bye, OpCode::ByeRequest, responderChannel, byeId);
  post(responder, request(responderAmpe, responderChannel, "last words", OpCode::Signal));
  if (bye) {
    bye->setOpCode(OpCode::ByeResponse);
    post(responder, std::move(bye));
  }
  const std::vector<MessagePtr> atInitiator = untilClosed(initiator, initiatorChannel);
  ASSERT_EQ(atInitiator.size(), 2u) << describeAll(atInitiator);
  EXPECT_EQ(atInitiator[0]->opCode(), OpCode::Signal);
  EXPECT_EQ(atInitiator[1]->opCode(), OpCode::ByeResponse);
  const std::vector<MessagePtr> atResponder = untilClosed(responder, responderChannel);
  EXPECT_TRUE(atResponder.empty()) << describeAll(atResponder);
  EXPECT_EQ(closeReasonOf(initiatorAmpe, initiatorChannel), Status::channel_closed);
  EXPECT_EQ(closeReasonOf(responderAmpe, responderChannel), Status::channel_closed);
}

}  // namespace
}  // namespace tofu::test
