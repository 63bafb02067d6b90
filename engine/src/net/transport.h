// Internal, not part of the API.
// The transport seam (issue 22): what differs between kinds of byte stream. A Transport makes
// the connections and listeners of one address kind; a Stream moves the bytes of one
// connection. TCP and UDS implement both (tcp_transport.*, uds_transport.*); TLS is one more
// Transport whose Stream has a handshake (tls_transport.*). Transports are stateless
// singletons any thread may use: what differs per engine (TLS contexts) comes in StreamSetup.
// A Stream belongs to its IoChannel, on the reactor thread.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "net/socket_ops.h"
#include "net/uds_socket_file.h"
#include "tofu/address.h"
#include "tofu/status.h"
#include "tofu/text_headers.h"

namespace tofu::detail {

class TlsSetup;

// The bytes of one connected socket. The descriptor stays its channel's (watched, closed and
// reset there); the stream only reads and writes it. Non-blocking: nothing here waits.
class Stream {
 public:
  virtual ~Stream() = default;

  // Where a handshake stands: done, waiting for the socket to become readable or writable,
  // or failed with a status that says why.
  struct HandshakeProgress {
    bool done = true;
    bool wantWrite = false;
    Status failure = Status::success;
  };
  // Runs the transport's handshake as far as the socket allows; plain streams have none.
  // Nothing is read or written through the stream before it reports done.
  virtual HandshakeProgress handshake() { return {}; }
  // Why the stream failed, when its transport knows more than the status says ("certificate
  // has expired"); "" for plain streams.
  virtual std::string failureText() const { return {}; }
  // Server side, on the peer's HelloRequest: appends what the handshake verified about the
  // peer (B17). False when that cannot be put into headers: the channel is then refused.
  virtual bool addPeerIdentity(TextHeaders&) const { return true; }
  // True when bytes read from the socket wait inside the stream: the socket will not report
  // them readable again, so the reader must come back for them. Plain streams keep none.
  virtual bool buffered() const noexcept { return false; }

  // As sendmsg(MSG_NOSIGNAL): bytes taken, or -1 and errno (EAGAIN: not now). A stream may
  // take bytes it cannot hand to the socket yet (unsentBytes()).
  virtual ssize_t writeGathered(const iovec* parts, std::size_t count) = 0;
  // As readv(): bytes read, 0 at the end of the stream, or -1 and errno.
  virtual ssize_t readScattered(const iovec* parts, std::size_t count) = 0;
  // No more writes from this side (FIN, B3), once the unsent bytes are out; reading goes on.
  virtual void shutdownWrites() = 0;

  // Bytes taken by writeGathered() (or made by the handshake or a read) that wait inside the
  // stream for the socket to take them: the writer watches for EPOLLOUT and calls
  // sendUnsent() until there are none. Always 0 for plain streams; not virtual, so their
  // write path pays no call for it.
  std::size_t unsentBytes() const noexcept { return unsent_; }
  // Hands unsent bytes to the socket: true when none are left, false with errno (EAGAIN: the
  // socket is full).
  virtual bool sendUnsent() { return true; }

 protected:
  std::size_t unsent_ = 0;  // kept by streams that hold bytes back
};

// What a stream needs besides its socket.
struct StreamSetup {
  bool server = false;
  std::string_view peerHost;      // client: the host of the address it connects to
  const TlsSetup* tls = nullptr;  // the engine's TLS contexts; null in an engine without TLS
};

// Listening socket and what its transport needs to release it.
struct ListenerSocket {
  Status status = Status::success;
  Fd fd;
  UdsFileIdentity file;  // the socket file a path-based transport created; unknown otherwise
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Fills `out` when `address` needs no name lookup; false when it does or cannot be used.
  virtual bool literalSocketAddress(const Address& address, SocketAddress& out) const = 0;
  // Whether an address that is not literal may be looked up off the reactor thread (B11).
  virtual bool resolvable() const noexcept = 0;
  // invalid_address for a peer this transport can never reach (TCP port 0), else success.
  virtual Status checkPeer(const Address& peer) const noexcept = 0;

  // Starts a non-blocking connect. Immediate failures carry the status the peer's kind
  // reports (uds_path_not_found, communication_failed, connect_failed).
  virtual SocketResult connect(const SocketAddress& peer, const TcpTuning& tuning) const = 0;
  // A non-blocking listening socket; listen_failed (or the reason B8 gives) on failure.
  virtual ListenerSocket listen(const Address& local, const SocketAddress& socketAddress,
                                std::uint32_t udsFileMode) const = 0;
  // The address a listener actually bound (the real port when asked for port 0).
  virtual Address boundAddress(int listenerFd, const Address& requested) const = 0;
  // Called while the listening socket is still open, just before it closes.
  virtual void releaseListener(const Address& local, const UdsFileIdentity& file) const = 0;
  // Per-connection options for a socket connected or accepted (TCP: B10 tuning).
  virtual void tuneConnection(int fd, const TcpTuning& tuning) const = 0;
  // Whether this engine can listen with this transport at all; `why` says it when not (TLS
  // without a certificate). Asked before listen().
  virtual Status listenProblem(const TlsSetup* /*tls*/, std::string& /*why*/) const {
    return Status::success;
  }

  // The stream over a connected socket; `fd` stays the caller's and outlives the stream.
  virtual std::unique_ptr<Stream> openStream(int fd, const StreamSetup& setup) const;

  // Whether file permissions decide who can connect (UDS), rather than anyone who can
  // route to the endpoint (TCP): the telemetry server asks for a token when they do not.
  virtual bool guardedByFilePermissions() const noexcept = 0;
};

// The one place an address kind picks its transport.
const Transport& transportFor(AddressKind kind) noexcept;

}  // namespace tofu::detail
