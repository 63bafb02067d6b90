// TopCommand: `tofu-cli top`: a monitor of one telemetry endpoint (docs/telemetry.md). Asks
// for a snapshot every --interval and prints it as a channel table (refreshed in place on a
// terminal) or as JSON, until SIGINT/SIGTERM or after one with --once. Runs on the calling
// thread (plus the engine's I/O thread and, when live, the SignalWaker's thread).
#pragma once

#include <utility>

#include "command_line.h"

namespace tofu::cli {

class TelemetryClient;
class SignalWaker;
struct TelemetrySnapshot;

class TopCommand {
 public:
  explicit TopCommand(TopCommandLine commandLine) : commandLine_(std::move(commandLine)) {}

  // Returns the process exit code.
  int run();

 private:
  // Shows snapshots until told to stop; false after printing why it failed.
  bool monitor(TelemetryClient& client, const SignalWaker* waker);

  TopCommandLine commandLine_;
};

}  // namespace tofu::cli
