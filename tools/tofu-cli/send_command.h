// SendCommand: `tofu-cli send`: connects, sends N Requests one at a time, prints every
// Response, optionally holds the channel open (--hold), then closes gracefully. Runs on the
// calling thread; every wait is bounded by the --timeout (or --hold) of the command line.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "tofu/message.h"

#include "command_line.h"

namespace tofu::cli {

class EngineSession;
class SignalWaker;

class SendCommand {
 public:
  using Clock = std::chrono::steady_clock;

  explicit SendCommand(SendCommandLine commandLine) : commandLine_(std::move(commandLine)) {}

  // Returns the process exit code.
  int run();

 private:
  bool connect(EngineSession& session);
  bool exchange(EngineSession& session);
  // Keeps the channel open for --hold, or until SIGINT/SIGTERM; false when the channel fails.
  bool hold(EngineSession& session, const SignalWaker& waker);
  bool close(EngineSession& session);

  // Posts `message` on the channel and returns the engine's header snapshot (channel, id);
  // prints why and returns nullopt when the engine refuses it.
  std::optional<BinaryHeader> post(EngineSession& session, MessagePtr& message, std::string_view what);
  // The next message before `deadline`; null after printing why (timeout or error).
  MessagePtr receive(EngineSession& session, Clock::time_point deadline, std::string_view waitingFor);

  SendCommandLine commandLine_;
  std::string peer_;  // the address as printed in messages
  std::uint16_t channel_ = 0;
};

}  // namespace tofu::cli
