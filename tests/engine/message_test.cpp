// Message: reset for pool reuse, deep clones, and the opcode catalogue of PROTOCOL.md 2.4.
#include "tofu/message.h"

#include <array>
#include <string>

#include <gtest/gtest.h>

#include "util/message_access.h"

namespace tofu {
namespace {

using detail::MessageAccess;

struct OpCodeRow {
  OpCode op;
  int value;
  const char* name;
  MessageType type;
  MessageRole role;
  bool hasEcho;
  OpCode echo;
};

// PROTOCOL.md 2.4, row by row.
constexpr std::array<OpCodeRow, 10> kCatalogue{{
    {OpCode::Request, 0, "Request", MessageType::regular, MessageRole::request, true, OpCode::Response},
    {OpCode::Response, 1, "Response", MessageType::regular, MessageRole::response, false, {}},
    {OpCode::Signal, 2, "Signal", MessageType::regular, MessageRole::signal, true, OpCode::Signal},
    {OpCode::HelloRequest, 3, "HelloRequest", MessageType::hello, MessageRole::request, true,
     OpCode::HelloResponse},
    {OpCode::HelloResponse, 4, "HelloResponse", MessageType::hello, MessageRole::response, false, {}},
    {OpCode::ByeRequest, 5, "ByeRequest", MessageType::bye, MessageRole::request, true, OpCode::ByeResponse},
    {OpCode::ByeResponse, 6, "ByeResponse", MessageType::bye, MessageRole::response, false, {}},
    {OpCode::ByeSignal, 7, "ByeSignal", MessageType::bye, MessageRole::signal, false, {}},
    {OpCode::WelcomeRequest, 8, "WelcomeRequest", MessageType::welcome, MessageRole::request, true,
     OpCode::WelcomeResponse},
    {OpCode::WelcomeResponse, 9, "WelcomeResponse", MessageType::welcome, MessageRole::response, false, {}},
}};

TEST(Message, OpCodeCatalogue_TypeRoleEchoAndName) {
  for (const OpCodeRow& row : kCatalogue) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(static_cast<int>(row.op), row.value);
    EXPECT_EQ(typeOf(row.op), row.type);
    EXPECT_EQ(roleOf(row.op), row.role);
    EXPECT_STREQ(toString(row.op), row.name);
    EXPECT_TRUE(isValidOpCode(row.op));
    EXPECT_EQ(isWireOpCode(row.op), row.value <= 7);
    OpCode reply = OpCode::ByeSignal;  // sentinel: must stay untouched without an echo
    EXPECT_EQ(echoOf(row.op, reply), row.hasEcho);
    EXPECT_EQ(reply, row.hasEcho ? row.echo : OpCode::ByeSignal);
  }
}

TEST(Message, OpCodeCatalogue_InvalidOpCodes10To15) {
  for (int value = 10; value <= 15; ++value) {
    const auto op = static_cast<OpCode>(value);
    EXPECT_FALSE(isValidOpCode(op)) << value;
    EXPECT_FALSE(isWireOpCode(op)) << value;
    EXPECT_STREQ(toString(op), "invalid") << value;
    EXPECT_EQ(typeOf(op), MessageType::regular) << value;
    OpCode reply = OpCode::Signal;
    EXPECT_FALSE(echoOf(op, reply)) << value;
  }
}

TEST(Message, OriginNames) {
  EXPECT_STREQ(toString(Origin::application), "application");
  EXPECT_STREQ(toString(Origin::engine), "engine");
}

TEST(Message, CreateReserves256BytesForHeadersAndBody) {
  const MessagePtr message = Message::create();
  EXPECT_EQ(Message::kInitialCapacity, 256u);
  EXPECT_EQ(message->headers().buffer().capacity(), 256u);
  EXPECT_EQ(message->body().capacity(), 256u);
  EXPECT_TRUE(message->headers().empty());
  EXPECT_TRUE(message->body().empty());
  EXPECT_EQ(message->header(), BinaryHeader{});
  EXPECT_EQ(message->appData(), nullptr);
}

TEST(Message, AccessorsReadAndWriteTheHeader) {
  const MessagePtr message = Message::create();
  message->setOpCode(OpCode::Signal);
  message->setMore(true);
  message->setChannelNumber(0x1234);
  message->setMessageId(99);
  EXPECT_EQ(message->header().proto, (ProtoFields{OpCode::Signal, Origin::application, true}));
  EXPECT_EQ(message->type(), MessageType::regular);
  EXPECT_EQ(message->role(), MessageRole::signal);
  EXPECT_TRUE(message->hasMore());
  EXPECT_TRUE(message->isFromApplication());
  message->header().proto.origin = Origin::engine;
  EXPECT_TRUE(message->isFromEngine());
  EXPECT_EQ(message->channelNumber(), 0x1234);
  EXPECT_EQ(message->messageId(), 99u);
}

MessagePtr filledMessage() {
  MessagePtr message = Message::create();
  message->header() = {0x2B67, {OpCode::Response, Origin::engine, true}, Status::channel_closed, 77, 5, 6};
  EXPECT_EQ(message->headers().append("k", std::string(1000, 'h')), HeaderCheck::ok);
  message->body().append(std::string(3000, 'b'));
  return message;
}

TEST(Message, ResetZeroesHeaderEmptiesSectionsAndKeepsCapacity) {
  MessagePtr message = filledMessage();
  int appValue = 0;
  message->setAppData(&appValue);
  Message* neighbour = message.get();
  MessageAccess::next(*message) = neighbour;
  MessageAccess::owner(*message) = &appValue;
  const std::size_t headersCapacity = message->headers().buffer().capacity();
  const std::size_t bodyCapacity = message->body().capacity();

  message->reset();

  EXPECT_EQ(message->header(), BinaryHeader{});
  EXPECT_EQ(message->opCode(), OpCode::Request);
  EXPECT_TRUE(message->headers().empty());
  EXPECT_TRUE(message->body().empty());
  EXPECT_EQ(message->headers().buffer().capacity(), headersCapacity);
  EXPECT_EQ(message->body().capacity(), bodyCapacity);
  EXPECT_GE(bodyCapacity, 3000u);
  EXPECT_EQ(message->appData(), nullptr);
  EXPECT_EQ(MessageAccess::next(*message), nullptr);
  EXPECT_EQ(MessageAccess::owner(*message), nullptr);
}

TEST(Message, CloneCopiesHeaderSectionsAndAppDataButNotBookkeeping) {
  MessagePtr original = filledMessage();
  int appValue = 0;
  original->setAppData(&appValue);
  MessageAccess::next(*original) = original.get();
  MessageAccess::owner(*original) = &appValue;
  MessageAccess::wire(*original).fill(0xAB);

  const MessagePtr copy = original->clone();

  EXPECT_EQ(copy->header(), original->header());
  EXPECT_EQ(copy->headers().buffer().view(), original->headers().buffer().view());
  EXPECT_EQ(copy->body().view(), original->body().view());
  EXPECT_EQ(copy->appData(), &appValue);
  EXPECT_EQ(MessageAccess::next(*copy), nullptr);
  EXPECT_EQ(MessageAccess::owner(*copy), nullptr);
  EXPECT_EQ(MessageAccess::wire(*copy), (std::array<std::uint8_t, 16>{}));
}

TEST(Message, CloneIsDeepAndIndependent) {
  MessagePtr original = filledMessage();
  const MessagePtr copy = original->clone();
  EXPECT_NE(copy->body().data(), original->body().data());
  EXPECT_NE(copy->headers().buffer().data(), original->headers().buffer().data());

  original->body().data()[0] = 'X';
  original->body().append("more");
  ASSERT_EQ(original->headers().append("extra", "1"), HeaderCheck::ok);
  original->setMessageId(1);
  EXPECT_EQ(copy->body().view(), std::string(3000, 'b'));
  EXPECT_EQ(copy->headers().buffer().view(), "k:" + std::string(1000, 'h') + "\r\n");
  EXPECT_EQ(copy->messageId(), 77u);

  original.reset();  // the copy outlives its source
  EXPECT_EQ(copy->body().size(), 3000u);
}

TEST(Message, ForOpCodeGivesAFreshHeader) {
  const BinaryHeader header = BinaryHeader::forOpCode(OpCode::HelloRequest);
  EXPECT_EQ(header.proto, (ProtoFields{OpCode::HelloRequest, Origin::application, false}));
  EXPECT_EQ(header.channelNumber, 0);
  EXPECT_EQ(header.messageId, 0u);
  EXPECT_EQ(header.status, Status::success);
}

}  // namespace
}  // namespace tofu
