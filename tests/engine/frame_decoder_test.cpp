// FrameDecoder: incremental decoding at any split, the needMessage hand-shake, sanitising and
// protocol violations (B2).
#include "net/frame_decoder.h"

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/wire_format.h"

namespace tofu::detail {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Event = FrameDecoder::Event;

MessagePtr makeMessage(OpCode op, std::uint16_t channel, std::uint64_t id, std::string_view headers,
                       std::string_view body, bool more = false) {
  MessagePtr message = Message::create();
  message->header() = BinaryHeader::forOpCode(op);
  message->setChannelNumber(channel);
  message->setMessageId(id);
  message->setMore(more);
  message->headers().buffer().append(headers);
  message->body().append(body);
  return message;
}

// A stream of varied frames: empty, headers only, body only, both, a 64 KiB body.
std::vector<MessagePtr> sampleFrames() {
  std::vector<MessagePtr> frames;
  frames.push_back(makeMessage(OpCode::HelloRequest, 0, 1, "~connect_to:tcp|127.0.0.1|7099\r\n", ""));
  frames.push_back(makeMessage(OpCode::Request, 5, 42, "", "hello", true));
  frames.push_back(makeMessage(OpCode::Signal, 5, 7, "", ""));
  frames.push_back(makeMessage(OpCode::Response, 0x2B67, 0xAABBCCDDEEFF0011, "a:b\r\nc:d\r\n", "xyz"));
  frames.push_back(makeMessage(OpCode::ByeRequest, 5, 43, "", ""));
  return frames;
}

Bytes streamOf(const std::vector<MessagePtr>& frames) {
  Bytes stream;
  for (const MessagePtr& frame : frames) {
    const Bytes encoded = encodeFrame(*frame);
    stream.insert(stream.end(), encoded.begin(), encoded.end());
  }
  return stream;
}

// Feeds `size` bytes, attaching a fresh message whenever asked and collecting finished frames.
// Returns the last event: needBytes (everything consumed) or protocolError.
Event feedAll(FrameDecoder& decoder, const std::uint8_t* data, std::size_t size,
              std::vector<MessagePtr>& out) {
  std::size_t offset = 0;
  for (;;) {
    std::size_t used = 0;
    const Event event = decoder.feed(data + offset, size - offset, used);
    offset += used;
    switch (event) {
      case Event::needBytes:
        EXPECT_EQ(offset, size);
        return event;
      case Event::needMessage:
        decoder.attachMessage(Message::create());
        break;
      case Event::frameComplete:
        out.push_back(decoder.takeFrame());
        break;
      case Event::protocolError:
        return event;
    }
  }
}

void expectSameFrames(const std::vector<MessagePtr>& got, const std::vector<MessagePtr>& sent) {
  ASSERT_EQ(got.size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    ASSERT_NE(got[i], nullptr) << i;
    EXPECT_EQ(encodeFrame(*got[i]), encodeFrame(*sent[i])) << i;
    EXPECT_EQ(got[i]->header().textHeadersLen, sent[i]->headers().size()) << i;
    EXPECT_EQ(got[i]->header().bodyLen, sent[i]->body().size()) << i;
  }
}

TEST(FrameDecoder, ManyFramesInOneBuffer) {
  const std::vector<MessagePtr> sent = sampleFrames();
  const Bytes stream = streamOf(sent);
  FrameDecoder decoder;
  std::vector<MessagePtr> got;
  EXPECT_EQ(feedAll(decoder, stream.data(), stream.size(), got), Event::needBytes);
  expectSameFrames(got, sent);
  EXPECT_FALSE(decoder.midFrame());
}

TEST(FrameDecoder, OneByteAtATime) {
  const std::vector<MessagePtr> sent = sampleFrames();
  const Bytes stream = streamOf(sent);
  FrameDecoder decoder;
  std::vector<MessagePtr> got;
  for (const std::uint8_t byte : stream) {
    ASSERT_EQ(feedAll(decoder, &byte, 1, got), Event::needBytes);
  }
  expectSameFrames(got, sent);
  EXPECT_FALSE(decoder.midFrame());
}

TEST(FrameDecoder, SplitInTwoAtEveryPosition) {
  const std::vector<MessagePtr> sent = sampleFrames();
  const Bytes stream = streamOf(sent);
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    FrameDecoder decoder;
    std::vector<MessagePtr> got;
    ASSERT_EQ(feedAll(decoder, stream.data(), split, got), Event::needBytes) << split;
    ASSERT_EQ(feedAll(decoder, stream.data() + split, stream.size() - split, got), Event::needBytes) << split;
    ASSERT_NO_FATAL_FAILURE(expectSameFrames(got, sent)) << split;
  }
}

