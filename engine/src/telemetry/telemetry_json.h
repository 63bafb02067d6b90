// Internal, not part of the API.
// The JSON forms of introspection data served by the telemetry server. Field names, order
// and value spellings are the documented schema (docs/telemetry.md, version 1): change
// them only together with that document and the version. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tofu/introspection.h"

namespace tofu::detail {

inline constexpr std::uint64_t kTelemetryVersion = 1;

// Who is describing the engine: what a monitor needs besides the snapshot itself.
struct SnapshotSource {
  std::int64_t processId = 0;
  std::string telemetryAddress;  // the bound telemetry listener, header syntax
};

// One JSON object on one line, without a trailing newline.
std::string snapshotToJson(const EngineSnapshot& snapshot, const SnapshotSource& source);

// Appends one JSON object and a '\n' (one line of a JSON Lines batch).
void appendEventJsonLine(std::string& out, const Event& event);

}  // namespace tofu::detail
