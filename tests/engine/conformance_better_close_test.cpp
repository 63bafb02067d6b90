// Conformance, part 2 (our improvements): how channels end. DECISIONS.md B1 (nothing lost),
// B3 (graceful close), B4 (a closed channel's number is released; the numbering rules are in
// conformance_better_numbers_test.cpp), B12 (peer loss) and B13 (ByeSignal), with the
// expectations of docs/behaviour.md. Every connection test runs over TCP and UDS.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "raw_peer.h"

namespace tofu::test {
namespace {

// Posting on `channel` fails synchronously: the number was released (B4).
void expectReleased(Ampe& ampe, ChannelGroup& group, std::uint16_t channel) {
  auto message = request(ampe, channel, "after close");
  auto posted = group.enqueueToPeer(message);
  EXPECT_EQ(posted.status(), Status::invalid_channel_number) << "channel " << channel << " after its close";
  EXPECT_NE(message, nullptr) << "a refused message stays with the caller (K5)";
  ampe.put(message);
}

// A client engine and a server engine with a listener; the transport is the parameter.
class BetterClose : public ::testing::TestWithParam<Transport> {
 protected:
  void SetUp() override {
    listening_ = listen(server_.ampe(), serverGroup_, listenAddress(GetParam()));
    ASSERT_NE(listening_.channel, 0u);
  }

  Connection connectClient() {
    return connectPair(client_.ampe(), clientGroup_, server_.ampe(), serverGroup_, listening_.bound);
  }

  Engine server_{roomyOptions()};
  Engine client_{roomyOptions()};
  ChannelGroup& serverGroup_ = server_.group();
  ChannelGroup& clientGroup_ = client_.group();
  Listening listening_;
};

INSTANTIATE_TEST_SUITE_P(Transports, BetterClose, kAllTransports, TransportName());

// A client engine talking to a raw peer that it connected to (B1, B12, B13).
class BetterCloseRaw : public ::testing::TestWithParam<Transport> {
 protected:
  // Connects the engine to the raw server; the raw side is accepted but does not read.
  void connectToRaw() {
    const BinaryHeader hello = postHello(engine_.ampe(), group_, rawServer_.address());
    channel_ = hello.channelNumber;
    helloId_ = hello.messageId;
    ASSERT_NE(channel_, 0u);
    peer_ = rawServer_.accept();
    ASSERT_NE(peer_, nullptr);
    pinEngineSendBuffer(*peer_);
  }

  Engine engine_{limitedOptions()};
  ChannelGroup& group_ = engine_.group();
  RawServer rawServer_{GetParam(), kSmallReceiveBuffer};
  std::unique_ptr<RawPeer> peer_;
  std::uint16_t channel_ = 0;
  std::uint64_t helloId_ = 0;
};

INSTANTIATE_TEST_SUITE_P(Transports, BetterCloseRaw, kAllTransports, TransportName());

// ---------------------------------------------------------------------------------------------
// B1: nothing is lost silently

TEST_P(BetterClose, B1_PostToListenerComesBackNotAllowedAndListenerKeepsAccepting) {
  for (const OpCode op : {OpCode::Request, OpCode::Signal, OpCode::ByeRequest, OpCode::Response}) {
    const BinaryHeader posted =
        post(serverGroup_, request(server_.ampe(), listening_.channel, "to listener", op, 99));
    ASSERT_EQ(posted.channelNumber, listening_.channel);
    auto back = receive(serverGroup_);
    ASSERT_NE(back, nullptr);
    EXPECT_EQ(back->opCode(), op) << describe(back);
    EXPECT_TRUE(back->isFromEngine()) << describe(back);
    EXPECT_EQ(back->status(), Status::not_allowed) << describe(back);
    EXPECT_EQ(back->channelNumber(), listening_.channel) << describe(back);
    EXPECT_EQ(back->messageId(), 99u) << describe(back);
    EXPECT_EQ(back->body().view(), "to listener");
  }
  // The listener is still up: no channel_closed for it, and a client gets through.
  const Connection connection = connectClient();
  ASSERT_TRUE(connection.ok());
  EXPECT_TRUE(echo(client_.ampe(), clientGroup_, connection.clientChannel, server_.ampe(), serverGroup_,
                   connection.serverChannel, "after not_allowed"));
  EXPECT_EQ(server_.ampe().counters().messagesReturned, 4u);
}

TEST_P(BetterClose, B1_PostAfterByeRequestComesBackChannelClosed) {
  const Connection connection = connectClient();
  ASSERT_TRUE(connection.ok());
  const BinaryHeader bye = post(clientGroup_, byeRequest(client_.ampe(), connection.clientChannel));
  const BinaryHeader late = post(clientGroup_, request(client_.ampe(), connection.clientChannel, "late"));
  ASSERT_NE(late.channelNumber, 0u);

  auto back = receive(clientGroup_);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->opCode(), OpCode::Request) << describe(back);
  EXPECT_EQ(back->messageId(), late.messageId) << describe(back);
  EXPECT_TRUE(back->isFromEngine()) << describe(back);
  EXPECT_EQ(back->status(), Status::channel_closed) << describe(back);
  EXPECT_EQ(back->body().view(), "late");

