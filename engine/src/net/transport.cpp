#include "net/transport.h"

#include <sys/socket.h>

#include "net/tcp_transport.h"
#include "net/uds_transport.h"
#if TOFU_WITH_TLS
#include "net/tls_transport.h"
#endif

namespace tofu::detail {

namespace {

// A plain socket: each call is the system call, with no state of its own.
class SocketStream final : public Stream {
 public:
  explicit SocketStream(int fd) noexcept : fd_(fd) {}

  ssize_t writeGathered(const iovec* parts, std::size_t count) override {
    msghdr batch{};
    batch.msg_iov = const_cast<iovec*>(parts);  // NOLINT: msghdr is not const-correct
    batch.msg_iovlen = count;
    return ::sendmsg(fd_, &batch, MSG_NOSIGNAL);
  }

  ssize_t readScattered(const iovec* parts, std::size_t count) override {
    return ::readv(fd_, parts, static_cast<int>(count));
  }

  void shutdownWrites() override { ::shutdown(fd_, SHUT_WR); }

 private:
  int fd_;
};

#if !TOFU_WITH_TLS
// An engine built without TLS understands tls addresses and refuses them.
class TlsUnavailableTransport final : public TcpTransport {
 public:
  Status checkPeer(const Address&) const noexcept override { return Status::not_implemented_yet; }
  Status listenProblem(const TlsSetup*, std::string& why) const override {
    why = "this engine was built without TLS (CMake option TOFU_WITH_TLS)";
    return Status::not_implemented_yet;
  }
};
using TlsTransport = TlsUnavailableTransport;
#endif

}  // namespace

std::unique_ptr<Stream> Transport::openStream(int fd, const StreamSetup&) const {
  return std::make_unique<SocketStream>(fd);
}

const Transport& transportFor(AddressKind kind) noexcept {
  static const TcpTransport tcp;
  static const UdsTransport uds;
  static const TlsTransport tls;
  switch (kind) {
    case AddressKind::uds:
      return uds;
    case AddressKind::tls:
      return tls;
    case AddressKind::tcp:
      break;
  }
  return tcp;
}

}  // namespace tofu::detail
