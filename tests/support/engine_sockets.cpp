#include "engine_sockets.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "raw_peer.h"

namespace tofu::test {

namespace {

std::uint16_t portOf(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
  }
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
  }
  return 0;
}

}  // namespace

std::uint16_t localPort(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  return ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0 ? portOf(address) : 0;
}

std::uint16_t peerPort(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  return ::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0 ? portOf(address) : 0;
}

int findConnectedTcpSocket(std::uint16_t local, std::uint16_t peer) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::atoi(entry.path().filename().c_str());
    if (localPort(fd) == local && peerPort(fd) == peer) {
      return fd;
    }
  }
  return -1;
}

int unreadBytes(Transport transport, const RawPeer& peer) {
  int bytes = -1;
  if (transport == Transport::uds) {
    if (::ioctl(peer.fd(), SIOCOUTQ, &bytes) != 0) return -1;
    return bytes;
  }
  const int engineSide = findConnectedTcpSocket(peerPort(peer.fd()), localPort(peer.fd()));
  if (engineSide < 0 || ::ioctl(engineSide, FIONREAD, &bytes) != 0) return -1;
  return bytes;
}

namespace {

constexpr int kPinnedSendBufferBytes = 16 * 1024;

void pinSendBuffer(int fd) {
  EXPECT_EQ(::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kPinnedSendBufferBytes, sizeof(kPinnedSendBufferBytes)), 0)
      << std::strerror(errno);
}

// The path a Unix socket is bound to ("" when unnamed); `peer` asks for the other end's.
std::string unixPath(int fd, bool peer) {
  sockaddr_un address{};
  socklen_t length = sizeof(address);
  const int result = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length)
                          : ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  if (result != 0 || address.sun_family != AF_UNIX || length <= offsetof(sockaddr_un, sun_path)) return {};
  return std::string(address.sun_path);  // NOLINT: a path socket's name ends with its NUL
}

bool hasPeer(int fd) {
  sockaddr_un address{};
  socklen_t length = sizeof(address);
  return ::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
}

}  // namespace

std::vector<int> engineUnixSockets(const RawPeer& peer) {
  const std::string listenerOfEngine = unixPath(peer.fd(), true);
  const std::string rawListener = listenerOfEngine.empty() ? unixPath(peer.fd(), false) : std::string();
  std::vector<int> found;
  if (listenerOfEngine.empty() && rawListener.empty()) return found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::atoi(entry.path().filename().c_str());
    if (fd == peer.fd()) continue;
    const bool engineEnd = listenerOfEngine.empty()
                               ? unixPath(fd, true) == rawListener
                               : unixPath(fd, false) == listenerOfEngine && hasPeer(fd);
    if (engineEnd) found.push_back(fd);
  }
  return found;
}

void pinEngineSendBuffer(const RawPeer& peer) {
  sockaddr_storage local{};
  socklen_t length = sizeof(local);
  if (::getsockname(peer.fd(), reinterpret_cast<sockaddr*>(&local), &length) != 0) return;
  if (local.ss_family == AF_UNIX) {
    const std::vector<int> engineEnds = engineUnixSockets(peer);
    EXPECT_FALSE(engineEnds.empty()) << "pinEngineSendBuffer: no engine socket found for the raw UDS peer";
    for (const int fd : engineEnds) pinSendBuffer(fd);
    return;
  }
  if (local.ss_family != AF_INET) return;
  const int engineEnd = findConnectedTcpSocket(peerPort(peer.fd()), localPort(peer.fd()));
  if (engineEnd < 0) {
    ADD_FAILURE() << "pinEngineSendBuffer: the engine's socket for the raw peer's port " << localPort(peer.fd())
                  << " was not found";
    return;
  }
  pinSendBuffer(engineEnd);
}

}  // namespace tofu::test