  // The server sees the ByeRequest, never the late Request.
  auto request = receive(serverGroup_);
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(request->opCode(), OpCode::ByeRequest) << describe(request);
  EXPECT_EQ(request->messageId(), bye.messageId);
  request->setOpCode(OpCode::ByeResponse);
  post(serverGroup_, std::move(request));

  auto reply = receive(clientGroup_);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->opCode(), OpCode::ByeResponse) << describe(reply);
  auto closed = receive(clientGroup_);
  EXPECT_TRUE(closed && closedSignal(connection.clientChannel)(*closed)) << describe(closed);
  auto serverClosed = receive(serverGroup_);
  EXPECT_TRUE(serverClosed && closedSignal(connection.serverChannel)(*serverClosed))
      << describe(serverClosed);
  const EngineCounters counters = client_.ampe().counters();
  EXPECT_EQ(counters.messagesReturned, 1u);
}

TEST_P(BetterCloseRaw, B1_EveryPostIsWrittenOrReturnedIntact) {
  ASSERT_NO_FATAL_FAILURE(connectToRaw());
  const FillResult fill = fillSendQueue(engine_.ampe(), group_, channel_, kFillBodyBytes);
  ASSERT_TRUE(fill.full);
  takeSendReadyNotices(engine_.ampe(), group_, channel_);
  const BinaryHeader abort = post(group_, byeSignal(engine_.ampe(), channel_));
  ASSERT_EQ(abort.channelNumber, channel_) << "ByeSignal must be accepted even with a full send queue";

  std::vector<MessagePtr> before = receiveUntilClosed(group_, channel_);
  ASSERT_FALSE(before.empty());
  EXPECT_EQ(before.front()->opCode(), OpCode::ByeSignal) << describe(before.front());
  EXPECT_EQ(before.front()->status(), Status::channel_closed);
  EXPECT_EQ(before.front()->messageId(), abort.messageId);
  before.erase(before.begin());
  const std::size_t returned = expectReturnedTail(before, fill, channel_, Status::channel_closed);
  EXPECT_GE(returned, 1u);

  // Posted: the HelloRequest, the filler, the ByeSignal.
  const EngineCounters counters = engine_.ampe().counters();
  EXPECT_EQ(counters.framesWritten + counters.messagesReturned, 1 + fill.ids.size() + 1);
  EXPECT_EQ(counters.messagesReturned, returned + 1);
}

// ---------------------------------------------------------------------------------------------
// B3: graceful close

