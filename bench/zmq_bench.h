// ZeroMQ baselines (built when CMake finds libzmq, TOFU_BENCH_HAVE_ZMQ=1): the same
// payloads through PUSH/PULL (one-way) and REQ/REP (round trip). Sender and receiver each
// get their own context with one I/O thread, as two tofu engines each have one. Each
// function blocks for its run.
#pragma once

#include <cstddef>

#include "bench_types.h"

namespace bench {

// True when the bench was built with ZeroMQ (and not under ThreadSanitizer).
bool zmqAvailable() noexcept;

// `channels` PUSH sockets connected to one PULL socket; a sender thread sends `body`-byte
// messages round-robin over them, a receiver thread counts what PULL delivers.
Sample runZmqPushPull(Transport transport, std::size_t channels, std::size_t body, const RunParams& params);

// REQ sends `body` bytes, a server thread's REP echoes them; sequential. Median and p99.
Sample runZmqReqRep(Transport transport, std::size_t body, const RunParams& params);

}  // namespace bench
