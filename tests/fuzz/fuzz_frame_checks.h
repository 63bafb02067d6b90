// The frame decoder's fuzz check (fuzz_frame_decoder): a stream fed whole or split where the
// input says, against an independent one-shot model of PROTOCOL.md 2.2/2.3 and B2, plus the
// per-frame rules, re-encoding and restart after release. Header-only; single-threaded.
#pragma once

#include "fuzz_support.h"

namespace tofu::fuzz {
namespace impl {

// What a decoded frame must look like, independent of the Message it was decoded into.
struct FrameSnapshot {
  BinaryHeader header;
  std::string headers;
  std::string body;
  bool operator==(const FrameSnapshot&) const = default;
};

inline FrameSnapshot snapshotOf(const Message& message) {
  return {message.header(), std::string(message.headers().buffer().view()),
          std::string(message.body().view())};
}

// The outcome of decoding a whole stream.
struct StreamResult {
  std::vector<FrameSnapshot> frames;
  Status error = Status::success;  // after protocolError
  std::size_t consumed = 0;        // bytes the decoder took in total
  bool midFrame = false;           // the stream ended inside a frame (no error)
  bool operator==(const StreamResult&) const = default;
};

inline std::uint64_t readBigEndian(const std::uint8_t* bytes, std::size_t width) noexcept {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < width; ++i) value = (value << 8) | bytes[i];
  return value;
}

// The model: a one-shot decoder written straight from PROTOCOL.md 2.2/2.3 and B2, sharing no
// code with the engine's incremental decoder or its header codec.
inline StreamResult modelDecode(const std::uint8_t* data, std::size_t size,
                                const FrameDecoder::Limits& limits) {
  StreamResult result;
  std::size_t offset = 0;
  while (size - offset >= kBinaryHeaderSize) {
    const std::uint8_t* header = data + offset;
    const unsigned proto = header[2];
    const unsigned opCode = proto & 0x0Fu;
    const bool more = (proto & 0x20u) != 0;
    const std::size_t headersLen = static_cast<std::size_t>(readBigEndian(header + 12, 2));
    const std::size_t bodyLen = static_cast<std::size_t>(readBigEndian(header + 14, 2));
    // The decoder rejects a frame as soon as its header is complete, in this order.
    Status error = Status::success;
    if (opCode > 7) {
      error = Status::invalid_op_code;  // 8, 9 are local only; 10..15 do not exist (B2)
    } else if (more && opCode > 2) {
      error = Status::invalid_more_usage;  // `more` only on Request, Response, Signal
    } else if (headersLen > limits.maxHeadersLen) {
      error = Status::invalid_headers_len;
    } else if (bodyLen > limits.maxBodyLen) {
      error = Status::invalid_body_len;
    }
    if (error != Status::success) {
      result.error = error;
      result.consumed = offset + kBinaryHeaderSize;
      return result;
    }
    if (size - offset - kBinaryHeaderSize < headersLen + bodyLen) break;  // truncated frame

    FrameSnapshot frame;
    frame.header.channelNumber = static_cast<std::uint16_t>(readBigEndian(header, 2));
    frame.header.proto.opCode = static_cast<OpCode>(opCode);
    frame.header.proto.more = more;
    // origin and status from the wire are ignored (B2); bits 6-7 are dropped.
    frame.header.proto.origin = Origin::application;
    frame.header.status = Status::success;
    frame.header.messageId = readBigEndian(header + 4, 8);
    frame.header.textHeadersLen = static_cast<std::uint16_t>(headersLen);
    frame.header.bodyLen = static_cast<std::uint16_t>(bodyLen);
    const char* sections = reinterpret_cast<const char*>(header + kBinaryHeaderSize);
    frame.headers.assign(sections, headersLen);
    frame.body.assign(sections + headersLen, bodyLen);
    result.frames.push_back(std::move(frame));
    offset += kBinaryHeaderSize + headersLen + bodyLen;
  }
  result.consumed = size;  // the decoder buffers a partial frame, so it takes everything
  result.midFrame = offset < size;
  return result;
}

// Chunk sizes for one feed each, derived from a seed byte of the input so the fuzzer controls
// the split points too: one byte at a time, a fixed size, or pseudo-random sizes (some empty).
class Splitter {
 public:
  explicit Splitter(std::uint8_t seed)
      : mode_(seed % 4u), scale_(seed / 4u + 1u), state_(seed * 2654435761u + 1u) {}

