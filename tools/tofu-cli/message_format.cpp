#include "message_format.h"

#include "terminal_text.h"

#include <cstdint>
#include <cstdio>

namespace tofu::cli {
namespace {

const char* snakeCaseName(OpCode op) noexcept {
  switch (op) {
    case OpCode::Request:
      return "request";
    case OpCode::Response:
      return "response";
    case OpCode::Signal:
      return "signal";
    case OpCode::HelloRequest:
      return "hello_request";
    case OpCode::HelloResponse:
      return "hello_response";
    case OpCode::ByeRequest:
      return "bye_request";
    case OpCode::ByeResponse:
      return "bye_response";
    case OpCode::ByeSignal:
      return "bye_signal";
    case OpCode::WelcomeRequest:
      return "welcome_request";
    case OpCode::WelcomeResponse:
      return "welcome_response";
  }
  return "invalid";
}

// One message is one line: everything outside printable ASCII is escaped; header fields
// also escape spaces, which separate headers inside `[...]`.
void appendEscaped(std::string& out, std::string_view bytes, bool escapeSpace = false) {
  appendTerminalSafe(out, bytes, NonAscii::escape, escapeSpace);
}

std::string format(const Message& message, bool withChannel) {
  std::string line = snakeCaseName(message.opCode());
  if (withChannel) {
    line += " ch=" + std::to_string(message.channelNumber());
  }
  line += " id=" + std::to_string(message.messageId());
  line += message.hasMore() ? " more=1" : " more=0";
  line += " headers=[";
  bool first = true;
  for (const TextHeader& header : message.headers()) {
    if (!first) {
      line += ' ';
    }
    first = false;
    appendEscaped(line, header.name, true);
    line += ':';
    appendEscaped(line, header.value, true);
  }
  line += "] body=";
  appendEscaped(line, message.body().view());
  return line;
}

}  // namespace

std::string formatMessage(const Message& message) { return format(message, false); }

std::string formatMessageOnChannel(const Message& message) { return format(message, true); }

std::string formatNotification(const Message& message) {
  const std::string channel = "channel " + std::to_string(message.channelNumber()) + ": ";
  if (isSendReady(message)) {
    return channel + "send_ready (the send queue has room again after a refusal)";  // B16
  }
  return channel + toString(message.opCode()) + " " + formatFailure(message);
}

std::string formatFailure(const Message& message) {
  const std::optional<std::string_view> why = message.headers().find(kTlsErrorHeader);
  return formatStatus(message.status()) + (why ? ": " + std::string(*why) : std::string());
}

std::string formatStatus(Status status) {
  return std::string(toString(status)) + " (" + describe(status) + ")";
}

void printLine(std::string_view line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void printError(std::string_view line) {
  // Reasons may quote what a peer sent (an endpoint's error text, a path).
  const std::string safe = terminalSafe(line);
  std::fprintf(stderr, "tofu-cli: %.*s\n", static_cast<int>(safe.size()), safe.data());
}

}  // namespace tofu::cli