TEST_P(BetterClose, B3_GracefulCloseDeliversEverythingInOrder) {
  const Connection connection = connectClient();
  ASSERT_TRUE(connection.ok());
  constexpr int kRequests = 100;
  constexpr int kSignals = 10;

  std::vector<std::uint64_t> requestIds;
  for (int i = 0; i < kRequests; ++i) {
    requestIds.push_back(
        post(clientGroup_, request(client_.ampe(), connection.clientChannel, "r" + std::to_string(i)))
            .messageId);
  }
  const BinaryHeader bye = post(clientGroup_, byeRequest(client_.ampe(), connection.clientChannel));

  for (int i = 0; i < kRequests; ++i) {
    auto got = receive(serverGroup_);
    ASSERT_NE(got, nullptr) << "request " << i;
    ASSERT_EQ(got->opCode(), OpCode::Request) << i << ": " << describe(got);
    EXPECT_EQ(got->messageId(), requestIds[static_cast<std::size_t>(i)]);
    EXPECT_EQ(got->body().view(), "r" + std::to_string(i));
    EXPECT_TRUE(got->isFromApplication());
    server_.ampe().put(got);
  }
  auto byeArrived = receive(serverGroup_);
  ASSERT_NE(byeArrived, nullptr);
  ASSERT_EQ(byeArrived->opCode(), OpCode::ByeRequest) << describe(byeArrived);
  EXPECT_EQ(byeArrived->messageId(), bye.messageId);
  EXPECT_EQ(byeArrived->channelNumber(), connection.serverChannel);

  // The responder may still send after receiving the ByeRequest.
  std::vector<std::uint64_t> signalIds;
  for (int i = 0; i < kSignals; ++i) {
    signalIds.push_back(post(serverGroup_, request(server_.ampe(), connection.serverChannel,
                                                   "s" + std::to_string(i), OpCode::Signal))
                            .messageId);
  }
  byeArrived->setOpCode(OpCode::ByeResponse);
  post(serverGroup_, std::move(byeArrived));

  for (int i = 0; i < kSignals; ++i) {
    auto got = receive(clientGroup_);
    ASSERT_NE(got, nullptr);
    ASSERT_EQ(got->opCode(), OpCode::Signal) << i << ": " << describe(got);
    EXPECT_EQ(got->messageId(), signalIds[static_cast<std::size_t>(i)]);
    EXPECT_TRUE(got->isFromApplication());
    EXPECT_EQ(got->status(), Status::success);
  }
  auto reply = receive(clientGroup_);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->opCode(), OpCode::ByeResponse) << describe(reply);
  EXPECT_TRUE(reply->isFromApplication()) << describe(reply);
  EXPECT_EQ(reply->messageId(), bye.messageId);
  auto closed = receive(clientGroup_);
  EXPECT_TRUE(closed && closedSignal(connection.clientChannel)(*closed)) << describe(closed);
  auto serverClosed = receive(serverGroup_);
  EXPECT_TRUE(serverClosed && closedSignal(connection.serverChannel)(*serverClosed))
      << describe(serverClosed);

  expectReleased(client_.ampe(), clientGroup_, connection.clientChannel);
  expectReleased(server_.ampe(), serverGroup_, connection.serverChannel);
  // Graceful: every frame written was received, in both directions; nothing came back.
  const EngineCounters client = client_.ampe().counters();
  const EngineCounters server = server_.ampe().counters();
  EXPECT_EQ(client.framesWritten, 1u + kRequests + 1u);
  EXPECT_EQ(server.framesRead, client.framesWritten);
  EXPECT_EQ(client.framesRead, server.framesWritten);
  EXPECT_EQ(client.messagesReturned, 0u);
  EXPECT_EQ(server.messagesReturned, 0u);
}

