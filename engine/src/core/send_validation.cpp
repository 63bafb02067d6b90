#include "core/send_validation.h"

#include <atomic>

#include "tofu/wire_format.h"

namespace tofu::detail {

namespace {
std::atomic<std::uint64_t> gNextMessageId{1};

Status refuse(Message& message, Status why) noexcept {
  message.header().status = why;
  return why;
}

bool opensChannel(OpCode op) noexcept { return op == OpCode::HelloRequest || op == OpCode::WelcomeRequest; }
}  // namespace

std::uint64_t nextMessageId() noexcept { return gNextMessageId.fetch_add(1, std::memory_order_relaxed); }

Status validateForSend(Message& message) noexcept {
  BinaryHeader& header = message.header();
  const OpCode op = header.proto.opCode;
  if (!isValidOpCode(op)) return Status::invalid_op_code;

  header.proto.origin = Origin::application;
  header.status = Status::success;
  header.textHeadersLen = 0;
  header.bodyLen = 0;

  if (roleOf(op) == MessageRole::response && header.messageId == 0) {
    return refuse(message, Status::invalid_message_id);
  }
  if (typeOf(op) != MessageType::regular && header.proto.more) return refuse(message, Status::invalid_more_usage);
  if (header.channelNumber == 0 && !opensChannel(op)) return refuse(message, Status::invalid_channel_number);
  if (message.headers().size() > kMaxTextHeadersLen) return refuse(message, Status::invalid_headers_len);
  header.textHeadersLen = static_cast<std::uint16_t>(message.headers().size());
  if (header.textHeadersLen == 0 && opensChannel(op)) return refuse(message, Status::wrong_address);
  if (message.body().size() > kMaxBodyLen) return refuse(message, Status::invalid_body_len);
  header.bodyLen = static_cast<std::uint16_t>(message.body().size());
  if (header.messageId == 0) header.messageId = nextMessageId();
  return Status::success;
}

}  // namespace tofu::detail
