#include "net/uds_transport.h"

#include <sys/un.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace tofu::detail {

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

}  // namespace tofu::detail
