#include "net/tls_stream.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <span>

#include "net/tls_setup.h"
#include "tofu/message.h"

namespace tofu::detail {

namespace {

// A record carries at most this many bytes: small frames are copied together so many of them
// share one (B10); a larger part goes to SSL_write as it is, which cuts it into records.
constexpr std::size_t kRecordBytes = 16 * 1024;
// What writeGathered() turns into records before it sends them, in one send(): a few records,
// so they are still in the cache when copied into the socket. Whole 256 KiB batches were
// slower than a send() per record for small frames (the copies missed the cache).
constexpr std::size_t kBatchBytes = 64 * 1024;

// SSL_get_error() reads the thread's error queue, which must be empty before the calls it
// judges. A call that succeeds leaves it empty, so it is cleared once per read or write, not
// before every record: clearing walks the whole queue, and per record it took 6 % of the
// reading thread in tofu-bench's 64 KiB TLS row.
void clearErrorQueue() noexcept { ERR_clear_error(); }

// Copies the small parts from `at` on into `staging`, back to back, up to one record: many
// small frames then share a record (B10). It stops before a large part, which starts a record of
// its own rather than being copied (a message's header would otherwise carry the first 16 KiB of
// its body through this buffer). Bytes staged.
std::size_t stageSmallParts(const iovec* parts, std::size_t count, TlsStream::Cursor at,
                            std::span<std::uint8_t, kRecordBytes> staging) {
  std::size_t size = 0;
  for (std::size_t next = at.part, from = at.offset; next < count && size < kRecordBytes; ++next, from = 0) {
    if (next != at.part && parts[next].iov_len >= kRecordBytes) break;
    const std::size_t take = std::min(parts[next].iov_len - from, kRecordBytes - size);
    std::memcpy(staging.data() + size, static_cast<const std::uint8_t*>(parts[next].iov_base) + from, take);
    size += take;
  }
  return size;
}

bool isIpLiteral(const std::string& host) noexcept {
  std::array<std::uint8_t, sizeof(in6_addr)> scratch{};
  return ::inet_pton(AF_INET, host.c_str(), scratch.data()) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), scratch.data()) == 1;
}

std::string subjectOf(X509* certificate) {
  BIO* out = BIO_new(BIO_s_mem());
  if (out == nullptr) return {};
  X509_NAME_print_ex(out, X509_get_subject_name(certificate), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long size = BIO_get_mem_data(out, &data);
  std::string subject(data, static_cast<std::size_t>(std::max(size, 0L)));
  BIO_free(out);
  return subject;
}

std::string altNamesOf(X509* certificate) {
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  std::string text;
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    std::string entry;
    if (name->type == GEN_DNS || name->type == GEN_EMAIL || name->type == GEN_URI) {
      const ASN1_IA5STRING* value = name->d.ia5;
      const char* prefix = name->type == GEN_DNS ? "DNS:" : name->type == GEN_EMAIL ? "email:" : "URI:";
      entry = prefix + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),  // NOLINT
                                   static_cast<std::size_t>(ASN1_STRING_length(value)));
    } else if (name->type == GEN_IPADD) {
      const int length = ASN1_STRING_length(name->d.ip);
      std::array<char, INET6_ADDRSTRLEN> address{};
      const int family = length == 4 ? AF_INET : AF_INET6;
      if ((length == 4 || length == 16) &&
          ::inet_ntop(family, ASN1_STRING_get0_data(name->d.ip), address.data(), address.size()) != nullptr) {
        entry = std::string("IP:") + address.data();
      }
    }
    if (entry.empty()) continue;
    if (!text.empty()) text += ", ";
    text += entry;
  }
  GENERAL_NAMES_free(names);
  return text;
}

}  // namespace

