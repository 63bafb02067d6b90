// Internal, not part of the API.
// TlsInput: the bytes one TLS session's socket has given and the session has not read yet.
// The session's read BIO takes from it, and it refills with one recv() of up to kBytes when
// empty, so many records cost one system call. OpenSSL's own read-ahead would do that too, but
// OpenSSL 3.0 then moves the unread rest of its buffer to the front before every record: about
// 1.5 times each 64 KiB read, moved again (issue 23). Owned by its TlsStream; loop thread only.
// Only with TOFU_WITH_TLS.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

struct bio_st;

namespace tofu::detail {

class TlsInput {
 public:
  // What one recv() may take in: several records, so large bodies cost few reads.
  static constexpr std::size_t kBytes = 64 * 1024;

  // A BIO that reads `input`, which reads `fd`; whoever takes it (SSL_set_bio) owns it. Null
  // when OpenSSL cannot make one.
  static bio_st* newBio(TlsInput& input, int fd);

  std::size_t size() const noexcept { return end_ - begin_; }
  bool empty() const noexcept { return size() == 0; }
  // The socket said end of stream and every byte before it has been taken.
  bool ended() const noexcept { return ended_ && empty(); }

  // Copies up to `capacity` bytes into `data`, receiving first when none are held: the bytes
  // copied, or 0 with errno (EAGAIN: nothing there yet; 0: the end of the stream; else the
  // socket's error). Never blocks.
  std::size_t take(void* data, std::size_t capacity);

 private:
  // One recv() into the empty buffer (allocated once the socket has a byte, kept after).
  void receive();

  std::unique_ptr<std::uint8_t[]> bytes_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  int fd_ = -1;
  bool ended_ = false;
};

}  // namespace tofu::detail
