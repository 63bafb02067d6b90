#include "socket_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <utility>

namespace bench {

Fd::Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

Fd::~Fd() { reset(); }

void Fd::reset() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

namespace {

void setNoDelay(int fd) {
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

sockaddr_un udsAddress(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  return address;
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

std::string errnoText(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

Fd listenSocket(Transport transport, Endpoint& bound, std::string& error);

}  // namespace

std::string Endpoint::zmqUrl() const {
  if (transport == Transport::tcp) return "tcp://127.0.0.1:" + std::to_string(port);
  return "ipc://" + path;
}

std::string tempSocketPath(const char* tag) {
  static std::atomic<unsigned> next{0};
  const char* dir = std::getenv("TMPDIR");
  std::string base = dir != nullptr && *dir != '\0' ? dir : "/tmp";
  return base + "/tofu-bench-" + std::to_string(::getpid()) + "-" + std::to_string(next++) + "-" + tag + ".sock";
}

Listener::Listener(Listener&& other) noexcept
    : fd_(std::move(other.fd_)), endpoint_(std::exchange(other.endpoint_, Endpoint{})) {}

Listener& Listener::operator=(Listener&& other) noexcept {
  if (this != &other) {
    removePath();
    fd_ = std::move(other.fd_);
    endpoint_ = std::exchange(other.endpoint_, Endpoint{});
  }
  return *this;
}

Listener::~Listener() { removePath(); }

void Listener::removePath() noexcept {
  fd_.reset();
  if (endpoint_.transport == Transport::uds && !endpoint_.path.empty()) ::unlink(endpoint_.path.c_str());
  endpoint_.path.clear();
}

Listener Listener::open(Transport transport, std::string& error) {
  Listener listener;
  listener.fd_ = listenSocket(transport, listener.endpoint_, error);
  return listener;
}

namespace {

Fd listenSocket(Transport transport, Endpoint& bound, std::string& error) {
  bound.transport = transport;
  if (transport == Transport::tcp) {
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const int on = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in address = loopback(0);
    socklen_t length = sizeof address;
    if (!fd.valid() || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(fd.get(), SOMAXCONN) != 0 || ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      error = errnoText("tcp listen");
      return {};
    }
    bound.port = ntohs(address.sin_port);
    return fd;
  }
  bound.path = tempSocketPath("raw");
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const sockaddr_un address = udsAddress(bound.path);
  if (!fd.valid() || ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd.get(), SOMAXCONN) != 0) {
    error = errnoText("uds listen");
    return {};
  }
  return fd;
}

}  // namespace

Fd connectTo(const Endpoint& endpoint, std::string& error) {
  if (endpoint.transport == Transport::tcp) {
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const sockaddr_in address = loopback(endpoint.port);
    if (!fd.valid() || ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      error = errnoText("tcp connect");
      return {};
    }
    setNoDelay(fd.get());
    return fd;
  }
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const sockaddr_un address = udsAddress(endpoint.path);
  if (!fd.valid() || ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    error = errnoText("uds connect");
    return {};
  }
  return fd;
}

Fd acceptOne(int listener) {
  for (;;) {
    Fd fd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
    if (fd.valid()) {
      sockaddr_storage local{};
      socklen_t length = sizeof local;
      if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &length) == 0 && local.ss_family == AF_INET) {
        setNoDelay(fd.get());
      }
      return fd;
    }
    if (errno != EINTR && errno != ECONNABORTED) return {};
  }
}

bool writeAll(int fd, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  while (size > 0) {
    const ssize_t written = ::write(fd, bytes, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes += written;
    size -= static_cast<std::size_t>(written);
  }
  return true;
}

bool readAll(int fd, void* data, std::size_t size) {
  auto* bytes = static_cast<std::uint8_t*>(data);
  while (size > 0) {
    const ssize_t got = ::read(fd, bytes, size);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    bytes += got;
    size -= static_cast<std::size_t>(got);
  }
  return true;
}

bool pollAll(int fd, void* data, std::size_t size) {
  auto* bytes = static_cast<std::uint8_t*>(data);
  while (size > 0) {
    const ssize_t got = ::recv(fd, bytes, size, MSG_DONTWAIT);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) {
      std::this_thread::yield();
      continue;
    }
    if (got <= 0) return false;
    bytes += got;
    size -= static_cast<std::size_t>(got);
  }
  return true;
}

void setNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

void setAbortiveClose(int fd) {
  const linger abortive{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
}

std::size_t raiseFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  return static_cast<std::size_t>(limit.rlim_cur);
}

}  // namespace bench
