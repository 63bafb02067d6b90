#include "util/receive_budget.h"

#include <algorithm>
#include <utility>

#include "util/message_access.h"

namespace tofu::detail {

ReceiveBudget* ReceiveBudget::create(std::size_t limitBytes, std::function<void()> wake) {
  return new ReceiveBudget(limitBytes, std::move(wake));
}

ReceiveBudget::ReceiveBudget(std::size_t limitBytes, std::function<void()> wake)
    : limit_(static_cast<std::int64_t>(std::min<std::size_t>(limitBytes, kGroupBias / 2))), wake_(std::move(wake)) {}

void ReceiveBudget::detach() {
  {
    MutexLock lock(wakeMutex_);
    wake_ = nullptr;
  }
  if (held_.fetch_sub(kGroupBias, std::memory_order_acq_rel) == kGroupBias) delete this;
}

std::size_t ReceiveBudget::available(std::size_t pending) const noexcept {
  const std::int64_t used = held_.load(std::memory_order_seq_cst) - kGroupBias + static_cast<std::int64_t>(pending);
  return used >= limit_ ? 0 : static_cast<std::size_t>(limit_ - used);
}

void ReceiveBudget::publish(std::size_t bytes) noexcept {
  if (bytes != 0) held_.fetch_add(static_cast<std::int64_t>(bytes), std::memory_order_seq_cst);
}

void ReceiveBudget::attach(Message& message, std::uint32_t bytes) noexcept {
  MessageAccess::budget(message) = this;
  MessageAccess::receiveCharge(message) = bytes;
}

void ReceiveBudget::release(Message& message) noexcept {
  ReceiveBudget* budget = std::exchange(MessageAccess::budget(message), nullptr);
  if (budget == nullptr) return;
  budget->releaseBytes(std::exchange(MessageAccess::receiveCharge(message), 0));
}

void ReceiveBudget::releaseBytes(std::size_t bytes) noexcept {
  const auto amount = static_cast<std::int64_t>(bytes);
  const std::int64_t left = held_.fetch_sub(amount, std::memory_order_seq_cst) - amount;
  if (left == 0) {  // the group is gone and this was its last charged message
    delete this;
    return;
  }
  // seq_cst with wantRoom(): either the loop sees these bytes gone, or this sees its flag.
  if (left - kGroupBias < limit_ && roomWanted_.load(std::memory_order_seq_cst) &&
      roomWanted_.exchange(false, std::memory_order_seq_cst)) {
    MutexLock lock(wakeMutex_);
    if (wake_) wake_();
  }
}

}  // namespace tofu::detail