TEST_P(BetterClose, B3_SimultaneousByeRequestClosesBothSides) {
  const Connection connection = connectClient();
  ASSERT_TRUE(connection.ok());
  constexpr int kEach = 5;
  for (int i = 0; i < kEach; ++i) {
    post(clientGroup_, request(client_.ampe(), connection.clientChannel, "c"));
    post(serverGroup_, request(server_.ampe(), connection.serverChannel, "s", OpCode::Signal));
  }
  post(clientGroup_, byeRequest(client_.ampe(), connection.clientChannel));
  post(serverGroup_, byeRequest(server_.ampe(), connection.serverChannel));

  struct Side {
    Ampe& ampe;
    ChannelGroup& group;
    std::uint16_t channel;
    OpCode dataOp;
    int data = 0;
    int byeRequests = 0;
    bool closed = false;
  };
  Side sides[] = {{client_.ampe(), clientGroup_, connection.clientChannel, OpCode::Signal},
                  {server_.ampe(), serverGroup_, connection.serverChannel, OpCode::Request}};
  const auto deadline = std::chrono::steady_clock::now() + defaultTimeout();
  while (!(sides[0].closed && sides[1].closed) && std::chrono::steady_clock::now() < deadline) {
    for (Side& side : sides) {
      if (side.closed) {
        continue;
      }
      auto message = tryReceive(side.group, std::chrono::milliseconds(10));
      if (!message) {
        continue;
      }
      EXPECT_FALSE(side.byeRequests > 0 && message->isFromApplication() && message->opCode() == side.dataOp)
          << "data after the peer's ByeRequest: " << describe(message);
      if (closedSignal(side.channel)(*message)) {
        side.closed = true;
      } else if (message->isFromApplication() && message->opCode() == side.dataOp) {
        ++side.data;
      } else if (message->isFromApplication() && message->opCode() == OpCode::ByeRequest) {
        ++side.byeRequests;
        // Each side may still answer; the answer may also come back if the channel is done.
        message->setOpCode(OpCode::ByeResponse);
        auto posted = side.group.enqueueToPeer(message);
        EXPECT_TRUE(posted.ok() || posted.status() == Status::invalid_channel_number)
            << toString(posted.status());
      } else if (message->isFromApplication() && message->opCode() == OpCode::ByeResponse) {
        // Allowed: the peer answered our ByeRequest.
      } else {
        EXPECT_TRUE(message->isFromEngine() && message->opCode() == OpCode::ByeResponse &&
                    message->status() == Status::channel_closed)
            << "unexpected: " << describe(message);
      }
      side.ampe.put(message);
    }
  }
  for (const Side& side : sides) {
    EXPECT_TRUE(side.closed) << "channel " << side.channel << " did not close";
    EXPECT_EQ(side.data, kEach) << "frames sent before the Bye exchange must arrive";
    EXPECT_EQ(side.byeRequests, 1);
  }
  const EngineCounters client = client_.ampe().counters();
  const EngineCounters server = server_.ampe().counters();
  EXPECT_EQ(server.framesRead, client.framesWritten);
  EXPECT_EQ(client.framesRead, server.framesWritten);
}

// The responder half-closes with a FIN after its ByeResponse and reads until EOF.
TEST_P(BetterClose, B3_ResponderShutsDownWritingWithFinAfterByeResponse) {
  auto peer = RawPeer::connectTo(listening_.bound);
  ASSERT_NE(peer, nullptr);
  auto hello = newMessage(server_.ampe());
  ASSERT_EQ(prepareHelloRequest(*hello, listening_.bound), Status::success);
  hello->setChannelNumber(5);
  hello->setMessageId(501);
  ASSERT_TRUE(peer->sendFrame(*hello));
  const std::uint16_t channel = acceptHello(server_.ampe(), serverGroup_);
  ASSERT_NE(channel, 0u);
  RawFrame frame;
  ASSERT_EQ(peer->readFrame(frame), ReadEnd::frame);
  EXPECT_EQ(frame.header.proto.opCode, OpCode::HelloResponse);

  hello->header() = rawHeader(OpCode::ByeRequest, 5, 502);
  hello->headers().reset();
  ASSERT_TRUE(peer->sendFrame(*hello));
  server_.ampe().put(hello);
  auto bye = receive(serverGroup_);
  ASSERT_NE(bye, nullptr);
  ASSERT_EQ(bye->opCode(), OpCode::ByeRequest) << describe(bye);
  EXPECT_EQ(bye->messageId(), 502u);
  const BinaryHeader after =
      post(serverGroup_, request(server_.ampe(), channel, "after bye", OpCode::Signal));
  bye->setOpCode(OpCode::ByeResponse);
  post(serverGroup_, std::move(bye));

  ASSERT_EQ(peer->readFrame(frame), ReadEnd::frame);
  EXPECT_EQ(frame.header.proto.opCode, OpCode::Signal);
  EXPECT_EQ(frame.header.messageId, after.messageId);
  ASSERT_EQ(peer->readFrame(frame), ReadEnd::frame);
  EXPECT_EQ(frame.header.proto.opCode, OpCode::ByeResponse);
  EXPECT_EQ(frame.header.messageId, 502u);
  EXPECT_EQ(frame.header.status, Status::success);
  EXPECT_EQ(frame.header.proto.origin, Origin::application);
  // FIN, not RST, and the server still reads: its channel is not closed yet.
  EXPECT_EQ(peer->readFrame(frame), ReadEnd::eof);
  EXPECT_EQ(expectNothing(serverGroup_), nullptr) << "the responder reads until EOF before closing";

  peer->shutdownWrite();
  auto closed = receive(serverGroup_);
  EXPECT_TRUE(closed && closedSignal(channel)(*closed)) << describe(closed);
  EXPECT_EQ(closed ? closed->messageId() : 0u, 501u) << "id of the first frame received";
  EXPECT_EQ(server_.ampe().counters().messagesReturned, 0u);
}

