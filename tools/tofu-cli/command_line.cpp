#include "command_line.h"

#include <charconv>
#include <cmath>
#include <optional>
#include <system_error>

#include "tofu/status.h"
#include "tofu/telemetry/frame_headers.h"
#include "tofu/text_headers.h"
#include "tofu/wire_format.h"

namespace tofu::cli {
namespace {

constexpr std::string_view kUsage =
    "usage: tofu-cli listen ADDRESS [--echo] [--quiet]\n"
    "                       [--telemetry ADDRESS] [--cert FILE --key FILE] [--ca FILE]\n"
    "       tofu-cli send ADDRESS [--count N] [--body TEXT] [--header NAME:VALUE]... [--timeout SECONDS]\n"
    "                     [--hold SECONDS] [--ca FILE] [--cert FILE --key FILE] [--insecure]\n"
    "       tofu-cli top ADDRESS [--once] [--json] [--interval SECONDS] [--timeout SECONDS]\n"
    "                    [--token TOKEN] [--ca FILE] [--cert FILE --key FILE] [--insecure]\n"
    "       tofu-cli help | --help\n"
    "\n"
    "ADDRESS is a tofu address header value, quoted for the shell ('|' is a pipe):\n"
    "  'tcp|HOST|PORT'  e.g. 'tcp|127.0.0.1|7099', 'tcp|::1|0' (port 0: any free port)\n"
    "  'uds|PATH'       e.g. 'uds|/tmp/tofu.sock'\n"
    "  'tls|HOST|PORT'  TCP with TLS 1.3, e.g. 'tls|localhost|7443' (the server's certificate\n"
    "                   must name HOST; docs/security.md)\n"
    "\n"
    "listen  Listens on ADDRESS and prints 'listening ADDRESS' (with the bound port), then one\n"
    "        line per received message. Accepts every HelloRequest and answers every ByeRequest.\n"
    "        --echo  also answers each Request with a Response and each Signal with a Signal\n"
    "                carrying the same id, more flag, headers and body.\n"
    "        --quiet prints no line per received message (errors still go to stderr): for load\n"
    "                tests, where formatting each message would cost more than receiving it.\n"
    "        --telemetry ADDRESS  also serves the engine's snapshots and events to monitors on\n"
    "                ADDRESS (docs/telemetry.md) and prints 'telemetry ADDRESS' second.\n"
    "        --cert FILE --key FILE  certificate chain and key (PEM) a tls listener presents\n"
    "        --ca FILE            tls: clients must present a certificate signed by a CA in FILE;\n"
    "                             their identity shows as ~tls-peer-subject/~tls-peer-san headers\n"
    "        Runs until SIGINT or SIGTERM, then closes its channels and exits 0.\n"
    "send    Connects to ADDRESS, sends N Requests one after the other, prints each Response as\n"
    "        'response id=ID more=0|1 headers=[NAME:VALUE ...] body=TEXT', then closes gracefully.\n"
    "        --count N            requests to send (default 1)\n"
    "        --body TEXT          request body (default 'hello')\n"
    "        --header NAME:VALUE  text header added to every request (repeatable)\n"
    "        --timeout SECONDS    limit for each wait: connect, every response, close (default 10)\n"
    "        --hold SECONDS       keeps the channel open this long after the last Response before\n"
    "                             closing it (default 0); SIGINT or SIGTERM ends the hold early\n"
    "        --ca FILE            tls: trust the CAs in FILE (default: the system's)\n"
    "        --cert FILE --key FILE  tls: client certificate and key, for servers that ask\n"
    "        --insecure           tls: DO NOT CHECK the server's certificate. Anyone on the path\n"
    "                             can then read and change the traffic: for tests only\n"
    "top     Connects to the telemetry endpoint ADDRESS (listen --telemetry, TOFU_TELEMETRY) and\n"
    "        shows one row per channel: state, counters, msgs/s, send queue, close reason.\n"
    "        Refreshes in place like top(1) on a terminal (plain tables otherwise) until SIGINT\n"
    "        or SIGTERM.\n"
    "        --once               one snapshot, then exit\n"
    "        --json               prints each snapshot as one line of JSON (docs/telemetry.md)\n"
    "        --interval SECONDS   time between snapshots (default 1)\n"
    "        --timeout SECONDS    limit for each wait: connect, every snapshot (default 10)\n"
    "        --token TOKEN        the endpoint's telemetry token (default: TOFU_TELEMETRY_TOKEN);\n"
    "                             required by TCP endpoints, and by TLS ones that do not ask\n"
    "                             for client certificates\n"
    "        --ca, --cert, --key, --insecure  tls endpoints: as for send (--insecure: NOT CHECKED)\n"
    "        What came from the endpoint is printed with control characters escaped (\\xNN).\n"
    "\n"
    "Environment: TOFU_TELEMETRY=ADDRESS makes the engine of listen and send serve telemetry on\n"
    "ADDRESS (top ignores it). TOFU_TELEMETRY_TOKEN=TOKEN is the token monitors must present;\n"
    "a TCP telemetry address is served only with one. top presents it unless --token is given.\n"
    "\n"
    "Exit status: 0 success, 1 failure (reason on stderr), 2 bad arguments.\n";

constexpr double kMaxTimeoutSeconds = 1e6;

// Walks the arguments of one command; options take their value as `--name=value` or as
// the next argument.
class ArgumentCursor {
 public:
  explicit ArgumentCursor(std::span<const char* const> args) : args_(args) {}

