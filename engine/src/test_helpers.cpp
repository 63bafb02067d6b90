// Test helpers (PROTOCOL.md 10.1): a TCP port that was free a moment ago, and fresh UDS paths.
#include "tofu/test_helpers.h"

#include <atomic>
#include <cstdlib>
#include <string_view>

#include "tofu/address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tofu::testing {
namespace {

constexpr std::string_view kDefaultTempDir = "/tmp";

std::atomic<unsigned> uniquePathCounter{0};

std::string udsPathIn(std::string_view dir, unsigned n) {
  while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
  return std::string(dir) + "/tofu_" + std::to_string(::getpid()) + "_" + std::to_string(n) + ".port";
}

}  // namespace

std::uint16_t findFreeTcpPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);

  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = 0;  // the kernel picks a free port
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  std::uint16_t port = 0;
  // sockaddr_in and sockaddr are the standard socket API aliasing, hence the casts.
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

std::string tempUdsPath() {
  const unsigned n = uniquePathCounter.fetch_add(1, std::memory_order_relaxed);
  const char* tmpdir = std::getenv("TMPDIR");
  if (tmpdir != nullptr && *tmpdir != '\0') {
    std::string path = udsPathIn(tmpdir, n);
    if (path.size() <= kMaxUdsPathLength) return path;
  }
  return udsPathIn(kDefaultTempDir, n);
}

}  // namespace tofu::testing
