#include "net/tls_output.h"

#include <openssl/bio.h>
#include <sys/socket.h>

#include <cerrno>
#include <new>

#include "net/tls_bio.h"

namespace tofu::detail {

namespace {

int writeToOutput(BIO* bio, const char* data, std::size_t size, std::size_t* written) {
  try {
    static_cast<TlsOutput*>(BIO_get_data(bio))->append(data, size);
  } catch (const std::bad_alloc&) {
    return 0;  // no exception may cross OpenSSL, which called this: the write fails
  }
  *written = size;
  return 1;
}

long controlOutput(BIO* bio, int command, long /*number*/, void* /*pointer*/) {
  switch (command) {
    case BIO_CTRL_FLUSH:  // the handshake flushes after each flight: sending is the stream's
      return 1;
    case BIO_CTRL_WPENDING:
      return static_cast<long>(static_cast<const TlsOutput*>(BIO_get_data(bio))->size());
    default:
      return 0;
  }
}

const BIO_METHOD* outputMethod() {
  static const BIO_METHOD* const method =
      makeBioMethod("tofu TLS output", {.writeEx = writeToOutput, .control = controlOutput});
  return method;
}

}  // namespace

bio_st* TlsOutput::newBio(TlsOutput& output) { return newBioWith(outputMethod(), &output); }

void TlsOutput::append(const void* data, std::size_t size) {
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  bytes_.insert(bytes_.end(), bytes, bytes + size);
}

bool TlsOutput::sendTo(int fd) {
  while (!empty()) {
    const ssize_t sent = ::send(fd, bytes_.data() + sent_, size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    const std::size_t wanted = size();
    sent_ += static_cast<std::size_t>(sent);
    if (static_cast<std::size_t>(sent) < wanted) {  // full: asking again would only say so
      errno = EAGAIN;
      return false;
    }
  }
  bytes_.clear();
  sent_ = 0;
  return true;
}

}  // namespace tofu::detail
