#include "top_command.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "engine_session.h"
#include "message_format.h"
#include "signal_waker.h"
#include "telemetry_client.h"
#include "terminal_text.h"
#include "top_table.h"
#include <unistd.h>

namespace tofu::cli {
namespace {

// Home, then clear the screen: the next table replaces the last one, as in top(1).
constexpr std::string_view kClearScreen = "\x1b[H\x1b[2J";

void writeOut(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

}  // namespace

int TopCommand::run() {
  const bool live = !commandLine_.once;
  if (live) {
    // Before the engine exists, so that its I/O thread inherits the blocked mask.
    SignalWaker::blockTerminationSignals();
  }
  Options options = optionsFor(commandLine_.tls, false);
  // A monitor started with TOFU_TELEMETRY in its environment (say, for the program it
  // watches) must not try to serve telemetry itself, least of all on the same address.
  options.telemetryFromEnvironment = false;
  Result<std::unique_ptr<EngineSession>> session = EngineSession::create(options);
  if (!session.ok()) {
    printError("cannot start the engine: " + formatStatus(session.status()));
    return kExitFailure;
  }
  bool ok = false;
  {
    // Borrows the group, so it goes before the session.
    std::optional<SignalWaker> waker;
    if (live) {
      waker.emplace(session.value()->group());
    }
    // --token, else TOFU_TELEMETRY_TOKEN (read here, not by the engine: a monitor serves nothing).
    std::string token = commandLine_.token;
    if (const char* fromEnvironment = std::getenv("TOFU_TELEMETRY_TOKEN"); token.empty() && fromEnvironment != nullptr) {
      token = fromEnvironment;
    }
    TelemetryClient client(*session.value(), commandLine_.address, commandLine_.timeout, std::move(token));
    std::string error;
    if (!client.connect(error)) {
      printError(error);
    } else {
      ok = monitor(client, waker ? &*waker : nullptr);
    }
    // Polite to whatever answered, telemetry endpoint or not (no-op when the channel is gone).
    client.close();
  }
  return ok ? kExitSuccess : kExitFailure;
}

bool TopCommand::monitor(TelemetryClient& client, const SignalWaker* waker) {
  const std::string endpoint = commandLine_.address.toString();
  const bool terminal = ::isatty(STDOUT_FILENO) == 1;
  TopTable table;
  bool first = true;
  for (;;) {
    std::string error;
    const std::optional<TelemetrySnapshot> snapshot = client.snapshot(error);
    if (!snapshot) {
      printError(error);
      return false;
    }
    if (commandLine_.json) {
      printLine(terminalSafeJson(snapshot->json));
    } else if (terminal && !commandLine_.once) {
      writeOut(std::string(kClearScreen) + table.render(snapshot->snapshot, snapshot->source, endpoint));
    } else {
      // Plain tables for pipes and files, separated by a blank line.
      writeOut((first ? std::string() : std::string("\n")) +
               table.render(snapshot->snapshot, snapshot->source, endpoint));
    }
    first = false;
    if (waker == nullptr || waker->stopRequested()) {
      return true;
    }
    const TelemetryClient::Clock::time_point next = TelemetryClient::Clock::now() + commandLine_.interval;
    switch (client.idle(next, error)) {
      case TelemetryClient::Idle::lost:
        printError(error);
        return false;
      case TelemetryClient::Idle::woken:
        return true;
      case TelemetryClient::Idle::elapsed:
        break;
    }
    if (waker->stopRequested()) {
      return true;
    }
  }
}

}  // namespace tofu::cli