TEST(FrameDecoder, NeedMessageWaitsWithoutConsumingPayload) {
  const Bytes frame = encodeFrame(*makeMessage(OpCode::Request, 9, 3, "k:v\r\n", "body"));
  FrameDecoder decoder;
  EXPECT_FALSE(decoder.midFrame());
  std::size_t consumed = 99;
  EXPECT_EQ(decoder.feed(frame.data(), frame.size(), consumed), Event::needMessage);
  EXPECT_EQ(consumed, kBinaryHeaderSize);
  EXPECT_TRUE(decoder.midFrame());

  // Without a message the decoder takes nothing more, however often it is fed.
  EXPECT_EQ(decoder.feed(frame.data() + 16, frame.size() - 16, consumed), Event::needMessage);
  EXPECT_EQ(consumed, 0u);
  EXPECT_EQ(decoder.takeFrame(), nullptr);

  decoder.attachMessage(Message::create());
  EXPECT_EQ(decoder.feed(frame.data() + 16, 3, consumed), Event::needBytes);
  EXPECT_EQ(consumed, 3u);
  EXPECT_EQ(decoder.takeFrame(), nullptr);  // not complete yet
  EXPECT_EQ(decoder.feed(frame.data() + 19, frame.size() - 19, consumed), Event::frameComplete);
  EXPECT_EQ(consumed, frame.size() - 19);
  const MessagePtr got = decoder.takeFrame();
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->headers().buffer().view(), "k:v\r\n");
  EXPECT_EQ(got->body().view(), "body");
  EXPECT_FALSE(decoder.midFrame());
}

TEST(FrameDecoder, FrameWithoutPayloadCompletesOnAnEmptyFeed) {
  const Bytes frame = encodeFrame(*makeMessage(OpCode::Signal, 5, 7, "", ""));
  FrameDecoder decoder;
  std::size_t consumed = 0;
  ASSERT_EQ(decoder.feed(frame.data(), frame.size(), consumed), Event::needMessage);
  decoder.attachMessage(Message::create());
  EXPECT_EQ(decoder.feed(nullptr, 0, consumed), Event::frameComplete);
  EXPECT_EQ(consumed, 0u);
  const MessagePtr got = decoder.takeFrame();
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->header(), (BinaryHeader{5, {OpCode::Signal}, Status::success, 7, 0, 0}));
}

TEST(FrameDecoder, FeedStopsAtTheEndOfEachFrame) {
  const std::vector<MessagePtr> sent = sampleFrames();
  const Bytes stream = streamOf(sent);
  const std::size_t firstSize = encodeFrame(*sent[0]).size();
  FrameDecoder decoder;
  std::size_t consumed = 0;
  ASSERT_EQ(decoder.feed(stream.data(), stream.size(), consumed), Event::needMessage);
  decoder.attachMessage(Message::create());
  std::size_t rest = 0;
  EXPECT_EQ(decoder.feed(stream.data() + consumed, stream.size() - consumed, rest), Event::frameComplete);
  EXPECT_EQ(consumed + rest, firstSize);
}

