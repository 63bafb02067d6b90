// Status: the outcome of every engine operation, and the status byte of a message.
// Values and order are part of the tofu wire/ABI contract (DECISIONS.md K2): never renumber.
#pragma once

#include <cstdint>

namespace tofu {

// NOLINTBEGIN(readability-identifier-naming): the reference's names (CONTRIBUTING.md)
enum class Status : std::uint8_t {
  success = 0,
  not_implemented_yet = 1,
  wrong_address = 2,
  not_allowed = 3,
  null_message = 4,
  invalid_message = 5,
  invalid_op_code = 6,
  invalid_headers_len = 7,
  invalid_body_len = 8,
  invalid_more_usage = 9,
  invalid_channel_number = 10,
  // The reference spells this `invelid_mchn_group`; the value is what matters (K2).
  invalid_message_channel_group = 11,
  invalid_message_id = 12,
  invalid_address = 13,
  uds_path_not_found = 14,
  notification_disabled = 15,
  // Ours: the channel's send queue is over Options::sendQueueLimitBytes (B6).
  notification_failed = 16,
  peer_disconnected = 17,
  communication_failed = 18,
  pool_empty = 19,
  allocation_failed = 20,
  receiver_update = 21,
  channel_closed = 22,
  shutdown_started = 23,
  connect_failed = 24,
  listen_failed = 25,
  accept_failed = 26,
  send_failed = 27,
  recv_failed = 28,
  setsockopt_failed = 29,
  processing_failed = 30,
  unknown_error = 31,
};
// NOLINTEND(readability-identifier-naming)

inline constexpr int kStatusCount = 32;

// The status name as the reference spells it ("channel_closed", "invelid_mchn_group").
// Values outside the enum yield "unknown_error". Thread-safe, never blocks.
const char* toString(Status status) noexcept;

// The reference's error name for a status ("ChannelClosed"); "" for success.
// Thread-safe, never blocks.
const char* errorName(Status status) noexcept;

// One readable sentence for logs and user-facing messages ("the channel is closed").
const char* describe(Status status) noexcept;

// Maps a raw status byte to the enum: 0..30 map one to one, anything else is unknown_error.
Status statusFromRaw(std::uint8_t raw) noexcept;

// The inverse of errorName(): "ChannelClosed" -> channel_closed; unknown names -> unknown_error.
Status statusFromErrorName(const char* name) noexcept;

// receiver_update is carried as a status but is not a failure.
constexpr bool isFailure(Status status) noexcept {
  return status != Status::success && status != Status::receiver_update;
}

}  // namespace tofu
