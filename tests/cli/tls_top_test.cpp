// Telemetry over TLS (issue 23): `listen --telemetry 'tls|...'` serves it with the listener's
// certificate; `top` reads it with --ca [--cert --key] [--insecure]. The token rule: TLS
// without client certificates needs the token as TCP does; with them the certificate suffices.
#include <csignal>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli_fixture.h"
#include "tls_certificates.h"

namespace tofu::cli::testing {
namespace {

using tofu::test::TlsCertificates;

const TlsCertificates& certificates() { return TlsCertificates::get(); }

const std::vector<std::string> kTokenEnvironment{"TOFU_TELEMETRY_TOKEN=tls-secret"};

class TlsTopTest : public CliTest {
 protected:
  // `listen 'tcp|127.0.0.1|0' --cert --key [extra] --telemetry 'tls|127.0.0.1|0'`; stores the
  // telemetry address it printed. Null (test failed) when it did not print both lines.
  std::unique_ptr<Process> startServed(const std::vector<std::string>& extra, const std::vector<std::string>& env,
                                       std::string& telemetry) {
    std::vector<std::string> args{"listen", "tcp|127.0.0.1|0", "--cert", certificates().server.certificate,
                                  "--key", certificates().server.key, "--telemetry", "tls|127.0.0.1|0"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::unique_ptr<Process> listener = start(args, env);
    if (!listener) return nullptr;
    const std::optional<std::string> first = listener->readLine(kLineTimeout);
    const std::optional<std::string> second = listener->readLine(kLineTimeout);
    if (!first || !second || !second->starts_with("telemetry tls|127.0.0.1|")) {
      ADD_FAILURE() << "listen printed '" << first.value_or("<nothing>") << "', '" << second.value_or("<nothing>")
                    << "'; stderr: " << listener->err();
      return nullptr;
    }
    telemetry = second->substr(std::string_view("telemetry ").size());
    return listener;
  }
  static void stop(Process& process) {
    process.sendSignal(SIGTERM);
    const Process::Exit exit = process.wait(kProcessTimeout);
    EXPECT_TRUE(exit.exited && exit.code == 0) << process.err();
  }
};

TEST_F(TlsTopTest, TopReadsTelemetryServedOverTls) {
  std::string telemetry;
  const auto listener = startServed({}, kTokenEnvironment, telemetry);
  ASSERT_NE(listener, nullptr);
  const RunResult top = run({"top", telemetry, "--once", "--json", "--ca", certificates().caFile}, kTokenEnvironment);
  EXPECT_EQ(top.exit.code, 0) << top.err;
  EXPECT_EQ(top.err, "");
  EXPECT_NE(top.out.find("\"telemetryAddress\":\"" + telemetry + "\""), std::string::npos) << top.out;

  const RunResult untrusted = run({"top", telemetry, "--once", "--timeout", "5"}, kTokenEnvironment);
  EXPECT_EQ(untrusted.exit.code, 1) << untrusted.out;
  EXPECT_NE(untrusted.err.find("cannot connect to " + telemetry + ": connect_failed"), std::string::npos)
      << untrusted.err;
  EXPECT_NE(untrusted.err.find("unable to get local issuer certificate"), std::string::npos) << untrusted.err;

  const RunResult noToken = run({"top", telemetry, "--once", "--ca", certificates().caFile});
  EXPECT_EQ(noToken.exit.code, 1) << noToken.out;
  EXPECT_NE(noToken.err.find("unauthorised"), std::string::npos) << noToken.err;

  const RunResult insecure = run({"top", telemetry, "--once", "--insecure"}, kTokenEnvironment);
  EXPECT_EQ(insecure.exit.code, 0) << insecure.err;
  EXPECT_NE(insecure.err.find("WARNING: --insecure"), std::string::npos) << insecure.err;
  stop(*listener);
}

TEST_F(TlsTopTest, TlsTelemetryWithoutClientCertificatesNeedsAToken) {
  const RunResult listen = run({"listen", "tcp|127.0.0.1|0", "--cert", certificates().server.certificate, "--key",
                                certificates().server.key, "--telemetry", "tls|127.0.0.1|0"});
  EXPECT_EQ(listen.exit.code, 1) << listen.out;
  EXPECT_NE(listen.err.find("a TCP or TLS endpoint needs a token"), std::string::npos) << listen.err;
}

TEST_F(TlsTopTest, ClientCertificatesStandInForTheToken) {
  std::string telemetry;
  const auto listener = startServed({"--ca", certificates().caFile}, {}, telemetry);
  ASSERT_NE(listener, nullptr);
  const RunResult top = run({"top", telemetry, "--once", "--json", "--ca", certificates().caFile, "--cert",
                             certificates().client.certificate, "--key", certificates().client.key});
  EXPECT_EQ(top.exit.code, 0) << top.err;
  EXPECT_TRUE(top.out.ends_with("}\n")) << top.out;

  const RunResult anonymous = run({"top", telemetry, "--once", "--ca", certificates().caFile, "--timeout", "5"});
  EXPECT_EQ(anonymous.exit.code, 1) << anonymous.out;
  EXPECT_NE(anonymous.err.find("cannot connect to " + telemetry), std::string::npos) << anonymous.err;
  stop(*listener);
}

}  // namespace
}  // namespace tofu::cli::testing