// The initiator sends nothing after its ByeRequest, still receives, and closes on the
// ByeResponse.
TEST_P(BetterCloseRaw, B3_InitiatorStopsSendingButKeepsReceiving) {
  ASSERT_NO_FATAL_FAILURE(connectToRaw());
  RawFrame frame;
  ASSERT_EQ(peer_->readFrame(frame), ReadEnd::frame);
  EXPECT_EQ(frame.header.proto.opCode, OpCode::HelloRequest);
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(post(group_, request(engine_.ampe(), channel_, "before")).messageId);
  }
  const BinaryHeader bye = post(group_, byeRequest(engine_.ampe(), channel_));
  const BinaryHeader late = post(group_, request(engine_.ampe(), channel_, "late"));
  for (const std::uint64_t id : ids) {
    ASSERT_EQ(peer_->readFrame(frame), ReadEnd::frame);
    EXPECT_EQ(frame.header.proto.opCode, OpCode::Request);
    EXPECT_EQ(frame.header.messageId, id);
  }
  ASSERT_EQ(peer_->readFrame(frame), ReadEnd::frame);
  EXPECT_EQ(frame.header.proto.opCode, OpCode::ByeRequest);
  EXPECT_EQ(frame.header.messageId, bye.messageId);

  auto back = receive(group_);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->messageId(), late.messageId) << describe(back);
  EXPECT_EQ(back->status(), Status::channel_closed) << describe(back);

  auto reply = newMessage(engine_.ampe());
  // The server's HelloResponse first: data before it would break the protocol order (B15).
  reply->header() = rawHeader(OpCode::HelloResponse, 9, helloId_);
  ASSERT_TRUE(peer_->sendFrame(*reply));
  reply->header() = rawHeader(OpCode::Signal, 9, 901);
  ASSERT_TRUE(peer_->sendFrame(*reply));
  reply->header() = rawHeader(OpCode::ByeResponse, 9, bye.messageId);
  ASSERT_TRUE(peer_->sendFrame(*reply));
  engine_.ampe().put(reply);
  auto helloResponse = receive(group_);
  EXPECT_TRUE(helloResponse && helloResponse->opCode() == OpCode::HelloResponse) << describe(helloResponse);

  auto signal = receive(group_);
  ASSERT_NE(signal, nullptr);
  EXPECT_EQ(signal->opCode(), OpCode::Signal) << describe(signal);
  EXPECT_EQ(signal->messageId(), 901u);
  EXPECT_TRUE(signal->isFromApplication());
  auto byeResponse = receive(group_);
  ASSERT_NE(byeResponse, nullptr);
  EXPECT_EQ(byeResponse->opCode(), OpCode::ByeResponse) << describe(byeResponse);
  EXPECT_TRUE(byeResponse->isFromApplication());
  auto closed = receive(group_);
  EXPECT_TRUE(closed && closedSignal(channel_)(*closed)) << describe(closed);

  // The late Request was never transmitted.
  std::vector<RawFrame> rest;
  const ReadEnd end = peer_->readUntilClosed(&rest);
  EXPECT_TRUE(end == ReadEnd::eof || end == ReadEnd::reset) << toString(end);
  EXPECT_TRUE(rest.empty()) << rest.size() << " frame(s) after the ByeRequest";
}

