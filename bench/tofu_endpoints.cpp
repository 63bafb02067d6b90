#include "tofu_endpoints.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <string>
#include <sstream>

#include "measure.h"
#include "socket_util.h"
#if TOFU_BENCH_HAVE_TLS
#include "tls_certificates.h"
#endif

#include <unistd.h>

namespace bench {
namespace {

constexpr std::uint64_t kServeSliceNs = 10'000'000;  // how often the serving thread checks stop
constexpr std::uint64_t kHandshakeWaitNs = 10'000'000'000;
constexpr std::uint64_t kPoolWaitNs = 10'000'000;    // how often a waiting sender checks stop

// A started engine with one group; `ioTid` is its I/O thread.
std::unique_ptr<tofu::Reactor> startEngine(const tofu::Options& options, tofu::ChannelGroup*& group, pid_t& ioTid,
                                           std::string& error) {
  const std::vector<pid_t> before = listThreads();
  auto created = tofu::Reactor::create(options);
  if (!created.ok()) {
    error = std::string("Reactor::create: ") + tofu::toString(created.status());
    return nullptr;
  }
  std::unique_ptr<tofu::Reactor> reactor = std::move(created).value();
  // The first thread it added (tids grow): a telemetry server adds its own two after it.
  ioTid = 0;
  for (const pid_t tid : listThreads()) {
    if (std::find(before.begin(), before.end(), tid) == before.end() && (ioTid == 0 || tid < ioTid)) ioTid = tid;
  }
  auto made = reactor->ampe().create();
  if (!made.ok()) {
    error = std::string("Ampe::create: ") + tofu::toString(made.status());
    return nullptr;
  }
  group = made.value();
  return reactor;
}

tofu::MessagePtr newMessage(tofu::Ampe& ampe) {
  auto got = ampe.get(tofu::AllocationStrategy::always);
  return got.ok() ? std::move(got).value() : nullptr;
}

// optionsFor(), plus for tls the server's certificate or the CA the client verifies it with.
tofu::Options endOptions(Transport transport, bool server, Tuning tuning, std::size_t body, std::size_t channels) {
  tofu::Options options = optionsFor(tuning, body, channels);
#if TOFU_BENCH_HAVE_TLS
  if (transport == Transport::tls) {
    const tofu::test::TlsCertificates& files = tofu::test::TlsCertificates::get();
    const tofu::Options tls = server ? files.serverOptions(files.server) : files.clientOptions();
    options.tlsCertificateChainFile = tls.tlsCertificateChainFile;
    options.tlsPrivateKeyFile = tls.tlsPrivateKeyFile;
    options.tlsCaFile = tls.tlsCaFile;
  }
#else
  (void)transport;
  (void)server;
#endif
  return options;
}

}  // namespace

bool prepareTls(std::string& error) {
#if TOFU_BENCH_HAVE_TLS
  try {
    (void)tofu::test::TlsCertificates::get();
    return true;
  } catch (const std::exception& failure) {
    error = failure.what();
    return false;
  }
#else
  error = "this build has no TLS (TOFU_WITH_TLS)";
  return false;
#endif
}

tofu::Options benchOptions(std::size_t body, std::size_t channels, bool spin) {
  // 4 MiB of bodies: the messages in flight stay in the caches. With 32 MiB of 64 KiB bodies
  // every copy into a message missed them and 64 KiB throughput fell by a third to a half.
  constexpr std::size_t kPoolBodyBytes = 4u * 1024u * 1024u;
  // 32 per channel: at 256 TCP channels, 16 per channel (4,096) left about 12 frames per
  // sendmsg() and TCP 64 B at 1.2-1.7 M msgs/s; 32 gave 2.3-2.7 M, UDS unchanged. 64 per
  // channel was worse again on UDS: the sender and receiver missed the caches on every message.
  constexpr std::size_t kLeastMessages = 4096;
  constexpr std::size_t kMessagesPerChannel = 32;
  const std::size_t wanted = std::max(kLeastMessages, kMessagesPerChannel * channels);
  const std::size_t messages = std::clamp(std::min(wanted, kPoolBodyBytes / std::max<std::size_t>(body, 1)),
                                          std::size_t{16}, std::size_t{UINT16_MAX});
  tofu::Options options;
  options.initialPoolMsgs = static_cast<std::uint16_t>(messages);
  // The pool grows past its initial messages while receiving; keeping what it grew to means
  // steady traffic allocates nothing. The receive budget keeps those messages in flight, as the
  // pool did before it grew (B14): a message costs its object and buffers, about 600 bytes
  // plus the body.
  options.maxPoolMsgs = UINT16_MAX;
  constexpr std::size_t kMessageOverheadBytes = 600;
  options.receiveBudgetBytes = messages * (kMessageOverheadBytes + body);
  options.sendQueueLimitBytes = 16u * 1024u * 1024u;
  options.maxChannels = 0;
  options.telemetryFromEnvironment = false;  // measure the engine alone, whatever TOFU_TELEMETRY says
  if (!spin) options.spinMicros = 0;
  return options;
}

tofu::Options optionsFor(Tuning tuning, std::size_t body, std::size_t channels) {
  if (tuning == Tuning::defaults) return tofu::Options{};
  tofu::Options options = benchOptions(body, channels, tuning != Tuning::benchNoSpin);
  if (tuning == Tuning::benchTelemetry) {
    static std::atomic<int> serial{0};
    options.telemetryAddress = "uds|/tmp/tofu-bench-telemetry-" + std::to_string(::getpid()) + "-" +
                               std::to_string(serial.fetch_add(1)) + ".sock";
  }
  return options;
}

void prewarmPool(tofu::Ampe& ampe, std::size_t body) {
  std::vector<tofu::MessagePtr> idle;
  for (;;) {
    auto got = ampe.get(tofu::AllocationStrategy::poolOnly);
    if (!got.ok() || !got.value()) break;
    idle.push_back(std::move(got).value());
    idle.back()->body().resize(body);
  }
  for (tofu::MessagePtr& message : idle) ampe.put(message);
}

std::string describe(const tofu::Message& message) {
  std::ostringstream out;
  out << tofu::toString(message.opCode()) << " ch=" << message.channelNumber()
      << " origin=" << tofu::toString(message.origin()) << " status=" << tofu::toString(message.status());
  return out.str();
}

// ---- TofuServer ----

std::unique_ptr<TofuServer> TofuServer::start(Transport transport, std::size_t body, std::size_t channels,
                                              std::string& error, ServerTotals totals, Tuning tuning) {
  std::unique_ptr<TofuServer> server(new TofuServer());
  server->totals_.received = totals.received != nullptr ? totals.received : &server->ownReceived_;
  server->totals_.accepted = totals.accepted != nullptr ? totals.accepted : &server->ownAccepted_;
  server->reactor_ =
      startEngine(endOptions(transport, true, tuning, body, channels), server->group_, server->ioTid_, error);
  if (!server->reactor_) return nullptr;

  tofu::Ampe& ampe = server->reactor_->ampe();
  tofu::MessagePtr welcome = newMessage(ampe);
  const tofu::Address local = transport == Transport::tcp   ? tofu::Address::tcp("127.0.0.1", 0)
                              : transport == Transport::tls ? tofu::Address::tls("127.0.0.1", 0)
                                                            : tofu::Address::uds(tempSocketPath("tofu"));
  if (!welcome || tofu::prepareWelcomeRequest(*welcome, local) != tofu::Status::success) {
    error = "cannot build the WelcomeRequest";
    return nullptr;
  }
  auto posted = server->group_->enqueueToPeer(welcome);
  if (!posted.ok()) {
    error = std::string("posting WelcomeRequest: ") + tofu::toString(posted.status());
    return nullptr;
  }
  auto reply = server->group_->waitReceive(kHandshakeWaitNs);
  tofu::MessagePtr response = reply.ok() ? std::move(reply).value() : nullptr;
  if (!response || response->opCode() != tofu::OpCode::WelcomeResponse || response->status() != tofu::Status::success) {
    error = "listen failed: " + (response ? describe(*response) : std::string("no WelcomeResponse"));
    if (response) ampe.put(response);
    return nullptr;
  }
  const auto value = response->headers().find(tofu::kListenOnHeader);
  auto bound = value ? tofu::Address::parse(*value) : tofu::Result<tofu::Address>(tofu::Status::invalid_address);
  ampe.put(response);
  if (!bound.ok()) {
    error = "WelcomeResponse without a usable ~listen_on";
    return nullptr;
  }
  server->address_ = bound.value();
  prewarmPool(ampe, body);
  server->thread_ = std::thread([raw = server.get()] { raw->serve(); });
  while (server->serveTid() == 0) std::this_thread::yield();
  return server;
}

TofuServer::~TofuServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  reactor_.reset();
}

