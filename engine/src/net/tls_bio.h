// Internal, not part of the API.
// What TlsInput and TlsOutput share: a BIO method of tofu's own, whose BIOs carry a pointer to
// the object they read from or write to. Any thread; the BIOs are their stream's (loop thread).
// Only with TOFU_WITH_TLS.
#pragma once

#include <openssl/bio.h>

#include <cstddef>

namespace tofu::detail {

struct BioCallbacks {
  int (*readEx)(BIO*, char*, std::size_t, std::size_t*) = nullptr;
  int (*writeEx)(BIO*, const char*, std::size_t, std::size_t*) = nullptr;
  long (*control)(BIO*, int, long, void*) = nullptr;
};

// A source/sink method called `name`, its BIOs ready at creation; null when OpenSSL cannot make
// one. OpenSSL keeps no reference: the caller keeps it for the life of the process.
const BIO_METHOD* makeBioMethod(const char* name, const BioCallbacks& callbacks);

// A BIO of `method` whose BIO_get_data() is `data`; null when there is none to be had. Whoever
// takes it (SSL_set_bio) owns it.
BIO* newBioWith(const BIO_METHOD* method, void* data);

}  // namespace tofu::detail
