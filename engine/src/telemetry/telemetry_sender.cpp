#include "telemetry/telemetry_sender.h"

#include <algorithm>

#include "tofu/telemetry/frame_headers.h"
#include "tofu/wire_format.h"

namespace tofu::detail {

MessagePtr TelemetrySender::fresh() {
  Result<MessagePtr> pooled = ampe_.get(AllocationStrategy::always);
  if (pooled.ok() && pooled.value()) return std::move(pooled).value();
  return Message::create();
}

Status TelemetrySender::send(MessagePtr reuse, const Frame& frame, std::string_view body,
                             ExtraHeaders extra) {
  std::uint64_t messageId = frame.messageId;
  std::size_t offset = 0;
  do {
    MessagePtr message = reuse ? std::move(reuse) : fresh();
    message->reset();
    const std::size_t length = std::min(body.size() - offset, kMaxBodyLen);
    const bool last = offset + length == body.size();
    message->setOpCode(frame.opCode);
    message->setChannelNumber(frame.channel);
    message->setMessageId(messageId);
    message->setMore(!last);
    // The names and values are constants or digits: append cannot refuse them.
    (void)message->headers().append(telemetry::kVersionHeader, telemetry::kVersionHeaderValue);
    (void)message->headers().append(telemetry::kKindHeader, frame.kind);
    for (const auto& [name, value] : extra) (void)message->headers().append(name, value);
    message->body().assign(body.substr(offset, length));
    const Result<BinaryHeader> posted = group_.enqueueToPeer(message);
    if (!posted.ok()) {
      recycle(message);
      return posted.status();
    }
    messageId = posted.value().messageId;
    offset += length;
  } while (offset < body.size());
  return Status::success;
}

void TelemetrySender::abort(std::uint16_t channel) {
  MessagePtr bye = fresh();
  bye->setOpCode(OpCode::ByeSignal);
  bye->setChannelNumber(channel);
  if (!group_.enqueueToPeer(bye).ok()) recycle(bye);  // already closing: nothing to abort
}

}  // namespace tofu::detail
