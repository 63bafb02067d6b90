#include "net/socket_ops.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace tofu::detail {

namespace {
constexpr int kListenBacklog = 1024;
}  // namespace

Status resolveTcp(const Address& address, SocketAddress& out) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(address.port());
  if (::getaddrinfo(address.host().c_str(), service.c_str(), &hints, &found) != 0 || found == nullptr) {
    return Status::invalid_address;
  }
  std::memcpy(&out.storage, found->ai_addr, found->ai_addrlen);
  out.length = found->ai_addrlen;
  ::freeaddrinfo(found);
  return Status::success;
}

int openStreamSocket(int family) noexcept {
  return ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

int connectSocket(int fd, const SocketAddress& peer) noexcept {
  const auto* raw = reinterpret_cast<const sockaddr*>(&peer.storage);  // NOLINT: sockets API
  while (::connect(fd, raw, peer.length) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

bool listenSocket(int fd) noexcept { return ::listen(fd, kListenBacklog) == 0; }

Status finishConnect(int fd) { return pendingSocketError(fd) == 0 ? Status::success : Status::connect_failed; }

int pendingSocketError(int fd) noexcept {
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
  return error;
}

AcceptOutcome acceptOne(int listenerFd, Fd& accepted) {
  sockaddr_storage peer{};
  socklen_t length = sizeof peer;
  const int fd = ::accept4(listenerFd, reinterpret_cast<sockaddr*>(&peer), &length,  // NOLINT: sockets API
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd >= 0) {
    accepted.reset(fd);
    return AcceptOutcome::accepted;
  }
  switch (errno) {
    case EAGAIN:
      return AcceptOutcome::drained;
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
      return AcceptOutcome::exhausted;
    default:  // EINTR, ECONNABORTED, EPROTO...: this connection is gone, try the next
      return AcceptOutcome::retry;
  }
}

namespace {
std::string describe(const sockaddr_storage& storage, socklen_t length) {
  char host[INET6_ADDRSTRLEN] = {};
  switch (storage.ss_family) {
    case AF_INET: {
      const auto* v4 = reinterpret_cast<const sockaddr_in*>(&storage);  // NOLINT: sockets API
      ::inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
      return Address::tcp(host, ntohs(v4->sin_port)).toString();
    }
    case AF_INET6: {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&storage);  // NOLINT: sockets API
      ::inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
      return Address::tcp(host, ntohs(v6->sin6_port)).toString();
    }
    case AF_UNIX: {
      const auto* un = reinterpret_cast<const sockaddr_un*>(&storage);  // NOLINT: sockets API
      const auto pathLength = static_cast<std::size_t>(length) - offsetof(sockaddr_un, sun_path);
      if (length <= offsetof(sockaddr_un, sun_path) || un->sun_path[0] == '\0') return {};
      return Address::uds(std::string(un->sun_path, ::strnlen(un->sun_path, pathLength))).toString();
    }
    default:
      return {};
  }
}
}  // namespace

std::string localAddressOf(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return {};  // NOLINT
  return describe(storage, length);
}

std::string peerAddressOf(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return {};  // NOLINT
  return describe(storage, length);
}

void setAbortiveClose(int fd) noexcept {
  linger option{};
  option.l_onoff = 1;
  option.l_linger = 0;
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, sizeof option);
}

bool isPeerGone(int error) noexcept { return error == ECONNRESET || error == EPIPE || error == ECONNABORTED; }

}  // namespace tofu::detail
