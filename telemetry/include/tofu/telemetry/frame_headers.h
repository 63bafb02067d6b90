// The text headers of telemetry frames (docs/telemetry.md, "Messages" and "Access and limits"),
// written and read by the engine's telemetry server, tofu-cli and the monitor. Change them
// only together with that document and the version. Constants; any thread.
#pragma once

#include <string_view>

namespace tofu::telemetry {

// On every frame either way: what it is (`snapshot`, `subscribe`, `event`, ...).
inline constexpr std::string_view kKindHeader = "telemetry";
// On every frame either way: the protocol version, kVersion (schema.h) as text.
inline constexpr std::string_view kVersionHeader = "telemetry-version";
inline constexpr std::string_view kVersionHeaderValue = "1";
// On a monitor's HelloRequest to a TCP or TLS endpoint: the shared secret.
inline constexpr std::string_view kTokenHeader = "telemetry-token";
// On the server's answer to a request it refuses: why, as text.
inline constexpr std::string_view kErrorHeader = "telemetry-error";
// On a subscribe request: `1` asks for message payloads in the events.
inline constexpr std::string_view kPayloadsHeader = "telemetry-payloads";

}  // namespace tofu::telemetry
