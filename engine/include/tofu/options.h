// Options: how an engine (Reactor) is configured. Plain value; defaults are documented here.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tofu {

struct Options {
  // Messages pre-allocated in the pool. 0 means the default, 16.
  std::uint16_t initialPoolMsgs = 16;
  // Most idle messages the pool keeps; extra returned messages are freed. 0 means the
  // default, 64; a value below initialPoolMsgs is raised to it. Received frames are read
  // into pool messages only, so this also bounds how much a slow receiver can buffer (B6).
  std::uint16_t maxPoolMsgs = 64;
  // Per-channel send queue limit in bytes of frames not yet written (B6). Past it,
  // enqueueToPeer() fails with notification_failed and the caller keeps the message.
  // A message is always accepted on an empty queue, whatever its size.
  std::size_t sendQueueLimitBytes = 8u * 1024u * 1024u;
  // Fails a HelloRequest with connect_failed when the connection is not up in time (B11).
  // 0 leaves it to the operating system.
  std::uint32_t connectTimeoutMs = 0;
  // TCP_NODELAY on every TCP channel (B10); frames are already gathered into few writes.
  bool tcpNoDelay = true;
};

}  // namespace tofu
