// Conformance with the kept contract K1..K8 (DECISIONS.md): wire bytes, status values, address
// headers, API vocabulary, ownership idiom, send validation order and message ids, channel
// number translation and pipelining after HelloRequest. Expectations follow docs/behaviour.md.
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

namespace tofu::test {
namespace {

using Bytes = std::vector<std::uint8_t>;

class KeepContract : public ::testing::TestWithParam<Transport> {};

INSTANTIATE_TEST_SUITE_P(Transports, KeepContract, kAllTransports, TransportName());

// "00 05 20 ..." (as printed in WIRE-VECTORS.md) to bytes.
Bytes fromHex(std::string_view text) {
  Bytes bytes;
  unsigned value = 0;
  int digits = 0;
  for (const char c : text) {
    const int nibble = (c >= '0' && c <= '9')   ? c - '0'
                       : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                       : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                                : -1;
    if (nibble < 0) {
      continue;
    }
    value = (value << 4) | static_cast<unsigned>(nibble);
    if (++digits == 2) {
      bytes.push_back(static_cast<std::uint8_t>(value));
      value = 0;
      digits = 0;
    }
  }
  return bytes;
}

// A frame packed by hand as WIRE-VECTORS.md describes it (">HBBQHH" then headers and body), so
// the expectation does not come from the engine's own encoder.
Bytes packFrame(std::uint16_t channel, std::uint8_t proto, std::uint8_t status, std::uint64_t id,
                std::string_view headers, std::string_view body) {
  Bytes bytes;
  bytes.push_back(static_cast<std::uint8_t>(channel >> 8));
  bytes.push_back(static_cast<std::uint8_t>(channel & 0xFF));
  bytes.push_back(proto);
  bytes.push_back(status);
  for (int shift = 56; shift >= 0; shift -= 8) {
    bytes.push_back(static_cast<std::uint8_t>((id >> shift) & 0xFF));
  }
  bytes.push_back(static_cast<std::uint8_t>(headers.size() >> 8));
  bytes.push_back(static_cast<std::uint8_t>(headers.size() & 0xFF));
  bytes.push_back(static_cast<std::uint8_t>(body.size() >> 8));
  bytes.push_back(static_cast<std::uint8_t>(body.size() & 0xFF));
  bytes.insert(bytes.end(), headers.begin(), headers.end());
  bytes.insert(bytes.end(), body.begin(), body.end());
  return bytes;
}

// A WIRE-VECTORS literal with bytes 0-1 replaced by `channel` (the sender's own number, which a
// test cannot choose in advance).
Bytes withChannel(Bytes bytes, std::uint16_t channel) {
  bytes[0] = static_cast<std::uint8_t>(channel >> 8);
  bytes[1] = static_cast<std::uint8_t>(channel & 0xFF);
  return bytes;
}

// Same, for the message id at bytes 4-11.
Bytes withId(Bytes bytes, std::uint64_t id) {
  for (int i = 0; i < 8; ++i) {
    bytes[static_cast<std::size_t>(4 + i)] = static_cast<std::uint8_t>((id >> (56 - 8 * i)) & 0xFF);
  }
  return bytes;
}

// Reads one frame from `socket` and expects exactly `expected`.
void expectFrame(RawSocket& socket, const Bytes& expected) {
  const auto frame = socket.readFrame();
  ASSERT_TRUE(frame) << "no frame; expected:\n" << hex(expected);
  EXPECT_EQ(*frame, expected) << "got:\n" << hex(*frame) << "\nexpected:\n" << hex(expected);
}

// Expects a peer's application message: `op`, origin application, status success.
void expectPeerMessage(const MessagePtr& message, OpCode op, std::uint16_t channel, std::uint64_t id) {
  ASSERT_TRUE(message) << "expected " << toString(op);
  EXPECT_EQ(message->opCode(), op) << describe(message);
  EXPECT_EQ(message->origin(), Origin::application) << describe(message);
  EXPECT_EQ(message->status(), Status::success) << describe(message);
  EXPECT_EQ(message->channelNumber(), channel) << describe(message);
  EXPECT_EQ(message->messageId(), id) << describe(message);
}

Options poolOptions(std::uint16_t initial, std::uint16_t max) {
  Options options;
  options.initialPoolMsgs = initial;
  options.maxPoolMsgs = max;
  return options;
}

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
// K1: wire format

// WIRE-VECTORS.md V7: the codec round-trip vector.
TEST(KeepContract, K1_BinaryHeaderCodecMatchesVector7) {
  BinaryHeader header;
  header.channelNumber = 0x1234;
  header.status = static_cast<Status>(0xFF);
  header.messageId = 0xAABBCCDDEEFF0011u;
  header.textHeadersLen = 0x5678;
  header.bodyLen = 0x9ABC;
  std::array<std::uint8_t, kBinaryHeaderSize> bytes{};
  encodeBinaryHeader(header, bytes);
  EXPECT_EQ(Bytes(bytes.begin(), bytes.end()), fromHex("12 34 00 ff aa bb cc dd ee ff 00 11 56 78 9a bc"));
  const BinaryHeader decoded = decodeBinaryHeader(bytes);
  EXPECT_EQ(decoded, header);

  // The proto byte table: opcode low nibble, origin bit 4, more bit 5.
  EXPECT_EQ((ProtoFields{OpCode::Request, Origin::application, true}.toByte()), 0x20);
  EXPECT_EQ((ProtoFields{OpCode::HelloRequest, Origin::application, false}.toByte()), 0x03);
  EXPECT_EQ((ProtoFields{OpCode::WelcomeResponse, Origin::engine, false}.toByte()), 0x19);
  EXPECT_EQ(ProtoFields::fromByte(0x47).opCode, OpCode::ByeSignal) << "bits 6-7 are ignored";
  EXPECT_EQ(ProtoFields::fromByte(0x47).more, false);
}

// The client engine talking to a raw peer: what it writes matches V1/V1b (HelloRequest with
// the address record), V2 (Request, more), V6 (Signal) and V3 (ByeRequest), with the client's
// own channel number; what it reads (V4, V2, V5 from the peer) is delivered as V10 says.
TEST_P(KeepContract, K1_ClientFramesMatchWireVectors) {
  RawListener peer(GetParam());
  ASSERT_TRUE(peer.valid());
  Engine engine;
  Ampe& ampe = engine.ampe();
  ChannelGroup& group = engine.group();

  const BinaryHeader hello = postHello(ampe, group, peer.address());
  const std::uint16_t channel = hello.channelNumber;
  ASSERT_NE(channel, 0);
  auto v2 = request(ampe, channel, "hello", OpCode::Request, 42);
  v2->setMore(true);
  post(group, std::move(v2));
  post(group, request(ampe, channel, {}, OpCode::Signal, 7));
  post(group, request(ampe, channel, {}, OpCode::ByeRequest, 43));

  RawSocket socket = peer.accept();
  ASSERT_TRUE(socket.valid());
  const std::string record = "~connect_to:" + peer.address().toString() + "\r\n";
  expectFrame(socket, packFrame(channel, 0x03, 0x00, hello.messageId, record, {}));
  expectFrame(socket, withChannel(fromHex("00 05 20 00 00 00 00 00 00 00 00 2a 00 00 00 05 68 65 6c 6c 6f"),
                                  channel));
  expectFrame(socket, withChannel(fromHex("00 05 02 00 00 00 00 00 00 00 00 07 00 00 00 00"), channel));
  expectFrame(socket, withChannel(fromHex("00 05 05 00 00 00 00 00 00 00 00 2b 00 00 00 00"), channel));

  // V4 (minimal HelloResponse, server channel 0x2B67) carrying the HelloRequest's id.
  ASSERT_TRUE(
      socket.writeAll(withId(fromHex("2b 67 04 00 00 00 00 00 00 00 00 01 00 00 00 00"), hello.messageId)));
  expectPeerMessage(receive(group), OpCode::HelloResponse, channel, hello.messageId);
  // V2 from the peer (its channel 5): delivered on our channel (V10).
  ASSERT_TRUE(socket.writeAll(fromHex("00 05 20 00 00 00 00 00 00 00 00 2a 00 00 00 05 68 65 6c 6c 6f")));
  auto v10 = receive(group);
  expectPeerMessage(v10, OpCode::Request, channel, 42);
  ASSERT_TRUE(v10);
  EXPECT_TRUE(v10->hasMore());
  EXPECT_TRUE(v10->headers().empty());
  EXPECT_EQ(v10->body().view(), "hello");
  // V5 answers our ByeRequest: delivered, then our channel closes.
  ASSERT_TRUE(socket.writeAll(fromHex("2b 67 06 00 00 00 00 00 00 00 00 2b 00 00 00 00")));
  expectPeerMessage(receive(group), OpCode::ByeResponse, channel, 43);
  auto closed = receive(group);
  ASSERT_TRUE(closed);
  EXPECT_TRUE(closedSignal(channel)(*closed)) << describe(closed);
  EXPECT_EQ(closed->messageId(), hello.messageId) << "recorded id: the first frame received (V4)";
  EXPECT_TRUE(socket.waitClosed());
}

// A reference client talking to our server: the V1b frame (channel 0x1234, id 1) is accepted
// and delivered on the server's own channel with the address record intact; our replies are
// V4 (minimal form) and V5 with the server's channel number.
TEST_P(KeepContract, K1_ServerAcceptsReferenceFrames) {
  Engine engine;
  Ampe& ampe = engine.ampe();
  ChannelGroup& group = engine.group();
  const Listening listener = listen(ampe, group, listenAddress(GetParam()));
  ASSERT_NE(listener.channel, 0);
  RawSocket socket = RawSocket::connectTo(listener.bound);
  ASSERT_TRUE(socket.valid());

  ASSERT_TRUE(
      socket.writeAll(fromHex("12 34 03 00 00 00 00 00 00 00 00 01 00 20 00 00"
                              "7e 63 6f 6e 6e 65 63 74 5f 74 6f 3a 74 63 70 7c"
                              "31 32 37 2e 30 2e 30 2e 31 7c 37 30 39 39 0d 0a")));
  auto hello = receive(group);
  ASSERT_TRUE(hello);
  const std::uint16_t channel = hello->channelNumber();
  expectPeerMessage(hello, OpCode::HelloRequest, channel, 1);
  EXPECT_NE(channel, 0);
  EXPECT_NE(channel, listener.channel);
  EXPECT_EQ(hello->headers().buffer().view(), "~connect_to:tcp|127.0.0.1|7099\r\n");
  EXPECT_EQ(hello->headers().find(kConnectToHeader), "tcp|127.0.0.1|7099");
  EXPECT_TRUE(hello->body().empty());

  hello->setOpCode(OpCode::HelloResponse);
  hello->headers().reset();
  post(group, std::move(hello));
  expectFrame(socket, withChannel(fromHex("2b 67 04 00 00 00 00 00 00 00 00 01 00 00 00 00"), channel));

  // V6 and V3 from the peer.
  ASSERT_TRUE(socket.writeAll(fromHex("00 05 02 00 00 00 00 00 00 00 00 07 00 00 00 00")));
  expectPeerMessage(receive(group), OpCode::Signal, channel, 7);
  ASSERT_TRUE(socket.writeAll(fromHex("00 05 05 00 00 00 00 00 00 00 00 2b 00 00 00 00")));
  auto bye = receive(group);
  expectPeerMessage(bye, OpCode::ByeRequest, channel, 0x2b);
  ASSERT_TRUE(bye);
  bye->setOpCode(OpCode::ByeResponse);
  post(group, std::move(bye));
  expectFrame(socket, withChannel(fromHex("2b 67 06 00 00 00 00 00 00 00 00 2b 00 00 00 00"), channel));
  // B3: after its ByeResponse the server half-closes (EOF for us), then closes when we do.
  EXPECT_TRUE(socket.waitClosed());
  socket.close();
  auto closed = receive(group);
  ASSERT_TRUE(closed);
  EXPECT_TRUE(closedSignal(channel)(*closed)) << describe(closed);
  EXPECT_EQ(closed->messageId(), 1u) << "recorded id: the first frame received (the HelloRequest)";
}

// ---------------------------------------------------------------------------------------------
// K2: status values

TEST(KeepContract, K2_StatusValuesAndNames) {
  static_assert(std::is_same_v<std::underlying_type_t<Status>, std::uint8_t>);
  static_assert(static_cast<int>(Status::success) == 0);
  static_assert(static_cast<int>(Status::not_implemented_yet) == 1);
  static_assert(static_cast<int>(Status::wrong_address) == 2);
  static_assert(static_cast<int>(Status::not_allowed) == 3);
  static_assert(static_cast<int>(Status::null_message) == 4);
  static_assert(static_cast<int>(Status::invalid_message) == 5);
  static_assert(static_cast<int>(Status::invalid_op_code) == 6);
  static_assert(static_cast<int>(Status::invalid_headers_len) == 7);
  static_assert(static_cast<int>(Status::invalid_body_len) == 8);
  static_assert(static_cast<int>(Status::invalid_more_usage) == 9);
  static_assert(static_cast<int>(Status::invalid_channel_number) == 10);
  static_assert(static_cast<int>(Status::invalid_message_channel_group) == 11);
  static_assert(static_cast<int>(Status::invalid_message_id) == 12);
  static_assert(static_cast<int>(Status::invalid_address) == 13);
  static_assert(static_cast<int>(Status::uds_path_not_found) == 14);
  static_assert(static_cast<int>(Status::notification_disabled) == 15);
  static_assert(static_cast<int>(Status::notification_failed) == 16);
  static_assert(static_cast<int>(Status::peer_disconnected) == 17);
  static_assert(static_cast<int>(Status::communication_failed) == 18);
  static_assert(static_cast<int>(Status::pool_empty) == 19);
  static_assert(static_cast<int>(Status::allocation_failed) == 20);
  static_assert(static_cast<int>(Status::receiver_update) == 21);
  static_assert(static_cast<int>(Status::channel_closed) == 22);
  static_assert(static_cast<int>(Status::shutdown_started) == 23);
  static_assert(static_cast<int>(Status::connect_failed) == 24);
  static_assert(static_cast<int>(Status::listen_failed) == 25);
  static_assert(static_cast<int>(Status::accept_failed) == 26);
  static_assert(static_cast<int>(Status::send_failed) == 27);
  static_assert(static_cast<int>(Status::recv_failed) == 28);
  static_assert(static_cast<int>(Status::setsockopt_failed) == 29);
  static_assert(static_cast<int>(Status::processing_failed) == 30);
  static_assert(static_cast<int>(Status::unknown_error) == 31);
  static_assert(kStatusCount == 32);

  EXPECT_STREQ(toString(Status::success), "success");
  EXPECT_STREQ(toString(Status::invalid_message_channel_group), "invelid_mchn_group");
  EXPECT_STREQ(toString(Status::channel_closed), "channel_closed");
  EXPECT_STREQ(errorName(Status::uds_path_not_found), "UDSPathNotFound");
  EXPECT_STREQ(errorName(Status::success), "");
  EXPECT_EQ(statusFromRaw(22), Status::channel_closed);
  EXPECT_EQ(statusFromRaw(31), Status::unknown_error);
  EXPECT_EQ(statusFromRaw(200), Status::unknown_error);
  EXPECT_EQ(statusFromErrorName("ChannelClosed"), Status::channel_closed);
}

// Whatever status and origin the application leaves in a message, the frame carries status 0
// and origin 0 (PROTOCOL.md 2.8 row 2); the post snapshot says so too.
TEST_P(KeepContract, K2_ApplicationStatusAndOriginAreSentAsZero) {
  RawListener peer(GetParam());
  ASSERT_TRUE(peer.valid());
  Engine engine;
  Ampe& ampe = engine.ampe();
  ChannelGroup& group = engine.group();
  const BinaryHeader hello = postHello(ampe, group, peer.address());
  ASSERT_NE(hello.channelNumber, 0);

  auto forged = request(ampe, hello.channelNumber, "x", OpCode::Signal, 9);
  forged->header().status = Status::invalid_address;
  forged->header().proto.origin = Origin::engine;
  const BinaryHeader snapshot = post(group, std::move(forged));
  EXPECT_EQ(snapshot.status, Status::success);
  EXPECT_EQ(snapshot.proto.origin, Origin::application);

  RawSocket socket = peer.accept();
  ASSERT_TRUE(socket.valid());
  ASSERT_TRUE(socket.readFrame());  // the HelloRequest
  expectFrame(socket, packFrame(hello.channelNumber, 0x02, 0x00, 9, {}, "x"));
}

// ---------------------------------------------------------------------------------------------
// K3: address headers

TEST(KeepContract, K3_AddressHeaderRecordsMatchWireVectors) {
  EXPECT_EQ(kConnectToHeader, "~connect_to");
  EXPECT_EQ(kListenOnHeader, "~listen_on");

  auto hello = Message::create();
  ASSERT_EQ(prepareHelloRequest(*hello, Address::tcp("127.0.0.1", 7099)), Status::success);
  EXPECT_EQ(hello->opCode(), OpCode::HelloRequest);
  EXPECT_EQ(hello->channelNumber(), 0);
  EXPECT_EQ(hello->messageId(), 0u);
  EXPECT_EQ(hello->headers().buffer().view(), "~connect_to:tcp|127.0.0.1|7099\r\n");

  auto welcome = Message::create();
  ASSERT_EQ(prepareWelcomeRequest(*welcome, Address::tcp("0.0.0.0", 7099)), Status::success);
  EXPECT_EQ(welcome->opCode(), OpCode::WelcomeRequest);
  EXPECT_EQ(welcome->headers().buffer().view(), "~listen_on:tcp|0.0.0.0|7099\r\n");

  // Other headers and the body are kept (PROTOCOL.md 2.9).
  auto uds = Message::create();
  ASSERT_EQ(uds->headers().append("app", "1"), HeaderCheck::ok);
  uds->body().assign("payload");
  ASSERT_EQ(prepareHelloRequest(*uds, Address::uds("/tmp/tofu_4242_0.port")), Status::success);
  EXPECT_EQ(uds->headers().buffer().view(), "app:1\r\n~connect_to:uds|/tmp/tofu_4242_0.port\r\n");
  EXPECT_EQ(uds->body().view(), "payload");
  auto parsed = addressOf(*uds);
  ASSERT_TRUE(parsed.ok()) << toString(parsed.status());
  EXPECT_EQ(parsed.value(), Address::uds("/tmp/tofu_4242_0.port"));

  auto v6 = Address::parse("tcp|::1|7099");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6.value().kind(), AddressKind::tcp);
  EXPECT_EQ(v6.value().host(), "::1");
  EXPECT_EQ(v6.value().port(), 7099);
  EXPECT_EQ(v6.value().toString(), "tcp|::1|7099");
  auto path = Address::parse("uds|/tmp/tofu_4242_0.port");
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(path.value().kind(), AddressKind::uds);
  EXPECT_EQ(path.value().path(), "/tmp/tofu_4242_0.port");

