// Message: construction, reset for pool reuse and deep copies (the opcode catalogue is in
// vocabulary/opcodes.cpp).
#include "tofu/message.h"

#include "util/receive_budget.h"

namespace tofu {

// The text-header buffer is default-constructed, so its first step must be the promised size.
static_assert(Message::kInitialCapacity == ByteBuffer::kCapacityStep);

Message::Message() : body_(kInitialCapacity) {}

MessagePtr Message::create() { return MessagePtr(new Message()); }

Message::~Message() { detail::ReceiveBudget::release(*this); }

void Message::reset() noexcept {
  header_ = BinaryHeader{};
  headers_.reset();
  body_.reset();
  appData_ = nullptr;
  next_ = nullptr;
  owner_ = nullptr;
  charged_ = 0;
  postedNs_ = 0;
  readNs_ = 0;
  incarnation_ = 0;
}

MessagePtr Message::clone() const {
  MessagePtr copy = create();
  copy->header_ = header_;
  copy->headers_ = headers_;
  copy->body_ = body_;
  copy->appData_ = appData_;
  return copy;
}

}  // namespace tofu
