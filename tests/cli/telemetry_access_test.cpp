// Telemetry under attack (issue 18), who may read it: a TCP endpoint needs the token, none
// is served without one, and peers cannot put escape bytes on the terminal of an operator
// running `top`. A real `tofu-cli listen --echo --telemetry ...`; loopback, port 0, temp dirs.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "telemetry_abuse_fixture.h"

namespace tofu::cli::testing {
namespace {

using namespace std::chrono_literals;

// What one raw monitor got back within a bounded wait: a snapshot, a refusal, a close.
struct Outcome {
  bool snapshot = false;  // a Response with telemetry:snapshot and no telemetry-error
  bool refused = false;   // a frame with telemetry-error
  bool closed = false;    // Signal(channel_closed) from the engine
};

Outcome attempt(const Address& address, const std::optional<std::string>& token) {
  test::Engine engine(clientOptions());
  ChannelGroup& group = engine.group();
  const std::uint16_t channel = hello(engine.ampe(), group, address, token);
  // Pipelined behind the Hello, as a client that does not wait for the answer would.
  (void)request(engine.ampe(), group, channel, "snapshot");
  Outcome outcome;
  const Clock::time_point deadline = Clock::now() + 5s;
  while (!outcome.closed && Clock::now() < deadline) {
    MessagePtr message = test::tryReceive(group, 100ms);
    if (!message) {
      if (outcome.snapshot) break;  // served: no need to wait for a close that will not come
      continue;
    }
    if (message->isFromEngine() && message->opCode() == OpCode::Signal &&
        message->status() == Status::channel_closed) {
      outcome.closed = true;
    } else if (!message->isFromEngine() && hasHeader(*message, "telemetry-error")) {
      outcome.refused = true;
    } else if (!message->isFromEngine() && message->opCode() == OpCode::Response &&
               message->headers().find("telemetry") == "snapshot") {
      outcome.snapshot = true;
    }
    engine.ampe().put(message);
  }
  return outcome;
}

// A TCP endpoint answers only a HelloRequest with the right token; without it, or with a
// wrong one, every request is refused and the connection closed.
TEST_F(TelemetryAbuseTest, TcpTelemetryNeedsTheToken) {
  const Served served = serve("tcp|127.0.0.1|0");
  ASSERT_NE(served.process, nullptr);
  const Address address = Address::parse(served.telemetry).value();

  const Outcome missing = attempt(address, std::nullopt);
  EXPECT_FALSE(missing.snapshot) << "no token, yet a snapshot";
  EXPECT_TRUE(missing.refused);
  EXPECT_TRUE(missing.closed) << "no token, yet the connection stays open";

  const Outcome wrong = attempt(address, std::string(kToken) + "x");
  EXPECT_FALSE(wrong.snapshot) << "wrong token, yet a snapshot";
  EXPECT_TRUE(wrong.refused);
  EXPECT_TRUE(wrong.closed) << "wrong token, yet the connection stays open";

  const Outcome right = attempt(address, std::string(kToken));
  EXPECT_TRUE(right.snapshot);
  EXPECT_FALSE(right.refused);

  // The same through tofu-cli top: --token, the environment, and nothing.
  RunResult top = run({"top", served.telemetry, "--once", "--json", "--token", kToken});
  EXPECT_EQ(top.exit.code, 0) << top.err;
  EXPECT_TRUE(top.out.starts_with("{\"telemetryVersion\":1,")) << top.out;
  top = run({"top", served.telemetry, "--once", "--json"}, {"TOFU_TELEMETRY_TOKEN=" + std::string(kToken)});
  EXPECT_EQ(top.exit.code, 0) << top.err;
  top = run({"top", served.telemetry, "--once", "--json"});
  EXPECT_EQ(top.exit.code, 1);
  EXPECT_EQ(top.out, "");
  EXPECT_NE(top.err.find("token"), std::string::npos) << top.err;
  stop(*served.process);
}

// A TCP telemetry endpoint without a token is not served: the listener says why and exits 1
// (the address came from the command line, so it is a failure, not a warning).
TEST_F(TelemetryAbuseTest, TcpTelemetryWithoutATokenIsNotServed) {
  const auto listen = start({"listen", "tcp|127.0.0.1|0", "--telemetry", "tcp|127.0.0.1|0"});
  ASSERT_NE(listen, nullptr);
  const Process::Exit exit = listen->wait(5s);
  EXPECT_FALSE(exit.timedOut) << "served TCP telemetry without a token";
  EXPECT_EQ(exit.code, 1);
  EXPECT_EQ(listen->out(), "");
  EXPECT_NE(listen->err().find("TOFU_TELEMETRY_TOKEN"), std::string::npos) << listen->err();
}

// A peer whose UDS path holds control characters cannot write them to the terminal of an
// operator running `top`: the table shows them escaped.
TEST_F(TelemetryAbuseTest, TopEscapesControlCharactersFromPeers) {
  const TempDir dir;
  const std::string listenPath = dir.path() + "/app.sock";
  const Served served = serve("uds|" + dir.path() + "/telemetry.sock", "", "uds|" + listenPath);
  ASSERT_NE(served.process, nullptr);

  const std::string evil = dir.path() + "/\x1b[2J\x1b]0;owned\x07\x9b" "31m\x7f" "evil.sock";
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un local{};
  local.sun_family = AF_UNIX;
  ASSERT_LT(evil.size(), sizeof local.sun_path);
  std::copy(evil.begin(), evil.end(), local.sun_path);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local), 0);
  sockaddr_un remote{};
  remote.sun_family = AF_UNIX;
  std::copy(listenPath.begin(), listenPath.end(), remote.sun_path);
  ASSERT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&remote), sizeof remote), 0);

  // Wait until the snapshot shows the peer.
  bool seen = false;
  for (const Clock::time_point end = Clock::now() + 5s; !seen && Clock::now() < end;) {
    const RunResult json = run({"top", served.telemetry, "--once", "--json"});
    EXPECT_EQ(json.out.find('\x1b'), std::string::npos);
    seen = json.out.find("evil.sock") != std::string::npos;
    if (!seen) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(seen) << "the peer's path never showed up";
  const RunResult table = run({"top", served.telemetry, "--once"});
  EXPECT_EQ(table.exit.code, 0) << table.err;
  EXPECT_NE(table.out.find("evil.sock"), std::string::npos) << table.out;
  for (const char raw : {'\x1b', '\x07', '\x7f', '\x9b'}) {
    EXPECT_EQ(table.out.find(raw), std::string::npos) << "raw byte " << static_cast<int>(static_cast<unsigned char>(raw));
  }
  EXPECT_NE(table.out.find("\\x1b[2J"), std::string::npos) << table.out;
  ::close(fd);
  stop(*served.process);
}

}  // namespace
}  // namespace tofu::cli::testing