TlsStream::TlsStream(int fd, const StreamSetup& setup) : fd_(fd), server_(setup.server) {
  ssl_st* session = nullptr;
  if (setup.tls != nullptr) {
    ssl_ctx_st* context = server_ ? setup.tls->serverContext() : setup.tls->clientContext();
    session = context != nullptr ? SSL_new(context) : nullptr;
  }
  BIO* input = session != nullptr ? TlsInput::newBio(input_, fd) : nullptr;
  BIO* output = input != nullptr ? TlsOutput::newBio(output_) : nullptr;
  if (output == nullptr) {
    BIO_free(input);
    SSL_free(session);
    failure_ = "TLS: cannot start a session";
    ERR_clear_error();
    return;
  }
  SSL_set_bio(session, input, output);  // the session owns both
  ssl_ = session;
  if (server_) {
    SSL_set_accept_state(ssl_);
    return;
  }
  SSL_set_connect_state(ssl_);
  const std::string host(setup.peerHost);
  const bool literal = isIpLiteral(host);
  if (!literal) {  // SNI carries names only; SSL_set_tlsext_host_name() is a macro with a C cast
    SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(host.c_str()));
  }
  if (!setup.tls->verifyPeerName()) return;
  if (literal) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host.c_str());
  } else {
    SSL_set1_host(ssl_, host.c_str());
  }
}

TlsStream::~TlsStream() { SSL_free(ssl_); }

Stream::HandshakeProgress TlsStream::handshake() {
  const Status failed = server_ ? Status::communication_failed : Status::connect_failed;
  if (ssl_ == nullptr) return {.done = false, .failure = failed};
  // A flight the socket did not take whole goes out before the session goes on.
  if (!sendUnsent()) {
    if (errno == EAGAIN) return {.done = false, .wantWrite = true};
    failure_ = std::string("TLS failed: ") + std::strerror(errno);
    return {.done = false, .failure = failed};
  }
  ERR_clear_error();
  errno = 0;
  const int result = SSL_do_handshake(ssl_);
  const int error = result == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, result);
  const int readError = errno;
  // The session's flight, or the alert that tells the peer why it failed. What the socket
  // does not take now waits in unsentBytes(): the channel that goes open sends it first.
  const bool sent = sendUnsent();
  const int sendError = errno;
  if (error == SSL_ERROR_NONE) return {};
  if (error == SSL_ERROR_WANT_READ && (sent || sendError == EAGAIN)) return {.done = false, .wantWrite = !sent};
  if (error == SSL_ERROR_WANT_READ) {
    failure_ = std::string("TLS failed: ") + std::strerror(sendError);
  } else {
    errno = readError;
    recordFailure(error);
  }
  return {.done = false, .failure = failed};
}

void TlsStream::recordFailure(int sslError) {
  const long verified = SSL_get_verify_result(ssl_);
  const unsigned long code = ERR_peek_last_error();
  if (verified != X509_V_OK) {
    failure_ = std::string(server_ ? "the client's" : "the server's") +
               " certificate was refused: " + X509_verify_cert_error_string(verified);
  } else if (sslError == SSL_ERROR_SSL && code != 0) {
    const char* reason = ERR_reason_error_string(code);
    failure_ = std::string("TLS failed: ") + (reason != nullptr ? reason : "unknown OpenSSL error");
  } else if (sslError == SSL_ERROR_SYSCALL && errno != 0) {
    failure_ = std::string("TLS failed: ") + std::strerror(errno);
  } else {
    failure_ = "the peer closed the connection during the TLS handshake (is it a TLS peer?)";
  }
  ERR_clear_error();
}

bool TlsStream::addPeerIdentity(TextHeaders& headers) const {
  X509* certificate = SSL_get0_peer_certificate(ssl_);
  if (certificate == nullptr || SSL_get_verify_result(ssl_) != X509_V_OK) return true;  // none was asked for
  const std::string subject = subjectOf(certificate);
  const std::string altNames = altNamesOf(certificate);
  const bool subjectOk = subject.empty() || headers.append(kTlsPeerSubjectHeader, subject) == HeaderCheck::ok;
  return subjectOk && (altNames.empty() || headers.append(kTlsPeerSanHeader, altNames) == HeaderCheck::ok);
}

bool TlsStream::buffered() const noexcept {
  return deferredRead_ || !input_.empty() || (ssl_ != nullptr && SSL_has_pending(ssl_) == 1);
}

ssize_t TlsStream::writeGathered(const iovec* parts, std::size_t count) {
  // The records of the last call go first: nothing new is made while they wait.
  if (!sendUnsent()) return -1;
  clearErrorQueue();
  Cursor at;
  std::size_t total = 0;
  while (at.part < count) {
    const ssize_t taken = encrypt(parts, count, at);
    if (taken <= 0) return total > 0 ? static_cast<ssize_t>(total) : taken;
    total += static_cast<std::size_t>(taken);
    if (!sendUnsent()) break;  // full (the rest waits); an error comes again at the next send
  }
  return static_cast<ssize_t>(total);
}

