// How tofu-cli prints messages: one line each, readable and safe for a terminal or a pipe.
// The formats are documented in README.md; tests and scripts rely on them.
#pragma once

#include <string>
#include <string_view>

#include "tofu/message.h"
#include "tofu/status.h"

namespace tofu::cli {

// `<opcode> id=<id> more=<0|1> headers=[<name:value> ...] body=<text>`, opcode in snake
// case (`response`, `hello_request`). Bytes outside printable ASCII, and backslashes, are
// escaped (\n, \r, \t, \\, \xNN) so that one message is always one line; spaces inside
// header names and values are escaped too (\x20), since a space separates two headers.
std::string formatMessage(const Message& message);

// The same, with the receiving channel after the opcode: `request ch=3 id=...`.
std::string formatMessageOnChannel(const Message& message);

// An engine notification for the log: `channel 3: Signal channel_closed (<describe>)`.
std::string formatNotification(const Message& message);

// `<status name> (<describe>)`, the way every failure reason is spelled.
std::string formatStatus(Status status);

// formatStatus() of an engine notification, followed by `: <why>` when it carries the TLS
// reason (kTlsErrorHeader: "certificate has expired").
std::string formatFailure(const Message& message);

// Writes `line` and a newline to stdout and flushes, so a reader of the pipe sees each
// line as soon as it happens.
void printLine(std::string_view line);

// Writes `tofu-cli: <line>` to stderr, made terminal-safe (terminal_text.h).
void printError(std::string_view line);

}  // namespace tofu::cli
