#include "net/tls_input.h"

#include <openssl/bio.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include "net/tls_bio.h"

namespace tofu::detail {

namespace {

TlsInput& inputOf(BIO* bio) { return *static_cast<TlsInput*>(BIO_get_data(bio)); }

// As OpenSSL's socket BIO: a read that finds nothing asks to be retried; the end of the
// stream and the socket's errors are failures that BIO_eof() and errno tell apart.
int readFromInput(BIO* bio, char* data, std::size_t size, std::size_t* read) {
  BIO_clear_retry_flags(bio);
  *read = inputOf(bio).take(data, size);
  if (*read > 0) return 1;
  if (errno == EAGAIN) BIO_set_retry_read(bio);
  return 0;
}

long controlInput(BIO* bio, int command, long /*number*/, void* /*pointer*/) {
  switch (command) {
    case BIO_CTRL_EOF:  // with SSL_OP_IGNORE_UNEXPECTED_EOF, an end without close_notify ends cleanly
      return inputOf(bio).ended() ? 1 : 0;
    case BIO_CTRL_PENDING:
      return static_cast<long>(inputOf(bio).size());
    default:
      return 0;
  }
}

const BIO_METHOD* inputMethod() {
  static const BIO_METHOD* const method =
      makeBioMethod("tofu TLS input", {.readEx = readFromInput, .control = controlInput});
  return method;
}

}  // namespace

bio_st* TlsInput::newBio(TlsInput& input, int fd) {
  input.fd_ = fd;
  return newBioWith(inputMethod(), &input);
}

std::size_t TlsInput::take(void* data, std::size_t capacity) {
  if (empty()) receive();
  if (empty()) return 0;  // errno from receive()
  const std::size_t taken = std::min(capacity, size());
  std::memcpy(data, bytes_.get() + begin_, taken);
  begin_ += taken;
  return taken;
}

void TlsInput::receive() {
  begin_ = 0;
  end_ = 0;
  if (ended_) {
    errno = 0;
    return;
  }
  ssize_t got = 0;
  if (!bytes_) {
    // The buffer comes with the first byte, not the first try: a peer that connects and
    // stays silent holds no 64 KiB of this process.
    std::uint8_t probe = 0;
    do {
      got = ::recv(fd_, &probe, 1, MSG_PEEK);
    } while (got < 0 && errno == EINTR);
    // No exception may cross OpenSSL, which called this: out of memory fails the read.
    if (got > 0) bytes_.reset(new (std::nothrow) std::uint8_t[kBytes]);
    if (got > 0 && !bytes_) {
      errno = ENOMEM;
      got = -1;
    }
  }
  if (bytes_) {
    do {
      got = ::recv(fd_, bytes_.get(), kBytes, 0);
    } while (got < 0 && errno == EINTR);
  }
  if (got > 0) {
    end_ = static_cast<std::size_t>(got);
  } else if (got == 0) {
    ended_ = true;
    errno = 0;
  }
}

}  // namespace tofu::detail
