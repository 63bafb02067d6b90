// tofu-cli over TLS (issue 23): listen --cert --key [--ca], send --ca [--cert --key] [--insecure],
// with the test certificates made by the `openssl` command (tests/support/tls_certificates.h).
#include <csignal>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "cli_fixture.h"
#include "tls_certificates.h"

namespace tofu::cli::testing {
namespace {

using TlsCliTest = CliTest;
using tofu::test::TlsCertificates;

const TlsCertificates& certificates() { return TlsCertificates::get(); }

class TlsCliListener : public CliTest {
 protected:
  // A TLS echo listener with the test server certificate; `bound` is its tls address.
  std::unique_ptr<Process> startTls(std::vector<std::string> extra, std::string& bound) {
    std::vector<std::string> options{"--echo", "--cert", certificates().server.certificate, "--key",
                                     certificates().server.key};
    options.insert(options.end(), extra.begin(), extra.end());
    return startListener("tls|127.0.0.1|0", options, bound);
  }
  // Stops a listener that printed the conversations (stopListener() expects silence).
  static void stop(Process& listener) {
    listener.sendSignal(SIGTERM);
    const Process::Exit exit = listener.wait(kProcessTimeout);
    EXPECT_TRUE(exit.exited) << "killed by signal " << exit.signal;
    EXPECT_EQ(exit.code, 0);
  }
  // The listener's address under the name its certificate carries.
  static std::string byName(const std::string& bound) {
    return std::regex_replace(bound, std::regex(R"(\|127\.0\.0\.1\|)"), "|localhost|");
  }
};

TEST_F(TlsCliListener, EchoOverVerifiedTls) {
  std::string bound;
  const auto listener = startTls({}, bound);
  ASSERT_NE(listener, nullptr);
  ASSERT_TRUE(std::regex_match(bound, std::regex(R"(tls\|127\.0\.0\.1\|\d+)"))) << bound;
  const RunResult send = run({"send", byName(bound), "--ca", certificates().caFile, "--body", "secret"});
  EXPECT_EQ(send.exit.code, 0) << send.err;
  EXPECT_EQ(send.err, "");
  EXPECT_TRUE(std::regex_match(send.out, std::regex(R"(response id=\d+ more=0 headers=\[\] body=secret\n)")))
      << send.out;
  stop(*listener);
}

TEST_F(TlsCliListener, SendRefusesAServerItDoesNotTrust) {
  std::string bound;
  const auto listener = startTls({}, bound);
  ASSERT_NE(listener, nullptr);
  const RunResult send = run({"send", byName(bound), "--timeout", "5"});  // the system's CAs only
  EXPECT_EQ(send.exit.code, 1);
  EXPECT_NE(send.err.find("connect_failed"), std::string::npos) << send.err;
  EXPECT_NE(send.err.find("unable to get local issuer certificate"), std::string::npos) << send.err;
  EXPECT_EQ(send.out, "");
  stop(*listener);
}

TEST_F(TlsCliListener, InsecureConnectsAndSaysSoLoudly) {
  std::string bound;
  const auto listener = startTls({}, bound);
  ASSERT_NE(listener, nullptr);
  const RunResult send = run({"send", bound, "--insecure", "--body", "x"});
  EXPECT_EQ(send.exit.code, 0) << send.err;
  EXPECT_NE(send.err.find("WARNING: --insecure"), std::string::npos) << send.err;
  EXPECT_NE(send.out.find("body=x"), std::string::npos) << send.out;
  stop(*listener);
}

TEST_F(TlsCliListener, ClientCertificateIdentityReachesTheListener) {
  std::string bound;
  const auto listener = startTls({"--ca", certificates().caFile}, bound);
  ASSERT_NE(listener, nullptr);
  const RunResult refused = run({"send", byName(bound), "--ca", certificates().caFile, "--timeout", "5"});
  EXPECT_EQ(refused.exit.code, 1) << "no client certificate: " << refused.out;
  const RunResult send = run({"send", byName(bound), "--ca", certificates().caFile, "--cert",
                              certificates().client.certificate, "--key", certificates().client.key});
  EXPECT_EQ(send.exit.code, 0) << send.err;
  const std::optional<std::string> hello = listener->readLine(kLineTimeout);
  ASSERT_TRUE(hello);
  EXPECT_NE(hello->find("~tls-peer-subject:CN=tofu\\x20test\\x20client,O=tofu\\x20tests"), std::string::npos)
      << *hello;
  EXPECT_NE(hello->find("~tls-peer-san:DNS:client.tofu.test,\\x20email:client@tofu.test"), std::string::npos)
      << *hello;
  stop(*listener);
}

TEST_F(TlsCliTest, ListenWithoutCertificateFailsClearly) {
  const RunResult listen = run({"listen", "tls|127.0.0.1|0"});
  EXPECT_EQ(listen.exit.code, 1);
  EXPECT_NE(listen.err.find("listen_failed"), std::string::npos) << listen.err;
  EXPECT_NE(listen.err.find("tlsCertificateChainFile"), std::string::npos) << listen.err;
}

}  // namespace
}  // namespace tofu::cli::testing