// ---------------------------------------------------------------------------------------------
// B4: channel numbers

TEST_P(BetterClose, B4_ClosedChannelNumbersAreReleased) {
  const Connection connection = connectClient();
  ASSERT_TRUE(connection.ok());
  post(clientGroup_, byeSignal(client_.ampe(), connection.clientChannel));
  auto echoed = receive(clientGroup_);
  ASSERT_NE(echoed, nullptr);
  EXPECT_EQ(echoed->opCode(), OpCode::ByeSignal) << describe(echoed);
  auto closed = receive(clientGroup_);
  ASSERT_TRUE(closed && closedSignal(connection.clientChannel)(*closed)) << describe(closed);
  expectReleased(client_.ampe(), clientGroup_, connection.clientChannel);

  auto serverClosed = receive(serverGroup_);
  ASSERT_TRUE(serverClosed && closedSignal(connection.serverChannel)(*serverClosed))
      << describe(serverClosed);
  expectReleased(server_.ampe(), serverGroup_, connection.serverChannel);
}

// ---------------------------------------------------------------------------------------------
// B12: peer loss

TEST_P(BetterCloseRaw, B12_PeerResetReturnsPendingAsPeerDisconnected) {
  ASSERT_NO_FATAL_FAILURE(connectToRaw());
  const FillResult fill = fillSendQueue(engine_.ampe(), group_, channel_, kFillBodyBytes);
  ASSERT_TRUE(fill.full);
  peer_->abort();
  std::vector<MessagePtr> before = receiveUntilClosed(group_, channel_);
  EXPECT_GE(expectReturnedTail(before, fill, channel_, Status::peer_disconnected), 1u);
  const EngineCounters counters = engine_.ampe().counters();
  EXPECT_EQ(counters.framesWritten + counters.messagesReturned, 1 + fill.ids.size());
  expectReleased(engine_.ampe(), group_, channel_);
}

TEST_P(BetterCloseRaw, B12_PeerClosedWithUnreadDataReturnsPendingAsPeerDisconnected) {
  // What a killed peer process does: its socket is closed with data still unread.
  ASSERT_NO_FATAL_FAILURE(connectToRaw());
  const FillResult fill = fillSendQueue(engine_.ampe(), group_, channel_, kFillBodyBytes);
  ASSERT_TRUE(fill.full);
  peer_->close();
  std::vector<MessagePtr> before = receiveUntilClosed(group_, channel_);
  EXPECT_GE(expectReturnedTail(before, fill, channel_, Status::peer_disconnected), 1u);
  const EngineCounters counters = engine_.ampe().counters();
  EXPECT_EQ(counters.framesWritten + counters.messagesReturned, 1 + fill.ids.size());
}

TEST_P(BetterCloseRaw, B12_PeerEofWithoutByeReturnsPendingAsPeerDisconnected) {
  ASSERT_NO_FATAL_FAILURE(connectToRaw());
  const FillResult fill = fillSendQueue(engine_.ampe(), group_, channel_, kFillBodyBytes);
  ASSERT_TRUE(fill.full);
  peer_->shutdownWrite();
  std::vector<MessagePtr> before = receiveUntilClosed(group_, channel_);
  EXPECT_GE(expectReturnedTail(before, fill, channel_, Status::peer_disconnected), 1u);
  const EngineCounters counters = engine_.ampe().counters();
  EXPECT_EQ(counters.framesWritten + counters.messagesReturned, 1 + fill.ids.size());
}

