// Internal, not part of the API.
// ProcessIdentity: what tells this process apart from others and from its own earlier runs
// (program name, pid, host, start time), for telemetry snapshots (docs/telemetry.md). A plain
// value; current() reads /proc once per call, any thread.
#pragma once

#include <cstdint>
#include <string>

namespace tofu::detail {

struct ProcessIdentity {
  std::int64_t processId = 0;
  std::string programName;             // /proc/self/comm: at most 15 bytes, as `ps` shows it
  std::string hostName;
  std::int64_t startedUnixMs = 0;      // wall clock; 0 when /proc does not say

  static ProcessIdentity current();
};

}  // namespace tofu::detail
