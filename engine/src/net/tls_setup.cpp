#include "net/tls_setup.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tofu::detail {

namespace {

// OpenSSL's reason for the last failure ("no such file", "key values mismatch"), queue cleared.
std::string lastReason() {
  unsigned long last = 0;
  int systemError = 0;
  // A failed system call (a missing file) says more than the layers above it ("system lib").
  for (unsigned long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
    if (ERR_SYSTEM_ERROR(code) && systemError == 0) systemError = ERR_GET_REASON(code);
    last = code;
  }
  if (systemError != 0) return std::strerror(systemError);
  const char* reason = last == 0 ? nullptr : ERR_reason_error_string(last);
  return reason != nullptr ? reason : "unknown OpenSSL error";
}

std::string fileProblem(const char* what, const std::string& file) {
  return std::string("TLS: cannot use the ") + what + " '" + file + "': " + lastReason();
}

// Where trusted CAs come from. The system's default is its hashed directory only: OpenSSL
// reads a certificate there when one is needed, where loading the default bundle file costs
// every engine 20-30 ms.
bool loadTrust(SSL_CTX* context, const Options& options, std::string& error) {
  const bool own = !options.tlsCaFile.empty() || !options.tlsCaDirectory.empty();
  if (!own) {
    const char* fromEnvironment = std::getenv(X509_get_default_cert_dir_env());
    const char* directory = fromEnvironment != nullptr ? fromEnvironment : X509_get_default_cert_dir();
    (void)SSL_CTX_load_verify_locations(context, nullptr, directory);  // a missing directory trusts nothing
    ERR_clear_error();
    return true;
  }
  const char* file = options.tlsCaFile.empty() ? nullptr : options.tlsCaFile.c_str();
  const char* directory = options.tlsCaDirectory.empty() ? nullptr : options.tlsCaDirectory.c_str();
  if (SSL_CTX_load_verify_locations(context, file, directory) == 1) return true;
  error = fileProblem("CA file or directory", file != nullptr ? options.tlsCaFile : options.tlsCaDirectory);
  return false;
}

bool loadCredentials(SSL_CTX* context, const Options& options, std::string& error) {
  if (SSL_CTX_use_certificate_chain_file(context, options.tlsCertificateChainFile.c_str()) != 1) {
    error = fileProblem("certificate chain file", options.tlsCertificateChainFile);
    return false;
  }
  // Also refuses a key that does not match the certificate loaded above.
  if (SSL_CTX_use_PrivateKey_file(context, options.tlsPrivateKeyFile.c_str(), SSL_FILETYPE_PEM) != 1) {
    error = fileProblem("private key file", options.tlsPrivateKeyFile);
    return false;
  }
  return true;
}

SSL_CTX* makeContext(bool server, const Options& options, std::string& error) {
  SSL_CTX* context = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (context == nullptr) {
    error = "TLS: cannot create an OpenSSL context: " + lastReason();
    return nullptr;
  }
  const int oldest = options.tlsMinVersion == Options::TlsVersion::tls12 ? TLS1_2_VERSION : TLS1_3_VERSION;
  SSL_CTX_set_min_proto_version(context, oldest);
  // The send queue offers its bytes again after EAGAIN from another buffer, and takes
  // whatever part was written (as sendmsg does).
  SSL_CTX_set_mode(context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // No read-ahead: each stream's TlsInput reads many records per system call instead, and
  // OpenSSL asks it for one record at a time (net/tls_input.h says why).
  // No session resumption: tickets would only cost bytes after every handshake.
  SSL_CTX_set_num_tickets(context, 0);
  // A peer that dies mid-stream is an end of stream (B12), as on plain TCP. No TLS 1.2
  // renegotiation: a write that must first read would wait on a socket that is writable.
  SSL_CTX_set_options(context, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
  // TLS 1.3 suites, AES-128-GCM first: OpenSSL's own order puts AES-256-GCM first, which
  // encrypts about 13 % slower here (openssl speed, 16 KiB blocks: 5.9 against 5.1 GB/s) for
  // no protection a 128-bit key lacks against today's attacks. All three stay allowed.
  SSL_CTX_set_ciphersuites(context, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
  if (server) SSL_CTX_set_options(context, SSL_OP_CIPHER_SERVER_PREFERENCE);
  const bool hasCredentials = !options.tlsCertificateChainFile.empty() || !options.tlsPrivateKeyFile.empty();
  const bool verifies = server ? options.tlsRequireClientCertificate : options.tlsVerifyPeer;
  bool ok = (!verifies || loadTrust(context, options, error)) &&
            (!hasCredentials || loadCredentials(context, options, error));
  if (ok && server) {
    SSL_CTX_set_verify(
        context, verifies ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_NONE, nullptr);
  } else if (ok) {
    SSL_CTX_set_verify(context, verifies ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  }
  if (!ok) {
    SSL_CTX_free(context);
    return nullptr;
  }
  return context;
}

// The variable that names a key log file for every TLS library that honours it (NSS, curl).
constexpr const char* kKeyLogVariable = "SSLKEYLOGFILE";

// The key log file, open for appending, in `fd` (-1 without one). A file from the options
// that cannot be opened is an error; one from the environment only says so on stderr.
bool openKeyLog(const Options& options, int& fd, std::string& error) {
  const char* fromEnvironment = options.tlsKeyLogFile.empty() ? std::getenv(kKeyLogVariable) : nullptr;
  const std::string file = fromEnvironment != nullptr ? fromEnvironment : options.tlsKeyLogFile;
  fd = file.empty() ? -1 : ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (file.empty() || fd >= 0) {
    if (fromEnvironment != nullptr) {
      std::fprintf(stderr, "tofu: writing TLS secrets to %s (%s): whoever reads it can decrypt the traffic\n",
                   file.c_str(), kKeyLogVariable);
    }
    return true;
  }
  if (fromEnvironment == nullptr) {
    error = "TLS: cannot use the key log file '" + file + "': " + std::strerror(errno);
    return false;
  }
  std::fprintf(stderr, "tofu: %s=%s cannot be opened (%s): no TLS key log\n", kKeyLogVariable, file.c_str(),
               std::strerror(errno));
  return true;
}

}  // namespace

std::shared_ptr<const TlsSetup> TlsSetup::create(const Options& options, std::string& error) {
  std::shared_ptr<TlsSetup> setup(new TlsSetup());
  setup->verifyPeerName_ = options.tlsVerifyPeer && options.tlsVerifyPeerName;
  setup->requireClientCertificate_ = options.tlsRequireClientCertificate;
  setup->client_ = makeContext(false, options, error);
  if (setup->client_ == nullptr) return nullptr;
  const bool serves = !options.tlsCertificateChainFile.empty() && !options.tlsPrivateKeyFile.empty();
  if (serves) {
    setup->server_ = makeContext(true, options, error);
    if (setup->server_ == nullptr) return nullptr;
  }
  if (!openKeyLog(options, setup->keyLogFd_, error)) return nullptr;
  if (setup->keyLogFd_ >= 0) {
    for (SSL_CTX* context : {setup->client_, setup->server_}) {
      if (context == nullptr) continue;
      SSL_CTX_set_app_data(context, setup.get());
      SSL_CTX_set_keylog_callback(context, writeKeyLog);
    }
  }
  return setup;
}

void TlsSetup::writeKeyLog(const ssl_st* session, const char* line) {
  // One append per line, whole, whichever thread's session made it; the setup outlives its
  // sessions, so its descriptor is open. A line that cannot be written is lost: a debugging aid
  // does not fail a connection.
  const auto* setup = static_cast<const TlsSetup*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(session)));
  std::string text(line);
  text += '\n';
  [[maybe_unused]] const ssize_t written = ::write(setup->keyLogFd_, text.data(), text.size());
}

TlsSetup::~TlsSetup() {
  SSL_CTX_free(client_);
  SSL_CTX_free(server_);
  if (keyLogFd_ >= 0) ::close(keyLogFd_);
}

}  // namespace tofu::detail
