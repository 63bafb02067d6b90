#include "os_probes.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

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

namespace {

sockaddr_in ipv4(std::uint32_t hostOrder) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(hostOrder);
  return address;
}

// In the calling thread's (fresh) network namespace: loopback up, 10.0.0.0/8 routed into it.
bool routeTenIntoLoopback() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  char loopbackName[] = "lo";
  ifreq loopback{};
  std::memcpy(loopback.ifr_name, loopbackName, sizeof(loopbackName));
  loopback.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
  rtentry route{};
  const sockaddr_in destination = ipv4(0x0A000000);  // 10.0.0.0
  const sockaddr_in mask = ipv4(0xFF000000);         // /8
  std::memcpy(&route.rt_dst, &destination, sizeof(destination));
  std::memcpy(&route.rt_genmask, &mask, sizeof(mask));
  route.rt_flags = RTF_UP;
  route.rt_dev = loopbackName;
  const bool ok = ::ioctl(fd, SIOCSIFFLAGS, &loopback) == 0 && ::ioctl(fd, SIOCADDRT, &route) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

bool runWithSilentNetwork(const std::function<void()>& body) {
  bool ran = false;
  // A thread of its own: unshare() moves only the calling thread, and that thread ends with it.
  std::thread([&body, &ran] {
    if (::unshare(CLONE_NEWNET) != 0 || !routeTenIntoLoopback()) return;
    ran = true;
    body();
  }).join();
  return ran;
}

}  // namespace tofu::test