  std::size_t next() noexcept {
    switch (mode_) {
      case 0:
        return 1;
      case 1:
        return scale_;
      default:
        state_ = state_ * 1664525u + 1013904223u;  // LCG; the high bits are the good ones
        return (state_ >> 16) % (2 * scale_ + 1);  // 0 now and then: an empty feed is legal
    }
  }

 private:
  unsigned mode_;
  unsigned scale_;
  std::uint32_t state_;
};

// Where decoded frames' messages come from: fresh ones, or recycled frames made dirty on
// purpose (stale header, sections, app pointer), as a pooled message would be.
class MessageSource {
 public:
  explicit MessageSource(bool recycle) : recycle_(recycle) {}

  MessagePtr take() {
    if (!recycle_ || spare_.empty()) return Message::create();
    MessagePtr message = std::move(spare_.back());
    spare_.pop_back();
    message->header() = BinaryHeader{
        0xFFFF, {OpCode::ByeSignal, Origin::engine, true}, Status::channel_closed, ~std::uint64_t{0}, 0xFFFF,
        0xFFFF};
    message->headers().buffer().append("stale:header\r\n");
    message->body().append(std::string(300, '\xAA'));
    message->setAppData(this);
    return message;
  }

  void giveBack(MessagePtr message) {
    if (recycle_) spare_.push_back(std::move(message));
  }

 private:
  bool recycle_;
  std::vector<MessagePtr> spare_;
};

// Checks one completed frame against the per-frame rules, independent of the model.
inline void checkFrameShape(const Message& frame) {
  const BinaryHeader& header = frame.header();
  TOFU_FUZZ_CHECK(header.textHeadersLen == frame.headers().size());
  TOFU_FUZZ_CHECK(header.bodyLen == frame.body().size());
  TOFU_FUZZ_CHECK(static_cast<unsigned>(header.proto.opCode) <= 7);
  TOFU_FUZZ_CHECK(header.proto.origin == Origin::application);
  TOFU_FUZZ_CHECK(header.status == Status::success);
  TOFU_FUZZ_CHECK(!header.proto.more || frame.type() == MessageType::regular);
  TOFU_FUZZ_CHECK(frame.appData() == nullptr);
}

// Re-encoding a decoded frame gives its wire bytes (sanitised) and decodes to the same frame.
inline void checkReencoding(const Message& frame, const std::uint8_t* wire) {
  const std::vector<std::uint8_t> encoded = encodeFrame(frame);
  std::vector<std::uint8_t> expected(wire,
                                     wire + kBinaryHeaderSize + frame.headers().size() + frame.body().size());
  expected[2] = static_cast<std::uint8_t>(expected[2] & 0x2Fu);  // origin and bits 6-7 cleared
  expected[3] = 0;                                               // status success
  TOFU_FUZZ_CHECK(encoded == expected);

  FrameDecoder decoder;
  std::size_t consumed = 0;
  TOFU_FUZZ_CHECK(decoder.feed(encoded.data(), encoded.size(), consumed) == FrameDecoder::Event::needMessage);
  TOFU_FUZZ_CHECK(consumed == kBinaryHeaderSize);
  decoder.attachMessage(Message::create());
  std::size_t rest = 0;
  TOFU_FUZZ_CHECK(decoder.feed(encoded.data() + consumed, encoded.size() - consumed, rest) ==
                  FrameDecoder::Event::frameComplete);
  TOFU_FUZZ_CHECK(consumed + rest == encoded.size());
  const MessagePtr again = decoder.takeFrame();
  TOFU_FUZZ_CHECK(again != nullptr);
  TOFU_FUZZ_CHECK(snapshotOf(*again) == snapshotOf(frame));
  TOFU_FUZZ_CHECK(!decoder.midFrame());
}

// A copy of the stream in which, under ASan, the bytes past the current read are unaddressable:
// the decoder must not look beyond what it was given.
class FencedStream {
 public:
  FencedStream(const std::uint8_t* data, std::size_t size) : bytes_(data, data + size) {}
  ~FencedStream() { unpoison(bytes_.data(), bytes_.size()); }
  FencedStream(const FencedStream&) = delete;
  FencedStream& operator=(const FencedStream&) = delete;