TEST(FrameDecoder, MaximumSectionsArriveIntact) {
  std::string body(kMaxBodyLen, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7 % 251);
  const std::string headers = "big:" + std::string(kMaxTextHeadersLen - 6, 'v') + "\r\n";
  const std::vector<MessagePtr> sent = [&] {
    std::vector<MessagePtr> frames;
    frames.push_back(makeMessage(OpCode::Request, 1, 1, headers, body, true));
    frames.push_back(makeMessage(OpCode::Request, 1, 2, "", body));
    return frames;
  }();
  const Bytes stream = streamOf(sent);
  ASSERT_EQ(stream.size(), kMaxFrameSize + kBinaryHeaderSize + kMaxBodyLen);

  FrameDecoder decoder;
  std::vector<MessagePtr> got;
  for (std::size_t offset = 0; offset < stream.size(); offset += 4096) {
    const std::size_t size = std::min<std::size_t>(4096, stream.size() - offset);
    ASSERT_EQ(feedAll(decoder, stream.data() + offset, size, got), Event::needBytes);
  }
  expectSameFrames(got, sent);
  EXPECT_EQ(got[1]->body().view(), body);
  EXPECT_EQ(got[1]->body().capacity(), 65536u);
}

TEST(FrameDecoder, BodyTailTakesTheRestOfABodyWrittenInPlace) {
  // The engine reads a large body's missing part straight into the message (no copy).
  const std::string body(40000, 'b');
  const MessagePtr sent = makeMessage(OpCode::Request, 3, 9, "k:v\r\n", body);
  const Bytes stream = encodeFrame(*sent);
  constexpr std::size_t kFirstPart = 1000;  // header, text headers, the start of the body
  FrameDecoder decoder;
  EXPECT_TRUE(decoder.bodyTail().empty());  // nothing attached yet

  std::size_t used = 0;
  ASSERT_EQ(decoder.feed(stream.data(), kFirstPart, used), Event::needMessage);
  decoder.attachMessage(Message::create());
  std::size_t more = 0;
  ASSERT_EQ(decoder.feed(stream.data() + used, kFirstPart - used, more), Event::needBytes);
  const std::span<std::uint8_t> tail = decoder.bodyTail();
  ASSERT_EQ(tail.size(), stream.size() - kFirstPart);

  std::memcpy(tail.data(), stream.data() + kFirstPart, tail.size() - 1);
  decoder.bodyFilled(tail.size() - 1);
  EXPECT_EQ(decoder.bodyTail().size(), 1u);
  ASSERT_EQ(decoder.feed(stream.data() + stream.size() - 1, 1, more), Event::frameComplete);
  EXPECT_EQ(more, 1u);
  const MessagePtr frame = decoder.takeFrame();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->body().view(), body);
  EXPECT_EQ(frame->headers().buffer().view(), "k:v\r\n");
  EXPECT_TRUE(decoder.bodyTail().empty());  // the next frame has no message yet
}

TEST(FrameDecoder, AttachedMessageIsResetAndKeepsItsStorage) {
  const Bytes frame = encodeFrame(*makeMessage(OpCode::Request, 2, 8, "", "abc"));
  MessagePtr pooled = makeMessage(OpCode::ByeSignal, 77, 99, "stale:1\r\n", std::string(600, 's'));
  int appValue = 0;
  pooled->setAppData(&appValue);
  const std::uint8_t* bodyStorage = pooled->body().data();

  FrameDecoder decoder;
  std::size_t consumed = 0;
  ASSERT_EQ(decoder.feed(frame.data(), frame.size(), consumed), Event::needMessage);
  decoder.attachMessage(std::move(pooled));
  std::size_t rest = 0;
  ASSERT_EQ(decoder.feed(frame.data() + consumed, frame.size() - consumed, rest), Event::frameComplete);
  const MessagePtr got = decoder.takeFrame();
  EXPECT_EQ(got->header(), (BinaryHeader{2, {OpCode::Request}, Status::success, 8, 0, 3}));
  EXPECT_TRUE(got->headers().empty());
  EXPECT_EQ(got->body().view(), "abc");
  EXPECT_EQ(got->body().data(), bodyStorage);  // no reallocation: it was big enough
  EXPECT_EQ(got->appData(), nullptr);
}

