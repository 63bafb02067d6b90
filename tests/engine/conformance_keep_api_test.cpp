// Conformance with the kept contract K4..K8 (DECISIONS.md): API vocabulary, ownership idiom, send
// validation order and message ids, channel number translation and pipelining after
// HelloRequest. Expectations follow docs/behaviour.md; K1..K3 are in conformance_keep_wire_test.cpp.
// Wire checks use raw sockets as the peer and compare against WIRE-VECTORS.md literally.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "raw_peer.h"

namespace tofu::test {
namespace {

class KeepContract : public ::testing::TestWithParam<Transport> {};

INSTANTIATE_TEST_SUITE_P(Transports, KeepContract, kAllTransports, TransportName());

// Takes messages from the pool with poolOnly until it is empty; they are kept in `taken`.
std::size_t drainPool(Ampe& ampe, std::vector<MessagePtr>& taken) {
  std::size_t count = 0;
  for (;;) {
    auto got = ampe.get(AllocationStrategy::poolOnly);
    EXPECT_TRUE(got.ok()) << toString(got.status());
    if (!got.ok() || !got.value()) {
      return count;
    }
    taken.push_back(std::move(got).value());
    ++count;
  }
}

// ---------------------------------------------------------------------------------------------
// K4: API vocabulary

// Compiles only if the seed's names exist with the seed's shapes.
TEST(KeepContract, K4_ApiVocabularyCompiles) {
  // Not the reference's 16/64: chosen for speed with bounded memory (B14).
  // Checked at run time: Options holds strings, which clang 14 cannot destroy in a constant
  // expression.
  EXPECT_EQ(Options{}.initialPoolMsgs, 4096U);
  EXPECT_EQ(Options{}.maxPoolMsgs, 65535U);
  static_assert(AllocationStrategy::poolOnly != AllocationStrategy::always);
  static_assert(
      std::is_same_v<decltype(&Reactor::create), Result<std::unique_ptr<Reactor>> (*)(const Options&)>);
  static_assert(std::is_same_v<decltype(&Reactor::ampe), Ampe& (Reactor::*)() noexcept>);
  static_assert(std::is_same_v<decltype(&Ampe::create), Result<ChannelGroup*> (Ampe::*)()>);
  static_assert(std::is_same_v<decltype(&Ampe::destroy), Status (Ampe::*)(ChannelGroup*)>);
  static_assert(std::is_same_v<decltype(&Ampe::get), Result<MessagePtr> (Ampe::*)(AllocationStrategy)>);
  static_assert(std::is_same_v<decltype(&Ampe::put), void (Ampe::*)(MessagePtr&)>);
  static_assert(std::is_same_v<decltype(&ChannelGroup::enqueueToPeer),
                               Result<BinaryHeader> (ChannelGroup::*)(MessagePtr&)>);
  static_assert(std::is_same_v<decltype(&ChannelGroup::waitReceive),
                               Result<MessagePtr> (ChannelGroup::*)(std::uint64_t)>);
  [[maybe_unused]] Status (ChannelGroup::*updateReceiver)(MessagePtr&) = &ChannelGroup::updateReceiver;
  static_assert(std::is_same_v<decltype(&prepareHelloRequest), Status (*)(Message&, const Address&)>);
  static_assert(std::is_same_v<decltype(&prepareWelcomeRequest), Status (*)(Message&, const Address&)>);
  static_assert(std::is_same_v<decltype(&Address::parse), Result<Address> (*)(std::string_view)>);
  EXPECT_EQ(kWaitReceiveInfiniteTimeout, UINT64_MAX);
  EXPECT_EQ(kWaitReceiveSecondTimeout, 1'000'000'000u);
  const BinaryHeader header = BinaryHeader::forOpCode(OpCode::ByeSignal);
  EXPECT_EQ(header.proto.opCode, OpCode::ByeSignal);
  TextHeaders headers;
  EXPECT_EQ(headers.append("a", "b"), HeaderCheck::ok);
  EXPECT_EQ(headers.find("a"), "b");
}

// {16, 64}: 16 messages are available with poolOnly, then none (success, null); the pool
// keeps at most 64 idle messages; it is LIFO and hands out reset messages.
TEST(KeepContract, K4_PoolHoldsInitialAndKeepsMax) {
  Engine engine(poolOptions(16, 64));
  Ampe& ampe = engine.ampe();
  std::vector<MessagePtr> taken;
  EXPECT_EQ(drainPool(ampe, taken), 16u);
  for (int i = 0; i < 70; ++i) {
    taken.push_back(Message::create());
  }
  for (auto& message : taken) {
    ampe.put(message);
    EXPECT_EQ(message, nullptr);
  }
  taken.clear();
  EXPECT_EQ(drainPool(ampe, taken), 64u);

  // LIFO, and reset on the way in.
  MessagePtr first = std::move(taken[0]);
  MessagePtr second = std::move(taken[1]);
  const Message* const firstRaw = first.get();
  const Message* const secondRaw = second.get();
  second->header() = BinaryHeader::forOpCode(OpCode::ByeResponse);
  second->setChannelNumber(9);
  second->setMessageId(99);
  ASSERT_EQ(second->headers().append("k", "v"), HeaderCheck::ok);
  second->body().assign("data");
  ampe.put(first);
  ampe.put(second);
  auto top = ampe.get(AllocationStrategy::poolOnly);
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(top.value().get(), secondRaw);
  ASSERT_TRUE(top.value());
  EXPECT_EQ(top.value()->header(), BinaryHeader{});
  EXPECT_TRUE(top.value()->headers().empty());
  EXPECT_TRUE(top.value()->body().empty());
  auto next = ampe.get(AllocationStrategy::poolOnly);
  EXPECT_EQ(next.value().get(), firstRaw);
}

// Option normalisation (options.h): 0 means the default; a maximum below the initial count is
// raised to it.
TEST(KeepContract, K4_PoolOptionNormalisation) {
  {
    // The defaults: 4096 made up front; up to 65535 kept idle, so 4140 put back are all kept.
    Engine engine(poolOptions(0, 0));
    std::vector<MessagePtr> taken;
    EXPECT_EQ(drainPool(engine.ampe(), taken), 4096u);
    for (int i = 0; i < 44; ++i) {
      taken.push_back(Message::create());
    }
    for (auto& message : taken) {
      engine.ampe().put(message);
    }
    taken.clear();
    EXPECT_EQ(drainPool(engine.ampe(), taken), 4140u);
  }
  {
    Engine engine(poolOptions(8, 4));
    std::vector<MessagePtr> taken;
    EXPECT_EQ(drainPool(engine.ampe(), taken), 8u);
    taken.push_back(Message::create());
    taken.push_back(Message::create());
    for (auto& message : taken) {
      engine.ampe().put(message);
    }
    taken.clear();
    EXPECT_EQ(drainPool(engine.ampe(), taken), 8u);
  }
}

// ---------------------------------------------------------------------------------------------
// K5: ownership idiom

TEST(KeepContract, K5_PostFailureLeavesMessageWithCaller) {
  Engine engine;
  ChannelGroup& group = engine.group();
  auto message = request(engine.ampe(), 0, "keep me");
  const Message* const original = message.get();
  auto posted = group.enqueueToPeer(message);
  EXPECT_EQ(posted.status(), Status::invalid_channel_number);
  ASSERT_EQ(message.get(), original);
  EXPECT_EQ(message->body().view(), "keep me");

  MessagePtr none;
  auto nullPost = group.enqueueToPeer(none);
  EXPECT_EQ(nullPost.status(), Status::null_message);
  EXPECT_EQ(none, nullptr);
}

TEST(KeepContract, K5_SuccessClearsHandle) {
  Engine engine;
  Ampe& ampe = engine.ampe();
  ChannelGroup& group = engine.group();
  auto hello = helloRequest(ampe, Address::uds(tofu::testing::tempUdsPath()));
  auto posted = group.enqueueToPeer(hello);
  EXPECT_TRUE(posted.ok()) << toString(posted.status());
  EXPECT_EQ(hello, nullptr);

  auto command = request(ampe, 0, "wake");
  EXPECT_EQ(group.updateReceiver(command), Status::success);
  EXPECT_EQ(command, nullptr);

  auto message = newMessage(ampe);
  ampe.put(message);
  EXPECT_EQ(message, nullptr);
}

// put(null) changes nothing: the pool still holds exactly what it held.
TEST(KeepContract, K5_PutNullIsNoOp) {
  Engine engine(poolOptions(2, 4));
  Ampe& ampe = engine.ampe();
  MessagePtr none;
  ampe.put(none);
  EXPECT_EQ(none, nullptr);
  std::vector<MessagePtr> taken;
  EXPECT_EQ(drainPool(ampe, taken), 2u);
  ampe.put(none);
  auto empty = ampe.get(AllocationStrategy::poolOnly);
  ASSERT_EQ(empty.status(), Status::success);
  EXPECT_EQ(empty.value(), nullptr) << "put(null) must not add a message";
}

// ---------------------------------------------------------------------------------------------
// K6: validation order and message ids

// One row of the validation table of docs/behaviour.md (rows 1..10, 12, 13).
struct ValidationRow {
  std::string name;
  MessagePtr message;
  Status expected;
  std::optional<Status> statusByte;  // the status byte of the refused message, when set
};

// A message with `op` on `channel`, id and `more` as given.
MessagePtr make(OpCode op, std::uint16_t channel, std::uint64_t id, bool more = false) {
  auto message = Message::create();
  message->header() = BinaryHeader::forOpCode(op);
  message->setChannelNumber(channel);
  message->setMessageId(id);
  message->setMore(more);
  return message;
}

// Adds a header section of exactly `size` bytes (one or more records).
void padHeaders(Message& message, std::size_t size) {
  const std::size_t used = message.headers().size();
  ASSERT_GE(size, used + 5);
  ASSERT_EQ(message.headers().append("p", std::string(size - used - 4, 'h')), HeaderCheck::ok);
  ASSERT_EQ(message.headers().size(), size);
}

TEST(KeepContract, K6_ValidationTableInOrder) {
  Engine engine;
  Ampe& ampe = engine.ampe();
  ChannelGroup& group = engine.group();
  ChannelGroup& other = engine.group();
  const Listening listener = listen(ampe, other, listenAddress(Transport::tcp));
  ASSERT_NE(listener.channel, 0);
  constexpr std::uint16_t kUnknownChannel = 4242;
  ASSERT_NE(listener.channel, kUnknownChannel);
  constexpr std::size_t kTooLong = 65536;
  const std::string bigBody(kTooLong, 'b');

  std::vector<ValidationRow> rows;
  // Row 2: opcodes 10..15; the status byte is left as it was (sentinel receiver_update).
  for (unsigned op = 10; op <= 15; ++op) {
    auto message = make(static_cast<OpCode>(op), 0, 0, true);
    message->header().status = Status::receiver_update;
    rows.push_back({"row 2 opcode " + std::to_string(op), std::move(message), Status::invalid_op_code,
                    Status::receiver_update});
  }
  // Row 4: responses need an id (checked before `more` and the channel).
  for (OpCode op : {OpCode::Response, OpCode::HelloResponse, OpCode::ByeResponse, OpCode::WelcomeResponse}) {
    rows.push_back({std::string("row 4 ") + toString(op), make(op, 0, 0, true), Status::invalid_message_id,
                    Status::invalid_message_id});
  }
  // Row 5: `more` only on Request, Response, Signal (checked before the channel).
  for (OpCode op : {OpCode::HelloRequest, OpCode::HelloResponse, OpCode::ByeRequest, OpCode::ByeResponse,
                    OpCode::ByeSignal, OpCode::WelcomeRequest, OpCode::WelcomeResponse}) {
    rows.push_back({std::string("row 5 ") + toString(op), make(op, 0, 5, true), Status::invalid_more_usage,
                    Status::invalid_more_usage});
  }
  // Row 6: channel 0 only for Hello/WelcomeRequest (checked before the header length).
  for (OpCode op : {OpCode::Request, OpCode::Response, OpCode::Signal, OpCode::ByeRequest,
                    OpCode::ByeResponse, OpCode::ByeSignal}) {
    auto message = make(op, 0, 5, op == OpCode::Request);
    padHeaders(*message, kTooLong);
    rows.push_back({std::string("row 6 ") + toString(op), std::move(message), Status::invalid_channel_number,
                    Status::invalid_channel_number});
  }
  // Row 7: headers over 65535 bytes (before body length and channel lookup).
  {
    auto message = make(OpCode::Request, kUnknownChannel, 0);
    padHeaders(*message, kTooLong);
    message->body().assign(bigBody);
    rows.push_back(
        {"row 7 Request", std::move(message), Status::invalid_headers_len, Status::invalid_headers_len});
    auto hello = helloRequest(ampe, Address::uds(tofu::testing::tempUdsPath()));
    padHeaders(*hello, kTooLong);
    rows.push_back(
        {"row 7 HelloRequest", std::move(hello), Status::invalid_headers_len, Status::invalid_headers_len});
  }
  // Row 8: Hello/WelcomeRequest need an address header (before the body length).
  for (OpCode op : {OpCode::HelloRequest, OpCode::WelcomeRequest}) {
    auto message = make(op, 0, 0);
    message->body().assign(bigBody);
    rows.push_back({std::string("row 8 ") + toString(op), std::move(message), Status::wrong_address,
                    Status::wrong_address});
  }
  // Row 9: body over 65535 bytes (before the channel lookup).
  {
    auto message = make(OpCode::Request, kUnknownChannel, 0);
    message->body().assign(bigBody);
    rows.push_back({"row 9 Request", std::move(message), Status::invalid_body_len, Status::invalid_body_len});
    auto hello = helloRequest(ampe, Address::uds(tofu::testing::tempUdsPath()));
    hello->body().assign(bigBody);
    rows.push_back(
        {"row 9 HelloRequest", std::move(hello), Status::invalid_body_len, Status::invalid_body_len});
  }
  // Rows 12-13: channel lookups; the status byte stays success (set by row 3).
  {
    auto message = make(OpCode::Request, kUnknownChannel, 0);
    message->header().status = Status::receiver_update;
    rows.push_back(
        {"row 12 unknown channel", std::move(message), Status::invalid_channel_number, Status::success});
    auto foreign = make(OpCode::Request, listener.channel, 0);
    foreign->header().status = Status::receiver_update;
    rows.push_back({"row 13 other group's channel", std::move(foreign), Status::invalid_message_channel_group,
                    Status::success});
  }

  for (auto& row : rows) {
    SCOPED_TRACE(row.name);
    const Message* const original = row.message.get();
    auto posted = group.enqueueToPeer(row.message);
    EXPECT_EQ(posted.status(), row.expected) << toString(posted.status());
    ASSERT_EQ(row.message.get(), original) << "refused messages stay with the caller (K5)";
    if (row.statusByte) {
      EXPECT_EQ(row.message->status(), *row.statusByte) << toString(row.message->status());
    }
  }

  // Row 1: null message.
  MessagePtr none;
  EXPECT_EQ(group.enqueueToPeer(none).status(), Status::null_message);

  // Limits are inclusive: 65535 header bytes and a 65535-byte body are accepted.
  auto atLimit = helloRequest(ampe, Address::uds(tofu::testing::tempUdsPath()));
  padHeaders(*atLimit, 65535);
  atLimit->body().assign(std::string(65535, 'b'));
  auto accepted = group.enqueueToPeer(atLimit);
  ASSERT_TRUE(accepted.ok()) << toString(accepted.status());
  EXPECT_EQ(accepted.value().textHeadersLen, 65535);
  EXPECT_EQ(accepted.value().bodyLen, 65535);
  expectNothing(other);
}

// Row 10: an id of 0 is replaced by the next value of one process-wide counter, shared by all
// engines and threads; explicit ids are kept and do not advance it.
TEST(KeepContract, K6_MessageIdsAreSequentialAndProcessWide) {
  Engine first;
  Engine second;
  ChannelGroup& a = first.group();
  ChannelGroup& b = second.group();
  const auto hello = [](Engine& engine) {
    return helloRequest(engine.ampe(), Address::uds(tofu::testing::tempUdsPath()));
  };

  const std::uint64_t base = post(a, hello(first)).messageId;
  ASSERT_NE(base, 0u);
  EXPECT_EQ(post(b, hello(second)).messageId, base + 1);
  EXPECT_EQ(post(a, hello(first)).messageId, base + 2);
  auto explicitId = hello(second);
  explicitId->setMessageId(777);
  EXPECT_EQ(post(b, std::move(explicitId)).messageId, 777u);
  std::uint64_t fromThread = 0;
  std::thread([&] { fromThread = post(b, hello(second)).messageId; }).join();
  EXPECT_EQ(fromThread, base + 3);
  EXPECT_EQ(post(a, hello(first)).messageId, base + 4);
}

// ---------------------------------------------------------------------------------------------
// K7: channel numbers are local

// Each side sees its own number, in one engine (two groups) and across two engines.
TEST_P(KeepContract, K7_EachSideSeesItsOwnChannelNumbers) {
  Engine serverEngine;
  Engine clientEngine;
  ChannelGroup& server = serverEngine.group();
  ChannelGroup& localClient = serverEngine.group();
  ChannelGroup& remoteClient = clientEngine.group();
  const Listening listener = listen(serverEngine.ampe(), server, listenAddress(GetParam()));
  ASSERT_NE(listener.channel, 0);

  for (auto [clientAmpe, client] :
       {std::pair{&serverEngine.ampe(), &localClient}, std::pair{&clientEngine.ampe(), &remoteClient}}) {
    const Connection connection =
        connectPair(*clientAmpe, *client, serverEngine.ampe(), server, listener.bound);
    ASSERT_TRUE(connection.ok());
    if (client == &localClient) {
      EXPECT_NE(connection.clientChannel, connection.serverChannel)
          << "one engine never reuses a live number";
    }
    const BinaryHeader ping = post(*client, request(*clientAmpe, connection.clientChannel, "ping"));
    auto atServer = receive(server);
    expectPeerMessage(atServer, OpCode::Request, connection.serverChannel, ping.messageId);
    ASSERT_TRUE(atServer);
    atServer->setOpCode(OpCode::Response);
    post(server, std::move(atServer));
    expectPeerMessage(receive(*client), OpCode::Response, connection.clientChannel, ping.messageId);
  }
}

// On the wire the number is the sender's; whatever number the peer writes, we deliver ours.
TEST_P(KeepContract, K7_WireCarriesSendersNumber) {
  RawServer peer(GetParam());
  ASSERT_TRUE(peer.valid());
  Engine engine;
  Ampe& ampe = engine.ampe();
  ChannelGroup& group = engine.group();
  const BinaryHeader hello = postHello(ampe, group, peer.address());
  ASSERT_NE(hello.channelNumber, 0);
  auto socket = peer.accept();
  ASSERT_NE(socket, nullptr);
  const auto frame = socket->readFrameBytes();
  ASSERT_TRUE(frame);
  EXPECT_EQ((*frame)[0], hello.channelNumber >> 8);
  EXPECT_EQ((*frame)[1], hello.channelNumber & 0xFF);

  // The HelloResponse first: nothing else may come before it (B15).
  ASSERT_TRUE(socket->sendBytes(packFrame(0xBEEF, 0x04, 0x00, hello.messageId, {}, {})));
  expectPeerMessage(receive(group), OpCode::HelloResponse, hello.channelNumber, hello.messageId);
  for (std::uint16_t theirs : {std::uint16_t{0xBEEF}, std::uint16_t{0}, hello.channelNumber}) {
    ASSERT_TRUE(socket->sendBytes(packFrame(theirs, 0x02, 0x00, 5, {}, {})));
    auto signal = receive(group);
    expectPeerMessage(signal, OpCode::Signal, hello.channelNumber, 5);
  }
}

// ---------------------------------------------------------------------------------------------
// K8: pipelining after HelloRequest

// The client posts Requests and a Signal right after its HelloRequest; the server receives them
// in order right after the HelloRequest, once it has answered it (B15 holds them until then).
TEST_P(KeepContract, K8_ClientPostsRightAfterHelloRequest) {
  constexpr int kEarly = 5;
  Engine serverEngine;
  Engine clientEngine;
  ChannelGroup& server = serverEngine.group();
  ChannelGroup& client = clientEngine.group();
  const Listening listener = listen(serverEngine.ampe(), server, listenAddress(GetParam()));
  ASSERT_NE(listener.channel, 0);

  Ampe& ampe = clientEngine.ampe();
  const BinaryHeader hello = postHello(ampe, client, listener.bound);
  ASSERT_NE(hello.channelNumber, 0);
  std::vector<BinaryHeader> early;
  for (int i = 0; i < kEarly; ++i) {
    early.push_back(post(client, request(ampe, hello.channelNumber, "early " + std::to_string(i))));
  }
  early.push_back(post(client, request(ampe, hello.channelNumber, "signal", OpCode::Signal)));

  auto helloIn = receive(server);
  ASSERT_TRUE(helloIn);
  const std::uint16_t serverChannel = helloIn->channelNumber();
  expectPeerMessage(helloIn, OpCode::HelloRequest, serverChannel, hello.messageId);
  expectNothing(server);  // B15: held until the HelloResponse
  expectNothing(client);  // nothing has been answered yet

  helloIn->setOpCode(OpCode::HelloResponse);
  post(server, std::move(helloIn));
  for (std::size_t i = 0; i < early.size(); ++i) {
    auto message = receive(server);
    const OpCode op = i < kEarly ? OpCode::Request : OpCode::Signal;
    expectPeerMessage(message, op, serverChannel, early[i].messageId);
    ASSERT_TRUE(message);
    EXPECT_EQ(message->body().view(), i < kEarly ? "early " + std::to_string(i) : "signal");
  }
  expectPeerMessage(receive(client), OpCode::HelloResponse, hello.channelNumber, hello.messageId);
}

// The same on the wire: HelloRequest frame, then the early frames, in posting order.
TEST_P(KeepContract, K8_EarlyFramesFollowHelloRequestOnTheWire) {
  RawServer peer(GetParam());
  ASSERT_TRUE(peer.valid());
  Engine engine;
  Ampe& ampe = engine.ampe();
  ChannelGroup& group = engine.group();
  const BinaryHeader hello = postHello(ampe, group, peer.address());
  const std::uint16_t channel = hello.channelNumber;
  ASSERT_NE(channel, 0);
  std::vector<BinaryHeader> early;
  for (int i = 0; i < 3; ++i) {
    early.push_back(post(group, request(ampe, channel, "e" + std::to_string(i))));
  }

  auto socket = peer.accept();
  ASSERT_NE(socket, nullptr);
  expectFrame(*socket, packFrame(channel, 0x03, 0x00, hello.messageId,
                                 "~connect_to:" + peer.address().toString() + "\r\n", {}));
  for (int i = 0; i < 3; ++i) {
    expectFrame(*socket, packFrame(channel, 0x00, 0x00, early[static_cast<std::size_t>(i)].messageId, {},
                                   "e" + std::to_string(i)));
  }
}

}  // namespace
}  // namespace tofu::test
