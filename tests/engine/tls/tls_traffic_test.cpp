// Traffic over TLS (issue 23): a flood of small frames and 64 KiB bodies, every byte checked in
// order (also to a reader slower than the writer); the handshake timeout against a silent peer
// on either side.
#include <sys/socket.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "engine_harness.h"
#include "raw_peer.h"
#include "tls_test_support.h"

namespace tofu::test {
namespace {

// The body of frame `index`: its index, then bytes that depend on index and position.
std::string patternBody(std::uint32_t index, std::size_t size) {
  std::string body(size, '\0');
  for (std::size_t i = 0; i < size; ++i) body[i] = static_cast<char>((index * 131 + i * 7 + (i >> 8)) & 0xff);
  for (std::size_t i = 0; i < 4 && i < size; ++i) body[i] = static_cast<char>((index >> (8 * i)) & 0xff);
  return body;
}

struct TlsConnection {
  explicit TlsConnection(Options server = certificates().serverOptions(certificates().server),
                         Options client = certificates().clientOptions())
      : peers(server, client),
        connection(connectPair(peers.client.ampe(), peers.clientGroup, peers.server.ampe(), peers.serverGroup,
                               peers.peer("localhost"))) {}
  TlsPeers peers;
  Connection connection;
};

// Sends `count` Requests of `size` bytes from client to server and checks each one there, in order.
void sendAndCheck(TlsConnection& tls, std::uint32_t count, std::size_t size) {
  ASSERT_TRUE(tls.connection.ok());
  TlsPeers& peers = tls.peers;
  std::uint32_t received = 0;
  for (std::uint32_t sent = 0; sent < count;) {
    MessagePtr message = request(peers.client.ampe(), tls.connection.clientChannel, patternBody(sent, size));
    const Result<BinaryHeader> posted = peers.clientGroup.enqueueToPeer(message);
    if (posted.ok()) {
      ++sent;
    } else {
      ASSERT_EQ(posted.status(), Status::notification_failed);  // a full send queue (B6): drain some
      peers.client.ampe().put(message);
    }
    // Receive as we go, so the send queue drains; at the end, everything.
    while (received < count && (received + 256 < sent || sent == count)) {
      MessagePtr frame = receive(peers.serverGroup);
      ASSERT_TRUE(frame);
      if (frame->isFromEngine() && frame->status() == Status::pool_empty) {  // a spent budget (B5)
        peers.server.ampe().put(frame);
        continue;
      }
      ASSERT_EQ(frame->opCode(), OpCode::Request) << describe(frame);
      ASSERT_EQ(frame->body().view(), patternBody(received, size)) << "frame " << received;
      peers.server.ampe().put(frame);
      ++received;
    }
  }
  EXPECT_EQ(received, count);
  // Send-ready notices (B16) may follow refusals; nothing else may come.
  while (MessagePtr extra = tryReceive(peers.clientGroup, quietPeriod())) {
    EXPECT_TRUE(isSendReady(extra->header())) << describe(extra);
    peers.client.ampe().put(extra);
  }
}

TEST(TlsTraffic, FloodOfSmallFramesArrivesIntact) {
  TlsConnection tls;
  sendAndCheck(tls, 20'000, 24);
}

// A receive budget of a few frames and bursts that fit in one TLS record: the server's channel
// starves (B5) with the rest of the burst inside OpenSSL, not in the socket, which will not
// announce it again; resuming must read it from there.
TEST(TlsTraffic, BurstsIntoATinyReceiveBudgetArriveIntact) {
  Options server = certificates().serverOptions(certificates().server);
  server.receiveBudgetBytes = 16 * 1024;
  TlsConnection tls(server);
  for (int burst = 0; burst < 3; ++burst) sendAndCheck(tls, 250, 24);
}

TEST(TlsTraffic, LargestBodiesArriveIntact) {
  TlsConnection tls;
  sendAndCheck(tls, 64, 65'535);
}

// A reader slower than the writer: the server's small receive budget stops its reads, the
// client's socket fills with records its stream still holds (Stream::unsentBytes()), and the
// last of them must still go once the reader catches up, with nothing left to post.
TEST(TlsTraffic, RecordsHeldForASlowReaderAllArrive) {
  Options server = certificates().serverOptions(certificates().server);
  server.receiveBudgetBytes = 256 * 1024;
  Options client = certificates().clientOptions();
  client.sendQueueLimitBytes = 32 * 1024 * 1024;  // 256 bodies posted before the first is read
  TlsConnection tls(server, client);
  ASSERT_TRUE(tls.connection.ok());
  // A small fixed send buffer on the client's socket (the one whose peer is the listener's
  // port): each EPOLLOUT then has room for part of a batch only, up to the last one.
  bool pinned = false;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::atoi(entry.path().filename().c_str());
    if (peerPort(fd) != tls.peers.listening.bound.port()) continue;
    const int bytes = 16 * 1024;
    pinned = ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes)) == 0;
  }
  ASSERT_TRUE(pinned);
  sendAndCheck(tls, 300, 65'535);
}

TEST(TlsTraffic, EchoedLargestBodiesArriveIntactBothWays) {
  TlsConnection tls;
  ASSERT_TRUE(tls.connection.ok());
  TlsPeers& peers = tls.peers;
  constexpr std::uint32_t kCount = 16;
  for (std::uint32_t i = 0; i < kCount; ++i) {
    post(peers.clientGroup,
         request(peers.client.ampe(), tls.connection.clientChannel, patternBody(i, 65'535)));
  }
  for (std::uint32_t i = 0; i < kCount; ++i) {
    MessagePtr frame = receive(peers.serverGroup);
    ASSERT_TRUE(frame);
    ASSERT_EQ(frame->body().view(), patternBody(i, 65'535)) << "request " << i;
    frame->setOpCode(OpCode::Response);  // the same message goes back, body and all
    post(peers.serverGroup, std::move(frame));
  }
  for (std::uint32_t i = 0; i < kCount; ++i) {
    MessagePtr frame = receive(peers.clientGroup);
    ASSERT_TRUE(frame);
    ASSERT_EQ(frame->opCode(), OpCode::Response) << describe(frame);
    ASSERT_EQ(frame->body().view(), patternBody(i, 65'535)) << "response " << i;
    peers.client.ampe().put(frame);
  }
}

TEST(TlsTraffic, GracefulCloseDeliversEverythingSentBeforeIt) {
  TlsConnection tls;
  ASSERT_TRUE(tls.connection.ok());
  TlsPeers& peers = tls.peers;
  const BinaryHeader bye =
      post(peers.clientGroup, byeRequest(peers.client.ampe(), tls.connection.clientChannel));
  MessagePtr arrived = receive(peers.serverGroup);
  ASSERT_TRUE(arrived);
  ASSERT_EQ(arrived->opCode(), OpCode::ByeRequest) << describe(arrived);
  // The responder may still send (B3): this Request travels after our half of the close.
  post(peers.serverGroup, request(peers.server.ampe(), tls.connection.serverChannel, "last words"));
  arrived->setOpCode(OpCode::ByeResponse);
  post(peers.serverGroup, std::move(arrived));
  MessagePtr lastWords = receive(peers.clientGroup);
  ASSERT_TRUE(lastWords);
  EXPECT_EQ(lastWords->body().view(), "last words") << describe(lastWords);
  MessagePtr reply = receive(peers.clientGroup);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->opCode(), OpCode::ByeResponse) << describe(reply);
  EXPECT_EQ(reply->messageId(), bye.messageId);
  MessagePtr closed = receive(peers.clientGroup);
  ASSERT_TRUE(closed);
  expectClosedSignal(closed, tls.connection.clientChannel, closed->messageId());
  EXPECT_FALSE(headerOf(*closed, kTlsErrorHeader)) << describe(closed);
  MessagePtr serverClosed = receive(peers.serverGroup);
  ASSERT_TRUE(serverClosed && closedSignal(tls.connection.serverChannel)(*serverClosed))
      << describe(serverClosed);
  EXPECT_FALSE(headerOf(*serverClosed, kTlsErrorHeader))
      << "a clean end (close_notify, then FIN) is no error";
}

TEST(TlsTimeout, SilentServerFailsTheClientHandshake) {
  RawServer silent(Transport::tcp);  // accepts (in the kernel) and never says a word
  ASSERT_TRUE(silent.valid());
  Engine client(withShortHandshake(certificates().clientOptions()));
  ChannelGroup& group = client.group();
  const Address peer = Address::tls("127.0.0.1", silent.address().port());
  const BinaryHeader hello = postHello(client.ampe(), group, peer);
  MessagePtr signal;
  std::vector<MessagePtr> before =
      receiveUntilClosed(group, hello.channelNumber, &signal, scaled(std::chrono::seconds(5)));
  ASSERT_EQ(before.size(), 1u);
  expectNotification(before[0], OpCode::HelloRequest, Status::connect_failed, hello.channelNumber,
                     hello.messageId);
  const std::string text = headerOf(*before[0], kTlsErrorHeader).value_or("(none)");
  EXPECT_NE(text.find("did not finish within handshakeTimeoutMs"), std::string::npos) << text;
}

TEST(TlsTimeout, SilentClientIsDisconnectedByTheServer) {
  TlsPeers peers(withShortHandshake(certificates().serverOptions(certificates().server)), Options{});
  ASSERT_NE(peers.listening.channel, 0);
  std::unique_ptr<RawPeer> silent =
      RawPeer::connectTo(Address::tcp("127.0.0.1", peers.listening.bound.port()));
  ASSERT_TRUE(silent);
  EXPECT_TRUE(silent->waitClosed(scaled(std::chrono::seconds(5))));
  expectNothing(peers.serverGroup);
}

}  // namespace
}  // namespace tofu::test
