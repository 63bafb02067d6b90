// Helpers shared by the tofu-cli tests: running the binary, starting a listener and reading
// its bound address, temp dirs, and loopback probes. Test-thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process.h"

namespace tofu::cli::testing {

inline constexpr std::chrono::milliseconds kProcessTimeout{30'000};
inline constexpr std::chrono::milliseconds kLineTimeout{10'000};

// What a finished tofu-cli run left behind.
struct RunResult {
  Process::Exit exit;
  std::string out;
  std::string err;
};

// A directory under TMPDIR (or /tmp), removed with its files at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

// A TCP socket bound to 127.0.0.1 on a free port and never listening: connecting to it is
// refused for as long as it exists, with no other process able to take the port.
class ClosedTcpPort {
 public:
  ClosedTcpPort();
  ~ClosedTcpPort();
  ClosedTcpPort(const ClosedTcpPort&) = delete;
  ClosedTcpPort& operator=(const ClosedTcpPort&) = delete;

  std::uint16_t port() const noexcept { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

class CliTest : public ::testing::Test {
 protected:
  // Starts tofu-cli with `args` (and `environment` entries "NAME=VALUE" added to the test's
  // own environment); fails the test when it cannot.
  std::unique_ptr<Process> start(const std::vector<std::string>& args,
                                 const std::vector<std::string>& environment = {});
  // Runs tofu-cli with `args` to its end (killed after kProcessTimeout).
  RunResult run(const std::vector<std::string>& args, const std::vector<std::string>& environment = {});
  // Starts `tofu-cli listen address [options...]`, reads its first line and stores the bound
  // address (the text after "listening ") in `bound`; fails the test when the line is wrong.
  std::unique_ptr<Process> startListener(const std::string& address, const std::vector<std::string>& options,
                                         std::string& bound);
  // The same with `--echo` or no option.
  std::unique_ptr<Process> startListener(const std::string& address, bool echo, std::string& bound) {
    return startListener(address, echo ? std::vector<std::string>{"--echo"} : std::vector<std::string>{}, bound);
  }
  // Sends SIGTERM to a listener and expects a clean exit with nothing more printed.
  void stopListener(Process& listener);
  // The full send/echo scenario against a listener whose bound address is `bound`.
  void expectEchoExchange(Process& listener, const std::string& bound);
};

// True when a TCP socket can be bound to ::1 here.
bool ipv6LoopbackAvailable();

// Splits `text` into its '\n'-terminated lines (a last line without '\n' included).
std::vector<std::string> splitLines(const std::string& text);

// `text` with regex special characters escaped, for building expected patterns.
std::string regexEscape(const std::string& text);

}  // namespace tofu::cli::testing
