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
  static std::int64_t& postedNs(Message& message) noexcept { return message.postedNs_; }
  static std::int64_t& readNs(Message& message) noexcept { return message.readNs_; }
  static std::uint64_t& incarnation(Message& message) noexcept { return message.incarnation_; }
  static bool& pooled(Message& message) noexcept { return message.pooled_; }
  static bool& notice(Message& message) noexcept { return message.notice_; }
  static std::int64_t readNsOf(const Message& message) noexcept { return message.readNs_; }
  static std::uint64_t incarnationOf(const Message& message) noexcept { return message.incarnation_; }
  static std::array<std::uint8_t, 16>& wire(Message& message) noexcept { return message.wire_; }
};

}  // namespace tofu::detail
