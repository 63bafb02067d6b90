// Raw-socket baselines: what the kernel alone costs for the same traffic. Frames are a
// 16-byte header (body length in bytes 12..15, big-endian) plus the body, like a tofu frame
// without text headers. Real loopback TCP (127.0.0.1, TCP_NODELAY) or UDS listener and
// connector; a sender thread and a receiver thread (epoll over every connection) that parses
// frame boundaries and counts frames. Each function blocks for its run (warm-up + window).
#pragma once

#include <cstddef>

#include "bench_types.h"

namespace bench {

// One-way frames over `channels` connections, sender writing round-robin: `batched` writes
// up to 512 frames (at most 256 KiB) serialized in one buffer per write(), otherwise one
// write() per frame.
Sample runRawThroughput(Transport transport, std::size_t channels, std::size_t body, bool batched,
                        const RunParams& params);

// One frame written, echoed back by a server thread, read; sequential. Median and p99.
// `polling`: both ends read without sleeping (pollAll), as tofu's threads do while they spin.
Sample runRawRoundTrip(Transport transport, std::size_t body, const RunParams& params, bool polling = false);

// connect + one 64 B frame each way + abortive close, sequentially: connections/s.
Sample runRawSetup(Transport transport, const RunParams& params);

// One-way frames (batched as in runRawThroughput, or one write() per frame) over `channels`
// connections whose receiving end is a forked child (see child_process.h); also reports the
// time to open them.
Sample runRawScaling(Transport transport, std::size_t channels, std::size_t body, bool batched,
                     const RunParams& params);

}  // namespace bench
