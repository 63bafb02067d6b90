// tofu-cli argument handling: help on stdout with exit 0; every bad command line gets a
// reason and the usage on stderr with exit 2, and never crashes.
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli_fixture.h"

namespace tofu::cli::testing {
namespace {

struct BadArguments {
  std::string name;  // the test name suffix
  std::vector<std::string> args;
  std::string reason;  // expected on the first stderr line
};

void PrintTo(const BadArguments& bad, std::ostream* out) {
  *out << "tofu-cli";
  for (const std::string& arg : bad.args) {
    *out << " '" << arg << "'";
  }
}

class BadArgumentsTest : public CliTest, public ::testing::WithParamInterface<BadArguments> {};

TEST_P(BadArgumentsTest, ExitsWithUsage) {
  const RunResult result = run(GetParam().args);
  ASSERT_TRUE(result.exit.exited) << "killed by signal " << result.exit.signal;
  EXPECT_EQ(result.exit.code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_TRUE(result.err.starts_with("tofu-cli: " + GetParam().reason + "\nusage: tofu-cli ")) << result.err;
}

const std::string kTcp = "tcp|127.0.0.1|7099";

const std::string kBadAddress = "invalid_address (expected 'tcp|HOST|PORT' or 'uds|PATH')";

// clang-format off
INSTANTIATE_TEST_SUITE_P(CommandLines, BadArgumentsTest, ::testing::Values(
    BadArguments{"NoCommand", {}, "no command given"},
    BadArguments{"UnknownCommand", {"bogus"}, "unknown command 'bogus'"},
    BadArguments{"OptionInsteadOfCommand", {"--bogus"}, "unknown command '--bogus'"},
    BadArguments{"ListenWithoutAddress", {"listen"}, "listen needs an ADDRESS"},
    BadArguments{"SendWithoutAddress", {"send", "--count", "2"}, "send needs an ADDRESS"},
    BadArguments{"AddressWithoutPort", {"listen", "tcp|127.0.0.1"}, "bad ADDRESS 'tcp|127.0.0.1': " + kBadAddress},
    BadArguments{"UnknownProtocol", {"send", "udp|127.0.0.1|1"}, "bad ADDRESS 'udp|127.0.0.1|1': " + kBadAddress},
    BadArguments{"PortTooBig", {"send", "tcp|127.0.0.1|65536"}, "bad ADDRESS 'tcp|127.0.0.1|65536': " + kBadAddress},
    BadArguments{"TwoAddresses", {"listen", kTcp, kTcp}, "unexpected argument '" + kTcp + "'"},
    BadArguments{"UnknownListenOption", {"listen", kTcp, "--bogus"}, "unknown option '--bogus' for listen"},
    BadArguments{"EchoIsNotASendOption", {"send", kTcp, "--echo"}, "unknown option '--echo' for send"},
    BadArguments{"CountZero", {"send", kTcp, "--count", "0"}, "--count needs a positive integer, not '0'"},
    BadArguments{"CountNegative", {"send", kTcp, "--count", "-3"}, "--count needs a positive integer, not '-3'"},
    BadArguments{"CountTrailingGarbage", {"send", kTcp, "--count=3x"}, "--count needs a positive integer, not '3x'"},
    BadArguments{"CountTooBig", {"send", kTcp, "--count", "99999999999"},
                 "--count needs a positive integer, not '99999999999'"},
    BadArguments{"CountWithoutValue", {"send", kTcp, "--count"}, "option --count needs a value"},
    BadArguments{"HeaderWithoutColon", {"send", kTcp, "--header", "nocolon"},
                 "bad --header 'nocolon': expected NAME:VALUE"},
    BadArguments{"TimeoutZero", {"send", kTcp, "--timeout", "0"},
                 "--timeout needs a positive number of seconds, not '0'"},
    BadArguments{"TimeoutNotANumber", {"send", kTcp, "--timeout", "soon"},
                 "--timeout needs a positive number of seconds, not 'soon'"}),
    [](const ::testing::TestParamInfo<BadArguments>& param) { return param.param.name; });
// clang-format on

// The header check reasons come from the engine's HeaderCheck names. Error lines are
// terminal-safe, so the CR shows as \r.
TEST_F(CliTest, BadHeaderNamesTheHeaderCheck) {
  for (const auto& [header, shown] : std::vector<std::pair<std::string, std::string>>{
           {":value", ":value"}, {"name:", "name:"}, {"a:b:c\r", "a:b:c\\r"}}) {
    const RunResult result = run({"send", kTcp, "--header", header});
    ASSERT_TRUE(result.exit.exited) << header;
    EXPECT_EQ(result.exit.code, 2) << header;
    EXPECT_TRUE(result.err.starts_with("tofu-cli: bad --header '" + shown + "': ")) << result.err;
    EXPECT_NE(result.err.find("\nusage: tofu-cli "), std::string::npos) << result.err;
  }
}

TEST_F(CliTest, HelpPrintsUsageOnStdout) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"help"}, {"--help"}, {"send", "--help"}}) {
    const RunResult result = run(args);
    ASSERT_TRUE(result.exit.exited);
    EXPECT_EQ(result.exit.code, 0);
    EXPECT_TRUE(result.out.starts_with("usage: tofu-cli listen ADDRESS [--echo] [--quiet]\n")) << result.out;
    EXPECT_EQ(result.err, "");
  }
}

}  // namespace
}  // namespace tofu::cli::testing
