#include "net/uds_transport.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace tofu::detail {

namespace {
// Asked of SO_SNDBUF (Linux caps it at net.core.wmem_max and doubles it for its bookkeeping:
// 1 MiB where wmem_max allows, as on the development machine). A Unix socket reports
// writable again only once three quarters of its send buffer is free, so with the default
// 208 KiB a fast writer idled while the reader drained it: 64 B one-way over 1 UDS channel
// with default options moved about 5.3 M msgs/s, and 6.1-6.3 M with this (medians of 5
// alternating runs). A peer that does not read can hold this much kernel memory per
// connection, as TCP's automatic buffer sizing allows up to 4 MiB.
constexpr int kSendBufferBytes = 512 * 1024;
}  // namespace

bool UdsTransport::literalSocketAddress(const Address& address, SocketAddress& out) const {
  const std::string& path = address.path();
  sockaddr_un un{};
  if (path.empty() || path.size() >= sizeof un.sun_path) return false;
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path, path.data(), path.size());
  std::memcpy(&out.storage, &un, sizeof un);
  out.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return true;
}

SocketResult UdsTransport::connect(const SocketAddress& peer, const TcpTuning&) const {
  SocketResult result;
  result.fd = Fd(openStreamSocket(AF_UNIX));
  if (!result.fd.valid()) {
    result.status = Status::communication_failed;
    return result;
  }
  tuneConnection(result.fd.get(), {});
  const int error = connectSocket(result.fd.get(), peer);
  if (error == 0) return result;
  // A full backlog answers EAGAIN on a non-blocking Unix socket: wait for writability as TCP does.
  if (error == EINPROGRESS || error == EAGAIN) {
    result.inProgress = true;
    return result;
  }
  result.fd.reset();
  result.status = error == ENOENT ? Status::uds_path_not_found : Status::communication_failed;
  return result;
}

ListenerSocket UdsTransport::listen(const Address& local, const SocketAddress& socketAddress,
                                    std::uint32_t udsFileMode) const {
  ListenerSocket result;
  result.status = prepareUdsPath(local.path(), socketAddress);
  if (result.status != Status::success) return result;
  result.fd = Fd(openStreamSocket(AF_UNIX));
  if (!result.fd.valid()) {
    result.status = Status::listen_failed;
    return result;
  }
  const bool bound = bindUdsFile(result.fd.get(), local.path(), socketAddress, udsFileMode, result.file) ==
                     Status::success;
  if (bound && listenSocket(result.fd.get())) return result;
  removeUdsFile(local.path(), result.file);  // while the socket still pins its inode
  result.file = {};
  result.fd.reset();
  result.status = Status::listen_failed;
  return result;
}

void UdsTransport::releaseListener(const Address& local, const UdsFileIdentity& file) const {
  removeUdsFile(local.path(), file);
}

void UdsTransport::tuneConnection(int fd, const TcpTuning&) const {
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kSendBufferBytes, sizeof kSendBufferBytes);
}

}  // namespace tofu::detail
