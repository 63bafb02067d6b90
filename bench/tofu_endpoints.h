// The two ends of every tofu run, each its own engine (Reactor) with one channel group:
// TofuServer listens and runs a serving thread on its group; TofuClient opens connections to
// it. Each object has one owner thread; the serving thread is internal. The server's totals
// are relaxed atomics any thread may read (they may live in shared memory, see
// child_process.h).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_types.h"
#include "tofu/tofu.h"

namespace bench {

// Options for benchmark engines carrying `body`-byte messages over `channels` channels: a
// preallocated pool of 4096 messages or 32 per channel, whichever is more, within 4 MiB of
// bodies (so 64 for 64 KiB bodies) and the 16-bit option; a 16 MiB send queue per channel,
// no channel limit below the 65534 numbers, and no telemetry. `spin` false sets
// Options::spinMicros to 0.
tofu::Options benchOptions(std::size_t body, std::size_t channels, bool spin = true);

// The Options `tuning` names for such an engine: benchOptions(), or tofu::Options{} as shipped.
tofu::Options optionsFor(Tuning tuning, std::size_t body, std::size_t channels);

// Makes the certificates the tls rows use (tests/support/tls_certificates.h: the `openssl`
// command, a temporary directory removed at exit). Call once before the first tls run;
// false and `error` when they cannot be made or this build has no TLS. Blocks.
bool prepareTls(std::string& error);

// Grows the body of every idle pool message of `ampe` to `body` bytes once, so that the
// measured phase does not pay for first-use growth (ByteBuffer keeps its capacity).
void prewarmPool(tofu::Ampe& ampe, std::size_t body);

// "HelloResponse ch=7 origin=engine status=connect_failed", for errors.
std::string describe(const tofu::Message& message);

// Where a TofuServer's serving thread publishes its totals; null means the server's own.
struct ServerTotals {
  std::atomic<std::uint64_t>* received = nullptr;  // Signals from peers, counted and put back
  std::atomic<std::uint64_t>* accepted = nullptr;  // HelloRequests answered with HelloResponse
};

class TofuServer {
 public:

  // Starts an engine, listens (tcp|127.0.0.1|0, tls|127.0.0.1|0 with the prepareTls()
  // server certificate, or a fresh UDS path), then starts the serving
  // thread: it answers HelloRequest with HelloResponse and Request with Response (same
  // message), counts Signals and puts every other message back. Null and `error` on failure.
  // The engine runs with optionsFor(tuning, body, channels); its idle pool messages are
  // prewarmed for `body`-byte messages.
  static std::unique_ptr<TofuServer> start(Transport transport, std::size_t body, std::size_t channels,
                                           std::string& error, ServerTotals totals = {},
                                           Tuning tuning = Tuning::bench);
  // Stops the serving thread, then destroys the engine (its peers see resets).
  ~TofuServer();
  TofuServer(const TofuServer&) = delete;
  TofuServer& operator=(const TofuServer&) = delete;

  const tofu::Address& address() const noexcept { return address_; }
  std::uint64_t received() const noexcept { return totals_.received->load(std::memory_order_relaxed); }
  std::uint64_t accepted() const noexcept { return totals_.accepted->load(std::memory_order_relaxed); }
  pid_t ioTid() const noexcept { return ioTid_; }
  pid_t serveTid() const noexcept { return serveTid_.load(); }
  tofu::Ampe& ampe() noexcept { return reactor_->ampe(); }
  // The server engine's totals (never blocks, does not allocate).
  tofu::EngineCounters counters() const { return reactor_->ampe().counters(); }

 private:
  TofuServer() = default;
  void serve();

  std::unique_ptr<tofu::Reactor> reactor_;
  tofu::ChannelGroup* group_ = nullptr;
  tofu::Address address_;
  pid_t ioTid_ = 0;
  std::atomic<pid_t> serveTid_{0};
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> ownReceived_{0};
  std::atomic<std::uint64_t> ownAccepted_{0};
  ServerTotals totals_;
  std::thread thread_;
};

class TofuClient {
 public:
  // As TofuServer::start: optionsFor(tuning, body, channels), idle messages prewarmed; for
  // `transport` tls, trusting the prepareTls() CA.
  static std::unique_ptr<TofuClient> start(Transport transport, std::size_t body, std::size_t channels,
                                           std::string& error, Tuning tuning = Tuning::bench);
  ~TofuClient();
  TofuClient(const TofuClient&) = delete;
  TofuClient& operator=(const TofuClient&) = delete;

  tofu::Ampe& ampe() noexcept { return reactor_->ampe(); }
  tofu::ChannelGroup& group() noexcept { return *group_; }
  pid_t ioTid() const noexcept { return ioTid_; }

  // Opens `count` connections to `server` (HelloRequest, then the server's HelloResponse),
  // keeping at most `window` handshakes in flight; appends the client channel numbers.
  // Uses the group's receive queue (no other thread may wait on it meanwhile).
  bool connect(const tofu::Address& server, std::size_t count, std::vector<std::uint16_t>& channels,
               std::string& error, std::size_t window = 256);

  // Posts `body`-byte Signals round-robin over `channels` until `stop`, as fast as the
  // engine takes them: pool messages only (waiting in Ampe::waitGet while the pool is empty);
  // a channel whose send queue is full (notification_failed) is skipped, and once every
  // channel in a row refused, the thread waits on the group for a send-ready Signal (B16).
  // Returns success, or the first unexpected refusal, or the status of a failure notice
  // met while waiting (floodFailure() describes it). `waits` counts the waits: [0] pool
  // empty, [1] every send queue full (relaxed; any thread reads). Uses the group's receive
  // queue (no other thread may wait on it meanwhile).
  tofu::Status flood(const std::vector<std::uint16_t>& channels, std::size_t body, const std::atomic<bool>& stop,
                     std::atomic<std::uint64_t> (&waits)[2]);
  // The failure notice flood() met while waiting for room, described; empty when none.
  const std::string& floodFailure() const noexcept { return floodFailure_; }

 private:
  TofuClient() = default;
  // Waits up to kPoolWaitNs for the group's next notice: success for a send-ready Signal or
  // none, else the failure's status.
  tofu::Status awaitSendReady();

  std::unique_ptr<tofu::Reactor> reactor_;
  tofu::ChannelGroup* group_ = nullptr;
  pid_t ioTid_ = 0;
  std::string floodFailure_;
};

}  // namespace bench
