// Internal, not part of the API.
// UdsTransport: tofu over Unix-domain stream sockets; the socket file is created and removed
// as uds_socket_file.h says (B8, issue 18). Stateless; any thread.
#pragma once

#include "net/transport.h"

namespace tofu::detail {

class UdsTransport final : public Transport {
 public:
  bool literalSocketAddress(const Address& address, SocketAddress& out) const override;
  bool resolvable() const noexcept override { return false; }
  Status checkPeer(const Address&) const noexcept override { return Status::success; }
  SocketResult connect(const SocketAddress& peer, const TcpTuning& tuning) const override;
  ListenerSocket listen(const Address& local, const SocketAddress& socketAddress,
                        std::uint32_t udsFileMode) const override;
  Address boundAddress(int, const Address& requested) const override { return requested; }
  void releaseListener(const Address& local, const UdsFileIdentity& file) const override;
  // A larger send buffer than Linux gives Unix sockets (208 KiB).
  void tuneConnection(int fd, const TcpTuning&) const override;
  bool guardedByFilePermissions() const noexcept override { return true; }
};

}  // namespace tofu::detail
