#include "introspection/observer_hub.h"

#include <algorithm>
#include <cstring>

namespace tofu::detail {

std::shared_ptr<EventStream> ObserverHub::start(const ObserverOptions& options) {
  auto ring = std::make_shared<EventRing>(options);
  previewBytes_.store(ring->previewBytes(), std::memory_order_relaxed);
  ring_.store(ring);
  observing_.store(true, std::memory_order_relaxed);
  return ring;
}

void ObserverHub::stop() {
  observing_.store(false, std::memory_order_relaxed);
  ring_.store(nullptr);
}

void ObserverHub::publish(const Event& event, const Message* message) {
  if (!observing()) return;
  if (const std::shared_ptr<EventRing> ring = ring_.load()) ring->tryPush(event, message);
}

Event ObserverHub::channelEvent(std::uint16_t number, std::uint64_t incarnation, ChannelState state,
                                Status status) const {
  Event event;
  event.kind = EventKind::channelState;
  event.engineId = engineId_;
  event.channelNumber = number;
  event.incarnation = incarnation;
  event.state = state;
  event.status = status;
  event.atNs = monotonicNowNs();
  return event;
}

Event ObserverHub::messageEvent(EventKind kind, const Message& message, std::uint64_t incarnation) const {
  Event event;
  event.kind = kind;
  event.engineId = engineId_;
  event.channelNumber = message.channelNumber();
  event.incarnation = incarnation;
  event.opCode = message.opCode();
  event.status = message.status();
  event.more = message.hasMore();
  event.messageId = message.messageId();
  event.headersLen = static_cast<std::uint16_t>(message.headers().size());
  event.bodyLen = static_cast<std::uint16_t>(message.body().size());
  event.atNs = monotonicNowNs();
  const std::size_t budget = previewBytes_.load(std::memory_order_relaxed);
  const std::size_t headers = std::min(budget, message.headers().size());
  const std::size_t body = std::min(budget - headers, message.body().size());
  if (headers > 0) std::memcpy(event.preview.data(), message.headers().buffer().data(), headers);
  if (body > 0) std::memcpy(event.preview.data() + headers, message.body().data(), body);
  event.previewHeadersLen = static_cast<std::uint8_t>(headers);
  event.previewBodyLen = static_cast<std::uint8_t>(body);
  return event;
}

}  // namespace tofu::detail
