// The TLS layer of a hand-driven peer (issue 23): a RawPeer that speaks to a tls listener
// sends its bytes, garbage included, through one of these, and a test that plays a TLS server
// (or a TLS 1.2-only peer) runs one over an accepted socket. Certificates from
// tls_certificates.h; the client side verifies nothing (it plays an attacker or an old peer).
// Every wait is bounded. One thread at a time. Only with TOFU_WITH_TLS.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

struct ssl_st;

namespace tofu::test {

class TlsRawSession {
 public:
  struct Settings {
    bool server = false;     // presents the test server certificate (TlsCertificates::server)
    bool tls12Only = false;  // offers or accepts TLS 1.2 and nothing newer
  };

  // Runs the handshake over `fd` (made non-blocking; it stays the caller's) until `deadline`:
  // the session, or null with `failure` saying why as OpenSSL does ("tlsv1 alert protocol
  // version"). Blocks.
  static std::unique_ptr<TlsRawSession> handshake(int fd, const Settings& settings,
                                                  std::chrono::steady_clock::time_point deadline,
                                                  std::string& failure);
  ~TlsRawSession();
  TlsRawSession(const TlsRawSession&) = delete;
  TlsRawSession& operator=(const TlsRawSession&) = delete;

  // As send() on a non-blocking socket: bytes taken, or -1 and errno (EAGAIN: poll for
  // waitEvents()).
  ssize_t send(const void* data, std::size_t size);
  // As recv(): bytes read, 0 at the end of the stream (close_notify, or FIN without it), or
  // -1 and errno (EAGAIN: poll for waitEvents(); ECONNRESET; EPROTO for a TLS error).
  ssize_t receive(void* data, std::size_t size);
  // Decrypted bytes wait inside: receive() before polling the socket again.
  bool pending() const;
  // What the last EAGAIN waits for: POLLIN or POLLOUT.
  short waitEvents() const noexcept { return waitEvents_; }
  // Sends close_notify, as far as the socket takes it at once.
  void closeNotify();

 private:
  explicit TlsRawSession(ssl_st* ssl) : ssl_(ssl) {}
  // errno and -1 (or 0 at the end of the stream) for a call that returned `result`.
  ssize_t failed(int result);

  ssl_st* ssl_;
  short waitEvents_ = 0;
};

}  // namespace tofu::test
