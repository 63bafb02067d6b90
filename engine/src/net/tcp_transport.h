// Internal, not part of the API.
// TcpTransport: tofu over TCP, IPv4 and IPv6 (B10 tuning, B11 name lookup); TLS builds on it.
// Stateless; any thread.
#pragma once

#include "net/transport.h"

namespace tofu::detail {

class TcpTransport : public Transport {
 public:
  bool literalSocketAddress(const Address& address, SocketAddress& out) const override;
  bool resolvable() const noexcept override { return true; }
  Status checkPeer(const Address& peer) const noexcept override;
  SocketResult connect(const SocketAddress& peer, const TcpTuning& tuning) const override;
  ListenerSocket listen(const Address& local, const SocketAddress& socketAddress,
                        std::uint32_t udsFileMode) const override;
  Address boundAddress(int listenerFd, const Address& requested) const override;
  void releaseListener(const Address&, const UdsFileIdentity&) const override {}
  void tuneConnection(int fd, const TcpTuning& tuning) const override;
  bool guardedByFilePermissions() const noexcept override { return false; }
};

}  // namespace tofu::detail
