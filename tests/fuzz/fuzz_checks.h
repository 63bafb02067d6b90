// The invariants the fuzz targets check, shared with tests/engine/fuzz_regression_test.cpp so
// that every corpus file is replayed by the normal test suite (every preset, ASan included).
// Each check*() takes arbitrary bytes and verifies behaviour against an independent model of
// the spec (PROTOCOL.md 2.2, 2.6, 7; DECISIONS.md B2, B8, B9), not just "no crash".
// Header-only; single-threaded.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tofu/address.h"
#include "tofu/message.h"
#include "tofu/text_headers.h"
#include "tofu/wire_format.h"

#include "net/frame_decoder.h"

#if defined(__SANITIZE_ADDRESS__)
#define TOFU_FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TOFU_FUZZ_ASAN 1
#endif
#endif
#ifdef TOFU_FUZZ_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace tofu::fuzz {

using FrameDecoder = tofu::detail::FrameDecoder;

// Called on a violated invariant. The fuzz targets keep the default (print, then abort, which
// libFuzzer reports with the input); the regression test installs one that throws so a bad
// corpus file becomes an ordinary test failure.
using FailureHandler = void (*)(const char* what, const char* file, int line);

inline FailureHandler& failureHandler() noexcept {
  static FailureHandler handler = nullptr;
  return handler;
}

[[noreturn]] inline void fail(const char* what, const char* file, int line) {
  if (const FailureHandler handler = failureHandler()) handler(what, file, line);
  std::fprintf(stderr, "tofu fuzz: invariant violated at %s:%d: %s\n", file, line, what);
  std::abort();
}

