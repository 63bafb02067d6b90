#include "tofu_bench.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "alloc_counter.h"
#include "measure.h"
#include "telemetry_monitor.h"
#include "tofu_endpoints.h"

namespace bench {
namespace {

constexpr std::uint64_t kReplyWaitNs = 10'000'000'000;
constexpr std::uint64_t kNoticeWaitNs = 100'000'000;

struct Ends {
  std::unique_ptr<TofuServer> server;
  std::unique_ptr<TofuClient> client;
  std::vector<std::uint16_t> channels;

  // Client first: its channels abort, then the server engine goes.
  ~Ends() {
    client.reset();
    server.reset();
  }
};

// A server, a client (both for `body`-byte messages, with the Options `tuning` names) and
// `channels` connections between them; false and `error` on failure.
bool openEnds(Ends& ends, Transport transport, std::size_t channels, std::size_t body, std::string& error,
              Tuning tuning = Tuning::bench, bool serveTelemetry = false) {
  ends.server = TofuServer::start(transport, body, channels, error, {}, serveTelemetry ? Tuning::benchTelemetry : tuning);
  if (!ends.server) return false;
  ends.client = TofuClient::start(transport, body, channels, error, tuning);
  if (!ends.client) return false;
  return ends.client->connect(ends.server->address(), channels, ends.channels, error);
}

tofu::MessagePtr newMessage(tofu::Ampe& ampe) {
  auto got = ampe.get(tofu::AllocationStrategy::always);
  return got.ok() ? std::move(got).value() : nullptr;
}

// Waits on the client group for the message matching `op`, `channel` and (if not 0) `id`;
// everything else (notifications of earlier channels) goes back to the pool.
tofu::MessagePtr awaitReply(TofuClient& client, tofu::OpCode op, std::uint16_t channel, std::uint64_t id,
                            std::string& error) {
  for (;;) {
    auto got = client.group().waitReceive(kReplyWaitNs);
    tofu::MessagePtr reply = got.ok() ? std::move(got).value() : nullptr;
    if (!reply) {
      error = std::string("no ") + tofu::toString(op);
      return nullptr;
    }
    if (reply->opCode() == op && reply->channelNumber() == channel && (id == 0 || reply->messageId() == id)) {
      if (reply->status() == tofu::Status::success) return reply;
      error = "reply failed: " + describe(*reply);
      client.ampe().put(reply);
      return nullptr;
    }
    client.ampe().put(reply);
  }
}

// Why a flood failed: the first failure notice on the client group (a channel the engine
// closed under the sender), the one the flood met or else looking through at most `limit`
// messages.
std::string firstFailureNotice(TofuClient& client, std::size_t limit = 100'000) {
  if (!client.floodFailure().empty()) return client.floodFailure();
  for (std::size_t i = 0; i < limit; ++i) {
    auto got = client.group().waitReceive(kNoticeWaitNs);
    tofu::MessagePtr message = got.ok() ? std::move(got).value() : nullptr;
    if (!message) break;
    const bool failed = tofu::isFailure(message->status());
    std::string text = describe(*message);
    client.ampe().put(message);
    if (failed) return text;
  }
  return "no failure notice on the client group";
}

}  // namespace

Sample runTofuThroughput(Transport transport, std::size_t channels, std::size_t body, const RunParams& params,
                         Tuning tuning, Observer observe) {
  Sample sample;
  Ends ends;
  if (!openEnds(ends, transport, channels, body, sample.error, tuning, observe == Observer::telemetryPayloads))
    return sample;

  std::unique_ptr<TelemetryMonitor> monitor;
  if (observe == Observer::telemetryPayloads) {
    monitor = TelemetryMonitor::attach(ends.server->ampe().telemetryAddress(), sample.error);
    if (!monitor) return sample;
  }
  std::atomic<bool> stopObserver{false};
  std::thread observer;
  if (observe == Observer::inProcess) {
    observer = std::thread([&, client = ends.client->ampe().startObserving({}),
                            server = ends.server->ampe().startObserving({})] {
      std::vector<tofu::Event> events;
      events.reserve(8192);
      while (!stopObserver.load()) {
        while (client->poll(events, 8192) + server->poll(events, 8192) > 0) events.clear();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }

  std::atomic<bool> stop{false};
  std::atomic<pid_t> senderTid{0};
  std::atomic<std::uint64_t> waits[2] = {0, 0};
  tofu::Status outcome = tofu::Status::success;
  std::thread sender([&] {
    senderTid = currentTid();
    outcome = ends.client->flood(ends.channels, body, stop, waits);
  });
  while (senderTid.load() == 0) std::this_thread::yield();
  ThreadClock clock;
  clock.add("sender", senderTid.load());
  clock.add("client I/O", ends.client->ioTid());
  clock.add("server I/O", ends.server->ioTid());
  clock.add("receiver", ends.server->serveTid());
  std::uint64_t poolEmptyAtStart = 0;
  std::uint64_t waitsAtStart[2] = {0, 0};
  WindowHooks hooks;
  hooks.threads = &clock;
  hooks.settleAllocations = true;
  hooks.atStart = [&] {
    poolEmptyAtStart = ends.server->counters().poolEmptyEpisodes;
    waitsAtStart[0] = waits[0].load();
    waitsAtStart[1] = waits[1].load();
  };
  hooks.atEnd = [&] {
    sample.poolEmpty = ends.server->counters().poolEmptyEpisodes - poolEmptyAtStart;
    sample.poolWaits = waits[0].load() - waitsAtStart[0];
    sample.queueWaits = waits[1].load() - waitsAtStart[1];
  };
  const Window window = measureWindow([&] { return ends.server->received(); }, params, hooks);
  stop = true;
  sender.join();
  stopObserver = true;
  if (observer.joinable()) observer.join();
  if (monitor && monitor->payloads() == 0 && !params.quick) {
    sample.error = "the telemetry monitor got no payloads";
    return sample;
  }
  monitor.reset();
  if (outcome != tofu::Status::success) {
    sample.error =
        std::string("enqueueToPeer: ") + tofu::toString(outcome) + " (" + firstFailureNotice(*ends.client) + ")";
    return sample;
  }
  sample.ok = window.count > 0 || params.quick;  // a smoke run only checks that it runs
  if (!sample.ok) sample.error = "nothing received";
  sample.messages = window.count;
  sample.allocations = window.allocations;
  sample.warmupAllocations = window.warmupAllocations;
  sample.warmupSeconds = window.warmupSeconds;
  sample.rate = static_cast<double>(window.count) / window.seconds;
  sample.cpuNs = window.cpuNs;
  sample.threads = window.threads;
  return sample;
}

Sample runTofuRoundTrip(Transport transport, std::size_t body, const RunParams& params, Tuning tuning) {
  Sample sample;
  Ends ends;
  if (!openEnds(ends, transport, 1, body, sample.error, tuning)) return sample;
  TofuClient& client = *ends.client;
  const std::uint16_t channel = ends.channels.front();
  const std::vector<std::uint8_t> payload(body, 'x');

  std::vector<double> latenciesUs;
  latenciesUs.reserve(1 << 20);
  const Clock::time_point start = Clock::now();
  const auto measureFrom = start + std::chrono::duration_cast<Clock::duration>(params.warmup);
  const auto measureUntil = measureFrom + std::chrono::duration_cast<Clock::duration>(params.measure);
  std::uint64_t allocationsAtStart = 0;
  for (Clock::time_point now = start; now < measureUntil;) {
    const Clock::time_point sent = Clock::now();
    if (sent >= measureFrom && latenciesUs.empty()) allocationsAtStart = allocStats().allocations;
    tofu::MessagePtr request = newMessage(client.ampe());
    request->setChannelNumber(channel);
    request->body().append(payload.data(), payload.size());
    auto posted = client.group().enqueueToPeer(request);
    if (!posted.ok()) {
      sample.error = std::string("posting Request: ") + tofu::toString(posted.status());
      client.ampe().put(request);
      return sample;
    }
    tofu::MessagePtr reply = awaitReply(client, tofu::OpCode::Response, channel, posted.value().messageId, sample.error);
    if (!reply) return sample;
    client.ampe().put(reply);
    now = Clock::now();
    if (sent >= measureFrom) latenciesUs.push_back(std::chrono::duration<double, std::micro>(now - sent).count());
  }
  if (latenciesUs.empty()) {
    sample.error = "no round trip completed";
    return sample;
  }
  sample.allocations = allocStats().allocations - allocationsAtStart;
  sample.ok = true;
  sample.messages = 2 * latenciesUs.size();  // a request and a response each
  sample.medianUs = quantile(latenciesUs, 0.5);
  sample.p99Us = quantile(latenciesUs, 0.99);
  return sample;
}

Sample runTofuSetup(Transport transport, const RunParams& params) {
  Sample sample;
  Ends ends;
  if (!openEnds(ends, transport, 0, 64, sample.error)) return sample;
  TofuClient& client = *ends.client;
  const tofu::Address& server = ends.server->address();

  const Clock::time_point start = Clock::now();
  const auto measureFrom = start + std::chrono::duration_cast<Clock::duration>(params.warmup);
  const auto measureUntil = measureFrom + std::chrono::duration_cast<Clock::duration>(params.measure);
  std::uint64_t completed = 0;
  Clock::time_point firstCounted{};
  Clock::time_point now = start;
  while (now < measureUntil) {
    const Clock::time_point begun = Clock::now();
    tofu::MessagePtr hello = newMessage(client.ampe());
    if (!hello || tofu::prepareHelloRequest(*hello, server) != tofu::Status::success) {
      sample.error = "cannot build a HelloRequest";
      return sample;
    }
    auto posted = client.group().enqueueToPeer(hello);
    if (!posted.ok()) {
      sample.error = std::string("posting HelloRequest: ") + tofu::toString(posted.status());
      return sample;
    }
    const std::uint16_t channel = posted.value().channelNumber;
    tofu::MessagePtr reply = awaitReply(client, tofu::OpCode::HelloResponse, channel, 0, sample.error);
    if (!reply) return sample;
    reply->reset();
    reply->setOpCode(tofu::OpCode::ByeSignal);
    reply->setChannelNumber(channel);
    if (!client.group().enqueueToPeer(reply).ok()) {
      sample.error = "posting ByeSignal failed";
      return sample;
    }
    now = Clock::now();
    if (begun >= measureFrom) {
      if (completed == 0) firstCounted = begun;
      ++completed;
    }
  }
  if (completed == 0) {
    sample.error = "no connection completed";
    return sample;
  }
  sample.ok = true;
  sample.messages = completed;
  sample.rate = static_cast<double>(completed) / std::chrono::duration<double>(now - firstCounted).count();
  return sample;
}

}  // namespace bench
