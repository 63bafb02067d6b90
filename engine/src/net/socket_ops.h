// Internal, not part of the API.
// Socket set-up for TCP and Unix-domain channels, with errno mapped to tofu statuses.
// Plain functions; each call touches only the descriptors it is given. Never blocks except
// resolveTcp(), which must run off the reactor thread (B11).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "util/fd.h"
#include "net/uds_socket_file.h"
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

// Fills `out` for a numeric TCP host or a UDS path; false when the host needs resolving.
bool literalSocketAddress(const Address& address, SocketAddress& out);

// getaddrinfo for a TCP host name; invalid_address on failure. Blocks: resolver thread only.
Status resolveTcp(const Address& address, SocketAddress& out);

// A non-blocking listening socket (SO_REUSEADDR, no SO_REUSEPORT, backlog 1024).
// UDS: refuses a path that is not a socket or where a listener answers (listen_failed),
// removes a stale socket file, and creates the new one with `udsFileMode` (0600 by default)
// before it listens (B8, issue 18); `created` then names the file, for removeUdsFile().
SocketResult openListener(const Address& address, const SocketAddress& socketAddress, std::uint32_t udsFileMode,
                          UdsFileIdentity& created);

// The address a listener actually bound (the real port when asked for port 0).
Address boundAddress(int listenerFd, const Address& requested);

// Starts a non-blocking connect. Immediate failures: uds_path_not_found (no such path),
// communication_failed (UDS path with no listener, other errors), connect_failed (TCP refused).
SocketResult startConnect(AddressKind kind, const SocketAddress& socketAddress, const TcpTuning& tuning);

// After writability: success or connect_failed (SO_ERROR).
Status finishConnect(int fd);

// The socket's pending error (SO_ERROR, which reading clears), 0 when it has none.
int pendingSocketError(int fd) noexcept;

enum class AcceptOutcome { accepted, drained, retry, exhausted };
// Accepts one pending connection (non-blocking, close-on-exec). `exhausted` means the
// process is out of descriptors or memory: pause the listener rather than spin (B5).
AcceptOutcome acceptOne(int listenerFd, const TcpTuning& tuning, Fd& accepted);

// The socket's own or its peer's address in header value syntax ("tcp|127.0.0.1|7099",
// "uds|/path"); empty when it has none (an unnamed Unix socket).
std::string localAddressOf(int fd);
std::string peerAddressOf(int fd);

// Makes the next close() send RST instead of FIN (abort, B13).
void setAbortiveClose(int fd) noexcept;

// True for errno values meaning the peer reset or went away.
bool isPeerGone(int error) noexcept;

}  // namespace tofu::detail
