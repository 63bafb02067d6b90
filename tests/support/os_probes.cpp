#include "os_probes.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <gtest/gtest.h>

namespace tofu::test {

ReservedTcpPort::ReservedTcpPort() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(local);
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<const sockaddr*>(&local), length) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &length) != 0) {
    ADD_FAILURE() << "ReservedTcpPort: " << std::strerror(errno);
    release();
    return;
  }
  port_ = ntohs(local.sin_port);
}

ReservedTcpPort::~ReservedTcpPort() { release(); }

void ReservedTcpPort::release() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

std::size_t residentBytes() {
  const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    ADD_FAILURE() << "cannot open /proc/self/statm";
    return 0;
  }
  char text[128] = {};
  const ssize_t got = ::read(fd, text, sizeof(text) - 1);
  ::close(fd);
  if (got <= 0) {
    ADD_FAILURE() << "cannot read /proc/self/statm";
    return 0;
  }
  char* rest = nullptr;
  std::strtoul(text, &rest, 10);                                // total program size
  const unsigned long pages = std::strtoul(rest, nullptr, 10);  // resident
  return static_cast<std::size_t>(pages) * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace tofu::test
