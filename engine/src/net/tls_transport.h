// Internal, not part of the API.
// TlsTransport: tofu over TLS over TCP (`tls|host|port`, A4): TCP's sockets, tuning and name
// lookup, with a Stream that runs an OpenSSL session, non-blocking, its handshake driven by
// the reactor (IoChannel's handshaking phase). Stateless; any thread. Only with TOFU_WITH_TLS.
#pragma once

#include "net/tcp_transport.h"

namespace tofu::detail {

class TlsTransport final : public TcpTransport {
 public:
  Address boundAddress(int listenerFd, const Address& requested) const override;
  Status listenProblem(const TlsSetup* tls, std::string& why) const override;
  std::unique_ptr<Stream> openStream(int fd, const StreamSetup& setup) const override;
};

}  // namespace tofu::detail
