// Internal, not part of the API.
// Socket calls every transport shares, with errno mapped to tofu statuses; what differs
// between TCP and Unix sockets is in tcp_transport.* and uds_transport.*.
// Plain functions; each call touches only the descriptors it is given. Never blocks except
// resolveTcp(), which must run off the reactor thread (B11).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "util/fd.h"
#include "tofu/address.h"
#include "tofu/status.h"

namespace tofu::detail {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

// Options applied to every TCP connection (B10, issue 7 keep-alive).
struct TcpTuning {
  bool noDelay = true;
  std::uint32_t keepAliveSec = 0;  // 0: keep-alive off
};

struct SocketResult {
  Status status = Status::success;
  Fd fd;
  bool inProgress = false;  // connect: wait for writability, then finishConnect()
};

// getaddrinfo for a TCP host name; invalid_address on failure. Blocks: resolver thread only.
Status resolveTcp(const Address& address, SocketAddress& out);

// A non-blocking, close-on-exec stream socket of `family`; -1 on failure.
int openStreamSocket(int family) noexcept;

// connect() on the non-blocking socket `fd`, retried on EINTR: 0 or the errno it failed with.
int connectSocket(int fd, const SocketAddress& peer) noexcept;

// listen() with the engine's backlog (1024).
bool listenSocket(int fd) noexcept;

// After writability: success or connect_failed (SO_ERROR).
Status finishConnect(int fd);

// The socket's pending error (SO_ERROR, which reading clears), 0 when it has none.
int pendingSocketError(int fd) noexcept;

enum class AcceptOutcome { accepted, drained, retry, exhausted };
// Accepts one pending connection (non-blocking, close-on-exec). `exhausted` means the
// process is out of descriptors or memory: pause the listener rather than spin (B5).
AcceptOutcome acceptOne(int listenerFd, Fd& accepted);

// The socket's own or its peer's address in header value syntax ("tcp|127.0.0.1|7099",
// "uds|/path"); empty when it has none (an unnamed Unix socket).
std::string localAddressOf(int fd);
std::string peerAddressOf(int fd);

// Makes the next close() send RST instead of FIN (abort, B13).
void setAbortiveClose(int fd) noexcept;

// True for errno values meaning the peer reset or went away.
bool isPeerGone(int error) noexcept;

}  // namespace tofu::detail
