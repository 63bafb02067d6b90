// The engine's sockets seen from inside the test process: found among /proc/self/fd by their
// addresses, to inspect or pin what the other end of a raw peer cannot see (TCP_NODELAY, unread
// bytes, send buffers). Any thread; the descriptors stay the engine's.
#pragma once

#include <cstdint>
#include <vector>

#include "engine_harness.h"

namespace tofu::test {

class RawPeer;

// The local / peer port of socket `fd` (TCP over IPv4 or IPv6); 0 when it has none.
std::uint16_t localPort(int fd);
std::uint16_t peerPort(int fd);

// The engine's socket in this process for the TCP connection local:peer (B10 inspects it
// directly, since TCP_NODELAY cannot be seen from the other end). -1 when not found.
int findConnectedTcpSocket(std::uint16_t local, std::uint16_t peer);

// The bytes `peer` wrote that the engine in this process has not read yet, or -1 when they
// cannot be seen. TCP: exact, from the engine's socket (found by its ports). UDS: the peer's own
// send queue, which charges each buffer whole, overhead included, until it is read to its end.
int unreadBytes(Transport transport, const RawPeer& peer);

// Pins the send buffer of the engine's end of `peer`'s connection (found among this process's
// descriptors) to a small fixed size, so that frames stay pending in the engine until the test
// closes the channel instead of disappearing into the kernel. Linux grows a TCP send buffer on
// its own, even towards a peer that reads nothing; the engine asks a larger one for a UDS
// connection.
// UDS: a Unix socket does not say which socket is its peer, so every connection accepted on
// the listener `peer` reached is pinned.
void pinEngineSendBuffer(const RawPeer& peer);

// The engine's ends of the raw UDS `peer`'s connection, among this process's descriptors. A raw
// peer that connected to the engine's listener: every socket accepted on that path (a Unix socket
// does not say which one is its peer). A raw peer accepted by a raw listener: every socket
// connected to that listener's path. Empty for other peers.
std::vector<int> engineUnixSockets(const RawPeer& peer);

}  // namespace tofu::test
