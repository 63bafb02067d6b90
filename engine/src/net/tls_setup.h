// Internal, not part of the API.
// TlsSetup: one engine's TLS configuration, made once from its Options by Reactor::create: the
// OpenSSL contexts for client connections and, with a certificate and key, for server ones.
// Immutable once made; OpenSSL lets any thread create sessions from it. Built only with
// TOFU_WITH_TLS (net/tls_*.cpp).
#pragma once

#include <memory>
#include <string>

#include "tofu/options.h"

struct ssl_ctx_st;
struct ssl_st;

namespace tofu::detail {

class TlsSetup {
 public:
  // The setup for `options`; null when a file cannot be used, with `error` saying which and
  // why in one sentence. Opens the key log (Options::tlsKeyLogFile, SSLKEYLOGFILE). Reads the files given; the system's CA directory is only looked in
  // when a certificate needs it, so an engine that never uses TLS pays well under a millisecond.
  static std::shared_ptr<const TlsSetup> create(const Options& options, std::string& error);

  ~TlsSetup();
  TlsSetup(const TlsSetup&) = delete;
  TlsSetup& operator=(const TlsSetup&) = delete;

  ssl_ctx_st* clientContext() const noexcept { return client_; }
  // Null without Options::tlsCertificateChainFile and tlsPrivateKeyFile: no tls listener then.
  ssl_ctx_st* serverContext() const noexcept { return server_; }
  bool verifyPeerName() const noexcept { return verifyPeerName_; }
  bool requireClientCertificate() const noexcept { return requireClientCertificate_; }

 private:
  TlsSetup() = default;
  // OpenSSL's key log callback: appends one line to the key log.
  static void writeKeyLog(const ssl_st* session, const char* line);

  ssl_ctx_st* client_ = nullptr;
  ssl_ctx_st* server_ = nullptr;
  bool verifyPeerName_ = true;
  bool requireClientCertificate_ = false;
  int keyLogFd_ = -1;  // Options::tlsKeyLogFile or SSLKEYLOGFILE, open for appending; -1: none
};

}  // namespace tofu::detail
