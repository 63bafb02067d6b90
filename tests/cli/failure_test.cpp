// tofu-cli failures that are not the user's typing: busy ports, nobody listening, bad paths.
// Each must end with a one-line reason naming the engine status and a non-zero exit.
#include <fstream>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "cli_fixture.h"

namespace tofu::cli::testing {
namespace {

using FailureTest = CliTest;

void expectOneLineFailure(const RunResult& result, const std::string& pattern) {
  EXPECT_TRUE(result.exit.exited) << "killed by signal " << result.exit.signal;
  EXPECT_EQ(result.exit.code, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_TRUE(std::regex_match(result.err, std::regex(pattern + R"( \(.+\)\n)"))) << result.err;
}

TEST_F(FailureTest, SecondListenerOnBusyTcpPortFails) {
  std::string bound;
  const auto first = startListener("tcp|127.0.0.1|0", false, bound);
  ASSERT_NE(first, nullptr);

  const RunResult second = run({"listen", bound});
  expectOneLineFailure(second, "tofu-cli: cannot listen on " + regexEscape(bound) + ": listen_failed");
  stopListener(*first);
}

TEST_F(FailureTest, ListenOnUdsPathThatIsNotASocketFails) {
  const TempDir dir;
  const std::string path = dir.path() + "/plain-file";
  std::ofstream(path) << "not a socket\n";

  const RunResult result = run({"listen", "uds|" + path});
  expectOneLineFailure(result,
                       "tofu-cli: cannot listen on " + regexEscape("uds|" + path) + ": listen_failed");
}

TEST_F(FailureTest, SendToTcpPortNobodyListensOnFails) {
  const ClosedTcpPort closed;
  ASSERT_NE(closed.port(), 0);
  const std::string address = "tcp|127.0.0.1|" + std::to_string(closed.port());

  const RunResult result = run({"send", address, "--timeout", "5"});
  // Refused at once or a moment later: behaviour.md allows either status.
  expectOneLineFailure(result, "tofu-cli: cannot connect to " + regexEscape(address) +
                                   ": (connect_failed|communication_failed)");
}

TEST_F(FailureTest, SendToMissingUdsPathFails) {
  const TempDir dir;
  const std::string address = "uds|" + dir.path() + "/nobody.sock";

  const RunResult result = run({"send", address});
  expectOneLineFailure(result,
                       "tofu-cli: cannot connect to " + regexEscape(address) + ": uds_path_not_found");
}

}  // namespace
}  // namespace tofu::cli::testing
