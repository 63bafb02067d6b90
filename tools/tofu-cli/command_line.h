// The tofu-cli command line: what each command was asked to do, parsed and checked up front
// so that a bad argument is a usage error (exit code 2) before any engine starts.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "tofu/address.h"

namespace tofu::cli {

inline constexpr int kExitSuccess = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct HelpCommand {};

// --cert, --key, --ca and --insecure of listen, send and top (tls|HOST|PORT addresses).
struct TlsFiles {
  std::string certificate;  // listen: needed for tls; send, top: a client certificate for mutual TLS
  std::string key;
  std::string ca;         // listen: clients must present a certificate it signed; send, top: trusted CAs
  bool insecure = false;  // send, top: the server's certificate is not checked (tests only)
};

struct ListenCommandLine {
  Address address;
  bool echo = false;
  // No line per received message (a peer for load tests, where printing would be the cost).
  bool quiet = false;
  // Serve the engine's telemetry here too (Options::telemetryAddress, docs/telemetry.md).
  std::optional<Address> telemetry;
  TlsFiles tls;
};

struct SendCommandLine {
  Address address;
  std::uint32_t count = 1;
  std::string body = "hello";
  // Each pair has already been accepted by TextHeaders::append.
  std::vector<std::pair<std::string, std::string>> headers;
  // Bounds each wait (connect, every response, close).
  std::chrono::nanoseconds timeout = std::chrono::seconds(10);
  // How long the channel stays open after the last Response, before the ByeRequest.
  std::chrono::nanoseconds hold{0};
  TlsFiles tls;
};

struct TopCommandLine {
  Address address;  // a telemetry endpoint
  bool once = false;
  bool json = false;
  std::chrono::nanoseconds interval = std::chrono::seconds(1);
  // Bounds each wait (connect, every snapshot).
  std::chrono::nanoseconds timeout = std::chrono::seconds(10);
  // Presented in the HelloRequest (header telemetry-token); --token, else TOFU_TELEMETRY_TOKEN.
  std::string token;
  TlsFiles tls;
};

using CommandLine = std::variant<HelpCommand, ListenCommandLine, SendCommandLine, TopCommandLine>;

// Why the command line was refused; printed before the usage text.
struct UsageError {
  std::string reason;
};

// Parses the arguments after the program name. Never throws.
std::variant<CommandLine, UsageError> parseCommandLine(std::span<const char* const> args);

// The usage text, ending with a newline.
std::string_view usageText() noexcept;

}  // namespace tofu::cli
