// The telemetry schema (docs/telemetry.md, version 1): its version, who serves a snapshot
// (ProcessIdentity, SnapshotSource) and the names of the members that are not read through
// the field tables of codec.cpp. Change them only together with that document and the version.
// Plain values; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tofu::telemetry {

inline constexpr std::uint64_t kVersion = 1;

// Snapshot members that describe the serving process rather than the engine.
inline constexpr std::string_view kTelemetryVersion = "telemetryVersion";
inline constexpr std::string_view kProcessId = "processId";
inline constexpr std::string_view kTelemetryAddress = "telemetryAddress";
inline constexpr std::string_view kProcessName = "processName";
inline constexpr std::string_view kHostName = "hostName";
inline constexpr std::string_view kProcessStartedUnixMs = "processStartedUnixMs";
inline constexpr std::string_view kBodyLimit = "bodyLimit";

// ProcessIdentity: what tells a process apart from others and from its own earlier runs
// (program name, pid, host, start time). A restarted process has another pid or start time.
struct ProcessIdentity {
  std::int64_t processId = 0;  // 0: not known (no snapshot yet)
  std::string programName;     // /proc/self/comm: at most 15 bytes, as `ps` shows it
  std::string hostName;
  std::int64_t startedUnixMs = 0;  // wall clock; 0 when not known

  bool known() const noexcept { return processId != 0; }

  // This process. Reads /proc once per call; does not block otherwise; any thread.
  static ProcessIdentity current();
};

// Who is describing the engine: what a monitor needs besides the snapshot itself.
struct SnapshotSource {
  ProcessIdentity process;
  std::string telemetryAddress;  // the bound telemetry listener, header syntax
  std::uint32_t bodyLimit = 0;   // body bytes sent per message to monitors asking for payloads
};

}  // namespace tofu::telemetry
