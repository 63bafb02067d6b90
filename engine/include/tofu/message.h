// Message: one tofu frame in memory: a BinaryHeader, text headers and a body.
// A message has exactly one owner at a time (the application, an engine queue or the pool);
// it is not thread-safe. Handles are MessagePtr; Ampe::put() returns one to the pool.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "tofu/byte_buffer.h"
#include "tofu/status.h"
#include "tofu/text_headers.h"

namespace tofu {

// Opcode values travel in the low nibble of the proto byte (K1). 10..15 are invalid.
// NOLINTBEGIN(readability-identifier-naming): the protocol's names (CONTRIBUTING.md)
enum class OpCode : std::uint8_t {
  Request = 0,
  Response = 1,
  Signal = 2,
  HelloRequest = 3,
  HelloResponse = 4,
  ByeRequest = 5,
  ByeResponse = 6,
  ByeSignal = 7,
  WelcomeRequest = 8,   // local only: never on the wire
  WelcomeResponse = 9,  // local only: never on the wire
};
// NOLINTEND(readability-identifier-naming)
inline constexpr std::uint8_t kMaxValidOpCode = 9;

enum class Origin : std::uint8_t { application = 0, engine = 1 };
enum class MessageType : std::uint8_t { regular, hello, bye, welcome };
enum class MessageRole : std::uint8_t { request, response, signal };

constexpr bool isValidOpCode(OpCode op) noexcept { return static_cast<std::uint8_t>(op) <= kMaxValidOpCode; }
// True for opcodes a peer may send (0..7); Welcome* and 10..15 are protocol violations (B2).
constexpr bool isWireOpCode(OpCode op) noexcept { return static_cast<std::uint8_t>(op) <= 7; }
MessageType typeOf(OpCode op) noexcept;  // PROTOCOL.md 2.4; invalid opcodes report regular
MessageRole roleOf(OpCode op) noexcept;  // invalid opcodes report request
// The reply opcode (Request->Response, HelloRequest->HelloResponse, ByeRequest->ByeResponse,
// WelcomeRequest->WelcomeResponse, Signal->Signal); false when the opcode has no echo.
bool echoOf(OpCode op, OpCode& reply) noexcept;
const char* toString(OpCode op) noexcept;  // "HelloRequest"; "invalid" for 10..15
const char* toString(Origin origin) noexcept;

// The proto byte: opCode | origin<<4 | more<<5. Bits 6-7 (the reference's internal A/B bits)
// are always sent as 0 and ignored on receipt (B2); ByeSignal always means local abort (B13).
struct ProtoFields {
  OpCode opCode = OpCode::Request;
  Origin origin = Origin::application;
  bool more = false;

  static constexpr ProtoFields fromByte(std::uint8_t byte) noexcept {
    return {static_cast<OpCode>(byte & 0x0F), static_cast<Origin>((byte >> 4) & 1), ((byte >> 5) & 1) != 0};
  }
  constexpr std::uint8_t toByte() const noexcept {
    return static_cast<std::uint8_t>(static_cast<unsigned>(opCode) & 0x0Fu) |
           static_cast<std::uint8_t>((static_cast<unsigned>(origin) & 1u) << 4) |
           static_cast<std::uint8_t>((more ? 1u : 0u) << 5);
  }
  bool operator==(const ProtoFields&) const = default;
};

// The 16-byte binary header, decoded. Field meanings: PROTOCOL.md 2.2.
struct BinaryHeader {
  std::uint16_t channelNumber = 0;
  ProtoFields proto;
  Status status = Status::success;
  std::uint64_t messageId = 0;
  std::uint16_t textHeadersLen = 0;  // set by the engine from the actual section size
  std::uint16_t bodyLen = 0;         // set by the engine from the actual body size

