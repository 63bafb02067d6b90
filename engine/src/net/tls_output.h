// Internal, not part of the API.
// TlsOutput: the records one TLS session has made and its socket has not taken yet. The
// session's write BIO appends to it, so a batch of records leaves in one send() instead of
// one system call per 16 KiB record (issue 23). Owned by its TlsStream; loop thread only.
// Only with TOFU_WITH_TLS.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

struct bio_st;

namespace tofu::detail {

class TlsOutput {
 public:
  // A BIO that appends every write to `output` and never blocks; whoever takes it (SSL_set_bio)
  // owns it. Null when OpenSSL cannot make one.
  static bio_st* newBio(TlsOutput& output);

  std::size_t size() const noexcept { return bytes_.size() - sent_; }
  bool empty() const noexcept { return size() == 0; }

  void append(const void* data, std::size_t size);
  // Hands the bytes held to `fd` as far as it takes them (send, MSG_NOSIGNAL): true when none
  // are left, false with errno (EAGAIN: the socket is full; or its error).
  bool sendTo(int fd);

 private:
  // The capacity stays once grown: a channel that keeps sending allocates nothing per batch.
  std::vector<std::uint8_t> bytes_;
  std::size_t sent_ = 0;  // the front of bytes_ already sent
};

}  // namespace tofu::detail
