#include "net/tls_output.h"

#include <openssl/bio.h>
#include <sys/socket.h>

#include <cerrno>

namespace tofu::detail {

namespace {

int writeToOutput(BIO* bio, const char* data, std::size_t size, std::size_t* written) {
  static_cast<TlsOutput*>(BIO_get_data(bio))->append(data, size);
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

int createOutput(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

const BIO_METHOD* outputMethod() {
  // Made once for the process; OpenSSL keeps no other reference, so it lives until exit.
  static const BIO_METHOD* const method = [] {
    BIO_METHOD* made = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tofu TLS output");
    if (made != nullptr) {
      BIO_meth_set_write_ex(made, writeToOutput);
      BIO_meth_set_ctrl(made, controlOutput);
      BIO_meth_set_create(made, createOutput);
    }
    return made;
  }();
  return method;
}

}  // namespace

bio_st* TlsOutput::newBio(TlsOutput& output) {
  const BIO_METHOD* method = outputMethod();
  BIO* bio = method != nullptr ? BIO_new(method) : nullptr;
  if (bio != nullptr) BIO_set_data(bio, &output);
  return bio;
}

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