void TofuServer::serve() {
  serveTid_ = currentTid();
  tofu::Ampe& ampe = reactor_->ampe();
  std::uint64_t received = totals_.received->load();
  std::uint64_t accepted = totals_.accepted->load();
  while (!stop_.load(std::memory_order_relaxed)) {
    auto got = group_->waitReceive(kServeSliceNs);
    if (!got.ok()) break;  // shutdown_started
    tofu::MessagePtr message = std::move(got).value();
    if (!message) continue;
    if (message->isFromApplication() && message->status() == tofu::Status::success) {
      switch (message->opCode()) {
        case tofu::OpCode::Signal:
          totals_.received->store(++received, std::memory_order_relaxed);
          break;
        case tofu::OpCode::HelloRequest:
          message->setOpCode(tofu::OpCode::HelloResponse);
          message->headers().reset();
          message->body().reset();
          if (group_->enqueueToPeer(message).ok()) totals_.accepted->store(++accepted, std::memory_order_relaxed);
          break;
        case tofu::OpCode::Request:
          message->setOpCode(tofu::OpCode::Response);
          (void)group_->enqueueToPeer(message);  // on failure the message is put back below
          break;
        default:
          break;
      }
    }
    ampe.put(message);  // a no-op for a message the engine took
  }
}

// ---- TofuClient ----