TEST(FrameDecoder, B2_InvalidOpCodesAreProtocolErrors) {
  for (int op = 8; op <= 15; ++op) {
    Bytes frame = encodeFrame(*makeMessage(OpCode::Signal, 5, 7, "", "x"));
    frame[2] = static_cast<std::uint8_t>(op);
    FrameDecoder decoder;
    std::size_t consumed = 0;
    EXPECT_EQ(decoder.feed(frame.data(), frame.size(), consumed), Event::protocolError) << op;
    EXPECT_EQ(consumed, kBinaryHeaderSize) << op;
    EXPECT_EQ(decoder.error(), Status::invalid_op_code) << op;
    // The stream cannot continue.
    EXPECT_EQ(decoder.feed(frame.data() + consumed, frame.size() - consumed, consumed), Event::protocolError);
    EXPECT_EQ(consumed, 0u);
  }
}

TEST(FrameDecoder, B2_MoreOnNonRegularOpCodesIsAProtocolError) {
  for (int op = 3; op <= 7; ++op) {
    Bytes frame = encodeFrame(*makeMessage(static_cast<OpCode>(op), 5, 7, "", ""));
    frame[2] = static_cast<std::uint8_t>(frame[2] | 0x20);
    FrameDecoder decoder;
    std::vector<MessagePtr> got;
    EXPECT_EQ(feedAll(decoder, frame.data(), frame.size(), got), Event::protocolError) << op;
    EXPECT_EQ(decoder.error(), Status::invalid_more_usage) << op;
    EXPECT_TRUE(got.empty());
  }
}

TEST(FrameDecoder, B2_MoreOnRegularOpCodesIsAccepted) {
  for (int op = 0; op <= 2; ++op) {
    const std::vector<MessagePtr> sent = [&] {
      std::vector<MessagePtr> frames;
      frames.push_back(makeMessage(static_cast<OpCode>(op), 5, 7, "", "part", true));
      return frames;
    }();
    const Bytes stream = streamOf(sent);
    FrameDecoder decoder;
    std::vector<MessagePtr> got;
    EXPECT_EQ(feedAll(decoder, stream.data(), stream.size(), got), Event::needBytes) << op;
    expectSameFrames(got, sent);
    EXPECT_EQ(decoder.error(), Status::success);
  }
}

TEST(FrameDecoder, B2_ErrorAfterGoodFramesInTheSameBuffer) {
  std::vector<MessagePtr> sent = sampleFrames();
  Bytes stream = streamOf(sent);
  const std::size_t badAt = stream.size();
  const Bytes bad = encodeFrame(*makeMessage(OpCode::Request, 5, 1, "", "zz"));
  stream.insert(stream.end(), bad.begin(), bad.end());
  stream[badAt + 2] = 0x0A;
  FrameDecoder decoder;
  std::vector<MessagePtr> got;
  EXPECT_EQ(feedAll(decoder, stream.data(), stream.size(), got), Event::protocolError);
  EXPECT_EQ(decoder.error(), Status::invalid_op_code);
  expectSameFrames(got, sent);
}

TEST(FrameDecoder, B2_OriginStatusAndProtoBits6And7FromTheWireAreIgnored) {
  Bytes frame = encodeFrame(*makeMessage(OpCode::Signal, 5, 7, "", "x"));
  frame[2] = 0xD2;  // B, A, origin=engine, Signal
  frame[3] = static_cast<std::uint8_t>(Status::channel_closed);
  FrameDecoder decoder;
  std::vector<MessagePtr> got;
  ASSERT_EQ(feedAll(decoder, frame.data(), frame.size(), got), Event::needBytes);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]->header(), (BinaryHeader{5, {OpCode::Signal}, Status::success, 7, 0, 1}));
  EXPECT_TRUE(got[0]->isFromApplication());
}

TEST(FrameDecoder, MidFrameTracksPartialFrames) {
  const Bytes frame = encodeFrame(*makeMessage(OpCode::Request, 5, 1, "", "ab"));
  FrameDecoder decoder;
  std::size_t consumed = 0;
  EXPECT_FALSE(decoder.midFrame());
  EXPECT_EQ(decoder.feed(frame.data(), 1, consumed), Event::needBytes);
  EXPECT_TRUE(decoder.midFrame());
  EXPECT_EQ(decoder.feed(frame.data() + 1, 15, consumed), Event::needMessage);
  EXPECT_TRUE(decoder.midFrame());
  decoder.attachMessage(Message::create());
  EXPECT_EQ(decoder.feed(frame.data() + 16, 1, consumed), Event::needBytes);
  EXPECT_TRUE(decoder.midFrame());
  EXPECT_EQ(decoder.feed(frame.data() + 17, 1, consumed), Event::frameComplete);
  EXPECT_NE(decoder.takeFrame(), nullptr);
  EXPECT_FALSE(decoder.midFrame());
}