  const std::uint8_t* data() const noexcept { return bytes_.data(); }
  // Makes [0, end) addressable and the rest not.
  void fenceAt(std::size_t end) noexcept {
    unpoison(bytes_.data(), end);
    poison(bytes_.data() + end, bytes_.size() - end);
  }

 private:
  std::vector<std::uint8_t> bytes_;
};

// Feeds the whole stream to `decoder` in the chunks `nextChunk` chooses, the way a channel
// does: attach a message on needMessage, take the frame on frameComplete.
template <class NextChunk>
StreamResult runDecoder(FrameDecoder& decoder, const std::uint8_t* input, std::size_t size,
                        NextChunk nextChunk, MessageSource& source) {
  using Event = FrameDecoder::Event;
  FencedStream stream(input, size);
  const std::uint8_t* data = stream.data();
  StreamResult result;
  std::size_t offset = 0;      // bytes handed to the decoder and consumed
  std::size_t frameStart = 0;  // where the frame being decoded starts in the stream
  bool done = false;
  while (!done) {
    // One read from the "socket": the decoder is fed until it has used the whole chunk.
    const std::size_t chunkEnd = offset + std::min(nextChunk(), size - offset);
    const bool last = chunkEnd == size;
    stream.fenceAt(chunkEnd);
    for (;;) {
      std::size_t used = 0;
      const std::size_t available = chunkEnd - offset;
      const Event event = decoder.feed(data + offset, available, used);
      TOFU_FUZZ_CHECK(used <= available);
      offset += used;
      if (event == Event::needBytes) {
        TOFU_FUZZ_CHECK(offset == chunkEnd);
        if (last) done = true;
        break;
      }
      if (event == Event::needMessage) {
        TOFU_FUZZ_CHECK(decoder.takeFrame() == nullptr);
        TOFU_FUZZ_CHECK(decoder.midFrame());
        MessagePtr message = source.take();
        const Message& attached = *message;
        decoder.attachMessage(std::move(message));
        // The decoder sized the sections; it must write nothing past them.
        poisonSpare(attached.headers().buffer());
        poisonSpare(attached.body());
        continue;
      }
      if (event == Event::protocolError) {
        const Status error = decoder.error();
        TOFU_FUZZ_CHECK(error == Status::invalid_op_code || error == Status::invalid_more_usage ||
                        error == Status::invalid_headers_len || error == Status::invalid_body_len);
        // Sticky: the stream cannot continue and nothing more is consumed.
        stream.fenceAt(size);
        std::size_t after = 1;
        TOFU_FUZZ_CHECK(decoder.feed(data + offset, size - offset, after) == Event::protocolError);
        TOFU_FUZZ_CHECK(after == 0);
        TOFU_FUZZ_CHECK(decoder.takeFrame() == nullptr);
        result.error = error;
        done = true;
        break;
      }
      // frameComplete
      MessagePtr frame = decoder.takeFrame();
      TOFU_FUZZ_CHECK(frame != nullptr);
      unpoisonSpare(frame->headers().buffer());
      unpoisonSpare(frame->body());
      TOFU_FUZZ_CHECK(!decoder.midFrame());
      checkFrameShape(*frame);
      TOFU_FUZZ_CHECK(frameStart + kBinaryHeaderSize + frame->headers().size() + frame->body().size() ==
                      offset);
      checkReencoding(*frame, data + frameStart);
      frameStart = offset;
      result.frames.push_back(snapshotOf(*frame));
      source.giveBack(std::move(frame));
    }
  }
  TOFU_FUZZ_CHECK(offset <= size);
  // A partial frame's message stays with the decoder and may be handed back to the caller.
  stream.fenceAt(size);
  result.consumed = offset;
  result.midFrame = result.error == Status::success && decoder.midFrame();
  return result;
}

// After the stream, a released partial frame leaves a decoder that decodes a fresh frame
// (or, after a protocol error, stays failed).
inline void checkReleaseAndRestart(FrameDecoder& decoder, Status error) {
  using Event = FrameDecoder::Event;
  const MessagePtr partial = decoder.releaseMessage();
  static_cast<void>(partial);
  TOFU_FUZZ_CHECK(!decoder.midFrame());
  TOFU_FUZZ_CHECK(decoder.error() == error);
  // WIRE-VECTORS V2: Request, channel 5, id 42, more, body "hello".
  static constexpr std::uint8_t kFrame[] = {0x00, 0x05, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                            0x2a, 0x00, 0x00, 0x00, 0x05, 'h',  'e',  'l',  'l',  'o'};
  std::size_t consumed = 0;
  if (error != Status::success) {
    TOFU_FUZZ_CHECK(decoder.feed(kFrame, sizeof kFrame, consumed) == Event::protocolError);
    TOFU_FUZZ_CHECK(consumed == 0);
    return;
  }
  TOFU_FUZZ_CHECK(decoder.feed(kFrame, sizeof kFrame, consumed) == Event::needMessage);
  decoder.attachMessage(Message::create());
  std::size_t rest = 0;
  TOFU_FUZZ_CHECK(decoder.feed(kFrame + consumed, sizeof kFrame - consumed, rest) == Event::frameComplete);
  const MessagePtr frame = decoder.takeFrame();
  TOFU_FUZZ_CHECK(frame != nullptr);
  TOFU_FUZZ_CHECK(frame->messageId() == 42 && frame->hasMore() && frame->body().view() == "hello");
}

}  // namespace impl

