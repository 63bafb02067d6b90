// Internal, not part of the API: the engine's access to a Message's bookkeeping fields.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "tofu/message.h"

namespace tofu::detail {

class MessageAccess {
 public:
  static MessagePtr make() { return MessagePtr(new Message()); }
  static Message*& next(Message& message) noexcept { return message.next_; }
  static void*& owner(Message& message) noexcept { return message.owner_; }
  static std::uint32_t& charged(Message& message) noexcept { return message.charged_; }
  static std::uint32_t& receiveCharge(Message& message) noexcept { return message.receiveCharge_; }
  static ReceiveBudget*& budget(Message& message) noexcept { return message.budget_; }
  // What the message really costs in memory: the object, its two buffers, and the
  // allocator's bookkeeping for each of the three blocks. Send queues and receive budgets
  // count this, not frame bytes (B6, B14).
  static std::uint32_t realBytes(const Message& message) noexcept {
    constexpr std::size_t kPerAllocation = 16;
    return static_cast<std::uint32_t>(sizeof(Message) + message.headers_.buffer().capacity() +
                                      message.body_.capacity() + 3 * kPerAllocation);
  }
  // About realBytes() of a fresh message that receives a frame of `frameBytes` (exactly, for
  // frames whose sections fit the initial capacities), for planning reads.
  static constexpr std::size_t estimatedBytes(std::size_t frameBytes) noexcept {
    constexpr std::size_t kPerAllocation = 16;
    return sizeof(Message) + Message::kInitialCapacity + std::max(Message::kInitialCapacity, frameBytes) +
           3 * kPerAllocation;
  }
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