TEST_P(BetterClose, B12_PeerEngineGoneClosesChannel) {
  const Connection connection = connectClient();
  ASSERT_TRUE(connection.ok());
  ASSERT_TRUE(echo(client_.ampe(), clientGroup_, connection.clientChannel, server_.ampe(), serverGroup_,
                   connection.serverChannel, "before"));
  server_.shutdown();
  auto closed = receive(clientGroup_);
  ASSERT_TRUE(closed && closedSignal(connection.clientChannel)(*closed)) << describe(closed);
  EXPECT_EQ(closed->messageId(), connection.helloId) << "id of the first frame received (the HelloResponse)";
  expectReleased(client_.ampe(), clientGroup_, connection.clientChannel);
}

// ---------------------------------------------------------------------------------------------
// B13: ByeSignal is a local abort

TEST_P(BetterCloseRaw, B13_ByeSignalIsNeverTransmitted) {
  ASSERT_NO_FATAL_FAILURE(connectToRaw());
  RawFrame frame;
  ASSERT_EQ(peer_->readFrame(frame), ReadEnd::frame);
  EXPECT_EQ(frame.header.proto.opCode, OpCode::HelloRequest);
  const BinaryHeader sent = post(group_, request(engine_.ampe(), channel_, "one"));
  ASSERT_EQ(peer_->readFrame(frame), ReadEnd::frame);
  EXPECT_EQ(frame.header.messageId, sent.messageId);

  const BinaryHeader abort = post(group_, byeSignal(engine_.ampe(), channel_));
  auto echoed = receive(group_);
  ASSERT_NE(echoed, nullptr);
  EXPECT_EQ(echoed->opCode(), OpCode::ByeSignal) << describe(echoed);
  EXPECT_TRUE(echoed->isFromEngine());
  EXPECT_EQ(echoed->status(), Status::channel_closed);
  EXPECT_EQ(echoed->messageId(), abort.messageId);
  auto closed = receive(group_);
  ASSERT_TRUE(closed && closedSignal(channel_)(*closed)) << describe(closed);

  std::vector<RawFrame> rest;
  const ReadEnd end = peer_->readUntilClosed(&rest);
  if (GetParam() == Transport::tcp) {
    EXPECT_EQ(end, ReadEnd::reset) << "the socket is reset: " << toString(end);
  } else {
    EXPECT_TRUE(end == ReadEnd::eof || end == ReadEnd::reset) << toString(end);
  }
  EXPECT_TRUE(rest.empty()) << "nothing is sent: got opcode "
                            << (rest.empty() ? "" : toString(rest.front().header.proto.opCode));
  const EngineCounters counters = engine_.ampe().counters();
  EXPECT_EQ(counters.framesWritten, 2u);
  EXPECT_EQ(counters.messagesReturned, 1u);
}

TEST_P(BetterCloseRaw, B13_ByeSignalReturnsPendingAsChannelClosedInOrder) {
  ASSERT_NO_FATAL_FAILURE(connectToRaw());
  const FillResult fill = fillSendQueue(engine_.ampe(), group_, channel_, kFillBodyBytes);
  ASSERT_TRUE(fill.full);
  takeSendReadyNotices(engine_.ampe(), group_, channel_);
  post(group_, byeSignal(engine_.ampe(), channel_));
  std::vector<MessagePtr> before = receiveUntilClosed(group_, channel_);
  ASSERT_FALSE(before.empty());
  EXPECT_EQ(before.front()->opCode(), OpCode::ByeSignal) << "the ByeSignal comes back first";
  before.erase(before.begin());
  EXPECT_GE(expectReturnedTail(before, fill, channel_, Status::channel_closed), 1u);

  // The peer may get frames written before the abort, never a ByeSignal.
  std::vector<RawFrame> frames;
  const ReadEnd end = peer_->readUntilClosed(&frames);
  EXPECT_TRUE(end == ReadEnd::eof || end == ReadEnd::reset) << toString(end);
  for (const RawFrame& frame : frames) {
    EXPECT_NE(frame.header.proto.opCode, OpCode::ByeSignal);
  }
  EXPECT_LE(frames.size(), engine_.ampe().counters().framesWritten);
}

