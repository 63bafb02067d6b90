#include "net/tls_transport.h"

#include "net/tls_setup.h"
#include "net/tls_stream.h"

namespace tofu::detail {

Address TlsTransport::boundAddress(int listenerFd, const Address& requested) const {
  const Address bound = TcpTransport::boundAddress(listenerFd, requested);
  return Address::tls(bound.host(), bound.port());
}

Status TlsTransport::listenProblem(const TlsSetup* tls, std::string& why) const {
  if (tls != nullptr && tls->serverContext() != nullptr) return Status::success;
  why = "a tls listener needs Options::tlsCertificateChainFile and Options::tlsPrivateKeyFile";
  return Status::listen_failed;
}

std::unique_ptr<Stream> TlsTransport::openStream(int fd, const StreamSetup& setup) const {
  return std::make_unique<TlsStream>(fd, setup);
}

}  // namespace tofu::detail
