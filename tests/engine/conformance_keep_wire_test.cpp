// Conformance with the kept contract K1..K3 (DECISIONS.md): wire bytes, status values and address
// headers. Expectations follow docs/behaviour.md; K4..K8 are in conformance_keep_api_test.cpp.
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
  EXPECT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.end()),
            fromHex("12 34 00 ff aa bb cc dd ee ff 00 11 56 78 9a bc"));
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
  RawServer peer(GetParam());
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

  auto socket = peer.accept();
  ASSERT_NE(socket, nullptr);
  const std::string record = "~connect_to:" + peer.address().toString() + "\r\n";
  expectFrame(*socket, packFrame(channel, 0x03, 0x00, hello.messageId, record, {}));
  expectFrame(*socket, withChannel(fromHex("00 05 20 00 00 00 00 00 00 00 00 2a 00 00 00 05 68 65 6c 6c 6f"),
                                   channel));
  expectFrame(*socket, withChannel(fromHex("00 05 02 00 00 00 00 00 00 00 00 07 00 00 00 00"), channel));
  expectFrame(*socket, withChannel(fromHex("00 05 05 00 00 00 00 00 00 00 00 2b 00 00 00 00"), channel));

  // V4 (minimal HelloResponse, server channel 0x2B67) carrying the HelloRequest's id.
  ASSERT_TRUE(
      socket->sendBytes(withId(fromHex("2b 67 04 00 00 00 00 00 00 00 00 01 00 00 00 00"), hello.messageId)));
  expectPeerMessage(receive(group), OpCode::HelloResponse, channel, hello.messageId);
  // V2 from the peer (its channel 5): delivered on our channel (V10).
  ASSERT_TRUE(socket->sendBytes(fromHex("00 05 20 00 00 00 00 00 00 00 00 2a 00 00 00 05 68 65 6c 6c 6f")));
  auto v10 = receive(group);
  expectPeerMessage(v10, OpCode::Request, channel, 42);
  ASSERT_TRUE(v10);
  EXPECT_TRUE(v10->hasMore());
  EXPECT_TRUE(v10->headers().empty());
  EXPECT_EQ(v10->body().view(), "hello");
  // V5 answers our ByeRequest: delivered, then our channel closes.
  ASSERT_TRUE(socket->sendBytes(fromHex("2b 67 06 00 00 00 00 00 00 00 00 2b 00 00 00 00")));
  expectPeerMessage(receive(group), OpCode::ByeResponse, channel, 43);
  auto closed = receive(group);
  ASSERT_TRUE(closed);
  EXPECT_TRUE(closedSignal(channel)(*closed)) << describe(closed);
  EXPECT_EQ(closed->messageId(), hello.messageId) << "recorded id: the first frame received (V4)";
  EXPECT_TRUE(socket->waitClosed());
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
  auto socket = RawPeer::connectTo(listener.bound);
  ASSERT_NE(socket, nullptr);

  ASSERT_TRUE(
      socket->sendBytes(fromHex("12 34 03 00 00 00 00 00 00 00 00 01 00 20 00 00"
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
  expectFrame(*socket, withChannel(fromHex("2b 67 04 00 00 00 00 00 00 00 00 01 00 00 00 00"), channel));

  // V6 and V3 from the peer.
  ASSERT_TRUE(socket->sendBytes(fromHex("00 05 02 00 00 00 00 00 00 00 00 07 00 00 00 00")));
  expectPeerMessage(receive(group), OpCode::Signal, channel, 7);
  ASSERT_TRUE(socket->sendBytes(fromHex("00 05 05 00 00 00 00 00 00 00 00 2b 00 00 00 00")));
  auto bye = receive(group);
  expectPeerMessage(bye, OpCode::ByeRequest, channel, 0x2b);
  ASSERT_TRUE(bye);
  bye->setOpCode(OpCode::ByeResponse);
  post(group, std::move(bye));
  expectFrame(*socket, withChannel(fromHex("2b 67 06 00 00 00 00 00 00 00 00 2b 00 00 00 00"), channel));
  // B3: after its ByeResponse the server half-closes (EOF for us), then closes when we do.
  EXPECT_TRUE(socket->waitClosed());
  socket->close();
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
  RawServer peer(GetParam());
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

  auto socket = peer.accept();
  ASSERT_NE(socket, nullptr);
  ASSERT_TRUE(socket->readFrameBytes());  // the HelloRequest
  expectFrame(*socket, packFrame(hello.channelNumber, 0x02, 0x00, 9, {}, "x"));
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

}  // namespace
}  // namespace tofu::test
