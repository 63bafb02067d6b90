// ListenCommand: `tofu-cli listen`: one listener, and a loop that prints and answers what
// arrives until SIGINT or SIGTERM. Runs entirely on the calling thread (plus the engine's
// I/O thread and the SignalWaker's thread).
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "tofu/message.h"

#include "command_line.h"

namespace tofu::cli {

class EngineSession;
class SignalWaker;

class ListenCommand {
 public:
  explicit ListenCommand(ListenCommandLine commandLine) : commandLine_(std::move(commandLine)) {}

  // Returns the process exit code.
  int run();

 private:
  enum class Step { carryOn, stop, fail };

  Step serve(EngineSession& session, const SignalWaker& waker);
  bool startListening(EngineSession& session);
  Step handleListenerReply(const Message& message);
  void handleNotification(const Message& message);
  void answer(EngineSession& session, MessagePtr& message);

  ListenCommandLine commandLine_;
  std::uint16_t listenerChannel_ = 0;
  std::string telemetryAddress_;  // served by the engine (bound port), empty when none
};

}  // namespace tofu::cli
