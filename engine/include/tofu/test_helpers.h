// Helpers for tests and examples (PROTOCOL.md 10.1). Thread-safe; they never block for long.
#pragma once

#include <cstdint>
#include <string>

namespace tofu::testing {

// A TCP port that was free on 127.0.0.1 a moment ago (bound to port 0, then closed).
// Not reserved: prefer listening on port 0 and reading the port from the WelcomeResponse.
// 0 if no socket could be opened.
std::uint16_t findFreeTcpPort();

// A fresh UDS path `<TMPDIR or /tmp>/tofu_<pid>_<n>.port`; n counts up per process, so
// consecutive calls differ. The file is not created. Fits sockaddr_un.
std::string tempUdsPath();

}  // namespace tofu::testing
