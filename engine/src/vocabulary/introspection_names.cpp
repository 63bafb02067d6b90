// The names of the introspection enums, as telemetry spells them (docs/telemetry.md). Part
// of the vocabulary (no engine state), which tofu_telemetry shares.
#include "tofu/introspection.h"

namespace tofu {

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
