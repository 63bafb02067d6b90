// FrameDecoder: header bytes are gathered in a 16-byte scratch array; payload bytes are copied
// straight into the attached message's sections, which are sized once when it is attached.
#include "net/frame_decoder.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <utility>

namespace tofu::detail {
namespace {

// Copies what `section` still lacks from the input; returns the bytes taken.
std::size_t fill(ByteBuffer& section, std::size_t& filled, const std::uint8_t* data,
                 std::size_t size) noexcept {
  const std::size_t take = std::min(section.size() - filled, size);
  if (take > 0) std::memcpy(section.data() + filled, data, take);
  filled += take;
  return take;
}

}  // namespace

FrameDecoder::Event FrameDecoder::feed(const std::uint8_t* data, std::size_t size, std::size_t& consumed) {
  consumed = 0;
  if (error_ != Status::success) return Event::protocolError;

  if (!headerReady_) {
    const std::size_t take = std::min(kBinaryHeaderSize - headerFill_, size);
    if (take > 0) std::memcpy(headerBytes_.data() + headerFill_, data, take);
    headerFill_ += take;
    consumed = take;
    if (headerFill_ < kBinaryHeaderSize) return Event::needBytes;

    header_ = decodeBinaryHeader(headerBytes_);
    // Checked before any payload is read, so a bad frame never takes a message (B2).
    if (!isWireOpCode(header_.proto.opCode)) {
      error_ = Status::invalid_op_code;
      return Event::protocolError;
    }
    if (header_.proto.more && typeOf(header_.proto.opCode) != MessageType::regular) {
      error_ = Status::invalid_more_usage;
      return Event::protocolError;
    }
    if (header_.textHeadersLen > limits_.maxHeadersLen) {
      error_ = Status::invalid_headers_len;
      return Event::protocolError;
    }
    if (header_.bodyLen > limits_.maxBodyLen) {
      error_ = Status::invalid_body_len;
      return Event::protocolError;
    }
    headerReady_ = true;
  }
  if (!hasMessage_) return Event::needMessage;

  consumed += fill(message_->headers().buffer(), headersFill_, data + consumed, size - consumed);
  consumed += fill(message_->body(), bodyFill_, data + consumed, size - consumed);
  const bool complete = headersFill_ == header_.textHeadersLen && bodyFill_ == header_.bodyLen;
  return complete ? Event::frameComplete : Event::needBytes;
}

std::size_t FrameDecoder::restOfFrame() const noexcept {
  if (!headerReady_) return kBinaryHeaderSize - headerFill_;
  if (!hasMessage_) return 0;
  return (header_.textHeadersLen - headersFill_) + (header_.bodyLen - bodyFill_);
}

std::span<std::uint8_t> FrameDecoder::bodyTail() noexcept {
  if (!hasMessage_ || headersFill_ != header_.textHeadersLen) return {};
  ByteBuffer& body = message_->body();
  return {body.data() + bodyFill_, body.size() - bodyFill_};
}

void FrameDecoder::attachMessage(MessagePtr message) {
  assert(headerReady_ && !hasMessage_ && message);
  message->reset();
  BinaryHeader& header = message->header();
  header = header_;
  // A peer must not be able to forge engine notifications (B2).
  header.proto.origin = Origin::application;
  header.status = Status::success;
  message->headers().buffer().resize(header_.textHeadersLen);
  message->body().resize(header_.bodyLen);
  message_ = std::move(message);
  hasMessage_ = true;
  headersFill_ = 0;
  bodyFill_ = 0;
}

MessagePtr FrameDecoder::takeFrame() {
  const bool complete = hasMessage_ && headersFill_ == header_.textHeadersLen && bodyFill_ == header_.bodyLen;
  if (!complete) return nullptr;
  MessagePtr frame = std::move(message_);
  startNextFrame();
  return frame;
}

MessagePtr FrameDecoder::releaseMessage() {
  // The bytes already copied into the message are gone with it, so the current frame is
  // abandoned and the decoder starts over; a protocol error stays sticky.
  MessagePtr partial = std::move(message_);
  startNextFrame();
  return partial;
}

void FrameDecoder::startNextFrame() noexcept {
  headerFill_ = 0;
  headerReady_ = false;
  hasMessage_ = false;
  message_.reset();
  headersFill_ = 0;
  bodyFill_ = 0;
}

}  // namespace tofu::detail
