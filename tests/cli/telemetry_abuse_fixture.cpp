#include "telemetry_abuse_fixture.h"

#include <arpa/inet.h>
#include <grp.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "engine_harness.h"

namespace tofu::cli::testing {
namespace {

using namespace std::chrono_literals;

MessagePtr telemetryRequest(Ampe& ampe, std::uint16_t channel, std::string_view kind) {
  MessagePtr message = test::newMessage(ampe);
  message->setChannelNumber(channel);
  (void)message->headers().append("telemetry-version", "1");
  (void)message->headers().append("telemetry", kind);
  return message;
}

}  // namespace

Options clientOptions() {
  Options options;
  options.telemetryFromEnvironment = false;
  return options;
}

std::uint64_t rssKiB(pid_t pid, std::string_view field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(field)) return std::stoull(line.substr(field.size()));
  }
  return 0;
}

double cpuSeconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  // Fields after the command: state(3) ... utime(14) stime(15).
  std::uint64_t utime = 0;
  std::uint64_t stime = 0;
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index == 14) utime = std::stoull(field);
    if (index == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::uint16_t hello(Ampe& ampe, ChannelGroup& group, const Address& address,
                    const std::optional<std::string>& token) {
  MessagePtr message = test::helloRequest(ampe, address);
  if (token) {
    EXPECT_EQ(message->headers().append("telemetry-token", *token), HeaderCheck::ok);
  }
  return test::post(group, std::move(message)).channelNumber;
}

std::uint64_t request(Ampe& ampe, ChannelGroup& group, std::uint16_t channel, std::string_view kind) {
  return test::post(group, telemetryRequest(ampe, channel, kind)).messageId;
}

bool tryRequest(Ampe& ampe, ChannelGroup& group, std::uint16_t channel, std::string_view kind) {
  MessagePtr message = telemetryRequest(ampe, channel, kind);
  if (group.enqueueToPeer(message).ok()) return true;
  ampe.put(message);
  return false;
}

std::uint16_t authorise(Ampe& ampe, ChannelGroup& group, const Address& address, std::string* error) {
  const std::uint16_t channel = hello(ampe, group, address, std::string(kToken));
  for (const Clock::time_point end = Clock::now() + 5s; Clock::now() < end;) {
    MessagePtr message = test::tryReceive(group, 100ms);
    if (!message) continue;
    const bool ours = message->channelNumber() == channel;
    const bool closed = ours && isClosedSignal(*message);
    const bool answer = ours && !message->isFromEngine() && message->opCode() == OpCode::HelloResponse;
    const std::optional<std::string_view> refusal = message->headers().find("telemetry-error");
    if (answer && refusal && error) *error = std::string(*refusal);
    ampe.put(message);
    if (closed) return 0;
    if (answer) return refusal ? 0 : channel;
  }
  return 0;
}

std::vector<std::uint16_t> authoriseMany(Ampe& ampe, ChannelGroup& group, const Address& address, std::size_t count,
                                         std::string* refusal) {
  constexpr std::size_t kBatch = 8;
  std::vector<std::uint16_t> monitors;
  for (const Clock::time_point end = Clock::now() + 40s;
       monitors.size() < count && refusal->empty() && Clock::now() < end;) {
    std::vector<std::uint16_t> waiting;
    for (std::size_t i = 0; i < std::min(kBatch, count - monitors.size()); ++i)
      waiting.push_back(hello(ampe, group, address, std::string(kToken)));
    for (const Clock::time_point batchEnd = Clock::now() + 5s; !waiting.empty() && Clock::now() < batchEnd;) {
      MessagePtr message = test::tryReceive(group, 100ms);
      if (!message) continue;
      const auto at = std::find(waiting.begin(), waiting.end(), message->channelNumber());
      if (at != waiting.end()) {
        if (isClosedSignal(*message)) {
          waiting.erase(at);  // reset at accept: retried
        } else if (!message->isFromEngine() && message->opCode() == OpCode::HelloResponse) {
          const std::optional<std::string_view> error = message->headers().find("telemetry-error");
          if (error) {
            *refusal = std::string(*error);
          } else {
            monitors.push_back(*at);
          }
          waiting.erase(at);
        }
      }
      ampe.put(message);
    }
    if (monitors.size() < count) std::this_thread::sleep_for(300ms);
  }
  return monitors;
}

bool awaitAnswer(Ampe& ampe, ChannelGroup& group, std::uint64_t id, std::chrono::milliseconds wait) {
  bool answered = false;
  for (const Clock::time_point end = Clock::now() + wait; !answered && Clock::now() < end;) {
    MessagePtr message = test::tryReceive(group, 100ms);
    if (!message) continue;
    answered = !message->isFromEngine() && message->messageId() == id && !hasHeader(*message, "telemetry-error");
    ampe.put(message);
  }
  return answered;
}

bool hasHeader(const Message& message, std::string_view name) { return message.headers().find(name).has_value(); }

bool isClosedSignal(const Message& message) {
  return message.isFromEngine() && message.opCode() == OpCode::Signal && message.status() == Status::channel_closed;
}

Served TelemetryAbuseTest::serve(const std::string& telemetry, const std::string& token, const std::string& listen) {
  Served served;
  std::vector<std::string> env;
  if (!token.empty()) env.push_back("TOFU_TELEMETRY_TOKEN=" + token);
  served.process = start({"listen", listen, "--echo", "--telemetry", telemetry}, env);
  if (!served.process) return served;
  const std::optional<std::string> first = served.process->readLine(kLineTimeout);
  const std::optional<std::string> second = served.process->readLine(kLineTimeout);
  if (!first || !first->starts_with("listening ") || !second || !second->starts_with("telemetry ")) {
    ADD_FAILURE() << "listen printed '" << first.value_or("<nothing>") << "', '" << second.value_or("<nothing>")
                  << "'; stderr: " << served.process->err();
    served.process.reset();
    return served;
  }
  served.bound = first->substr(std::string_view("listening ").size());
  served.telemetry = second->substr(std::string_view("telemetry ").size());
  return served;
}

std::optional<JsonValue> TelemetryAbuseTest::authorisedSnapshot(const std::string& address) {
  const RunResult top = run({"top", address, "--once", "--json"}, {"TOFU_TELEMETRY_TOKEN=" + std::string(kToken)});
  EXPECT_TRUE(top.exit.exited && top.exit.code == 0) << top.err;
  std::optional<JsonValue> snapshot = JsonValue::parse(top.out);
  return snapshot && snapshot->isObject() ? snapshot : std::nullopt;
}

void TelemetryAbuseTest::stop(Process& process) {
  process.sendSignal(SIGTERM);
  const Process::Exit exit = process.wait(kProcessTimeout);
  EXPECT_TRUE(exit.exited && exit.code == 0) << process.err();
}

bool becomeUid(uid_t uid) noexcept {
  return ::setgroups(0, nullptr) == 0 && ::setgid(uid) == 0 && ::setuid(uid) == 0;
}

bool connectLoopback(int fd, std::uint16_t port) noexcept {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0;
}

}  // namespace tofu::cli::testing