ssize_t TlsStream::encrypt(const iovec* parts, std::size_t count, Cursor& at) {
  // The staging buffer may differ between calls (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER).
  thread_local std::array<std::uint8_t, kRecordBytes> staging;
  std::size_t total = 0;
  std::size_t& part = at.part;
  std::size_t& offset = at.offset;
  while (part < count && total < kBatchBytes) {
    const auto* base = static_cast<const std::uint8_t*>(parts[part].iov_base);
    const std::uint8_t* data = base + offset;
    std::size_t size = parts[part].iov_len - offset;
    if (size >= kRecordBytes) {
      size = std::min(size, kBatchBytes - total);  // a large body goes straight from its message
    } else {
      size = stageSmallParts(parts, count, at, staging);
      data = staging.data();
    }
    std::size_t written = 0;
    errno = 0;
    if (SSL_write_ex(ssl_, data, size, &written) != 1) {
      if (total > 0) return static_cast<ssize_t>(total);  // the error, if any, comes again next time
      return failedCall(0);
    }
    total += written;
    for (std::size_t left = written; left > 0;) {
      const std::size_t step = std::min(left, parts[part].iov_len - offset);
      offset += step;
      left -= step;
      if (offset == parts[part].iov_len) {
        ++part;
        offset = 0;
      }
    }
    if (written < size) break;
  }
  return static_cast<ssize_t>(total);
}

bool TlsStream::sendUnsent() {
  const bool done = output_.sendTo(fd_);
  unsent_ = output_.size();
  if (done && shutdownAfterOutput_) {
    shutdownAfterOutput_ = false;
    ::shutdown(fd_, SHUT_WR);
  }
  return done;
}

ssize_t TlsStream::readScattered(const iovec* parts, std::size_t count) {
  if (deferredRead_) {  // the end or failure that came after the bytes the last call returned
    deferredRead_ = false;
    errno = deferredErrno_;
    return deferredResult_;
  }
  clearErrorQueue();
  std::size_t total = 0;
  for (std::size_t part = 0; part < count; ++part) {
    auto* base = static_cast<std::uint8_t*>(parts[part].iov_base);
    // One record per SSL_read: go on until the part is full or nothing more is there.
    for (std::size_t filled = 0; filled < parts[part].iov_len;) {
      std::size_t got = 0;
      errno = 0;
      if (SSL_read_ex(ssl_, base + filled, parts[part].iov_len - filled, &got) != 1) {
        const ssize_t result = failedCall(0);
        const int readError = errno;
        // What reading made the session write (an alert, a key update's answer) goes out now.
        if (!output_.empty()) (void)sendUnsent();
        errno = readError;
        if (total == 0) return result;
        // The bytes first; a reset or an end is said by the socket only once, so the next call
        // says it (a reset read as an end would turn peer_disconnected into invalid_message).
        if (result >= 0 || readError != EAGAIN) {
          deferredRead_ = true;
          deferredResult_ = result;
          deferredErrno_ = readError;
        }
        return static_cast<ssize_t>(total);
      }
      filled += got;
      total += got;
    }
  }
  return static_cast<ssize_t>(total);
}

ssize_t TlsStream::failedCall(int result) {
  const int error = SSL_get_error(ssl_, result);
  switch (error) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_ZERO_RETURN:  // close_notify, or an EOF without it (SSL_OP_IGNORE_UNEXPECTED_EOF)
      return 0;
    case SSL_ERROR_SYSCALL:
      if (errno != 0) return -1;  // ECONNRESET, EPIPE: the socket's own error
      return 0;
    default:
      recordFailure(error);
      errno = EPROTO;
      return -1;
  }
}

void TlsStream::shutdownWrites() {
  // close_notify after the records before it, so the peer reads a clean end; then FIN as for
  // plain sockets (B3), once all of it has left (sendUnsent()).
  ERR_clear_error();
  (void)SSL_shutdown(ssl_);
  ERR_clear_error();
  shutdownAfterOutput_ = true;
  (void)sendUnsent();
}

}  // namespace tofu::detail