// A macro only for the expression text and the line of the violated invariant.
#define TOFU_FUZZ_CHECK(condition)                                        \
  do {                                                                    \
    if (!(condition)) ::tofu::fuzz::fail(#condition, __FILE__, __LINE__); \
  } while (false)

namespace impl {

inline std::string_view asText(const std::uint8_t* data, std::size_t size) noexcept {
  return size == 0 ? std::string_view() : std::string_view(reinterpret_cast<const char*>(data), size);
}

inline std::string_view trim(std::string_view text, std::string_view blanks) noexcept {
  while (!text.empty() && blanks.find(text.front()) != std::string_view::npos) text.remove_prefix(1);
  while (!text.empty() && blanks.find(text.back()) != std::string_view::npos) text.remove_suffix(1);
  return text;
}

inline bool contains(std::string_view text, std::string_view what) noexcept {
  return text.find(what) != std::string_view::npos;
}

inline bool hasLineBreak(std::string_view text) noexcept {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

// Under ASan, marks [data, data + size) unaddressable or addressable again. Buffers here have
// spare bytes (ByteBuffer rounds its capacity up to 256, a stream chunk is part of the whole
// input), and an access to them would otherwise go unnoticed.
inline void poison(const void* data, std::size_t size) noexcept {
#ifdef TOFU_FUZZ_ASAN
  if (data != nullptr && size > 0) __asan_poison_memory_region(data, size);
#else
  static_cast<void>(data);
  static_cast<void>(size);
#endif
}

inline void unpoison(const void* data, std::size_t size) noexcept {
#ifdef TOFU_FUZZ_ASAN
  if (data != nullptr && size > 0) __asan_unpoison_memory_region(data, size);
#else
  static_cast<void>(data);
  static_cast<void>(size);
#endif
}

// Only the bytes in use stay addressable; undone by unpoisonSpare before the buffer is written
// by anyone else.
inline void poisonSpare(const ByteBuffer& buffer) noexcept {
  poison(buffer.data() + buffer.size(), buffer.capacity() - buffer.size());
}

inline void unpoisonSpare(const ByteBuffer& buffer) noexcept {
  unpoison(buffer.data() + buffer.size(), buffer.capacity() - buffer.size());
}

// True when `part` lies inside `whole` (the iterator must only return views into its section).
inline bool within(std::string_view part, std::string_view whole) noexcept {
  if (part.empty()) return true;
  const std::less_equal<const char*> lessEqual;
  return lessEqual(whole.data(), part.data()) &&
         lessEqual(part.data() + part.size(), whole.data() + whole.size());
}

// ---------------------------------------------------------------------------------------------
// Frame decoder

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

// ---------------------------------------------------------------------------------------------
// Text headers

// The reader rules of PROTOCOL.md 2.6, as positions in the section.
inline std::vector<TextHeader> modelRead(std::string_view section) {
  std::vector<TextHeader> records;
  std::size_t start = 0;
  while (start < section.size()) {
    std::size_t end = start;
    while (end < section.size() &&
           !(section[end] == '\r' && end + 1 < section.size() && section[end + 1] == '\n')) {
      ++end;
    }
    const std::string_view record = section.substr(start, end - start);
    start = end + 2;  // past CR LF (or past the end for a final record without one)
    if (record.empty()) continue;
    const std::size_t colon = record.find(':');
    if (colon == 0) break;  // an empty name ends the iteration
    if (colon == std::string_view::npos) {
      records.push_back({record, record.substr(record.size())});
    } else {
      records.push_back({record.substr(0, colon), trim(record.substr(colon + 1), " \t")});
    }
  }
  return records;
}

// Whether append() must accept (name, value) (PROTOCOL.md 2.6 writer, B9), and every reason
// it may give for refusing; the order in which append() checks is its own business.
inline bool appendAllowed(std::string_view name, std::string_view value) noexcept {
  const std::string_view trimmed = trim(name, " \t\r\n");
  return !trimmed.empty() && !contains(trimmed, ":") && !hasLineBreak(trimmed) && !value.empty() &&
         !hasLineBreak(value);
}

inline bool refusalIsTrue(HeaderCheck check, std::string_view name, std::string_view value) noexcept {
  const std::string_view trimmed = trim(name, " \t\r\n");
  switch (check) {
    case HeaderCheck::emptyName:
      return trimmed.empty();
    case HeaderCheck::nameHasColon:
      return contains(trimmed, ":");
    case HeaderCheck::nameHasLineBreak:
      return hasLineBreak(trimmed);
    case HeaderCheck::emptyValue:
      return value.empty();
    case HeaderCheck::valueHasLineBreak:
      return hasLineBreak(value);
    case HeaderCheck::ok:
      break;
  }
  return false;
}

inline std::vector<TextHeader> collect(const TextHeaders& headers) {
  std::vector<TextHeader> records;
  for (const TextHeader& header : headers) {
    records.push_back(header);
    TOFU_FUZZ_CHECK(records.size() <= headers.size());  // every record takes at least one byte
  }
  return records;
}

// append(name, value) on `headers`: refused with a true reason and nothing written, or
// accepted and written as `name:value\r\n` with the name trimmed (2.6 writer). Returns the
// record it must have written ("" when refused).
inline std::string checkAppend(TextHeaders& headers, std::string_view name, std::string_view value) {
  const std::size_t before = headers.size();
  const HeaderCheck check = headers.append(name, value);
  if (!appendAllowed(name, value)) {
    TOFU_FUZZ_CHECK(check != HeaderCheck::ok);
    TOFU_FUZZ_CHECK(refusalIsTrue(check, name, value));
    TOFU_FUZZ_CHECK(headers.size() == before);
    return {};
  }
  TOFU_FUZZ_CHECK(check == HeaderCheck::ok);
  std::string record = std::string(trim(name, " \t\r\n")) + ":" + std::string(value) + "\r\n";
  TOFU_FUZZ_CHECK(headers.buffer().view().substr(before) == record);
  return record;
}

// ---------------------------------------------------------------------------------------------
// Address

inline std::vector<std::string_view> splitParts(std::string_view value) {
  std::vector<std::string_view> parts;
  for (;;) {
    const std::size_t bar = value.find('|');
    parts.push_back(value.substr(0, bar));
    if (bar == std::string_view::npos) return parts;
    value.remove_prefix(bar + 1);
  }
}

inline std::optional<unsigned> decimalPort(std::string_view text) noexcept {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (const char digit : text) {
    if (digit < '0' || digit > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(digit - '0');
  }
  if (value > 65535) return std::nullopt;
  return value;
}

// Characters every host or path parser must take: printable ASCII without blanks and '|'.
inline bool plainText(std::string_view text) noexcept {
  return std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7F && c != '|'; });
}

// The request `address` goes into, as the application would build it; then back out of the
// message, and out of the same frame after a trip through the wire codec and the decoder.
inline void checkRequestRoundTrip(const Address& address, OpCode op) {
  const bool hello = op == OpCode::HelloRequest;
  const std::string_view headerName = hello ? kConnectToHeader : kListenOnHeader;
  MessagePtr message = Message::create();
  // Unrelated headers and the body survive (address.h); the address header follows them.
  TOFU_FUZZ_CHECK(message->headers().append("x-fuzz", "1") == HeaderCheck::ok);
  message->body().append("payload");
  message->setMessageId(99);
  const Status status =
      hello ? prepareHelloRequest(*message, address) : prepareWelcomeRequest(*message, address);
  TOFU_FUZZ_CHECK(status == Status::success);
  TOFU_FUZZ_CHECK(message->header() == BinaryHeader::forOpCode(op));
  TOFU_FUZZ_CHECK(message->headers().buffer().view() ==
                  "x-fuzz:1\r\n" + std::string(headerName) + ":" + address.toString() + "\r\n");
  TOFU_FUZZ_CHECK(message->body().view() == "payload");

  const Result<Address> back = addressOf(*message);
  TOFU_FUZZ_CHECK(back.ok());
  TOFU_FUZZ_CHECK(back.value() == address);

  // The other request kind must refuse this header kind (B8).
  message->setOpCode(hello ? OpCode::WelcomeRequest : OpCode::HelloRequest);
  TOFU_FUZZ_CHECK(addressOf(*message).status() == Status::invalid_address);
  message->setOpCode(op);
  if (!hello) return;  // WelcomeRequests never travel

  const std::vector<std::uint8_t> wire = encodeFrame(*message);
  FrameDecoder decoder;
  std::size_t consumed = 0;
  TOFU_FUZZ_CHECK(decoder.feed(wire.data(), wire.size(), consumed) == FrameDecoder::Event::needMessage);
  decoder.attachMessage(Message::create());
  std::size_t rest = 0;
  TOFU_FUZZ_CHECK(decoder.feed(wire.data() + consumed, wire.size() - consumed, rest) ==
                  FrameDecoder::Event::frameComplete);
  const MessagePtr received = decoder.takeFrame();
  TOFU_FUZZ_CHECK(received != nullptr);
  const Result<Address> remote = addressOf(*received);
  TOFU_FUZZ_CHECK(remote.ok());
  TOFU_FUZZ_CHECK(remote.value() == address);
}

}  // namespace impl

// ---------------------------------------------------------------------------------------------
// The three checks: one per fuzz target, same name as the corpus directory.

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

// fuzz_text_headers: the input is a text-header section; NUL bytes in it also separate
// name/value pairs to append.
inline void checkTextHeaders(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kFindChecks = 64;
  const std::string_view input = impl::asText(data, size);

  // Reading: exactly the records of the 2.6 reader rules, as views into the section.
  TextHeaders section;
  section.buffer().assign(input);
  impl::poisonSpare(section.buffer());  // the reader must stay inside the section
  const std::string_view stored = section.buffer().view();
  const std::vector<TextHeader> records = impl::collect(section);
  const std::vector<TextHeader> expected = impl::modelRead(stored);
  TOFU_FUZZ_CHECK(records.size() == expected.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const TextHeader& record = records[i];
    TOFU_FUZZ_CHECK(record == expected[i]);
    TOFU_FUZZ_CHECK(record.name.data() == expected[i].name.data());
    TOFU_FUZZ_CHECK(impl::within(record.name, stored) && impl::within(record.value, stored));
    TOFU_FUZZ_CHECK(!record.name.empty());
    TOFU_FUZZ_CHECK(!impl::contains(record.name, ":"));
    TOFU_FUZZ_CHECK(!impl::contains(record.name, "\r\n") && !impl::contains(record.value, "\r\n"));
    TOFU_FUZZ_CHECK(impl::trim(record.value, " \t") == record.value);
    // find() returns the first record of that name (for the first records only: the check is
    // quadratic, and a long section adds nothing new to it).
    if (i >= kFindChecks) continue;
    const auto first = std::find_if(records.begin(), records.end(),
                                    [&record](const TextHeader& other) { return other.name == record.name; });
    const std::optional<std::string_view> found = section.find(record.name);
    TOFU_FUZZ_CHECK(found.has_value() && *found == first->value);
  }
  // The iterator is a forward iterator: a second pass and post-increment agree.
  TextHeaders::Iterator it = section.begin();
  for (const TextHeader& record : records) {
    TOFU_FUZZ_CHECK(it != section.end());
    const TextHeaders::Iterator old = it++;
    TOFU_FUZZ_CHECK(*old == record);
  }
  TOFU_FUZZ_CHECK(it == section.end());

  // Round trip: each record read, written again, reads back as written (or is refused, B9).
  for (const TextHeader& record : records) {
    TextHeaders single;
    if (impl::checkAppend(single, record.name, record.value).empty()) continue;
    const std::vector<TextHeader> again = impl::collect(single);
    TOFU_FUZZ_CHECK(again.size() == 1);
    TOFU_FUZZ_CHECK(again[0].name == impl::trim(record.name, " \t\r\n"));
    TOFU_FUZZ_CHECK(again[0].value == record.value);
  }

  // Writing arbitrary pairs: the accepted ones read back in order, and only they. The reader
  // trims values of blanks, which the writer keeps (both as in the reference).
  std::vector<std::string_view> parts;
  for (std::string_view rest = input;;) {
    const std::size_t nul = rest.find('\0');
    parts.push_back(rest.substr(0, nul));
    if (nul == std::string_view::npos) break;
    rest.remove_prefix(nul + 1);
  }
  TextHeaders written;
  std::string expectedSection;  // refused appends leave no trace
  std::vector<std::pair<std::string_view, std::string_view>> accepted;
  for (std::size_t i = 0; i + 1 < parts.size(); i += 2) {
    const std::string record = impl::checkAppend(written, parts[i], parts[i + 1]);
    if (record.empty()) continue;
    expectedSection += record;
    accepted.emplace_back(parts[i], parts[i + 1]);
  }
  TOFU_FUZZ_CHECK(written.buffer().view() == expectedSection);
  const std::vector<TextHeader> readBack = impl::collect(written);
  TOFU_FUZZ_CHECK(readBack.size() == accepted.size());
  for (std::size_t i = 0; i < readBack.size(); ++i) {
    TOFU_FUZZ_CHECK(readBack[i].name == impl::trim(accepted[i].first, " \t\r\n"));
    TOFU_FUZZ_CHECK(readBack[i].value == impl::trim(accepted[i].second, " \t"));
  }
}

// fuzz_address: the input is an address header value (`tcp|host|port`, `uds|path`); it is
// also read as a whole text-header section of a HelloRequest.
inline void checkAddress(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = impl::asText(data, size);
  const Result<Address> parsed = Address::parse(input);
  const std::vector<std::string_view> parts = impl::splitParts(input);
  const bool tcp = parts[0] == "tcp";
  const bool uds = parts[0] == "uds";

  // B8: what must be refused.
  if (!tcp && !uds) TOFU_FUZZ_CHECK(!parsed.ok());
  if (tcp && (parts.size() != 3 || parts[1].empty() || !impl::decimalPort(parts[2]))) {
    TOFU_FUZZ_CHECK(!parsed.ok());
  }
  if (uds && (parts.size() != 2 || parts[1].empty() || parts[1].size() > kMaxUdsPathLength)) {
    TOFU_FUZZ_CHECK(!parsed.ok());
  }
  // ... and what must be accepted: plain hosts and paths within the limits.
  if (tcp && parts.size() == 3 && !parts[1].empty() && parts[1].size() <= 255 && impl::plainText(parts[1]) &&
      impl::decimalPort(parts[2])) {
    TOFU_FUZZ_CHECK(parsed.ok());
  }
  if (uds && parts.size() == 2 && !parts[1].empty() && parts[1].size() <= kMaxUdsPathLength &&
      impl::plainText(parts[1])) {
    TOFU_FUZZ_CHECK(parsed.ok());
  }
  if (!parsed.ok()) {
    TOFU_FUZZ_CHECK(parsed.status() == Status::invalid_address);
  } else {
    const Address& address = parsed.value();
    if (tcp) {
      TOFU_FUZZ_CHECK(address.kind() == AddressKind::tcp);
      TOFU_FUZZ_CHECK(address.host() == parts[1] && !address.host().empty());
      TOFU_FUZZ_CHECK(address.port() == *impl::decimalPort(parts[2]));
      TOFU_FUZZ_CHECK(address.toString() == "tcp|" + address.host() + "|" + std::to_string(address.port()));
    } else {
      TOFU_FUZZ_CHECK(address.kind() == AddressKind::uds);
      TOFU_FUZZ_CHECK(address.path() == parts[1]);
      TOFU_FUZZ_CHECK(!address.path().empty() && address.path().size() <= kMaxUdsPathLength);
      TOFU_FUZZ_CHECK(address.toString() == input);
    }
    const Result<Address> again = Address::parse(address.toString());
    TOFU_FUZZ_CHECK(again.ok());
    TOFU_FUZZ_CHECK(again.value() == address);
    TOFU_FUZZ_CHECK(again.value().toString() == address.toString());
    impl::checkRequestRoundTrip(address, OpCode::HelloRequest);
    impl::checkRequestRoundTrip(address, OpCode::WelcomeRequest);
  }

  // The same bytes as the text headers of a received HelloRequest: the first address header
  // decides; it must be ~connect_to and parse (PROTOCOL.md 7.2, B8).
  MessagePtr message = Message::create();
  message->setOpCode(OpCode::HelloRequest);
  message->headers().buffer().assign(input);
  const Result<Address> carried = addressOf(*message);
  const std::vector<TextHeader> records = impl::modelRead(message->headers().buffer().view());
  const auto first = std::find_if(records.begin(), records.end(), [](const TextHeader& record) {
    return record.name == kConnectToHeader || record.name == kListenOnHeader;
  });
  if (first == records.end() || first->name != kConnectToHeader) {
    TOFU_FUZZ_CHECK(carried.status() == Status::invalid_address);
  } else {
    const Result<Address> direct = Address::parse(first->value);
    TOFU_FUZZ_CHECK(carried.status() == direct.status());
    if (direct.ok()) TOFU_FUZZ_CHECK(carried.value() == direct.value());
  }
}

}  // namespace tofu::fuzz
