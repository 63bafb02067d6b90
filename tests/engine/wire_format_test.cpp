// K1: every frame of WIRE-VECTORS.md, built through the public API, byte for byte; the
// header codec and the proto byte; decoding back through decodeBinaryHeader and FrameDecoder.
#include "tofu/wire_format.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/address.h"

#include "net/frame_decoder.h"

namespace tofu {
namespace {

using Bytes = std::vector<std::uint8_t>;

// "00 05 20 ..." as written in WIRE-VECTORS.md.
Bytes hex(std::string_view text) {
  Bytes bytes;
  std::string digits;
  for (const char c : text) {
    if (c == ' ' || c == '\n') continue;
    digits += c;
    if (digits.size() == 2) {
      bytes.push_back(static_cast<std::uint8_t>(std::stoul(digits, nullptr, 16)));
      digits.clear();
    }
  }
  EXPECT_TRUE(digits.empty()) << "odd number of hex digits";
  return bytes;
}

std::span<const std::uint8_t, kBinaryHeaderSize> headerOf(const Bytes& frame) {
  return std::span<const std::uint8_t, kBinaryHeaderSize>(frame.data(), kBinaryHeaderSize);
}

MessagePtr message(OpCode op, std::uint16_t channel, std::uint64_t id) {
  MessagePtr built = Message::create();
  built->header() = BinaryHeader::forOpCode(op);
  built->setChannelNumber(channel);
  built->setMessageId(id);
  return built;
}

MessagePtr v1Hello(std::uint16_t channel) {
  MessagePtr hello = Message::create();
  EXPECT_EQ(prepareHelloRequest(*hello, Address::tcp("127.0.0.1", 7099)), Status::success);
  hello->setChannelNumber(channel);
  hello->setMessageId(1);
  return hello;
}

const Bytes kV1 =
    hex("00 00 03 00 00 00 00 00 00 00 00 01 00 20 00 00"
        "7e 63 6f 6e 6e 65 63 74 5f 74 6f 3a 74 63 70 7c"
        "31 32 37 2e 30 2e 30 2e 31 7c 37 30 39 39 0d 0a");
const Bytes kV1b =
    hex("12 34 03 00 00 00 00 00 00 00 00 01 00 20 00 00"
        "7e 63 6f 6e 6e 65 63 74 5f 74 6f 3a 74 63 70 7c"
        "31 32 37 2e 30 2e 30 2e 31 7c 37 30 39 39 0d 0a");
const Bytes kV2 = hex("00 05 20 00 00 00 00 00 00 00 00 2a 00 00 00 05 68 65 6c 6c 6f");
const Bytes kV3 = hex("00 05 05 00 00 00 00 00 00 00 00 2b 00 00 00 00");
const Bytes kV4 = hex("2b 67 04 00 00 00 00 00 00 00 00 01 00 00 00 00");
const Bytes kV4Echo =
    hex("2b 67 04 00 00 00 00 00 00 00 00 01 00 20 00 00"
        "7e 63 6f 6e 6e 65 63 74 5f 74 6f 3a 74 63 70 7c"
        "31 32 37 2e 30 2e 30 2e 31 7c 37 30 39 39 0d 0a");
const Bytes kV5 = hex("2b 67 06 00 00 00 00 00 00 00 00 2b 00 00 00 00");
const Bytes kV6 = hex("00 05 02 00 00 00 00 00 00 00 00 07 00 00 00 00");
const Bytes kV7 = hex("12 34 00 ff aa bb cc dd ee ff 00 11 56 78 9a bc");

TEST(WireFormat, K1_V1_HelloRequestOnChannel0) { EXPECT_EQ(encodeFrame(*v1Hello(0)), kV1); }

TEST(WireFormat, K1_V1b_HelloRequestOnAssignedChannel) { EXPECT_EQ(encodeFrame(*v1Hello(0x1234)), kV1b); }

TEST(WireFormat, K1_V2_RequestWithMoreAndBody) {
  MessagePtr request = message(OpCode::Request, 5, 42);
  request->setMore(true);
  request->body().append("hello");
  EXPECT_EQ(encodeFrame(*request), kV2);
}

TEST(WireFormat, K1_V3_ByeRequest) { EXPECT_EQ(encodeFrame(*message(OpCode::ByeRequest, 5, 43)), kV3); }

TEST(WireFormat, K1_V4_MinimalHelloResponse) {
  EXPECT_EQ(encodeFrame(*message(OpCode::HelloResponse, 0x2B67, 1)), kV4);
}

TEST(WireFormat, K1_V4_HelloResponseEchoingTheRequest) {
  MessagePtr reply = v1Hello(0x2B67);
  OpCode echo = OpCode::Request;
  ASSERT_TRUE(echoOf(reply->opCode(), echo));
  reply->setOpCode(echo);
  EXPECT_EQ(encodeFrame(*reply), kV4Echo);
}

TEST(WireFormat, K1_V5_ByeResponse) {
  EXPECT_EQ(encodeFrame(*message(OpCode::ByeResponse, 0x2B67, 43)), kV5);
}

TEST(WireFormat, K1_V6_EmptySignal) { EXPECT_EQ(encodeFrame(*message(OpCode::Signal, 5, 7)), kV6); }

const BinaryHeader kV7Header{0x1234, ProtoFields{}, static_cast<Status>(0xFF), 0xAABBCCDDEEFF0011,
                             0x5678, 0x9ABC};

TEST(WireFormat, K1_V7_HeaderCodec) {
  Bytes encoded(kBinaryHeaderSize);
  encodeBinaryHeader(kV7Header,
                     std::span<std::uint8_t, kBinaryHeaderSize>(encoded.data(), kBinaryHeaderSize));
  EXPECT_EQ(encoded, kV7);
  EXPECT_EQ(decodeBinaryHeader(headerOf(kV7)), kV7Header);  // status 0xFF kept raw
}

TEST(WireFormat, K1_V8_AddressRecordsAreTheDocumentedBytes) {
  const Bytes listenOn =
      hex("7e 6c 69 73 74 65 6e 5f 6f 6e 3a 74 63 70 7c 30 2e 30 2e 30 2e 30 7c 37 30 39 39 0d 0a");
  const Bytes ipv6 = hex("7e 63 6f 6e 6e 65 63 74 5f 74 6f 3a 74 63 70 7c 3a 3a 31 7c 37 30 39 39 0d 0a");
  const Bytes uds =
      hex("7e 63 6f 6e 6e 65 63 74 5f 74 6f 3a 75 64 73 7c 2f 74 6d 70 2f 74 6f 66 75 5f"
          "34 32 34 32 5f 30 2e 70 6f 72 74 0d 0a");
  const auto sectionOf = [](const Message& built) {
    const auto section = built.headers().buffer().span();
    return Bytes(section.begin(), section.end());
  };
  MessagePtr built = Message::create();
  ASSERT_EQ(prepareWelcomeRequest(*built, Address::tcp("0.0.0.0", 7099)), Status::success);
  EXPECT_EQ(sectionOf(*built), listenOn);
  built = Message::create();
  ASSERT_EQ(prepareHelloRequest(*built, Address::tcp("::1", 7099)), Status::success);
  EXPECT_EQ(sectionOf(*built), ipv6);
  built = Message::create();
  ASSERT_EQ(prepareHelloRequest(*built, Address::uds("/tmp/tofu_4242_0.port")), Status::success);
  EXPECT_EQ(sectionOf(*built), uds);
}

struct Vector {
  const char* name;
  const Bytes& frame;
  BinaryHeader header;
  std::string_view headers;
  std::string_view body;
};

constexpr std::string_view kV1Record = "~connect_to:tcp|127.0.0.1|7099\r\n";

const Vector kFrames[] = {
    {"V1", kV1, {0, {OpCode::HelloRequest}, Status::success, 1, 32, 0}, kV1Record, ""},
    {"V1b", kV1b, {0x1234, {OpCode::HelloRequest}, Status::success, 1, 32, 0}, kV1Record, ""},
    {"V2", kV2, {5, {OpCode::Request, Origin::application, true}, Status::success, 42, 0, 5}, "", "hello"},
    {"V3", kV3, {5, {OpCode::ByeRequest}, Status::success, 43, 0, 0}, "", ""},
    {"V4", kV4, {0x2B67, {OpCode::HelloResponse}, Status::success, 1, 0, 0}, "", ""},
    {"V4echo", kV4Echo, {0x2B67, {OpCode::HelloResponse}, Status::success, 1, 32, 0}, kV1Record, ""},
    {"V5", kV5, {0x2B67, {OpCode::ByeResponse}, Status::success, 43, 0, 0}, "", ""},
    {"V6", kV6, {5, {OpCode::Signal}, Status::success, 7, 0, 0}, "", ""},
};

TEST(WireFormat, K1_DecodeBinaryHeaderRoundTripsEveryVector) {
  for (const Vector& vector : kFrames) {
    EXPECT_EQ(decodeBinaryHeader(headerOf(vector.frame)), vector.header) << vector.name;
  }
}

TEST(WireFormat, K1_FrameDecoderRoundTripsEveryVector) {
  for (const Vector& vector : kFrames) {
    SCOPED_TRACE(vector.name);
    detail::FrameDecoder decoder;
    std::size_t consumed = 0;
    ASSERT_EQ(decoder.feed(vector.frame.data(), vector.frame.size(), consumed),
              detail::FrameDecoder::Event::needMessage);
    ASSERT_EQ(consumed, kBinaryHeaderSize);
    decoder.attachMessage(Message::create());
    std::size_t rest = 0;
    ASSERT_EQ(decoder.feed(vector.frame.data() + consumed, vector.frame.size() - consumed, rest),
              detail::FrameDecoder::Event::frameComplete);
    EXPECT_EQ(consumed + rest, vector.frame.size());
    const MessagePtr frame = decoder.takeFrame();
    ASSERT_NE(frame, nullptr);
    EXPECT_EQ(frame->header(), vector.header);
    EXPECT_EQ(frame->headers().buffer().view(), vector.headers);
    EXPECT_EQ(frame->body().view(), vector.body);
    EXPECT_EQ(encodeFrame(*frame), vector.frame);
  }
}

TEST(WireFormat, K1_ProtoByteTable) {
  for (int op = 0; op <= kMaxValidOpCode; ++op) {
    for (const bool more : {false, true}) {
      for (const Origin origin : {Origin::application, Origin::engine}) {
        const ProtoFields fields{static_cast<OpCode>(op), origin, more};
        const int expected = op | (origin == Origin::engine ? 0x10 : 0) | (more ? 0x20 : 0);
        EXPECT_EQ(fields.toByte(), expected) << op << ' ' << more;
        EXPECT_EQ(ProtoFields::fromByte(fields.toByte()), fields);
      }
    }
  }
  EXPECT_EQ((ProtoFields{OpCode::HelloRequest}).toByte(), 0x03);
  EXPECT_EQ((ProtoFields{OpCode::Request, Origin::application, true}).toByte(), 0x20);
  EXPECT_EQ((ProtoFields{OpCode::Signal, Origin::application, true}).toByte(), 0x22);
  EXPECT_EQ((ProtoFields{OpCode::ByeSignal}).toByte(), 0x07);  // transmitted form: A bit 0
}

TEST(WireFormat, B2_ProtoBits6And7IgnoredOnDecode) {
  for (int byte = 0; byte <= 0xFF; ++byte) {
    const auto raw = static_cast<std::uint8_t>(byte);
    const ProtoFields fields = ProtoFields::fromByte(raw);
    EXPECT_EQ(static_cast<int>(fields.opCode), byte & 0x0F);
    EXPECT_EQ(fields.origin == Origin::engine, (byte & 0x10) != 0);
    EXPECT_EQ(fields.more, (byte & 0x20) != 0);
    EXPECT_EQ(fields.toByte(), byte & 0x3F);

    Bytes frame = kV6;
    frame[2] = raw;
    EXPECT_EQ(decodeBinaryHeader(headerOf(frame)).proto, ProtoFields::fromByte(raw & 0x3F)) << byte;
  }
  // The local-abort ByeSignal (0x47 in the reference) reads as a plain ByeSignal.
  EXPECT_EQ(ProtoFields::fromByte(0x47), (ProtoFields{OpCode::ByeSignal}));
}

TEST(WireFormat, K1_OpCodes10To15SurviveDecodeRaw) {
  Bytes frame = kV6;
  frame[2] = 0x0F;
  const BinaryHeader header = decodeBinaryHeader(headerOf(frame));
  EXPECT_EQ(static_cast<int>(header.proto.opCode), 15);
  EXPECT_FALSE(isValidOpCode(header.proto.opCode));
}

TEST(WireFormat, K1_MultiByteFieldsAreBigEndianOnAnyHost) {
  const BinaryHeader header{0x0102, {OpCode::Response}, Status::success, 0x030405060708090A, 0x0B0C, 0x0D0E};
  Bytes encoded(kBinaryHeaderSize);
  encodeBinaryHeader(header, std::span<std::uint8_t, kBinaryHeaderSize>(encoded.data(), kBinaryHeaderSize));
  EXPECT_EQ(encoded, hex("01 02 01 00 03 04 05 06 07 08 09 0a 0b 0c 0d 0e"));
  EXPECT_EQ(decodeBinaryHeader(headerOf(encoded)), header);
}

TEST(WireFormat, K1_EncodeFrameTakesLengthsFromTheSections) {
  MessagePtr request = message(OpCode::Request, 5, 42);
  request->setMore(true);
  request->body().append("hello");
  request->header().textHeadersLen = 999;  // stale values must not reach the wire
  request->header().bodyLen = 1;
  EXPECT_EQ(encodeFrame(*request), kV2);
}

TEST(WireFormat, K1_EncodeFrameWritesStatusAndOriginAsGiven) {
  MessagePtr signal = message(OpCode::Signal, 5, 7);
  signal->header().proto.origin = Origin::engine;
  signal->header().status = Status::channel_closed;
  Bytes expected = kV6;
  expected[2] = 0x12;
  expected[3] = 22;
  EXPECT_EQ(encodeFrame(*signal), expected);
}

TEST(WireFormat, K1_MaximumFrameLayout) {
  MessagePtr big = message(OpCode::Request, 1, 1);
  big->headers().buffer().append(std::string(kMaxTextHeadersLen, 'h'));
  big->body().append(std::string(kMaxBodyLen, 'b'));
  const Bytes frame = encodeFrame(*big);
  ASSERT_EQ(frame.size(), kMaxFrameSize);
  EXPECT_EQ(kMaxFrameSize, 131086u);
  EXPECT_EQ(frame[12], 0xFF);
  EXPECT_EQ(frame[13], 0xFF);
  EXPECT_EQ(frame[14], 0xFF);
  EXPECT_EQ(frame[15], 0xFF);
  EXPECT_EQ(frame[16], 'h');
  EXPECT_EQ(frame[16 + kMaxTextHeadersLen], 'b');
  EXPECT_EQ(frame.back(), 'b');
}

}  // namespace
}  // namespace tofu
