#include "tofu/introspection.h"

#include <time.h>

namespace tofu {

namespace {

std::int64_t clockNowNs(clockid_t clock) noexcept {
  timespec now{};
  ::clock_gettime(clock, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

}  // namespace

std::int64_t monotonicNowNs() noexcept { return clockNowNs(CLOCK_MONOTONIC); }

std::int64_t wallClockNowNs() noexcept { return clockNowNs(CLOCK_REALTIME); }

const char* toString(ChannelKind kind) noexcept {
  switch (kind) {
    case ChannelKind::listener:
      return "listener";
    case ChannelKind::clientIo:
      return "client";
    case ChannelKind::serverIo:
      return "server";
  }
  return "unknown";
}

const char* toString(ChannelState state) noexcept {
  switch (state) {
    case ChannelState::opening:
      return "opening";
    case ChannelState::connecting:
      return "connecting";
    case ChannelState::ready:
      return "ready";
    case ChannelState::closing:
      return "closing";
    case ChannelState::closed:
      return "closed";
  }
  return "unknown";
}

std::size_t EventStream::pollWithPayloads(std::vector<Event>& out, std::vector<EventPayload>& payloads,
                                          std::size_t max) {
  const std::size_t taken = poll(out, max);
  payloads.resize(payloads.size() + taken);
  return taken;
}

const char* toString(EventKind kind) noexcept {
  switch (kind) {
    case EventKind::channelState:
      return "channel_state";
    case EventKind::messageSent:
      return "message_sent";
    case EventKind::messageReturned:
      return "message_returned";
    case EventKind::messageReceived:
      return "message_received";
  }
  return "unknown";
}

}  // namespace tofu
