// Out-of-process telemetry end to end (docs/telemetry.md): `listen --telemetry` (or
// TOFU_TELEMETRY) serves the engine, `top` reads it. Real binaries, loopback and temp dirs.
#include <algorithm>
#include <chrono>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/telemetry/json_value.h"

#include "cli_fixture.h"
#include <signal.h>

namespace tofu::cli::testing {
namespace {

using telemetry::JsonValue;

using Clock = std::chrono::steady_clock;

// A `tofu-cli listen` that also serves telemetry, with both addresses it printed.
struct ObservedListener {
  std::unique_ptr<Process> process;
  std::string bound;      // from "listening ..."
  std::string telemetry;  // from "telemetry ..."
};

// (messagesReceived, messagesSent) of one channel.
using Counters = std::pair<std::uint64_t, std::uint64_t>;

class TelemetryTest : public CliTest {
 protected:
  ObservedListener startObserved(const std::vector<std::string>& args,
                                 const std::vector<std::string>& env = {}) {
    ObservedListener listener;
    std::vector<std::string> all{"listen"};
    all.insert(all.end(), args.begin(), args.end());
    listener.process = start(all, env);
    if (!listener.process) return listener;
    const std::optional<std::string> first = listener.process->readLine(kLineTimeout);
    const std::optional<std::string> second = listener.process->readLine(kLineTimeout);
    if (!first || !first->starts_with("listening ") || !second || !second->starts_with("telemetry ")) {
      ADD_FAILURE() << "listen printed '" << first.value_or("<nothing>") << "', '"
                    << second.value_or("<nothing>") << "'; stderr: " << listener.process->err();
      listener.process.reset();
      return listener;
    }
    listener.bound = first->substr(std::string_view("listening ").size());
    listener.telemetry = second->substr(std::string_view("telemetry ").size());
    return listener;
  }

  // `top ADDRESS --once --json`, parsed; fails the test on anything but exit 0 and one object.
  std::optional<JsonValue> topJson(const std::string& address, const std::vector<std::string>& env = {}) {
    const RunResult top = run({"top", address, "--once", "--json"}, env);
    EXPECT_TRUE(top.exit.exited && top.exit.code == 0) << top.err;
    EXPECT_EQ(top.err, "");
    EXPECT_TRUE(top.out.ends_with("}\n")) << top.out;
    EXPECT_EQ(std::count(top.out.begin(), top.out.end(), '\n'), 1) << "one snapshot, one line";
    std::string error;
    std::optional<JsonValue> snapshot = JsonValue::parse(top.out, &error);
    EXPECT_TRUE(snapshot && snapshot->isObject()) << error << "\n" << top.out;
    return snapshot && snapshot->isObject() ? snapshot : std::nullopt;
  }

