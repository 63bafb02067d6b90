// tofu scenarios. Each run starts a fresh client engine and server engine (tofu_endpoints.h),
// measures, and tears both down; each function blocks for its run.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bench_types.h"

namespace bench {

// One-way Signals of `body` bytes over `channels` connections. A sender thread takes pool
// messages (poolOnly; while the pool is empty it waits in Ampe::waitGet) and posts them round-robin as fast
// as the send queues allow (on notification_failed it tries the next channel and yields once
// every channel refused); the server's serving thread counts and puts them back. Reports the
// allocations made in the window and the CPU share of the four busy threads.
// Both engines start with the Options `tuning` names (the sender and receiver code is the
// same for every choice). With Observer::inProcess, both engines stream their events
// (Ampe::startObserving) to a thread that polls them every millisecond; with
// Observer::telemetryPayloads, the server serves telemetry and a TelemetryMonitor reads it with
// payloads on: the row then shows what observing costs.
enum class Observer : std::uint8_t { none, inProcess, telemetryPayloads };
Sample runTofuThroughput(Transport transport, std::size_t channels, std::size_t body, const RunParams& params,
                         Tuning tuning = Tuning::bench, Observer observer = Observer::none);

// A `body`-byte Request answered with a Response by the serving thread; sequential. Both
// engines start with the Options `tuning` names (benchNoSpin: threads sleep when idle).
Sample runTofuRoundTrip(Transport transport, std::size_t body, const RunParams& params,
                        Tuning tuning = Tuning::bench);

// HelloRequest, the server's HelloResponse, then ByeSignal (abort), one connection after
// the other: connections/s.
Sample runTofuSetup(Transport transport, const RunParams& params);

// `channels` connections at once, the server engine in a forked child (child_process.h):
// time to open them, resident and heap bytes per connection (both ends), then one-way
// throughput as runTofuThroughput.
Sample runTofuScaling(Transport transport, std::size_t channels, std::size_t body, const RunParams& params);

}  // namespace bench
