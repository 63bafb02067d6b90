// The echo server of the flow-control tests (DECISIONS.md B6, B14): a tofu server application
// that answers every Request, run on its own thread next to its engine (EchoServer) or in a
// forked child (serveEcho() uses no GoogleTest macro); raw peers that say Hello to it; and a
// probe that checks a fresh client is served in time. Every wait is bounded.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "raw_peer.h"

namespace tofu::test {

// ---------------------------------------------------------------------------------------------
// The echo application

// What serveEcho() does with an answer enqueueToPeer() refuses because the send queue is full.
enum class OnRefusal : std::uint8_t {
  retry,    // keep it and post it again until it goes (every Request gets its Response)
  putBack,  // give it back to the pool (a server that must not block on one slow peer)
};

// What serveEcho() saw. Counters are read by other threads while it runs.
struct EchoTally {
  std::atomic<std::uint64_t> requests{0};   // Requests received
  std::atomic<std::uint64_t> answered{0};   // answers enqueueToPeer() took
  std::atomic<std::uint64_t> putBack{0};    // answers refused and given back (OnRefusal::putBack)
  std::atomic<std::uint64_t> returned{0};   // posted answers handed back by the engine with a status
  std::atomic<std::uint64_t> poolEmpty{0};  // Signal(pool_empty) notices (B5)

  // The channel of the HelloRequest with `id`, 0 when none arrived.
  std::uint16_t channelOfHello(std::uint64_t id);
  // Channels whose final Signal(channel_closed) arrived, in order.
  std::vector<std::uint16_t> closedChannels();
  // How many answers came back from the engine with `status` (pending when a channel closed).
  std::uint64_t returnedWith(Status status);
  // Waits up to `timeout` until the final Signal of every one of `channels` has arrived.
  bool waitTold(const std::vector<std::uint16_t>& channels, std::chrono::milliseconds timeout);

  std::mutex mutex;
  std::map<std::uint64_t, std::uint16_t> hellos;  // HelloRequest id -> server channel
  std::vector<std::uint16_t> closed;
  std::map<Status, std::uint64_t> returnedByStatus;
};

// The echo loop of a tofu server: answers HelloRequest with HelloResponse, Request with
// Response and ByeRequest with ByeResponse by turning the received message around; gives
// everything else back to the pool. Returns once `stop` is set (checked at least every 100 ms
// and after an updateReceiver() wake-up) or when the group is destroyed.
void serveEcho(Ampe& ampe, ChannelGroup& group, EchoTally& tally, OnRefusal onRefusal,
               const std::atomic<bool>& stop);

// A server engine listening on `transport` with serveEcho() running on its own thread.
class EchoServer {
 public:
  EchoServer(Transport transport, const Options& options, OnRefusal onRefusal);
  ~EchoServer();
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  bool listening() const noexcept { return listening_.channel != 0; }
  const Address& address() const noexcept { return listening_.bound; }
  Ampe& ampe() { return engine_.ampe(); }
  EchoTally& tally() noexcept { return tally_; }
  // Stops the echo thread (idempotent); the engine stays up.
  void stop();

 private:
  Engine engine_;
  ChannelGroup& group_;
  Listening listening_;
  EchoTally tally_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Connects `count` raw peers to `server` (SO_RCVBUF `receiveBufferBytes` when > 0), each
// saying Hello with id firstHelloId + i, and waits (bounded) until the server answered each.
// Appends the peers to `peers`; returns the server's channel of each (0 where none came).
std::vector<std::uint16_t> connectAnnouncedPeers(EchoServer& server, int count, std::uint64_t firstHelloId,
                                                 int receiveBufferBytes,
                                                 std::vector<std::unique_ptr<RawPeer>>& peers);

// A new client engine (default options) connects to `server`, posts its HelloRequest and one
// Request right behind it (K8), and must get the HelloResponse and then the Response within
// `within` of posting. Prints how long it took.
::testing::AssertionResult servesFreshClient(const Address& server, std::chrono::milliseconds within);

}  // namespace tofu::test