  static void stop(Process& process) {
    process.sendSignal(SIGTERM);
    const Process::Exit exit = process.wait(kProcessTimeout);
    EXPECT_TRUE(exit.exited) << "killed by signal " << exit.signal;
    EXPECT_EQ(exit.code, 0) << process.err();
  }
};

std::vector<const JsonValue*> channelsOfKind(const JsonValue& snapshot, const std::string& kind) {
  std::vector<const JsonValue*> found;
  for (const JsonValue& channel : snapshot.find("channels")->items()) {
    if (channel.stringAt("kind") == kind) found.push_back(&channel);
  }
  return found;
}

// Acceptance 3: one listener plus three server IO channels with correct counters, and nothing
// of the telemetry connection itself.
TEST_F(TelemetryTest, TopReportsListenerAndThreeConnectedPeers) {
  const TempDir dir;
  const std::string telemetry = "uds|" + dir.path() + "/telemetry.sock";
  const ObservedListener listener = startObserved({"tcp|127.0.0.1|0", "--echo", "--telemetry", telemetry});
  ASSERT_NE(listener.process, nullptr);
  EXPECT_EQ(listener.telemetry, telemetry);

  // Peer i sends i Requests, then holds its channel open.
  std::vector<std::unique_ptr<Process>> peers;
  for (int count = 1; count <= 3; ++count) {
    peers.push_back(start({"send", listener.bound, "--count", std::to_string(count), "--hold", "60"}));
    ASSERT_NE(peers.back(), nullptr);
    for (int i = 0; i < count; ++i) {
      const std::optional<std::string> line = peers.back()->readLine(kLineTimeout);
      ASSERT_TRUE(line && line->starts_with("response id=")) << line.value_or(peers.back()->err());
    }
  }
  // Each server channel received Hello + i Requests and sent HelloResponse + i Responses; the
  // last write is counted a moment after the peer has read it, so allow a few looks.
  const std::vector<Counters> expected{{2, 2}, {3, 3}, {4, 4}};
  std::optional<JsonValue> snapshot;
  std::vector<Counters> counters;
  for (const Clock::time_point deadline = Clock::now() + kLineTimeout; Clock::now() < deadline;) {
    snapshot = topJson(telemetry);
    ASSERT_TRUE(snapshot);
    counters.clear();
    for (const JsonValue* channel : channelsOfKind(*snapshot, "server")) {
      counters.emplace_back(channel->uintAt("messagesReceived"), channel->uintAt("messagesSent"));
    }
    std::sort(counters.begin(), counters.end());
    if (counters == expected) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(counters, expected);

  EXPECT_EQ(snapshot->uintAt("telemetryVersion"), 1u);
  EXPECT_EQ(snapshot->stringAt("telemetryAddress"), telemetry);
  const std::uint64_t engineId = snapshot->uintAt("engineId");
  const std::vector<JsonValue>& channels = snapshot->find("channels")->items();
  EXPECT_EQ(channels.size(), 4u) << "one listener + three server channels, no telemetry channel";
  const std::vector<const JsonValue*> listeners = channelsOfKind(*snapshot, "listener");
  ASSERT_EQ(listeners.size(), 1u);
  EXPECT_EQ(listeners[0]->stringAt("state"), "ready");
  EXPECT_EQ(listeners[0]->stringAt("localAddress"), listener.bound);
  std::uint64_t frames = 0;
  for (const JsonValue* server : channelsOfKind(*snapshot, "server")) {
    EXPECT_EQ(server->stringAt("state"), "ready");
    EXPECT_EQ(server->stringAt("localAddress"), listener.bound);
    EXPECT_TRUE(server->stringAt("peerAddress").starts_with("tcp|127.0.0.1|"));
    // Echo: every frame went back unchanged, so the byte counts match too.
    EXPECT_EQ(server->uintAt("bytesReceived"), server->uintAt("bytesSent"));
    EXPECT_GT(server->uintAt("bytesReceived"), 0u);
    EXPECT_EQ(server->uintAt("sendQueueMessages"), 0u);
    EXPECT_EQ(server->stringAt("closeReason"), "success");
    frames += server->uintAt("messagesReceived");
  }
  for (const JsonValue& channel : channels) {
    EXPECT_EQ(channel.uintAt("engineId"), engineId);
    EXPECT_EQ(channel.stringAt("localAddress").find("telemetry.sock"), std::string::npos);
    EXPECT_EQ(channel.stringAt("peerAddress").find("telemetry.sock"), std::string::npos);
  }
  // The engine's totals count application traffic only: 9 frames each way.
  EXPECT_EQ(snapshot->find("totals")->uintAt("framesRead"), frames);
  EXPECT_EQ(snapshot->find("totals")->uintAt("framesWritten"), frames);
  EXPECT_EQ(snapshot->find("totals")->uintAt("channelsOpened"), 4u);

  // A signal ends a hold early; the peers then close gracefully.
  for (const auto& peer : peers) stop(*peer);
  stop(*listener.process);
}

// The table form: a summary line, column titles, one row per channel.
TEST_F(TelemetryTest, TopOncePrintsTheChannelTable) {
  const TempDir dir;
  const std::string telemetry = "uds|" + dir.path() + "/t.sock";
  const ObservedListener listener =
      startObserved({"uds|" + dir.path() + "/app.sock", "--telemetry", telemetry});
  ASSERT_NE(listener.process, nullptr);

  const RunResult top = run({"top", telemetry, "--once"});
  EXPECT_EQ(top.exit.code, 0) << top.err;
  EXPECT_EQ(top.err, "");
  const std::vector<std::string> lines = splitLines(top.out);
  ASSERT_EQ(lines.size(), 3u) << top.out;
  EXPECT_TRUE(lines[0].starts_with("tofu-cli top  " + telemetry + "  pid ")) << lines[0];
  EXPECT_TRUE(
      std::regex_match(lines[1], std::regex(R"(ENGINE +CH +INC +KIND +STATE +PEER +MSGS-IN +MSGS-OUT +)"
                                            R"(BYTES-IN +BYTES-OUT +IN/S +OUT/S +SENDQ +CLOSE)")))
      << lines[1];
  EXPECT_TRUE(
      std::regex_match(lines[2], std::regex(R"( *\d+ +\d+ +1 +listener +ready +)" +
                                            regexEscape(listener.bound) + R"( +0 +0 +0 +0 +- +- +0 +-)")))
      << lines[2];
  stop(*listener.process);
}

// TOFU_TELEMETRY turns telemetry on without a command line option; top, started with the
// same variable, does not try to serve telemetry itself (no loop, no clash on the path).
TEST_F(TelemetryTest, EnvironmentVariableServesTelemetry) {
  const TempDir dir;
  const std::string telemetry = "uds|" + dir.path() + "/env.sock";
  const std::vector<std::string> env{"TOFU_TELEMETRY=" + telemetry};
  const ObservedListener listener = startObserved({"tcp|127.0.0.1|0"}, env);
  ASSERT_NE(listener.process, nullptr);
  EXPECT_EQ(listener.telemetry, telemetry);

  const std::optional<JsonValue> snapshot = topJson(telemetry, env);
  ASSERT_TRUE(snapshot);
  ASSERT_EQ(snapshot->find("channels")->items().size(), 1u);
  EXPECT_EQ(snapshot->find("channels")->items()[0].stringAt("kind"), "listener");
  stop(*listener.process);
  EXPECT_EQ(listener.process->err(), "");
}

// A variable the engine cannot honour is reported once and otherwise ignored.
TEST_F(TelemetryTest, BadEnvironmentVariableOnlyWarns) {
  std::string bound;
  const auto listener = start({"listen", "tcp|127.0.0.1|0"}, {"TOFU_TELEMETRY=bogus"});
  ASSERT_NE(listener, nullptr);
  EXPECT_EQ(listener->readErrorLine(kLineTimeout),
            "tofu: telemetry disabled: cannot listen on bogus: invalid_address");
  const std::optional<std::string> first = listener->readLine(kLineTimeout);
  ASSERT_TRUE(first && first->starts_with("listening tcp|127.0.0.1|")) << first.value_or("<nothing>");
  stop(*listener);
  EXPECT_EQ(listener->out(), "") << "no 'telemetry' line";
}

TEST_F(TelemetryTest, TopFailuresAreOneLine) {
  const TempDir dir;
  const std::string missing = "uds|" + dir.path() + "/nobody.sock";
  RunResult top = run({"top", missing, "--once"});
  EXPECT_EQ(top.exit.code, 1);
  EXPECT_EQ(top.out, "");
  EXPECT_TRUE(std::regex_match(top.err, std::regex("tofu-cli: cannot connect to " + regexEscape(missing) +
                                                   R"(: uds_path_not_found \(.+\)\n)")))
      << top.err;

  // A plain tofu peer answers the Hello, but is no telemetry endpoint.
  std::string bound;
  const auto plain = startListener("tcp|127.0.0.1|0", true, bound);
  ASSERT_NE(plain, nullptr);
  top = run({"top", bound, "--once", "--json"});
  EXPECT_EQ(top.exit.code, 1);
  EXPECT_EQ(top.out, "");
  EXPECT_EQ(top.err, "tofu-cli: " + bound +
                         " is not a telemetry endpoint: its HelloResponse has no telemetry-version header\n");
  plain->sendSignal(SIGTERM);
  EXPECT_EQ(plain->wait(kProcessTimeout).code, 0);
}

TEST_F(TelemetryTest, ListenFailsWhenTelemetryAddressCannotBeServed) {
  const TempDir dir;
  const std::string busy = "uds|" + dir.path() + "/busy.sock";
  const ObservedListener first = startObserved({"tcp|127.0.0.1|0", "--telemetry", busy});
  ASSERT_NE(first.process, nullptr);

  const RunResult second = run({"listen", "tcp|127.0.0.1|0", "--telemetry", busy});
  EXPECT_EQ(second.exit.code, 1);
  EXPECT_EQ(second.out, "");
  EXPECT_TRUE(std::regex_match(second.err, std::regex("tofu-cli: cannot serve telemetry on " +
                                                      regexEscape(busy) + R"(: listen_failed \(.+\)\n)")))
      << second.err;
  stop(*first.process);
}

TEST_F(TelemetryTest, BadTelemetryArgumentsAreUsageErrors) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"top"}, "top needs an ADDRESS"},
      {{"top", "uds|/x", "--interval", "0"}, "--interval needs a positive number of seconds, not '0'"},
      {{"top", "uds|/x", "--bogus"}, "unknown option '--bogus' for top"},
      {{"send", "uds|/x", "--hold", "-1"}, "--hold needs a non-negative number of seconds, not '-1'"},
      {{"listen", "uds|/x", "--telemetry"}, "option --telemetry needs a value"},
      {{"listen", "uds|/x", "--telemetry", "udp|x"},
       "--telemetry: bad ADDRESS 'udp|x': invalid_address (expected 'tcp|HOST|PORT' or 'uds|PATH')"},
  };
  for (const auto& [args, reason] : cases) {
    const RunResult result = run(args);
    EXPECT_EQ(result.exit.code, 2) << reason;
    EXPECT_TRUE(result.err.starts_with("tofu-cli: " + reason + "\nusage: tofu-cli ")) << result.err;
  }
}

}  // namespace
}  // namespace tofu::cli::testing
