#include "net/tcp_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace tofu::detail {

namespace {

void setIntOption(int fd, int level, int name, int value) noexcept {
  ::setsockopt(fd, level, name, &value, sizeof value);
}

}  // namespace

bool TcpTransport::literalSocketAddress(const Address& address, SocketAddress& out) const {
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

Status TcpTransport::checkPeer(const Address& peer) const noexcept {
  return peer.port() == 0 ? Status::invalid_address : Status::success;
}

SocketResult TcpTransport::connect(const SocketAddress& peer, const TcpTuning& tuning) const {
  SocketResult result;
  result.fd = Fd(openStreamSocket(peer.storage.ss_family));
  if (!result.fd.valid()) {
    result.status = Status::communication_failed;
    return result;
  }
  tuneConnection(result.fd.get(), tuning);
  const int error = connectSocket(result.fd.get(), peer);
  if (error == 0) return result;
  if (error == EINPROGRESS) {
    result.inProgress = true;
    return result;
  }
  result.fd.reset();
  result.status = Status::connect_failed;
  return result;
}

ListenerSocket TcpTransport::listen(const Address&, const SocketAddress& socketAddress, std::uint32_t) const {
  ListenerSocket result;
  result.fd = Fd(openStreamSocket(socketAddress.storage.ss_family));
  if (result.fd.valid()) {
    setIntOption(result.fd.get(), SOL_SOCKET, SO_REUSEADDR, 1);
    const auto* raw = reinterpret_cast<const sockaddr*>(&socketAddress.storage);  // NOLINT: sockets API
    if (::bind(result.fd.get(), raw, socketAddress.length) == 0 && listenSocket(result.fd.get())) return result;
  }
  result.fd.reset();
  result.status = Status::listen_failed;
  return result;
}

Address TcpTransport::boundAddress(int listenerFd, const Address& requested) const {
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

void TcpTransport::tuneConnection(int fd, const TcpTuning& tuning) const {
  if (tuning.noDelay) setIntOption(fd, IPPROTO_TCP, TCP_NODELAY, 1);
  if (tuning.keepAliveSec == 0) return;
  const int seconds = static_cast<int>(tuning.keepAliveSec);
  setIntOption(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
  setIntOption(fd, IPPROTO_TCP, TCP_KEEPIDLE, seconds);
  setIntOption(fd, IPPROTO_TCP, TCP_KEEPINTVL, seconds);
  setIntOption(fd, IPPROTO_TCP, TCP_KEEPCNT, 3);
}

}  // namespace tofu::detail
