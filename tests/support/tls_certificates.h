// Certificates for the TLS tests, made at test time with the `openssl` command into a temporary
// directory (removed at exit): a CA, a server certificate for localhost, 127.0.0.1 and ::1, a
// client certificate, and the bad ones each failure case needs. EC P-256 keys, so the whole
// set takes a fraction of a second; made once per test binary, on first use. Thread-safe.
#pragma once

#include <string>

#include "tofu/options.h"

namespace tofu::test {

// One certificate (PEM) and its key (PEM), as paths.
struct CertificateFiles {
  std::string certificate;
  std::string key;
};

class TlsCertificates {
 public:
  // The set, made on first call; a failure to make it throws (the test then fails).
  static const TlsCertificates& get();

  std::string directory;
  std::string caFile;            // the CA every good certificate is signed by
  CertificateFiles server;       // CN=tofu test server; DNS:localhost, IP:127.0.0.1, IP:::1
  CertificateFiles client;       // CN=tofu test client; DNS:client.tofu.test, email:client@tofu.test
  CertificateFiles expired;      // as server, valid only in January 2020
  CertificateFiles notYetValid;  // as server, valid from 2099
  CertificateFiles wrongHost;    // as server, but for DNS:wrong.tofu.test only
  CertificateFiles unknownCa;    // as server, signed by a CA nobody trusts

  // Engine options for a TLS server with `identity`, trusting the test CA.
  Options serverOptions(const CertificateFiles& identity) const;
  // Engine options for a TLS client trusting the test CA (no client certificate).
  Options clientOptions() const;
};

}  // namespace tofu::test
