// TLS options (issue 23): the key log Wireshark decrypts with (Options::tlsKeyLogFile and the
// SSLKEYLOGFILE environment variable), and the oldest protocol version (Options::tlsMinVersion)
// against a peer that speaks TLS 1.2 and nothing newer, as client and as server.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine_harness.h"
#include "raw_peer.h"
#include "tls_raw_session.h"
#include "tls_test_support.h"

namespace tofu::test {
namespace {

std::vector<std::string> linesOf(const std::string& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A request and its response over TLS between engines made with these options.
void exchange(const Options& server, const Options& client) {
  TlsPeers peers(server, client);
  const Connection connection = connectPair(peers.client.ampe(), peers.clientGroup, peers.server.ampe(),
                                            peers.serverGroup, peers.peer("localhost"));
  ASSERT_TRUE(connection.ok());
  EXPECT_TRUE(echo(peers.client.ampe(), peers.clientGroup, connection.clientChannel, peers.server.ampe(),
                   peers.serverGroup, connection.serverChannel, "secret"));
}

// The TLS 1.3 secrets of one session, as Wireshark reads them: LABEL CLIENT_RANDOM SECRET, hex.
void expectSessionSecrets(const std::string& file) {
  const std::vector<std::string> lines = linesOf(file);
  ASSERT_FALSE(lines.empty()) << file << " is empty";
  for (const char* label : {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                            "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"}) {
    bool found = false;
    for (const std::string& line : lines) {
      std::istringstream fields(line);
      std::string name, random, secret;
      fields >> name >> random >> secret;
      if (name != label) continue;
      found = true;
      EXPECT_EQ(random.size(), 64u) << line;
      EXPECT_EQ(random.find_first_not_of("0123456789abcdef"), std::string::npos) << line;
      EXPECT_GE(secret.size(), 64u) << line;
    }
    EXPECT_TRUE(found) << "no " << label << " line in " << file;
  }
}

TEST(TlsKeyLog, OptionNamesTheFile) {
  const std::string file = certificates().directory + "/option-keys.log";
  Options client = certificates().clientOptions();
  client.tlsKeyLogFile = file;
  exchange(certificates().serverOptions(certificates().server), client);
  expectSessionSecrets(file);
}

TEST(TlsKeyLog, EnvironmentVariableNamesTheFile) {
  const std::string file = certificates().directory + "/environment-keys.log";
  // Read once, when the engine is made: the server's engine alone sees it.
  ASSERT_EQ(::setenv("SSLKEYLOGFILE", file.c_str(), 1), 0);
  TlsPeers peers(certificates().serverOptions(certificates().server), Options{});
  ::unsetenv("SSLKEYLOGFILE");
  Engine client(withShortHandshake(certificates().clientOptions()));
  ChannelGroup& clientGroup = client.group();
  const Connection connection = connectPair(client.ampe(), clientGroup, peers.server.ampe(), peers.serverGroup,
                                            peers.peer("localhost"));
  ASSERT_TRUE(connection.ok());
  expectSessionSecrets(file);
}

TEST(TlsKeyLog, UnusableFileFailsReactorCreate) {
  Options options = certificates().clientOptions();
  options.tlsKeyLogFile = certificates().directory + "/no/such/directory/keys.log";
  EXPECT_EQ(Reactor::create(options).status(), Status::not_allowed);
}

// A raw peer that speaks only TLS 1.2 connects to a tls listener: the session, or null and why.
std::unique_ptr<TlsRawSession> connectTls12(const TlsPeers& peers, std::unique_ptr<RawPeer>& raw,
                                            std::string& failure) {
  raw = RawPeer::connectTo(Address::tcp("127.0.0.1", peers.listening.bound.port()));
  if (!raw) return nullptr;
  return TlsRawSession::handshake(raw->fd(), {.tls12Only = true},
                                  std::chrono::steady_clock::now() + defaultTimeout(), failure);
}

Options serverAccepting12() {
  Options server = certificates().serverOptions(certificates().server);
  server.tlsMinVersion = Options::TlsVersion::tls12;
  return server;
}

TEST(TlsVersion, ServerWithMinimum12AdmitsA12OnlyClient) {
  TlsPeers peers(serverAccepting12(), certificates().clientOptions());
  std::unique_ptr<RawPeer> raw;
  std::string failure;
  auto session = connectTls12(peers, raw, failure);
  ASSERT_TRUE(session) << failure;
  raw->useTls(std::move(session));
  ASSERT_TRUE(sayHello(*raw, peers.server.ampe(), 5, 1212));
  MessagePtr hello = receive(peers.serverGroup);
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->opCode(), OpCode::HelloRequest) << describe(hello);
  EXPECT_EQ(hello->messageId(), 1212u);
}

TEST(TlsVersion, DefaultServerRefusesA12OnlyClient) {
  TlsPeers peers(certificates().serverOptions(certificates().server), certificates().clientOptions());
  std::unique_ptr<RawPeer> raw;
  std::string failure;
  EXPECT_FALSE(connectTls12(peers, raw, failure));
  EXPECT_NE(failure.find("protocol version"), std::string::npos) << failure;
  expectNothing(peers.serverGroup);
}

// A client engine's HelloRequest to a raw server that speaks only TLS 1.2; `raw` gets the
// accepted connection and `session` its TLS session, or null and `failure`.
struct Tls12Server {
  RawServer server{Transport::tcp};
  std::unique_ptr<RawPeer> raw;
  std::unique_ptr<TlsRawSession> session;
  std::string failure;

  BinaryHeader helloFrom(Engine& client, ChannelGroup& group) {
    const BinaryHeader hello = postHello(client.ampe(), group, Address::tls("127.0.0.1", server.address().port()));
    raw = server.accept();
    if (raw) {
      session = TlsRawSession::handshake(raw->fd(), {.server = true, .tls12Only = true},
                                         std::chrono::steady_clock::now() + defaultTimeout(), failure);
    }
    return hello;
  }
};

TEST(TlsVersion, ClientWithMinimum12ReachesA12OnlyServer) {
  Options options = certificates().clientOptions();
  options.tlsMinVersion = Options::TlsVersion::tls12;
  Engine client(withShortHandshake(options));
  ChannelGroup& group = client.group();
  Tls12Server old;
  const BinaryHeader hello = old.helloFrom(client, group);
  ASSERT_TRUE(old.session) << old.failure;
  old.raw->useTls(std::move(old.session));
  RawFrame frame;
  ASSERT_EQ(old.raw->readFrame(frame), ReadEnd::frame);
  EXPECT_EQ(frame.header.proto.opCode, OpCode::HelloRequest);
  EXPECT_EQ(frame.header.messageId, hello.messageId);
}

TEST(TlsVersion, DefaultClientRefusesA12OnlyServer) {
  Engine client(withShortHandshake(certificates().clientOptions()));
  ChannelGroup& group = client.group();
  Tls12Server old;
  const BinaryHeader hello = old.helloFrom(client, group);
  EXPECT_FALSE(old.session);
  MessagePtr signal;
  const std::vector<MessagePtr> returned = receiveUntilClosed(group, hello.channelNumber, &signal);
  ASSERT_EQ(returned.size(), 1u);
  expectNotification(returned[0], OpCode::HelloRequest, Status::connect_failed, hello.channelNumber,
                     hello.messageId);
  const std::string text = headerOf(*returned[0], kTlsErrorHeader).value_or("(none)");
  EXPECT_NE(text.find("protocol version"), std::string::npos) << text;
}

}  // namespace
}  // namespace tofu::test
