// TLS handshakes (issue 23, A4): success over IPv4, IPv6 and a host name with a request and its
// response; every refusal with its status and its ~tls-error text, nothing delivered before the
// handshake succeeded; configuration errors.
#include <string>

#include <gtest/gtest.h>

#include "engine_harness.h"
#include "raw_peer.h"
#include "tls_test_support.h"

namespace tofu::test {
namespace {

class TlsHandshake : public ::testing::TestWithParam<std::string> {};

TEST_P(TlsHandshake, RequestAndResponseOverVerifiedTls) {
  const std::string host = GetParam();
  const std::string listenHost = host == "localhost" ? "127.0.0.1" : host;
  TlsPeers peers(certificates().serverOptions(certificates().server), certificates().clientOptions(),
                 listenHost);
  ASSERT_NE(peers.listening.channel, 0);
  EXPECT_EQ(peers.listening.bound.kind(), AddressKind::tls);
  EXPECT_EQ(peers.listening.bound.toString().rfind("tls|" + listenHost + "|", 0), 0u);

  const Connection connection = connectPair(peers.client.ampe(), peers.clientGroup, peers.server.ampe(),
                                            peers.serverGroup, peers.peer(host));
  ASSERT_TRUE(connection.ok());
  const BinaryHeader sent =
      post(peers.clientGroup, request(peers.client.ampe(), connection.clientChannel, "ping"));
  MessagePtr asked = receive(peers.serverGroup);
  ASSERT_TRUE(asked);
  expectPeerMessage(asked, OpCode::Request, connection.serverChannel, sent.messageId);
  EXPECT_EQ(asked->body().view(), "ping");
  post(peers.serverGroup,
       request(peers.server.ampe(), connection.serverChannel, "pong", OpCode::Response, sent.messageId));
  peers.server.ampe().put(asked);
  MessagePtr answer = receive(peers.clientGroup);
  ASSERT_TRUE(answer);
  expectPeerMessage(answer, OpCode::Response, connection.clientChannel, sent.messageId);
  EXPECT_EQ(answer->body().view(), "pong");
  peers.client.ampe().put(answer);
}

INSTANTIATE_TEST_SUITE_P(Hosts, TlsHandshake, ::testing::Values("127.0.0.1", "::1", "localhost"),
                         [](const ::testing::TestParamInfo<std::string>& host) {
                           return host.param == "::1"         ? std::string("ipv6")
                                  : host.param == "localhost" ? std::string("name")
                                                              : std::string("ipv4");
                         });

// The client's HelloRequest comes back unchanged with connect_failed, `reason` in its
// ~tls-error header and in the final Signal's; the server's application hears of nothing.
void expectRefusedByClient(TlsPeers& peers, const Address& peer, std::string_view reason) {
  ASSERT_NE(peers.listening.channel, 0);
  const BinaryHeader hello = postHello(peers.client.ampe(), peers.clientGroup, peer);
  MessagePtr signal;
  std::vector<MessagePtr> before = receiveUntilClosed(peers.clientGroup, hello.channelNumber, &signal);
  ASSERT_EQ(before.size(), 1u);
  expectNotification(before[0], OpCode::HelloRequest, Status::connect_failed, hello.channelNumber,
                     hello.messageId);
  const std::string text = headerOf(*before[0], kTlsErrorHeader).value_or("(none)");
  EXPECT_NE(text.find(reason), std::string::npos) << text;
  ASSERT_TRUE(signal);
  EXPECT_EQ(headerOf(*signal, kTlsErrorHeader), text);
  expectNothing(peers.serverGroup);
}

TEST(TlsRefusal, UnknownCa) {
  TlsPeers peers(certificates().serverOptions(certificates().unknownCa), certificates().clientOptions());
  expectRefusedByClient(peers, peers.peer("127.0.0.1"), "unable to get local issuer certificate");
}

TEST(TlsRefusal, SystemStoreDoesNotKnowTheTestCa) {
  TlsPeers peers(certificates().serverOptions(certificates().server), Options{});
  expectRefusedByClient(peers, peers.peer("localhost"), "unable to get local issuer certificate");
}

TEST(TlsRefusal, ExpiredCertificate) {
  TlsPeers peers(certificates().serverOptions(certificates().expired), certificates().clientOptions());
  expectRefusedByClient(peers, peers.peer("127.0.0.1"), "certificate has expired");
}

TEST(TlsRefusal, NotYetValidCertificate) {
  TlsPeers peers(certificates().serverOptions(certificates().notYetValid), certificates().clientOptions());
  expectRefusedByClient(peers, peers.peer("127.0.0.1"), "certificate is not yet valid");
}

TEST(TlsRefusal, HostNameMismatch) {
  TlsPeers peers(certificates().serverOptions(certificates().wrongHost), certificates().clientOptions());
  expectRefusedByClient(peers, peers.peer("localhost"), "hostname mismatch");
}

TEST(TlsRefusal, IpAddressMismatch) {
  TlsPeers peers(certificates().serverOptions(certificates().wrongHost), certificates().clientOptions());
  expectRefusedByClient(peers, peers.peer("127.0.0.1"), "IP address mismatch");
}

TEST(TlsRefusal, HostNameCheckCanBeTurnedOff) {
  Options client = certificates().clientOptions();
  client.tlsVerifyPeerName = false;
  TlsPeers peers(certificates().serverOptions(certificates().wrongHost), client);
  EXPECT_TRUE(connectPair(peers.client.ampe(), peers.clientGroup, peers.server.ampe(), peers.serverGroup,
                          peers.peer("localhost"))
                  .ok());
}

TEST(TlsRefusal, TlsClientToPlainListener) {
  // The plain listener reads the ClientHello as the start of a frame and waits for the rest;
  // the client gives up first, after its handshake timeout. The listener's own deadlines (a
  // HelloRequest within 10 s, frame progress within 5 s) are put far past it: under sanitizers
  // the client's scaled timeout reaches 10 s, and the listener's reset then came first.
  Options plainServer;
  plainServer.receiveProgressTimeoutMs = 600'000;
  plainServer.handshakeTimeoutMs = 600'000;
  TlsPeers peers(plainServer, certificates().clientOptions(), "127.0.0.1", true);
  expectRefusedByClient(peers, peers.peer("127.0.0.1"),
                        "the TLS handshake did not finish within handshakeTimeoutMs");
}

// A client whose channel the server refuses after the client's side of the handshake: the
// client sees its channel close without a HelloResponse; the server's application sees nothing.
MessagePtr expectRefusedByServer(TlsPeers& peers, MessagePtr hello) {
  EXPECT_NE(peers.listening.channel, 0);
  const BinaryHeader sent = post(peers.clientGroup, std::move(hello));
  MessagePtr signal;
  const std::vector<MessagePtr> before = receiveUntilClosed(peers.clientGroup, sent.channelNumber, &signal);
  for (const MessagePtr& message : before) {
    EXPECT_NE(message->opCode(), OpCode::HelloResponse) << describe(message);
  }
  expectNothing(peers.serverGroup);
  return signal;
}

TEST(TlsRefusal, PlainClientToTlsListener) {
  TlsPeers peers(certificates().serverOptions(certificates().server), Options{});
  const Address plain = Address::tcp("127.0.0.1", peers.listening.bound.port());
  expectRefusedByServer(peers, helloRequest(peers.client.ampe(), plain));
}

TEST(TlsRefusal, MissingClientCertificate) {
  Options server = certificates().serverOptions(certificates().server);
  server.tlsRequireClientCertificate = true;
  TlsPeers peers(server, certificates().clientOptions());
  const Address peer = peers.peer("localhost");
  MessagePtr signal = expectRefusedByServer(peers, helloRequest(peers.client.ampe(), peer));
  ASSERT_TRUE(signal);
  const std::string text = headerOf(*signal, kTlsErrorHeader).value_or("(none)");
  EXPECT_NE(text.find("certificate required"), std::string::npos) << text;
}

TEST(TlsRefusal, ListenerWithoutCertificate) {
  Engine engine;
  ChannelGroup& group = engine.group();
  const BinaryHeader sent = post(group, welcomeRequest(engine.ampe(), Address::tls("127.0.0.1", 0)));
  MessagePtr answer = receive(group);
  ASSERT_TRUE(answer);
  expectNotification(answer, OpCode::WelcomeResponse, Status::listen_failed, sent.channelNumber,
                     sent.messageId);
  const std::string text = headerOf(*answer, kTlsErrorHeader).value_or("(none)");
  EXPECT_NE(text.find("tlsCertificateChainFile"), std::string::npos) << text;
}

TEST(TlsOptions, UnreadableFileFailsReactorCreate) {
  Options options = certificates().serverOptions(certificates().server);
  options.tlsPrivateKeyFile = certificates().directory + "/missing.key";
  EXPECT_EQ(Reactor::create(options).status(), Status::not_allowed);
  options = certificates().serverOptions(certificates().server);
  options.tlsPrivateKeyFile = certificates().client.key;  // not the certificate's key
  EXPECT_EQ(Reactor::create(options).status(), Status::not_allowed);
}

// Mutual TLS (B17): the verified client identity reaches the server application in the
// HelloRequest; a peer cannot send those headers itself.
Options mutualServer() {
  Options server = certificates().serverOptions(certificates().server);
  server.tlsRequireClientCertificate = true;
  return server;
}

Options mutualClient() {
  Options client = certificates().clientOptions();
  client.tlsCertificateChainFile = certificates().client.certificate;
  client.tlsPrivateKeyFile = certificates().client.key;
  return client;
}

TEST(TlsMutual, ClientIdentityInHelloRequest) {
  TlsPeers peers(mutualServer(), mutualClient());
  ASSERT_NE(peers.listening.channel, 0);
  const BinaryHeader hello = postHello(peers.client.ampe(), peers.clientGroup, peers.peer("localhost"));
  MessagePtr received = receive(peers.serverGroup);
  ASSERT_TRUE(received);
  expectPeerMessage(received, OpCode::HelloRequest, received->channelNumber(), hello.messageId);
  EXPECT_EQ(headerOf(*received, kTlsPeerSubjectHeader), "CN=tofu test client,O=tofu tests");
  EXPECT_EQ(headerOf(*received, kTlsPeerSanHeader), "DNS:client.tofu.test, email:client@tofu.test");
}

TEST(TlsMutual, NoIdentityHeadersWithoutClientCertificates) {
  TlsPeers peers(certificates().serverOptions(certificates().server), mutualClient());
  ASSERT_NE(peers.listening.channel, 0);
  postHello(peers.client.ampe(), peers.clientGroup, peers.peer("localhost"));
  MessagePtr received = receive(peers.serverGroup);
  ASSERT_TRUE(received);
  EXPECT_EQ(received->opCode(), OpCode::HelloRequest);
  EXPECT_FALSE(headerOf(*received, kTlsPeerSubjectHeader));
  EXPECT_FALSE(headerOf(*received, kTlsPeerSanHeader));
}

class TlsForgery : public ::testing::TestWithParam<bool> {};

TEST_P(TlsForgery, PeerSentIdentityHeadersAreRefused) {
  const bool overTls = GetParam();
  TlsPeers peers(overTls ? mutualServer() : Options{}, overTls ? mutualClient() : Options{}, "127.0.0.1",
                 !overTls);
  const Address peer = overTls ? peers.peer("localhost") : peers.listening.bound;
  MessagePtr hello = helloRequest(peers.client.ampe(), peer);
  ASSERT_EQ(hello->headers().append(kTlsPeerSubjectHeader, "CN=admin"), HeaderCheck::ok);
  expectRefusedByServer(peers, std::move(hello));
}

INSTANTIATE_TEST_SUITE_P(Transports, TlsForgery, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& overTls) {
                           return std::string(overTls.param ? "tls" : "tcp");
                         });

TEST(TlsAddress, ParsesPrintsAndExplains) {
  const Result<Address> parsed = Address::parse("tls|localhost|7443");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed.value().kind(), AddressKind::tls);
  EXPECT_EQ(parsed.value().host(), "localhost");
  EXPECT_EQ(parsed.value().port(), 7443);
  EXPECT_EQ(parsed.value().toString(), "tls|localhost|7443");
  EXPECT_EQ(Address::tls("::1", 1).toString(), "tls|::1|1");
  EXPECT_EQ(Address::explainInvalid("tls|localhost", AddressUse::connect),
            "no '|' between host and port; expected tls|HOST|PORT");
  EXPECT_EQ(Address::explainInvalid("tls|127.0.0.1|0", AddressUse::connect),
            "connecting needs a port of 1..65535, not 0");
  EXPECT_EQ(Address::explainInvalid("tls|::1|0", AddressUse::listen), "");
}

}  // namespace
}  // namespace tofu::test
