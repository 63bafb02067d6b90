// Status names: the reference's status and error names (PROTOCOL.md 6.1), plus one readable
// sentence per status. Every table is indexed by the status value, so they cannot drift apart.
#include "tofu/status.h"

#include <array>
#include <cstddef>
#include <string_view>

namespace tofu {
namespace {

struct StatusText {
  const char* name;   // as the reference spells it, typo included (K2)
  const char* error;  // the reference's error name; "" for success
  const char* sentence;
};

constexpr std::array<StatusText, kStatusCount> kTexts{{
    {"success", "", "the operation succeeded"},
    {"not_implemented_yet", "NotImplementedYet", "the operation is not implemented yet"},
    {"wrong_address", "WrongAddress", "the address is missing or cannot be formatted"},
    {"not_allowed", "NotAllowed", "the operation is not allowed on this channel"},
    {"null_message", "NullMessage", "no message was given"},
    {"invalid_message", "InvalidMessage", "the message is malformed or was cut off"},
    {"invalid_op_code", "InvalidOpCode", "the opcode is invalid here"},
    {"invalid_headers_len", "InvalidHeadersLen", "the text headers exceed 65535 bytes"},
    {"invalid_body_len", "InvalidBodyLen", "the body exceeds 65535 bytes"},
    {"invalid_more_usage", "InvalidMoreUsage",
     "the more flag is only allowed on Request, Response and Signal"},
    {"invalid_channel_number", "InvalidChannelNumber", "the channel number is zero or unknown"},
    {"invelid_mchn_group", "InvalidMessageChannelGroup", "the channel belongs to another channel group"},
    {"invalid_message_id", "InvalidMessageId", "a response needs a non-zero message id"},
    {"invalid_address", "InvalidAddress", "the address header is missing, malformed or of the wrong kind"},
    {"uds_path_not_found", "UDSPathNotFound", "the Unix socket path does not exist"},
    {"notification_disabled", "NotificationDisabled", "the engine is shutting down"},
    {"notification_failed", "NotificationFailed",
     "the channel's send queue is full (Options::sendQueueLimitBytes)"},
    {"peer_disconnected", "PeerDisconnected", "the peer disconnected"},
    {"communication_failed", "CommunicationFailed", "communication with the peer failed"},
    {"pool_empty", "PoolEmpty", "the message pool is empty"},
    {"allocation_failed", "AllocationFailed", "an allocation failed or no channel number is free"},
    {"receiver_update", "ReceiverUpdate", "the receiver was woken by updateReceiver"},
    {"channel_closed", "ChannelClosed", "the channel is closed"},
    {"shutdown_started", "ShutdownStarted", "the channel group or engine is being destroyed"},
    {"connect_failed", "ConnectFailed", "connecting to the peer failed"},
    {"listen_failed", "ListenFailed", "listening on the address failed"},
    {"accept_failed", "AcceptFailed", "accepting a connection failed"},
    {"send_failed", "SendFailed", "writing to the socket failed"},
    {"recv_failed", "RecvFailed", "reading from the socket failed"},
    {"setsockopt_failed", "SetsockoptFailed", "setting a socket option failed"},
    {"processing_failed", "ProcessingFailed", "the engine failed to process the request"},
    {"unknown_error", "UnknownError", "an unknown error occurred"},
}};

const StatusText& textOf(Status status) noexcept {
  return kTexts[static_cast<std::size_t>(statusFromRaw(static_cast<std::uint8_t>(status)))];
}

}  // namespace

const char* toString(Status status) noexcept { return textOf(status).name; }

const char* errorName(Status status) noexcept { return textOf(status).error; }

const char* describe(Status status) noexcept { return textOf(status).sentence; }

Status statusFromRaw(std::uint8_t raw) noexcept {
  return raw < static_cast<std::uint8_t>(Status::unknown_error) ? static_cast<Status>(raw)
                                                                : Status::unknown_error;
}

Status statusFromErrorName(const char* name) noexcept {
  if (name == nullptr) return Status::unknown_error;
  const std::string_view wanted(name);
  for (std::size_t value = 0; value < kTexts.size(); ++value) {
    if (wanted == kTexts[value].error) return static_cast<Status>(value);
  }
  return Status::unknown_error;
}

}  // namespace tofu