  const Address defaults;
  EXPECT_EQ(defaults.toString(), "tcp|127.0.0.1|7099") << "the reference helpers' defaults";
}

// Hand-written `~listen_on` / `~connect_to` headers (no helpers) listen and connect.
TEST_P(KeepContract, K3_HandWrittenAddressHeadersListenAndConnect) {
  Engine engine;
  Ampe& ampe = engine.ampe();
  ChannelGroup& server = engine.group();
  ChannelGroup& client = engine.group();
  const std::string listenValue =
      GetParam() == Transport::tcp ? "tcp|127.0.0.1|0" : "uds|" + tofu::testing::tempUdsPath();
  const BinaryHeader welcome =
      post(server, rawAddressRequest(ampe, OpCode::WelcomeRequest, kListenOnHeader, listenValue));
  ASSERT_NE(welcome.channelNumber, 0);
  auto listening = receive(server);
  expectPeerMessage(listening, OpCode::WelcomeResponse, welcome.channelNumber, welcome.messageId);
  ASSERT_TRUE(listening);
  ASSERT_EQ(listening->status(), Status::success);
  const auto bound = listening->headers().find(kListenOnHeader);
  ASSERT_TRUE(bound);
  if (GetParam() == Transport::uds) {
    EXPECT_EQ(*bound, listenValue);
  } else {
    EXPECT_TRUE(bound->starts_with("tcp|127.0.0.1|")) << *bound;
    EXPECT_NE(*bound, "tcp|127.0.0.1|0") << "B8: the port actually bound";
  }

  const BinaryHeader hello =
      post(client, rawAddressRequest(ampe, OpCode::HelloRequest, kConnectToHeader, std::string(*bound)));
  ASSERT_NE(hello.channelNumber, 0);
  std::uint64_t helloId = 0;
  const std::uint16_t serverChannel = acceptHello(ampe, server, defaultTimeout(), &helloId);
  EXPECT_NE(serverChannel, 0);
  EXPECT_EQ(helloId, hello.messageId);
  EXPECT_TRUE(awaitHelloResponse(client, hello.channelNumber, hello.messageId));
}

// ---------------------------------------------------------------------------------------------
// K4: API vocabulary

// Compiles only if the seed's names exist with the seed's shapes.
TEST(KeepContract, K4_ApiVocabularyCompiles) {
  static_assert(Options{}.initialPoolMsgs == 16);
  static_assert(Options{}.maxPoolMsgs == 64);
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

// Defaults {16, 64}: 16 messages are available with poolOnly, then none (success, null);
// the pool keeps at most 64 idle messages; it is LIFO and hands out reset messages.
TEST(KeepContract, K4_DefaultPoolHoldsSixteenAndKeepsSixtyFour) {
  Engine engine;
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
    Engine engine(poolOptions(0, 0));
    std::vector<MessagePtr> taken;
    EXPECT_EQ(drainPool(engine.ampe(), taken), 16u);
    for (int i = 0; i < 60; ++i) {
      taken.push_back(Message::create());
    }
    for (auto& message : taken) {
      engine.ampe().put(message);
    }
    taken.clear();
    EXPECT_EQ(drainPool(engine.ampe(), taken), 64u);
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
  EXPECT_EQ(empty.status(), Status::success);
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
  EXPECT_TRUE(accepted.ok()) << toString(accepted.status());
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
  RawListener peer(GetParam());
  ASSERT_TRUE(peer.valid());
  Engine engine;
  Ampe& ampe = engine.ampe();
  ChannelGroup& group = engine.group();
  const BinaryHeader hello = postHello(ampe, group, peer.address());
  ASSERT_NE(hello.channelNumber, 0);
  RawSocket socket = peer.accept();
  ASSERT_TRUE(socket.valid());
  const auto frame = socket.readFrame();
  ASSERT_TRUE(frame);
  EXPECT_EQ((*frame)[0], hello.channelNumber >> 8);
  EXPECT_EQ((*frame)[1], hello.channelNumber & 0xFF);

  for (std::uint16_t theirs : {std::uint16_t{0xBEEF}, std::uint16_t{0}, hello.channelNumber}) {
    ASSERT_TRUE(socket.writeAll(packFrame(theirs, 0x02, 0x00, 5, {}, {})));
    auto signal = receive(group);
    expectPeerMessage(signal, OpCode::Signal, hello.channelNumber, 5);
  }
}

// ---------------------------------------------------------------------------------------------
// K8: pipelining after HelloRequest

// The client posts Requests and a Signal right after its HelloRequest; the server receives them
// in order right after the HelloRequest, before it has answered anything.
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
  for (std::size_t i = 0; i < early.size(); ++i) {
    auto message = receive(server);
    const OpCode op = i < kEarly ? OpCode::Request : OpCode::Signal;
    expectPeerMessage(message, op, serverChannel, early[i].messageId);
    ASSERT_TRUE(message);
    EXPECT_EQ(message->body().view(), i < kEarly ? "early " + std::to_string(i) : "signal");
  }
  expectNothing(client);  // nothing has been answered yet

  helloIn->setOpCode(OpCode::HelloResponse);
  post(server, std::move(helloIn));
  expectPeerMessage(receive(client), OpCode::HelloResponse, hello.channelNumber, hello.messageId);
}

// The same on the wire: HelloRequest frame, then the early frames, in posting order.
TEST_P(KeepContract, K8_EarlyFramesFollowHelloRequestOnTheWire) {
  RawListener peer(GetParam());
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

  RawSocket socket = peer.accept();
  ASSERT_TRUE(socket.valid());
  expectFrame(socket, packFrame(channel, 0x03, 0x00, hello.messageId,
                                "~connect_to:" + peer.address().toString() + "\r\n", {}));
  for (int i = 0; i < 3; ++i) {
    expectFrame(socket, packFrame(channel, 0x00, 0x00, early[static_cast<std::size_t>(i)].messageId, {},
                                  "e" + std::to_string(i)));
  }
}

}  // namespace
}  // namespace tofu::test