// What a starving channel may read without needing a second message: the rest of the binary
// header, then (with a message) the rest of the text headers and body, and nothing while a
// decoded header waits for its message.
TEST(FrameDecoder, RestOfFrameIsWhatTheFrameStillNeeds) {
  const Bytes frame = encodeFrame(*makeMessage(OpCode::Request, 5, 1, "a:b\r\n", "body"));
  ASSERT_EQ(frame.size(), kBinaryHeaderSize + 5 + 4);
  FrameDecoder decoder;
  std::size_t consumed = 0;
  EXPECT_EQ(decoder.restOfFrame(), kBinaryHeaderSize);
  EXPECT_EQ(decoder.feed(frame.data(), 6, consumed), Event::needBytes);
  EXPECT_EQ(decoder.restOfFrame(), kBinaryHeaderSize - 6);
  EXPECT_EQ(decoder.feed(frame.data() + 6, frame.size() - 6, consumed), Event::needMessage);
  EXPECT_EQ(decoder.restOfFrame(), 0u);
  decoder.attachMessage(Message::create());
  EXPECT_EQ(decoder.restOfFrame(), 9u);
  EXPECT_EQ(decoder.feed(frame.data() + 16, 2, consumed), Event::needBytes);
  EXPECT_EQ(decoder.restOfFrame(), 7u);
  EXPECT_EQ(decoder.feed(frame.data() + 18, 3, consumed), Event::needBytes);
  EXPECT_EQ(decoder.restOfFrame(), 4u);  // into the body now
  EXPECT_EQ(decoder.feed(frame.data() + 21, 4, consumed), Event::frameComplete);
  EXPECT_NE(decoder.takeFrame(), nullptr);
  EXPECT_EQ(decoder.restOfFrame(), kBinaryHeaderSize);
}

TEST(FrameDecoder, ReleaseMessageHandsBackAPartialFrame) {
  FrameDecoder decoder;
  EXPECT_EQ(decoder.releaseMessage(), nullptr);

  const Bytes frame = encodeFrame(*makeMessage(OpCode::Request, 5, 1, "", "abcdef"));
  std::size_t consumed = 0;
  ASSERT_EQ(decoder.feed(frame.data(), frame.size(), consumed), Event::needMessage);
  MessagePtr storage = Message::create();
  const Message* attached = storage.get();
  decoder.attachMessage(std::move(storage));
  ASSERT_EQ(decoder.feed(frame.data() + 16, 2, consumed), Event::needBytes);

  const MessagePtr partial = decoder.releaseMessage();
  EXPECT_EQ(partial.get(), attached);
  EXPECT_FALSE(decoder.midFrame());
  EXPECT_EQ(decoder.releaseMessage(), nullptr);

  // The decoder starts over with the next frame.
  const std::vector<MessagePtr> sent = sampleFrames();
  const Bytes stream = streamOf(sent);
  std::vector<MessagePtr> got;
  EXPECT_EQ(feedAll(decoder, stream.data(), stream.size(), got), Event::needBytes);
  expectSameFrames(got, sent);
}

TEST(FrameDecoder, ReleaseMessageKeepsAProtocolError) {
  Bytes frame = encodeFrame(*makeMessage(OpCode::Request, 5, 1, "", ""));
  frame[2] = 0x08;  // WelcomeRequest never travels
  FrameDecoder decoder;
  std::size_t consumed = 0;
  ASSERT_EQ(decoder.feed(frame.data(), frame.size(), consumed), Event::protocolError);
  EXPECT_EQ(decoder.releaseMessage(), nullptr);
  EXPECT_EQ(decoder.error(), Status::invalid_op_code);
  EXPECT_EQ(decoder.feed(frame.data(), frame.size(), consumed), Event::protocolError);
}

}  // namespace
}  // namespace tofu::detail