// fuzz_frame_decoder: the input is a byte stream (any number of frames, possibly truncated or
// invalid); its first byte also chooses how it is split into reads.
inline void checkFrameDecoder(const std::uint8_t* data, std::size_t size) {
  const std::uint8_t seed = size > 0 ? data[0] : 0;
  const FrameDecoder::Limits defaults;
  // Small limits, also chosen by the seed, reach the section-length refusals too.
  const FrameDecoder::Limits small{static_cast<std::size_t>(seed * 7u % 64u),
                                   static_cast<std::size_t>(seed * 13u % 64u)};

  const impl::StreamResult expected = impl::modelDecode(data, size, defaults);
  // With the default limits, only the opcode and `more` rules can fail (B2).
  TOFU_FUZZ_CHECK(expected.error == Status::success || expected.error == Status::invalid_op_code ||
                  expected.error == Status::invalid_more_usage);

  {  // everything in one read
    FrameDecoder decoder(defaults);
    impl::MessageSource source(false);
    const impl::StreamResult whole = impl::runDecoder(
        decoder, data, size, [size] { return size; }, source);
    TOFU_FUZZ_CHECK(whole == expected);
    impl::checkReleaseAndRestart(decoder, whole.error);
  }
  {  // split where the seed says, into recycled dirty messages
    FrameDecoder decoder(defaults);
    impl::MessageSource source(true);
    impl::Splitter splitter(seed);
    const impl::StreamResult split = impl::runDecoder(
        decoder, data, size, [&splitter] { return splitter.next(); }, source);
    TOFU_FUZZ_CHECK(split == expected);
    impl::checkReleaseAndRestart(decoder, split.error);
  }
  {  // split, with small limits
    FrameDecoder decoder(small);
    impl::MessageSource source(true);
    impl::Splitter splitter(static_cast<std::uint8_t>(seed ^ 0x5Au));
    const impl::StreamResult limited = impl::runDecoder(
        decoder, data, size, [&splitter] { return splitter.next(); }, source);
    TOFU_FUZZ_CHECK(limited == impl::modelDecode(data, size, small));
  }
}

}  // namespace tofu::fuzz
