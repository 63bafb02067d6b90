// Vocabulary shared by every benchmark: what is measured (a Case: kind, implementation,
// transport, channel count, body size), how long (RunParams) and what one run produced
// (Sample). Plain values; no thread rules.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace bench {

// tls: tofu over TLS 1.3 over TCP, the server's certificate verified (tofu rows only).
enum class Transport : std::uint8_t { tcp, uds, tls };
const char* toString(Transport transport) noexcept;

// What a row measures.
enum class Kind : std::uint8_t {
  throughput,  // one-way messages/s, counted by the receiver
  roundTrip,   // one 64 B request answered by one response, sequentially
  setup,       // connect + hello exchange + abort, sequentially
  scaling,     // many connections open at once: throughput and memory per channel
};
const char* toString(Kind kind) noexcept;

// Who does the work.
enum class Impl : std::uint8_t {
  tofuDefaults,  // tofu with tofu::Options{} as shipped, on both ends (issue 17: what users get)
  tofu,          // tofu with the bench's tuned Options (Tuning::bench)
  tofuObserved,  // tofu with an observer polling both engines' event streams (issue 3 cost)
  tofuObservedPayloads,  // tofu with a monitor attached to the server's telemetry, payloads on (issue 20)
  tofuNoSpin,    // tofu with Options::spinMicros 0: every idle thread sleeps at once
  rawBatched,   // raw sockets, many frames per write() (throughput baseline)
  rawPerFrame,  // raw sockets, one write() per frame
  raw,          // raw sockets, round trip and set-up baseline
  rawPolling,   // raw sockets, round trip with non-blocking reads in a yield loop (never sleeps)
  zmq,          // ZeroMQ push/pull (throughput) or req/rep (round trip)
};
const char* toString(Impl impl) noexcept;

// Which Options a tofu run's engines (both ends) start with; the application side (sender,
// serving thread) is the same code whatever the choice.
enum class Tuning : std::uint8_t {
  bench,        // benchOptions(): pool and send queues sized for the run, no telemetry
  benchNoSpin,  // the same with Options::spinMicros 0
  defaults,     // tofu::Options{} untouched (TOFU_TELEMETRY honoured, as in any application)
  benchTelemetry,  // benchOptions() serving telemetry on a fresh UDS path (default body limit)
};

struct CaseKey {
  Kind kind = Kind::throughput;
  Transport transport = Transport::tcp;
  std::size_t channels = 1;  // connections open between sender and receiver
  std::size_t body = 64;     // payload bytes per message
  bool operator==(const CaseKey&) const = default;
};

struct RunParams {
  std::chrono::duration<double> warmup{0.3};
  std::chrono::duration<double> measure{1.0};
  bool quick = false;
};

// CPU time one thread spent during the measurement window, as a fraction of the window.
struct ThreadLoad {
  std::string name;
  double busy = 0;
};

struct Sample {
  bool ok = false;
  std::string error;  // why the run failed, when !ok

  double rate = 0;      // messages/s (throughput, scaling) or connections/s (setup)
  double medianUs = 0;  // round trip
  double p99Us = 0;     // round trip
  std::uint64_t messages = 0;     // messages counted in the window
  std::uint64_t allocations = 0;  // operator new calls in the window (tofu rows)
  std::uint64_t warmupAllocations = 0;  // operator new calls in the warm-up before it (tofu rows)
  double warmupSeconds = 0;             // how long that warm-up lasted
  double rssPerChannel = 0;       // scaling: resident bytes per connection, both ends
  double heapPerChannel = 0;      // scaling: live operator-new bytes per connection, both ends
  double setupSeconds = 0;        // scaling: time to open every connection
  std::uint64_t poolEmpty = 0;    // tofu: receiving engine's pool_empty episodes in the window
  std::uint64_t cpuNs = 0;        // CPU time of every process involved, during the window
  std::uint64_t poolWaits = 0;    // tofu: sender waits (Ampe::waitGet) for an empty pool
  std::uint64_t queueWaits = 0;   // tofu: sender yields because every send queue was full
  std::vector<ThreadLoad> threads;
};

struct Case {
  Impl impl = Impl::tofu;
  CaseKey key;
  std::function<Sample(const RunParams&)> run;

  // "throughput/tofu/tcp/16ch/64B": what --filter matches.
  std::string label() const;
};

}  // namespace bench