std::unique_ptr<TofuClient> TofuClient::start(Transport transport, std::size_t body, std::size_t channels,
                                              std::string& error, Tuning tuning) {
  std::unique_ptr<TofuClient> client(new TofuClient());
  client->reactor_ =
      startEngine(endOptions(transport, false, tuning, body, channels), client->group_, client->ioTid_, error);
  if (!client->reactor_) return nullptr;
  prewarmPool(client->ampe(), body);
  return client;
}

TofuClient::~TofuClient() = default;

bool TofuClient::connect(const tofu::Address& server, std::size_t count, std::vector<std::uint16_t>& channels,
                         std::string& error, std::size_t window) {
  std::size_t posted = 0;
  std::size_t done = 0;
  while (done < count) {
    while (posted < count && posted - done < window) {
      tofu::MessagePtr hello = newMessage(ampe());
      if (!hello || tofu::prepareHelloRequest(*hello, server) != tofu::Status::success) {
        error = "cannot build a HelloRequest";
        return false;
      }
      auto sent = group_->enqueueToPeer(hello);
      if (!sent.ok()) {
        error = std::string("posting HelloRequest: ") + tofu::toString(sent.status());
        ampe().put(hello);
        return false;
      }
      ++posted;
    }
    auto got = group_->waitReceive(kHandshakeWaitNs);
    tofu::MessagePtr reply = got.ok() ? std::move(got).value() : nullptr;
    if (!reply) {
      error = "no HelloResponse after " + std::to_string(done) + " connections";
      return false;
    }
    if (reply->opCode() == tofu::OpCode::HelloResponse && reply->isFromApplication() &&
        reply->status() == tofu::Status::success) {
      channels.push_back(reply->channelNumber());
      ++done;
    } else if (tofu::isFailure(reply->status()) && reply->status() != tofu::Status::pool_empty) {
      // pool_empty only says the engine paused reading until messages come back (B5).
      error = "connecting: " + describe(*reply);
      ampe().put(reply);
      return false;
    }
    ampe().put(reply);
  }
  return true;
}

tofu::Status TofuClient::awaitSendReady() {
  auto got = group_->waitReceive(kPoolWaitNs);
  if (!got.ok()) return got.status();
  tofu::MessagePtr notice = std::move(got).value();
  if (!notice) return tofu::Status::success;  // the wait timed out: check stop, post again
  const tofu::Status status = notice->status();
  if (tofu::isFailure(status) && floodFailure_.empty()) floodFailure_ = describe(*notice);
  ampe().put(notice);
  return tofu::isFailure(status) ? status : tofu::Status::success;
}

tofu::Status TofuClient::flood(const std::vector<std::uint16_t>& channels, std::size_t body,
                               const std::atomic<bool>& stop, std::atomic<std::uint64_t> (&waits)[2]) {
  std::uint64_t poolWaits = 0;
  std::uint64_t queueWaits = 0;
  const std::vector<std::uint8_t> payload(body, 'x');
  std::size_t next = 0;
  std::size_t refusedInRow = 0;
  while (!stop.load(std::memory_order_relaxed)) {
    auto got = ampe().get(tofu::AllocationStrategy::poolOnly);
    tofu::MessagePtr message = got.ok() ? std::move(got).value() : nullptr;
    if (!message) {
      // Polls for spinMicros, then sleeps, until the engine puts a written message back.
      waits[0].store(++poolWaits, std::memory_order_relaxed);
      got = ampe().waitGet(kPoolWaitNs);
      if (!got.ok()) return got.status();
      message = std::move(got).value();
      if (!message) continue;
    }
    message->setOpCode(tofu::OpCode::Signal);
    message->body().append(payload.data(), payload.size());
    for (;;) {
      message->setChannelNumber(channels[next]);
      next = next + 1 == channels.size() ? 0 : next + 1;
      auto posted = group_->enqueueToPeer(message);
      if (posted.ok()) {
        refusedInRow = 0;
        break;
      }
      if (posted.status() != tofu::Status::notification_failed || stop.load(std::memory_order_relaxed)) {
        ampe().put(message);
        return posted.status() == tofu::Status::notification_failed ? tofu::Status::success : posted.status();
      }
      if (++refusedInRow >= channels.size()) {
        refusedInRow = 0;
        waits[1].store(++queueWaits, std::memory_order_relaxed);
        // As an application would: sleep until the engine says a queue has room (B16), which
        // leaves the cores to the engines (a yielding sender took a third of one in 64 KiB rows).
        const tofu::Status failed = awaitSendReady();
        if (failed != tofu::Status::success) {
          ampe().put(message);
          return failed;
        }
      }
    }
  }
  return tofu::Status::success;
}

}  // namespace bench
