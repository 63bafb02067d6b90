// Internal, not part of the API.
// The JSON forms of introspection data served by the telemetry server. Field names, order
// and value spellings are the documented schema (docs/telemetry.md, version 1): change
// them only together with that document and the version. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tofu/introspection.h"

#include "telemetry/process_identity.h"

namespace tofu::detail {

inline constexpr std::uint64_t kTelemetryVersion = 1;

// Who is describing the engine: what a monitor needs besides the snapshot itself.
struct SnapshotSource {
  ProcessIdentity process;
  std::string telemetryAddress;    // the bound telemetry listener, header syntax
  std::uint32_t bodyLimit = 0;     // body bytes sent per message to monitors asking for payloads
};

// One JSON object on one line, without a trailing newline.
std::string snapshotToJson(const EngineSnapshot& snapshot, const SnapshotSource& source);

// Appends one JSON object and a '\n' (one line of a JSON Lines batch). With a taken
// `payload`, the line carries the message's text headers and body (docs/telemetry.md).
void appendEventJsonLine(std::string& out, const Event& event, const EventPayload* payload = nullptr);

}  // namespace tofu::detail
