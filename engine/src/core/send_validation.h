// Internal, not part of the API.
// The synchronous checks of enqueueToPeer (PROTOCOL.md 2.8, K6), in the reference's order.
#pragma once

#include <cstdint>

#include "tofu/message.h"
#include "tofu/status.h"

namespace tofu::detail {

// Checks `message` for sending and prepares its header: origin application, status success,
// the two lengths from the actual sections, and a process-wide message id when it was 0.
// On failure the status byte tells why (for the checks that set it) and nothing else
// changes that the caller would need. Thread-safe.
Status validateForSend(Message& message) noexcept;

// The next id of the process-wide message-id counter (starts at 1). Thread-safe.
std::uint64_t nextMessageId() noexcept;

}  // namespace tofu::detail
