#include "cli_fixture.h"

#include <cstdlib>
#include <filesystem>
#include <regex>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tofu::cli::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/tofu_cli_XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << pattern << " failed";
    return;
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  if (!path_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
}

ClosedTcpPort::ClosedTcpPort() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ADD_FAILURE() << "cannot bind a TCP socket on 127.0.0.1";
    return;
  }
  port_ = ntohs(address.sin_port);
}

ClosedTcpPort::~ClosedTcpPort() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

bool ipv6LoopbackAvailable() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  const bool bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return bound;
}

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t newline = text.find('\n', start);
    const std::size_t end = newline == std::string::npos ? text.size() : newline;
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string regexEscape(const std::string& text) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(text, special, R"(\$&)");
}

std::unique_ptr<Process> CliTest::start(const std::vector<std::string>& args,
                                        const std::vector<std::string>& environment) {
  std::vector<std::string> argv{TOFU_CLI_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string error;
  std::unique_ptr<Process> process = Process::start(argv, environment, error);
  if (!process) {
    ADD_FAILURE() << error;
  }
  return process;
}

RunResult CliTest::run(const std::vector<std::string>& args, const std::vector<std::string>& environment) {
  std::unique_ptr<Process> process = start(args, environment);
  if (!process) {
    return {};
  }
  const Process::Exit exit = process->wait(kProcessTimeout);
  EXPECT_FALSE(exit.timedOut) << "tofu-cli did not end within " << kProcessTimeout.count() << " ms";
  return {exit, process->out(), process->err()};
}

std::unique_ptr<Process> CliTest::startListener(const std::string& address, const std::vector<std::string>& options,
                                                std::string& bound) {
  std::vector<std::string> args{"listen", address};
  args.insert(args.end(), options.begin(), options.end());
  std::unique_ptr<Process> listener = start(args);
  if (!listener) {
    return nullptr;
  }
  const std::optional<std::string> first = listener->readLine(kLineTimeout);
  constexpr std::string_view kPrefix = "listening ";
  if (!first || !first->starts_with(kPrefix)) {
    listener->wait(std::chrono::milliseconds(1000));
    ADD_FAILURE() << "listen " << address << " printed '" << first.value_or("<nothing>")
                  << "'; stderr: " << listener->err();
    return nullptr;
  }
  bound = first->substr(kPrefix.size());
  return listener;
}

void CliTest::stopListener(Process& listener) {
  listener.sendSignal(SIGTERM);
  const Process::Exit exit = listener.wait(kProcessTimeout);
  EXPECT_FALSE(exit.timedOut);
  EXPECT_TRUE(exit.exited) << "killed by signal " << exit.signal;
  EXPECT_EQ(exit.code, 0);
  EXPECT_EQ(listener.out(), "");
  EXPECT_EQ(listener.err(), "");
}

void CliTest::expectEchoExchange(Process& listener, const std::string& bound) {
  const RunResult send = run({"send", bound, "--count", "3", "--body", "X", "--header", "a:b"});
  EXPECT_TRUE(send.exit.exited);
  EXPECT_EQ(send.exit.code, 0) << send.err;
  EXPECT_EQ(send.err, "");
  const std::vector<std::string> lines = splitLines(send.out);
  ASSERT_EQ(lines.size(), 3u) << send.out;
  const std::regex response(R"(response id=(\d+) more=0 headers=\[a:b\] body=X)");
  std::vector<std::string> ids;
  for (const std::string& line : lines) {
    std::smatch match;
    ASSERT_TRUE(std::regex_match(line, match, response)) << line;
    ids.push_back(match[1]);
  }
  EXPECT_LT(std::stoull(ids[0]), std::stoull(ids[1]));
  EXPECT_LT(std::stoull(ids[1]), std::stoull(ids[2]));

  // The listener printed the whole conversation, on one channel.
  const std::optional<std::string> hello = listener.readLine(kLineTimeout);
  ASSERT_TRUE(hello);
  std::smatch match;
  const std::regex helloLine(R"(hello_request ch=(\d+) id=\d+ more=0 headers=\[~connect_to:)" +
                             regexEscape(bound) + R"(\] body=)");
  ASSERT_TRUE(std::regex_match(*hello, match, helloLine)) << *hello;
  const std::string channel = match[1];
  for (const std::string& id : ids) {
    EXPECT_EQ(listener.readLine(kLineTimeout),
              "request ch=" + channel + " id=" + id + " more=0 headers=[a:b] body=X");
  }
  const std::optional<std::string> bye = listener.readLine(kLineTimeout);
  ASSERT_TRUE(bye);
  EXPECT_TRUE(std::regex_match(
      *bye, std::regex("bye_request ch=" + channel + R"( id=\d+ more=0 headers=\[\] body=)")))
      << *bye;
  // B3: the responder's channel closes once the initiator has closed its side.
  const std::optional<std::string> closed = listener.readErrorLine(kLineTimeout);
  ASSERT_TRUE(closed);
  EXPECT_TRUE(std::regex_match(
      *closed, std::regex("tofu-cli: channel " + channel + R"(: Signal channel_closed \(.+\))")))
      << *closed;
}

}  // namespace tofu::cli::testing
