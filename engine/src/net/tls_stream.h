// Internal, not part of the API.
// TlsStream: one connection's OpenSSL session over its channel's socket. Owns the session
// (not the socket). The session reads through a TlsInput and writes to a TlsOutput, so many
// records arrive and leave in one system call. Non-blocking: every call does what the
// socket allows and says what it waits for. Loop thread only. Only with TOFU_WITH_TLS.
#pragma once

#include <string>

#include "net/tls_input.h"
#include "net/tls_output.h"
#include "net/transport.h"

struct ssl_st;

namespace tofu::detail {

class TlsStream final : public Stream {
 public:
  // A session over `fd` for `setup`; a stream that cannot start one fails its handshake.
  TlsStream(int fd, const StreamSetup& setup);
  ~TlsStream() override;
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  HandshakeProgress handshake() override;
  std::string failureText() const override { return failure_; }
  bool addPeerIdentity(TextHeaders& headers) const override;
  bool buffered() const noexcept override;

  ssize_t writeGathered(const iovec* parts, std::size_t count) override;
  ssize_t readScattered(const iovec* parts, std::size_t count) override;
  void shutdownWrites() override;
  bool sendUnsent() override;

  // Where encrypting stands in the parts writeGathered() was given.
  struct Cursor {
    std::size_t part = 0;
    std::size_t offset = 0;  // into parts[part]
  };

 private:
  // Encrypts parts from `at` on into records in output_ until they are done or kBatchBytes
  // are taken, moving `at`: bytes taken, or failedCall()'s answer when none were.
  ssize_t encrypt(const iovec* parts, std::size_t count, Cursor& at);
  // Turns the failed call's SSL_get_error() into errno and -1 (or 0 at the end of the
  // stream), recording why a failure is one.
  ssize_t failedCall(int result);
  void recordFailure(int sslError);

  ssl_st* ssl_ = nullptr;
  int fd_;
  bool server_;
  bool shutdownAfterOutput_ = false;  // shutdownWrites() came: FIN once output_ is sent
  // A read that ended (0) or failed after returning bytes: the next read returns this.
  bool deferredRead_ = false;
  ssize_t deferredResult_ = 0;
  int deferredErrno_ = 0;
  std::string failure_;
  TlsInput input_;
  TlsOutput output_;
};

}  // namespace tofu::detail
