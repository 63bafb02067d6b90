// Internal, not part of the API: the engine's access to a Message's bookkeeping fields.
#pragma once

#include <array>
#include <cstdint>

#include "tofu/message.h"

namespace tofu::detail {

class MessageAccess {
 public:
  static MessagePtr make() { return MessagePtr(new Message()); }
  static Message*& next(Message& message) noexcept { return message.next_; }
  static void*& owner(Message& message) noexcept { return message.owner_; }
  static std::uint32_t& charged(Message& message) noexcept { return message.charged_; }
  static std::array<std::uint8_t, 16>& wire(Message& message) noexcept { return message.wire_; }
};

}  // namespace tofu::detail
