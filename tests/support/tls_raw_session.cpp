#include "tls_raw_session.h"

#if !TOFU_WITH_TLS
namespace tofu::test {
// Never made without TLS (RawPeer asks for one only in builds with it); RawPeer still owns the type.
TlsRawSession::~TlsRawSession() = default;
}  // namespace tofu::test
#else

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>

#include <cerrno>

#include "tls_certificates.h"

namespace tofu::test {

namespace {

using Clock = std::chrono::steady_clock;

// OpenSSL's reason for the last failure, queue cleared.
std::string lastReason(ssl_st* ssl, int error) {
  const unsigned long code = ERR_peek_last_error();
  const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
  ERR_clear_error();
  if (reason != nullptr) return reason;
  if (ssl != nullptr && SSL_get_verify_result(ssl) != X509_V_OK) {
    return X509_verify_cert_error_string(SSL_get_verify_result(ssl));
  }
  return error == SSL_ERROR_SYSCALL ? "the connection ended during the handshake" : "TLS error";
}

SSL_CTX* makeContext(const TlsRawSession::Settings& settings, std::string& failure) {
  SSL_CTX* context = SSL_CTX_new(settings.server ? TLS_server_method() : TLS_client_method());
  if (context == nullptr) {
    failure = lastReason(nullptr, 0);
    return nullptr;
  }
  if (settings.tls12Only) {
    SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(context, TLS1_2_VERSION);
  }
  SSL_CTX_set_options(context, SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nullptr);
  if (settings.server) {
    const CertificateFiles& identity = TlsCertificates::get().server;
    if (SSL_CTX_use_certificate_chain_file(context, identity.certificate.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(context, identity.key.c_str(), SSL_FILETYPE_PEM) != 1) {
      failure = lastReason(nullptr, 0);
      SSL_CTX_free(context);
      return nullptr;
    }
  }
  return context;
}

bool waitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(left));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

}  // namespace

std::unique_ptr<TlsRawSession> TlsRawSession::handshake(int fd, const Settings& settings,
                                                        Clock::time_point deadline, std::string& failure) {
  SSL_CTX* context = makeContext(settings, failure);
  if (context == nullptr) return nullptr;
  SSL* ssl = SSL_new(context);
  SSL_CTX_free(context);  // the session holds its own reference
  if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
    failure = lastReason(nullptr, 0);
    SSL_free(ssl);
    return nullptr;
  }
  std::unique_ptr<TlsRawSession> session(new TlsRawSession(ssl));
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  if (settings.server) {
    SSL_set_accept_state(ssl);
  } else {
    SSL_set_connect_state(ssl);
  }
  for (;;) {
    ERR_clear_error();
    const int result = SSL_do_handshake(ssl);
    if (result == 1) return session;
    const int error = SSL_get_error(ssl, result);
    const short events = error == SSL_ERROR_WANT_READ ? POLLIN : error == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
    if (events == 0) {
      failure = lastReason(ssl, error);
      return nullptr;
    }
    if (!waitFor(fd, events, deadline)) {
      failure = "no TLS handshake in time";
      return nullptr;
    }
  }
}

TlsRawSession::~TlsRawSession() { SSL_free(ssl_); }

ssize_t TlsRawSession::send(const void* data, std::size_t size) {
  std::size_t written = 0;
  ERR_clear_error();
  errno = 0;
  if (SSL_write_ex(ssl_, data, size, &written) == 1) return static_cast<ssize_t>(written);
  return failed(0);
}

ssize_t TlsRawSession::receive(void* data, std::size_t size) {
  std::size_t got = 0;
  ERR_clear_error();
  errno = 0;
  if (SSL_read_ex(ssl_, data, size, &got) == 1) return static_cast<ssize_t>(got);
  return failed(0);
}

bool TlsRawSession::pending() const { return SSL_pending(ssl_) > 0; }

ssize_t TlsRawSession::failed(int result) {
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
      waitEvents_ = POLLIN;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_WANT_WRITE:
      waitEvents_ = POLLOUT;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_ZERO_RETURN:
      return 0;
    case SSL_ERROR_SYSCALL:
      ERR_clear_error();
      return errno != 0 ? -1 : 0;
    default:
      ERR_clear_error();
      errno = EPROTO;
      return -1;
  }
}

void TlsRawSession::closeNotify() {
  ERR_clear_error();
  (void)SSL_shutdown(ssl_);
  ERR_clear_error();
}

}  // namespace tofu::test

#endif  // TOFU_WITH_TLS