  // A fresh header for `op` (everything else zero), like the reference's BinaryHeader.init.
  static constexpr BinaryHeader forOpCode(OpCode op) noexcept {
    BinaryHeader header;
    header.proto.opCode = op;
    return header;
  }
  bool operator==(const BinaryHeader&) const = default;
};

// The engine's notice that a channel which refused a message with notification_failed can
// take more (B16, docs/behaviour.md): a Signal on that channel with origin engine, status
// success and id 0. No other message has that origin, opcode and status, so the binary header
// alone tells it; the text header `~event:send_ready` names it in logs and dumps.
inline constexpr std::string_view kEventHeader = "~event";
inline constexpr std::string_view kSendReadyEvent = "send_ready";
constexpr bool isSendReady(const BinaryHeader& header) noexcept {
  return header.proto.origin == Origin::engine && header.proto.opCode == OpCode::Signal &&
         header.status == Status::success;
}

// TLS (A4, docs/behaviour.md B17). On a HelloRequest received over a TLS listener that
// requires client certificates, the engine appends the client's verified identity: its
// subject (one line, RFC 2253) and its subjectAltNames ("DNS:a, IP:1.2.3.4", comma-separated).
// A peer cannot send these itself: a HelloRequest that carries any header beginning with
// "~tls-" closes its channel (not_allowed) before the application sees it.
inline constexpr std::string_view kTlsHeaderPrefix = "~tls-";
inline constexpr std::string_view kTlsPeerSubjectHeader = "~tls-peer-subject";
inline constexpr std::string_view kTlsPeerSanHeader = "~tls-peer-san";
// Why a TLS connection failed ("certificate has expired", "hostname mismatch", ...): on the
// messages the engine returns because of it and on the channel's final Signal(channel_closed).
inline constexpr std::string_view kTlsErrorHeader = "~tls-error";

class Message;
using MessagePtr = std::unique_ptr<Message>;

namespace detail {
class MessageAccess;
class ReceiveBudget;
}

class Message {
 public:
  // Bytes reserved up front for the text headers and for the body of a new message.
  static constexpr std::size_t kInitialCapacity = 256;

  // A new message that belongs to no pool (Ampe::put() accepts it anyway).
  // Thread-safe (allocates); never blocks otherwise.
  static MessagePtr create();

  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;
  // A received message deleted instead of put back still gives its receive budget back.
  ~Message();

  BinaryHeader& header() noexcept { return header_; }
  const BinaryHeader& header() const noexcept { return header_; }

  // Proto accessors.
  OpCode opCode() const noexcept { return header_.proto.opCode; }
  void setOpCode(OpCode op) noexcept { header_.proto.opCode = op; }
  Origin origin() const noexcept { return header_.proto.origin; }
  bool isFromEngine() const noexcept { return header_.proto.origin == Origin::engine; }
  bool isFromApplication() const noexcept { return header_.proto.origin == Origin::application; }
  bool hasMore() const noexcept { return header_.proto.more; }
  void setMore(bool more) noexcept { header_.proto.more = more; }
  MessageType type() const noexcept { return typeOf(header_.proto.opCode); }
  MessageRole role() const noexcept { return roleOf(header_.proto.opCode); }

  Status status() const noexcept { return header_.status; }
  std::uint16_t channelNumber() const noexcept { return header_.channelNumber; }
  void setChannelNumber(std::uint16_t number) noexcept { header_.channelNumber = number; }
  std::uint64_t messageId() const noexcept { return header_.messageId; }
  void setMessageId(std::uint64_t id) noexcept { header_.messageId = id; }

  TextHeaders& headers() noexcept { return headers_; }
  const TextHeaders& headers() const noexcept { return headers_; }
  ByteBuffer& body() noexcept { return body_; }
  const ByteBuffer& body() const noexcept { return body_; }

  // One pointer for the application; never transmitted, cleared by reset().
  void* appData() const noexcept { return appData_; }
  void setAppData(void* data) noexcept { appData_ = data; }

  // Zero header (-> Request, channel 0, id 0), empty headers and body (capacity kept).
  void reset() noexcept;
  // Deep copy of header, text headers, body and app pointer; engine bookkeeping is not copied.
  MessagePtr clone() const;

 private:
  friend class detail::MessageAccess;
  Message();

  BinaryHeader header_;
  TextHeaders headers_;
  ByteBuffer body_;
  void* appData_ = nullptr;

  // Engine bookkeeping, touched only through detail::MessageAccess.
  Message* next_ = nullptr;                 // intrusive link for pool and queues
  void* owner_ = nullptr;                   // the group that posted it
  std::uint32_t charged_ = 0;               // bytes counted against its channel's send queue
  std::uint32_t receiveCharge_ = 0;         // bytes counted against budget_ (B14)
  detail::ReceiveBudget* budget_ = nullptr; // the receiving group's budget, while charged
  std::int64_t postedNs_ = 0;               // introspection: when posted / read (0 = not observed)
  std::int64_t readNs_ = 0;
  std::uint64_t incarnation_ = 0;           // introspection: the channel it was read from
  bool pooled_ = false;                     // counted by a pool (kept across reset())
  bool notice_ = false;                     // a pool_empty notice, kept apart by the pool
  std::array<std::uint8_t, 16> wire_{};     // encoded header while the frame is being sent
};

// True for the engine's send-ready notice (B16). Thread-safe as a read of `message`.
inline bool isSendReady(const Message& message) noexcept { return isSendReady(message.header()); }

}  // namespace tofu
