// Internal, not part of the API.
// ObserverHub: where engine threads publish introspection events. Holds the active
// EventRing, if any; with none, publishing costs one relaxed atomic load (A1: cheap when
// off). Any thread may publish, start or stop.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "introspection/event_ring.h"
#include "tofu/introspection.h"
#include "tofu/message.h"

namespace tofu::detail {

class ObserverHub {
 public:
  explicit ObserverHub(std::uint64_t engineId) : engineId_(engineId) {}

  bool observing() const noexcept { return observing_.load(std::memory_order_relaxed); }

  std::shared_ptr<EventStream> start(const ObserverOptions& options);
  void stop();

  // Publishes when observing; the builders below fill in what the message says. `message` is
  // the event's message, copied when the stream takes payloads.
  void publish(const Event& event, const Message* message = nullptr);

  Event channelEvent(std::uint16_t number, std::uint64_t incarnation, ChannelState state, Status status) const;
  // For a message: kind, channel, ids, sizes, flags, status and a preview of the sections.
  Event messageEvent(EventKind kind, const Message& message, std::uint64_t incarnation) const;

 private:
  const std::uint64_t engineId_;
  std::atomic<bool> observing_{false};
  std::atomic<std::size_t> previewBytes_{0};  // of the active ring, read without taking it
  // Producers take a reference for the push, so a ring replaced meanwhile stays alive.
  std::atomic<std::shared_ptr<EventRing>> ring_;
};

}  // namespace tofu::detail
