// tofu-cli: listen on, or send Requests to, a tofu address from the shell, or watch an
// engine's telemetry (top). See README.md.
#include <cstddef>
#include <cstdio>
#include <span>
#include <utility>
#include <variant>

#include "command_line.h"
#include "listen_command.h"
#include "message_format.h"
#include "send_command.h"
#include "top_command.h"

namespace {

int runCommand(tofu::cli::CommandLine& commandLine) {
  using namespace tofu::cli;
  if (auto* listen = std::get_if<ListenCommandLine>(&commandLine)) {
    return ListenCommand(std::move(*listen)).run();
  }
  if (auto* send = std::get_if<SendCommandLine>(&commandLine)) {
    return SendCommand(std::move(*send)).run();
  }
  if (auto* top = std::get_if<TopCommandLine>(&commandLine)) {
    return TopCommand(std::move(*top)).run();
  }
  const std::string_view usage = usageText();
  std::fwrite(usage.data(), 1, usage.size(), stdout);
  return kExitSuccess;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tofu::cli;
  const char* const* first = argv + 1;
  const std::span<const char* const> args(first, static_cast<std::size_t>(argc > 0 ? argc - 1 : 0));
  auto parsed = parseCommandLine(args);
  if (auto* error = std::get_if<UsageError>(&parsed)) {
    printError(error->reason);
    const std::string_view usage = usageText();
    std::fwrite(usage.data(), 1, usage.size(), stderr);
    return kExitUsage;
  }
  return runCommand(std::get<CommandLine>(parsed));
}