  bool done() const noexcept { return index_ == args_.size(); }
  std::string_view next() noexcept { return args_[index_++]; }

  // Splits `arg` into the option name and, when present, its `=value` part.
  static std::pair<std::string_view, std::optional<std::string_view>> splitOption(std::string_view arg) {
    const auto equals = arg.find('=');
    if (equals == std::string_view::npos) {
      return {arg, std::nullopt};
    }
    return {arg.substr(0, equals), arg.substr(equals + 1)};
  }

  std::optional<std::string_view> valueOf(std::optional<std::string_view> inlineValue) noexcept {
    if (inlineValue) {
      return inlineValue;
    }
    if (done()) {
      return std::nullopt;
    }
    return next();
  }

 private:
  std::span<const char* const> args_;
  std::size_t index_ = 0;
};

bool isOption(std::string_view arg) noexcept { return arg.size() > 1 && arg.front() == '-'; }
bool isHelp(std::string_view arg) noexcept { return arg == "--help" || arg == "-h"; }

std::variant<Address, UsageError> parseAddress(std::string_view text) {
  const Result<Address> parsed = Address::parse(text);
  if (!parsed.ok()) {
    return UsageError{"bad ADDRESS '" + std::string(text) + "': " + toString(parsed.status()) +
                      " (expected 'tcp|HOST|PORT' or 'uds|PATH')"};
  }
  return parsed.value();
}

std::optional<std::uint32_t> parsePositiveCount(std::string_view text) {
  std::uint32_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value == 0) {
    return std::nullopt;
  }
  return value;
}

// Seconds, fractions allowed, positive (or also 0 with `allowZero`), at most kMaxTimeoutSeconds.
std::optional<std::chrono::nanoseconds> parseSeconds(std::string_view text, bool allowZero = false) {
  double seconds = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(seconds) || seconds < 0 ||
      (seconds == 0 && !allowZero) || seconds > kMaxTimeoutSeconds) {
    return std::nullopt;
  }
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(seconds));
}

std::optional<UsageError> setSeconds(std::string_view option, std::string_view text,
                                     std::chrono::nanoseconds& out, bool allowZero = false) {
  const auto seconds = parseSeconds(text, allowZero);
  if (!seconds) {
    return UsageError{std::string(option) + " needs a " + (allowZero ? "non-negative" : "positive") +
                      " number of seconds, not '" + std::string(text) + "'"};
  }
  out = *seconds;
  return std::nullopt;
}

// Checks `NAME:VALUE` with the same rules the message will apply, so that a bad header is
// an argument error rather than a failure after connecting.
std::optional<UsageError> addHeader(std::string_view text, SendCommandLine& send) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    return UsageError{"bad --header '" + std::string(text) + "': expected NAME:VALUE"};
  }
  const std::string_view name = text.substr(0, colon);
  const std::string_view value = text.substr(colon + 1);
  TextHeaders scratch;
  const HeaderCheck check = scratch.append(name, value);
  if (check != HeaderCheck::ok) {
    return UsageError{"bad --header '" + std::string(text) + "': " + toString(check)};
  }
  send.headers.emplace_back(name, value);
  return std::nullopt;
}

UsageError missingValue(std::string_view option) {
  return {"option " + std::string(option) + " needs a value"};
}

bool isTlsFileOption(std::string_view name) noexcept {
  return name == "--cert" || name == "--key" || name == "--ca";
}

void setTlsFile(std::string_view name, std::string_view value, TlsFiles& tls) {
  std::string& file = name == "--cert" ? tls.certificate : name == "--key" ? tls.key : tls.ca;
  file = value;
}

// Parses what follows `listen` or `send`. `handleOption` returns an error, or nullopt once it
// has consumed the option.
template <class Command, class OptionHandler>
std::variant<CommandLine, UsageError> parseCommand(std::string_view commandName, ArgumentCursor& cursor,
                                                   Command command, OptionHandler handleOption) {
  bool haveAddress = false;
  while (!cursor.done()) {
    const std::string_view arg = cursor.next();
    if (isHelp(arg)) {
      return HelpCommand{};
    }
    if (isOption(arg)) {
      if (auto error = handleOption(arg, cursor, command)) {
        return *std::move(error);
      }
      continue;
    }
    if (haveAddress) {
      return UsageError{"unexpected argument '" + std::string(arg) + "'"};
    }
    auto address = parseAddress(arg);
    if (auto* error = std::get_if<UsageError>(&address)) {
      return std::move(*error);
    }
    command.address = std::get<Address>(std::move(address));
    haveAddress = true;
  }
  if (!haveAddress) {
    return UsageError{std::string(commandName) + " needs an ADDRESS"};
  }
  return command;
}

