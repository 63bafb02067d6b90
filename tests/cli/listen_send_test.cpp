// tofu-cli listen/send end to end: echo over TCP, UDS and IPv6, and a send that times out.
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "cli_fixture.h"

namespace tofu::cli::testing {
namespace {

using ListenSendTest = CliTest;

TEST_F(ListenSendTest, EchoOverTcp) {
  std::string bound;
  const auto listener = startListener("tcp|127.0.0.1|0", true, bound);
  ASSERT_NE(listener, nullptr);
  std::smatch match;
  ASSERT_TRUE(std::regex_match(bound, match, std::regex(R"(tcp\|127\.0\.0\.1\|(\d+))"))) << bound;
  EXPECT_NE(std::stoi(match[1]), 0);

  expectEchoExchange(*listener, bound);
  stopListener(*listener);
}

TEST_F(ListenSendTest, EchoOverUds) {
  const TempDir dir;
  const std::string address = "uds|" + dir.path() + "/echo.sock";
  std::string bound;
  const auto listener = startListener(address, true, bound);
  ASSERT_NE(listener, nullptr);
  EXPECT_EQ(bound, address);

  expectEchoExchange(*listener, bound);
  stopListener(*listener);
}

TEST_F(ListenSendTest, EchoOverIpv6Loopback) {
  // CI has IPv6 on loopback, so a missing ::1 fails rather than skips.
  ASSERT_TRUE(ipv6LoopbackAvailable()) << "::1 cannot be bound here";
  std::string bound;
  const auto listener = startListener("tcp|::1|0", true, bound);
  ASSERT_NE(listener, nullptr);
  std::smatch match;
  ASSERT_TRUE(std::regex_match(bound, match, std::regex(R"(tcp\|::1\|(\d+))"))) << bound;
  EXPECT_NE(std::stoi(match[1]), 0);

  expectEchoExchange(*listener, bound);
  stopListener(*listener);
}

// --quiet: the listener still answers every Request, and prints nothing but its first line.
TEST_F(ListenSendTest, QuietEchoesWithoutALinePerMessage) {
  std::string bound;
  const auto listener = startListener("tcp|127.0.0.1|0", {"--echo", "--quiet"}, bound);
  ASSERT_NE(listener, nullptr);
  const RunResult send = run({"send", bound, "--count", "3", "--body", "X"});
  EXPECT_TRUE(send.exit.exited);
  EXPECT_EQ(send.exit.code, 0) << send.err;
  EXPECT_EQ(splitLines(send.out).size(), 3u) << send.out;
  // Notifications still go to stderr: the sender's channel closed when it left.
  const std::optional<std::string> closed = listener->readErrorLine(kLineTimeout);
  ASSERT_TRUE(closed);
  EXPECT_NE(closed->find(": Signal channel_closed"), std::string::npos) << *closed;
  stopListener(*listener);  // and nothing was printed after "listening ..."
}

// Without --echo the listener accepts and prints, but a Request gets no Response.
TEST_F(ListenSendTest, SendTimesOutWithoutEcho) {
  std::string bound;
  const auto listener = startListener("tcp|127.0.0.1|0", false, bound);
  ASSERT_NE(listener, nullptr);

  const RunResult send = run({"send", bound, "--body", "ping", "--timeout", "0.5"});
  EXPECT_TRUE(send.exit.exited);
  EXPECT_EQ(send.exit.code, 1);
  EXPECT_EQ(send.out, "");
  EXPECT_EQ(send.err, "tofu-cli: no Response from " + bound + " within 0.5 s\n");

  const std::optional<std::string> hello = listener->readLine(kLineTimeout);
  ASSERT_TRUE(hello);
  std::smatch match;
  ASSERT_TRUE(std::regex_match(*hello, match,
                               std::regex(R"(hello_request ch=(\d+) id=\d+ more=0 headers=\[.*\] body=)")))
      << *hello;
  const std::string channel = match[1];
  const std::optional<std::string> request = listener->readLine(kLineTimeout);
  ASSERT_TRUE(request);
  EXPECT_TRUE(std::regex_match(
      *request, std::regex("request ch=" + channel + R"( id=\d+ more=0 headers=\[\] body=ping)")))
      << *request;
  // The sender vanished without a Bye: the listener's channel closes (B12).
  const std::optional<std::string> closed = listener->readErrorLine(kLineTimeout);
  ASSERT_TRUE(closed);
  EXPECT_TRUE(std::regex_match(
      *closed, std::regex("tofu-cli: channel " + channel + R"(: Signal channel_closed \(.+\))")))
      << *closed;
  stopListener(*listener);
}

}  // namespace
}  // namespace tofu::cli::testing
