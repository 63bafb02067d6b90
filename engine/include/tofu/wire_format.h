// The tofu frame layout (K1, PROTOCOL.md 2.2): a 16-byte big-endian binary header,
// then text headers, then the body. Pure functions: thread-safe, never block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tofu/message.h"

namespace tofu {

inline constexpr std::size_t kBinaryHeaderSize = 16;
inline constexpr std::size_t kMaxTextHeadersLen = 65535;
inline constexpr std::size_t kMaxBodyLen = 65535;
inline constexpr std::size_t kMaxFrameSize = kBinaryHeaderSize + kMaxTextHeadersLen + kMaxBodyLen;

// Writes `header` exactly as given (status and origin included; bits 6-7 of proto are 0).
void encodeBinaryHeader(const BinaryHeader& header, std::span<std::uint8_t, kBinaryHeaderSize> out) noexcept;

// Reads the 16 bytes back. Bits 6-7 of proto are dropped; an opcode of 10..15 and the
// status byte are kept as their raw values (check with isValidOpCode(); the engine's frame
// decoder then sanitises origin and status, B2).
BinaryHeader decodeBinaryHeader(std::span<const std::uint8_t, kBinaryHeaderSize> in) noexcept;

// The whole frame for `message` as it would be sent: the header fields as they are in the
// message, except the two lengths, which are taken from the actual sections (sizes above the
// limits are the caller's problem: enqueueToPeer refuses them).
std::vector<std::uint8_t> encodeFrame(const Message& message);

}  // namespace tofu