std::optional<UsageError> handleListenOption(std::string_view arg, ArgumentCursor& cursor,
                                             ListenCommandLine& listen) {
  if (arg == "--echo") {
    listen.echo = true;
    return std::nullopt;
  }
  if (arg == "--quiet") {
    listen.quiet = true;
    return std::nullopt;
  }
  const auto [name, inlineValue] = ArgumentCursor::splitOption(arg);
  if (name != "--telemetry" && !isTlsFileOption(name)) {
    return UsageError{"unknown option '" + std::string(arg) + "' for listen"};
  }
  const std::optional<std::string_view> value = cursor.valueOf(inlineValue);
  if (!value) {
    return missingValue(name);
  }
  if (isTlsFileOption(name)) {
    setTlsFile(name, *value, listen.tls);
    return std::nullopt;
  }
  auto address = parseAddress(*value);
  if (auto* error = std::get_if<UsageError>(&address)) {
    return UsageError{"--telemetry: " + error->reason};
  }
  listen.telemetry = std::get<Address>(std::move(address));
  return std::nullopt;
}

std::optional<UsageError> handleSendOption(std::string_view arg, ArgumentCursor& cursor,
                                           SendCommandLine& send) {
  if (arg == "--insecure") {
    send.tls.insecure = true;
    return std::nullopt;
  }
  const auto [name, inlineValue] = ArgumentCursor::splitOption(arg);
  if (name != "--count" && name != "--body" && name != "--header" && name != "--timeout" &&
      name != "--hold" && !isTlsFileOption(name)) {
    return UsageError{"unknown option '" + std::string(arg) + "' for send"};
  }
  const std::optional<std::string_view> value = cursor.valueOf(inlineValue);
  if (!value) {
    return missingValue(name);
  }
  if (isTlsFileOption(name)) {
    setTlsFile(name, *value, send.tls);
  } else if (name == "--count") {
    const auto count = parsePositiveCount(*value);
    if (!count) {
      return UsageError{"--count needs a positive integer, not '" + std::string(*value) + "'"};
    }
    send.count = *count;
  } else if (name == "--body") {
    if (value->size() > kMaxBodyLen) {
      return UsageError{"--body is longer than " + std::to_string(kMaxBodyLen) + " bytes"};
    }
    send.body = *value;
  } else if (name == "--header") {
    return addHeader(*value, send);
  } else if (name == "--hold") {
    return setSeconds(name, *value, send.hold, true);
  } else {
    return setSeconds(name, *value, send.timeout);
  }
  return std::nullopt;
}

std::optional<UsageError> handleTopOption(std::string_view arg, ArgumentCursor& cursor, TopCommandLine& top) {
  if (arg == "--insecure") {
    top.tls.insecure = true;
    return std::nullopt;
  }
  if (arg == "--once") {
    top.once = true;
    return std::nullopt;
  }
  if (arg == "--json") {
    top.json = true;
    return std::nullopt;
  }
  const auto [name, inlineValue] = ArgumentCursor::splitOption(arg);
  if (name != "--interval" && name != "--timeout" && name != "--token" && !isTlsFileOption(name)) {
    return UsageError{"unknown option '" + std::string(arg) + "' for top"};
  }
  const std::optional<std::string_view> value = cursor.valueOf(inlineValue);
  if (!value) {
    return missingValue(name);
  }
  if (isTlsFileOption(name)) {
    setTlsFile(name, *value, top.tls);
    return std::nullopt;
  }
  if (name == "--token") {
    TextHeaders scratch;
    if (scratch.append(telemetry::kTokenHeader, *value) != HeaderCheck::ok) {
      return UsageError{"--token needs a non-empty value without line breaks"};
    }
    top.token = *value;
    return std::nullopt;
  }
  return setSeconds(name, *value, name == "--interval" ? top.interval : top.timeout);
}

}  // namespace

std::variant<CommandLine, UsageError> parseCommandLine(std::span<const char* const> args) {
  if (args.empty()) {
    return UsageError{"no command given"};
  }
  const std::string_view command = args.front();
  ArgumentCursor cursor(args.subspan(1));
  if (command == "help" || isHelp(command)) {
    return HelpCommand{};
  }
  if (command == "listen") {
    return parseCommand(command, cursor, ListenCommandLine{}, handleListenOption);
  }
  if (command == "send") {
    return parseCommand(command, cursor, SendCommandLine{}, handleSendOption);
  }
  if (command == "top") {
    return parseCommand(command, cursor, TopCommandLine{}, handleTopOption);
  }
  return UsageError{"unknown command '" + std::string(command) + "'"};
}

std::string_view usageText() noexcept { return kUsage; }

}  // namespace tofu::cli
