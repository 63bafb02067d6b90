// Internal, not part of the API.
// FrameDecoder: turns one byte stream into frames, incrementally, with no I/O of its own.
// It validates each binary header as it completes (B2) and asks for a message to fill only
// then, so a starving channel stops between frames. One per channel; reactor thread only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "tofu/message.h"
#include "tofu/status.h"
#include "tofu/wire_format.h"

namespace tofu::detail {

class FrameDecoder {
 public:
  // The largest sections a peer may send; bigger frames are refused before anything is
  // allocated for them (issue 7: limits enforced on receipt).
  struct Limits {
    std::size_t maxHeadersLen = kMaxTextHeadersLen;
    std::size_t maxBodyLen = kMaxBodyLen;
  };

  FrameDecoder() = default;
  explicit FrameDecoder(Limits limits) : limits_(limits) {}

  enum class Event : std::uint8_t {
    needBytes,      // all input consumed, frame not complete yet
    needMessage,    // a valid header arrived: attachMessage() before feeding more
    frameComplete,  // takeFrame() returns it
    protocolError,  // error() says why; the stream cannot continue
  };

  // Consumes bytes from `data` until an event other than needBytes happens or the input
  // runs out; `consumed` gets how many bytes were used (the rest must be fed again later).
  Event feed(const std::uint8_t* data, std::size_t size, std::size_t& consumed);

  // Gives the decoder storage for the pending frame (after needMessage). The message is
  // reset and filled with the decoded header; its sections grow as needed.
  void attachMessage(MessagePtr message);

  // The completed frame, sanitised (origin application, status success; B2). Its channel
  // number is the sender's; the channel replaces it with its own number.
  MessagePtr takeFrame();

  // The reason after protocolError: invalid_op_code (10..15, WelcomeRequest/Response),
  // invalid_more_usage (more on a non-regular opcode), invalid_headers_len or
  // invalid_body_len (a section over the limits).
  Status error() const noexcept { return error_; }

  // The part of the current frame's body not received yet, once a message is attached and its
  // text headers are complete (else empty): a large body can be read into it directly,
  // without passing through the read buffer. Report what was written with bodyFilled();
  // the next feed() then completes the frame when it is whole.
  std::span<std::uint8_t> bodyTail() noexcept;
  void bodyFilled(std::size_t bytes) noexcept { bodyFill_ += bytes; }

  // True when a header is decoded and the frame waits for attachMessage().
  bool awaitingMessage() const noexcept { return headerReady_ && !hasMessage_; }

  // Bytes that would take the current frame as far as it can go without another message: to
  // its end once a message is attached, else to the end of its binary header. 0 while a
  // decoded header waits for its message.
  std::size_t restOfFrame() const noexcept;

  // True when part of a frame has been consumed (the stream ended mid-frame if EOF now).
  bool midFrame() const noexcept { return headerFill_ > 0 || hasMessage_; }

  // Hands back a message attached but not completed (e.g. when the channel closes) and
  // abandons that frame; a protocol error stays reported.
  MessagePtr releaseMessage();

 private:
  void startNextFrame() noexcept;

  Limits limits_;
  std::array<std::uint8_t, kBinaryHeaderSize> headerBytes_{};
  std::size_t headerFill_ = 0;
  BinaryHeader header_{};
  bool headerReady_ = false;   // header complete and valid, waiting for a message or payload
  bool hasMessage_ = false;
  MessagePtr message_;
  std::size_t headersFill_ = 0;  // text-header bytes received so far
  std::size_t bodyFill_ = 0;     // body bytes received so far
  Status error_ = Status::success;
};

}  // namespace tofu::detail
