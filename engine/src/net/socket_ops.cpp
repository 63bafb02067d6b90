#include "net/socket_ops.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace tofu::detail {

namespace {

constexpr int kListenBacklog = 1024;

void setIntOption(int fd, int level, int name, int value) noexcept {
  ::setsockopt(fd, level, name, &value, sizeof value);
}

void tune(int fd, const TcpTuning& tuning) noexcept {
  if (tuning.noDelay) setIntOption(fd, IPPROTO_TCP, TCP_NODELAY, 1);
  if (tuning.keepAliveSec == 0) return;
  const int seconds = static_cast<int>(tuning.keepAliveSec);
  setIntOption(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
  setIntOption(fd, IPPROTO_TCP, TCP_KEEPIDLE, seconds);
  setIntOption(fd, IPPROTO_TCP, TCP_KEEPINTVL, seconds);
  setIntOption(fd, IPPROTO_TCP, TCP_KEEPCNT, 3);
}

int newSocket(int family) { return ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0); }

bool udsSocketAddress(const std::string& path, SocketAddress& out) {
  sockaddr_un un{};
  if (path.empty() || path.size() >= sizeof un.sun_path) return false;
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path, path.data(), path.size());
  std::memcpy(&out.storage, &un, sizeof un);
  out.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return true;
}

}  // namespace

bool literalSocketAddress(const Address& address, SocketAddress& out) {
  if (address.kind() == AddressKind::uds) return udsSocketAddress(address.path(), out);
  sockaddr_in v4{};
  if (::inet_pton(AF_INET, address.host().c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(address.port());
    std::memcpy(&out.storage, &v4, sizeof v4);
    out.length = sizeof v4;
    return true;
  }
  sockaddr_in6 v6{};
  if (::inet_pton(AF_INET6, address.host().c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(address.port());
    std::memcpy(&out.storage, &v6, sizeof v6);
    out.length = sizeof v6;
    return true;
  }
  return false;
}

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

SocketResult openListener(const Address& address, const SocketAddress& socketAddress, std::uint32_t udsFileMode,
                          UdsFileIdentity& created) {
  SocketResult result;
  created = {};
  const bool uds = address.kind() == AddressKind::uds;
  if (uds) {
    result.status = prepareUdsPath(address.path(), socketAddress);
    if (result.status != Status::success) return result;
  }
  result.fd = Fd(newSocket(socketAddress.storage.ss_family));
  if (!result.fd.valid()) {
    result.status = Status::listen_failed;
    return result;
  }
  bool bound = false;
  if (uds) {
    bound = bindUdsFile(result.fd.get(), address.path(), socketAddress, udsFileMode, created) == Status::success;
  } else {
    setIntOption(result.fd.get(), SOL_SOCKET, SO_REUSEADDR, 1);
    const auto* raw = reinterpret_cast<const sockaddr*>(&socketAddress.storage);  // NOLINT: sockets API
    bound = ::bind(result.fd.get(), raw, socketAddress.length) == 0;
  }
  if (!bound || ::listen(result.fd.get(), kListenBacklog) != 0) {
    if (uds) removeUdsFile(address.path(), created);  // while the socket still pins its inode
    created = {};
    result.fd.reset();
    result.status = Status::listen_failed;
  }
  return result;
}

Address boundAddress(int listenerFd, const Address& requested) {
  if (requested.kind() == AddressKind::uds) return requested;
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(listenerFd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return requested;  // NOLINT
  std::uint16_t port = requested.port();
  if (storage.ss_family == AF_INET) {
    port = ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);  // NOLINT: sockets API
  } else if (storage.ss_family == AF_INET6) {
    port = ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);  // NOLINT: sockets API
  }
  return Address::tcp(requested.host(), port);
}

SocketResult startConnect(AddressKind kind, const SocketAddress& socketAddress, const TcpTuning& tuning) {
  SocketResult result;
  result.fd = Fd(newSocket(socketAddress.storage.ss_family));
  if (!result.fd.valid()) {
    result.status = Status::communication_failed;
    return result;
  }
  if (kind == AddressKind::tcp) tune(result.fd.get(), tuning);
  const auto* raw = reinterpret_cast<const sockaddr*>(&socketAddress.storage);  // NOLINT: sockets API
  int rc = 0;
  do {
    rc = ::connect(result.fd.get(), raw, socketAddress.length);
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) return result;
  if (errno == EINPROGRESS || (kind == AddressKind::uds && errno == EAGAIN)) {
    result.inProgress = true;
    return result;
  }
  const int error = errno;
  result.fd.reset();
  if (kind == AddressKind::uds) {
    result.status = error == ENOENT ? Status::uds_path_not_found : Status::communication_failed;
  } else {
    result.status = Status::connect_failed;
  }
  return result;
}

Status finishConnect(int fd) { return pendingSocketError(fd) == 0 ? Status::success : Status::connect_failed; }

int pendingSocketError(int fd) noexcept {
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
  return error;
}

AcceptOutcome acceptOne(int listenerFd, const TcpTuning& tuning, Fd& accepted) {
  sockaddr_storage peer{};
  socklen_t length = sizeof peer;
  const int fd = ::accept4(listenerFd, reinterpret_cast<sockaddr*>(&peer), &length,  // NOLINT: sockets API
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd >= 0) {
    if (peer.ss_family == AF_INET || peer.ss_family == AF_INET6) tune(fd, tuning);
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