// A stalled peer is exactly when an application aborts: ByeSignal is never queued for
// sending, so the send queue limit (B6) must not refuse it.
TEST_P(BetterCloseRaw, B13_ByeSignalIsAcceptedWhenSendQueueIsFull) {
  ASSERT_NO_FATAL_FAILURE(connectToRaw());
  const FillResult fill = fillSendQueue(engine_.ampe(), group_, channel_, kFillBodyBytes);
  ASSERT_TRUE(fill.full);
  takeSendReadyNotices(engine_.ampe(), group_, channel_);
  // Top the queue up with empty frames (16 bytes, the size of a ByeSignal) until refused.
  std::size_t topUps = 0;
  for (;;) {
    auto filler = request(engine_.ampe(), channel_, {});
    if (!group_.enqueueToPeer(filler).ok()) {
      engine_.ampe().put(filler);
      break;
    }
    ASSERT_LT(++topUps, 10000u) << "the send queue limit never applied";
  }
  auto abort = byeSignal(engine_.ampe(), channel_);
  auto posted = group_.enqueueToPeer(abort);
  EXPECT_EQ(posted.status(), Status::success) << "ByeSignal refused on a full send queue";
  if (!posted.ok()) {
    engine_.ampe().put(abort);
    return;
  }
  auto echoed = receive(group_);
  EXPECT_TRUE(echoed && echoed->opCode() == OpCode::ByeSignal && echoed->status() == Status::channel_closed)
      << describe(echoed);
  Recorder recorder(group_);
  EXPECT_TRUE(recorder.until(closedSignal(channel_)));
}

TEST_P(BetterClose, B13_ReceivedByeSignalFrameIsDeliveredThenChannelCloses) {
  auto peer = RawPeer::connectTo(listening_.bound, kSmallReceiveBuffer);
  ASSERT_NE(peer, nullptr);
  auto frame = newMessage(server_.ampe());
  ASSERT_EQ(prepareHelloRequest(*frame, listening_.bound), Status::success);
  frame->setChannelNumber(3);
  frame->setMessageId(1301);
  ASSERT_TRUE(peer->sendFrame(*frame));
  auto hello = receive(serverGroup_);
  ASSERT_TRUE(hello && hello->opCode() == OpCode::HelloRequest) << describe(hello);
  const std::uint16_t channel = hello->channelNumber();
  server_.ampe().put(hello);

  // Pending messages on the server side, then the peer's ByeSignal (as the reference sends it).
  pinEngineSendBuffer(*peer);
  const FillResult fill = fillSendQueue(server_.ampe(), serverGroup_, channel, kFillBodyBytes);
  takeSendReadyNotices(server_.ampe(), serverGroup_, channel);
  frame->header() = rawHeader(OpCode::ByeSignal, 3, 1302);
  frame->headers().reset();
  ASSERT_TRUE(peer->sendFrame(*frame));
  server_.ampe().put(frame);

  std::vector<MessagePtr> before = receiveUntilClosed(serverGroup_, channel);
  ASSERT_FALSE(before.empty());
  EXPECT_EQ(before.front()->opCode(), OpCode::ByeSignal) << describe(before.front());
  EXPECT_TRUE(before.front()->isFromApplication()) << describe(before.front());
  EXPECT_EQ(before.front()->status(), Status::success);
  EXPECT_EQ(before.front()->messageId(), 1302u);
  EXPECT_EQ(before.front()->channelNumber(), channel);
  before.erase(before.begin());
  if (fill.full) {
    EXPECT_GE(expectReturnedTail(before, fill, channel, Status::channel_closed), 1u);
  }
  expectReleased(server_.ampe(), serverGroup_, channel);
  const ReadEnd end = peer->readUntilClosed(nullptr);
  EXPECT_TRUE(end == ReadEnd::eof || end == ReadEnd::reset) << toString(end);
}

}  // namespace
}  // namespace tofu::test
