// Implementation of the raw peers and engine drivers (see raw_peer.h).
#include "raw_peer.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <span>
#include <thread>
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tls_raw_session.h"

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;

int millisecondsLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

// Waits until `fd` reports one of `events` (or an error/hang-up); false on timeout.
bool pollFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, millisecondsLeft(deadline));
    if (ready > 0) {
      return true;
    }
    if (ready == 0 || errno != EINTR) {
      return false;
    }
  }
}

// sockaddr for a numeric TCP host (IPv4 or IPv6) or a UDS path; 0 when it cannot be expressed.
socklen_t toSockaddr(const Address& address, sockaddr_storage& storage) {
  std::memset(&storage, 0, sizeof(storage));
  if (address.kind() == AddressKind::uds) {
    auto* un = reinterpret_cast<sockaddr_un*>(&storage);
    if (address.path().size() >= sizeof(un->sun_path)) {
      return 0;
    }
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, address.path().data(), address.path().size());
    return static_cast<socklen_t>(sizeof(sockaddr_un));
  }
  auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
  if (::inet_pton(AF_INET, address.host().c_str(), &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons(address.port());
    return static_cast<socklen_t>(sizeof(sockaddr_in));
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (::inet_pton(AF_INET6, address.host().c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(address.port());
    return static_cast<socklen_t>(sizeof(sockaddr_in6));
  }
  return 0;
}

std::uint16_t boundPort(int fd) {
  sockaddr_in bound{};
  socklen_t length = sizeof(bound);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
    return 0;
  }
  return ntohs(bound.sin_port);
}

void shrinkReceiveBuffer(int fd, int bytes) {
  if (bytes > 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
  }
}

}  // namespace

const char* toString(ReadEnd end) noexcept {
  switch (end) {
    case ReadEnd::frame:
      return "frame";
    case ReadEnd::timeout:
      return "timeout";
    case ReadEnd::eof:
      return "eof";
    case ReadEnd::reset:
      return "reset";
    case ReadEnd::error:
      return "error";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// RawPeer

std::unique_ptr<RawPeer> RawPeer::connectTo(const Address& address, int receiveBufferBytes) {
  sockaddr_storage storage{};
  const socklen_t length = toSockaddr(address, storage);
  if (length == 0) {
    ADD_FAILURE() << "RawPeer: cannot express " << address.toString();
    return nullptr;
  }
  const int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ADD_FAILURE() << "socket: " << std::strerror(errno);
    return nullptr;
  }
  auto peer = std::make_unique<RawPeer>(fd);
  // Before connect, so the window the peer advertises is small from the start.
  shrinkReceiveBuffer(fd, receiveBufferBytes);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&storage), length) != 0) {
    ADD_FAILURE() << "RawPeer connect(" << address.toString() << "): " << std::strerror(errno);
    return nullptr;
  }
#if TOFU_WITH_TLS
  if (address.kind() == AddressKind::tls) {
    std::string failure;
    auto session = TlsRawSession::handshake(fd, {}, Clock::now() + defaultTimeout(), failure);
    if (!session) {
      ADD_FAILURE() << "RawPeer TLS handshake with " << address.toString() << ": " << failure;
      return nullptr;
    }
    peer->useTls(std::move(session));
  }
#endif
  return peer;
}

RawPeer::RawPeer(int fd) : fd_(fd) {}

RawPeer::~RawPeer() { close(); }

void RawPeer::useTls(std::unique_ptr<TlsRawSession> session) { tls_ = std::move(session); }

short RawPeer::waitEvents(short plain) const {
#if TOFU_WITH_TLS
  if (tls_) {
    return tls_->waitEvents();
  }
#endif
  return plain;
}

bool RawPeer::tlsPending() const {
#if TOFU_WITH_TLS
  return tls_ && tls_->pending();
#else
  return false;
#endif
}

ssize_t RawPeer::sendSome(const std::uint8_t* data, std::size_t size) {
#if TOFU_WITH_TLS
  if (tls_) {
    return tls_->send(data, size);
  }
#endif
  return ::send(fd_, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
}

ssize_t RawPeer::receiveChunk(std::uint8_t* data, std::size_t size) {
#if TOFU_WITH_TLS
  if (tls_) {
    return tls_->receive(data, size);
  }
#endif
  return ::recv(fd_, data, size, MSG_DONTWAIT);
}

bool RawPeer::sendBytes(const std::vector<std::uint8_t>& bytes) {
  const auto deadline = Clock::now() + defaultTimeout();
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t written = sendSome(bytes.data() + done, bytes.size() - done);
    if (written >= 0) {
      done += static_cast<std::size_t>(written);
      continue;
    }
    if (errno == EINTR) {
      continue;
    }
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && pollFor(fd_, waitEvents(POLLOUT), deadline)) {
      continue;
    }
    return false;
  }
  return true;
}

bool RawPeer::sendBytes(std::string_view bytes) {
  return sendBytes(std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
}

bool RawPeer::sendFrame(const Message& message) { return sendBytes(encodeFrame(message)); }

bool RawPeer::sendHeader(const BinaryHeader& header, std::uint8_t proto) {
  std::vector<std::uint8_t> bytes(kBinaryHeaderSize);
  encodeBinaryHeader(header, std::span<std::uint8_t, kBinaryHeaderSize>(bytes.data(), kBinaryHeaderSize));
  bytes[2] = proto;
  return sendBytes(bytes);
}

ReadEnd RawPeer::receiveSome(Clock::time_point deadline) {
  for (short events = POLLIN;; events = waitEvents(POLLIN)) {
    if (!tlsPending() && !pollFor(fd_, events, deadline)) {
      return ReadEnd::timeout;
    }
    std::array<std::uint8_t, 65536> chunk;
    const ssize_t got = receiveChunk(chunk.data(), chunk.size());
    if (got > 0) {
      ++readCalls_;
      bytesRead_ += static_cast<std::size_t>(got);
      buffer_.insert(buffer_.end(), chunk.begin(), chunk.begin() + got);
      return ReadEnd::frame;  // "some data"; the caller looks for a whole frame
    }
    if (got == 0) {
      return ReadEnd::eof;
    }
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
      continue;
    }
    return errno == ECONNRESET ? ReadEnd::reset : ReadEnd::error;
  }
}

std::size_t RawPeer::bufferedFrameSize() const {
  if (buffer_.size() < kBinaryHeaderSize) {
    return 0;
  }
  const BinaryHeader header =
      decodeBinaryHeader(std::span<const std::uint8_t, kBinaryHeaderSize>(buffer_.data(), kBinaryHeaderSize));
  const std::size_t total = kBinaryHeaderSize + header.textHeadersLen + header.bodyLen;
  return buffer_.size() < total ? 0 : total;
}

bool RawPeer::takeFrame(RawFrame& frame) {
  const std::size_t total = bufferedFrameSize();
  if (total == 0) {
    return false;
  }
  const BinaryHeader header =
      decodeBinaryHeader(std::span<const std::uint8_t, kBinaryHeaderSize>(buffer_.data(), kBinaryHeaderSize));
  frame.header = header;
  frame.protoByte = buffer_[2];
  const char* bytes = reinterpret_cast<const char*>(buffer_.data());
  frame.textHeaders.assign(bytes + kBinaryHeaderSize, header.textHeadersLen);
  frame.body.assign(bytes + kBinaryHeaderSize + header.textHeadersLen, header.bodyLen);
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(total));
  return true;
}

ReadEnd RawPeer::readFrame(RawFrame& frame, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!takeFrame(frame)) {
    const ReadEnd end = receiveSome(deadline);
    if (end != ReadEnd::frame) {
      return end;
    }
  }
  return ReadEnd::frame;
}

std::optional<std::vector<std::uint8_t>> RawPeer::readFrameBytes(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (const std::size_t total = bufferedFrameSize(); total != 0) {
      const auto end = buffer_.begin() + static_cast<std::ptrdiff_t>(total);
      std::vector<std::uint8_t> bytes(buffer_.begin(), end);
      buffer_.erase(buffer_.begin(), end);
      return bytes;
    }
    if (receiveSome(deadline) != ReadEnd::frame) {
      return std::nullopt;
    }
  }
}

ReadEnd RawPeer::readUntilClosed(std::vector<RawFrame>* frames, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    RawFrame frame;
    while (takeFrame(frame)) {
      if (frames != nullptr) {
        frames->push_back(std::move(frame));
      }
    }
    const ReadEnd end = receiveSome(deadline);
    if (end != ReadEnd::frame) {
      return end;
    }
  }
}

void RawPeer::shutdownWrite() {
  if (fd_ >= 0) {
#if TOFU_WITH_TLS
    if (tls_) {
      tls_->closeNotify();
    }
#endif
    ::shutdown(fd_, SHUT_WR);
  }
}

void RawPeer::abort() {
  if (fd_ >= 0) {
    const linger option{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &option, sizeof(option));
    close();
  }
}

void RawPeer::close() {
  tls_.reset();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

// ---------------------------------------------------------------------------------------------
// RawServer

RawServer::RawServer(Transport transport, int receiveBufferBytes) {
  address_ = transport == Transport::tcp ? Address::tcp("127.0.0.1", 0) : listenAddress(Transport::uds);
  sockaddr_storage storage{};
  const socklen_t length = toSockaddr(address_, storage);
  fd_ = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    ADD_FAILURE() << "socket: " << std::strerror(errno);
    return;
  }
  // Accepted sockets inherit the buffer size from the listener.
  shrinkReceiveBuffer(fd_, receiveBufferBytes);
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&storage), length) != 0 || ::listen(fd_, 16) != 0) {
    ADD_FAILURE() << "RawServer on " << address_.toString() << ": " << std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
    return;
  }
  if (transport == Transport::tcp) {
    address_ = Address::tcp("127.0.0.1", boundPort(fd_));
  }
}

RawServer::~RawServer() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
  if (address_.kind() == AddressKind::uds && !address_.path().empty()) {
    ::unlink(address_.path().c_str());
  }
}

std::unique_ptr<RawPeer> RawServer::accept(std::chrono::milliseconds timeout) {
  if (fd_ < 0 || !pollFor(fd_, POLLIN, Clock::now() + timeout)) {
    ADD_FAILURE() << "RawServer: nobody connected to " << address_.toString() << " within " << timeout.count()
                  << " ms";
    return nullptr;
  }
  const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) {
    ADD_FAILURE() << "accept: " << std::strerror(errno);
    return nullptr;
  }
  return std::make_unique<RawPeer>(fd);
}

// ---------------------------------------------------------------------------------------------
// HangingTcpServer

HangingTcpServer::HangingTcpServer() {
  listenFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (listenFd_ < 0 || ::bind(listenFd_, reinterpret_cast<const sockaddr*>(&local), sizeof(local)) != 0 ||
      ::listen(listenFd_, 0) != 0) {
    ADD_FAILURE() << "HangingTcpServer: " << std::strerror(errno);
    return;
  }
  local.sin_port = htons(boundPort(listenFd_));
  address_ = Address::tcp("127.0.0.1", ntohs(local.sin_port));
  // Fill the accept queue; the first filler whose connect stays pending proves that the next
  // connect (the engine's) will hang too.
  for (int attempt = 0; attempt < 8 && !hangs_; ++attempt) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      break;
    }
    fillers_.push_back(fd);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&local), sizeof(local)) == 0 ||
        errno != EINPROGRESS) {
      continue;
    }
    pollfd entry{fd, POLLOUT, 0};
    const int ready = ::poll(&entry, 1, 200);
    hangs_ = ready == 0;
  }
}

HangingTcpServer::~HangingTcpServer() {
  for (const int fd : fillers_) {
    ::close(fd);
  }
  if (listenFd_ >= 0) {
    ::close(listenFd_);
  }
}

std::unique_ptr<RawPeer> HangingTcpServer::releaseNext(std::chrono::milliseconds timeout) {
  std::vector<std::uint16_t> ours;
  for (const int fd : fillers_) {
    ours.push_back(boundPort(fd));
  }
  // Pending fillers would compete with the engine for the freed slot: abort them.
  while (fillers_.size() > 1) {
    ::close(fillers_.back());
    fillers_.pop_back();
  }
  const auto deadline = Clock::now() + timeout;
  while (pollFor(listenFd_, POLLIN, deadline)) {
    sockaddr_in peer{};
    socklen_t length = sizeof(peer);
    const int fd = ::accept4(listenFd_, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    if (std::find(ours.begin(), ours.end(), ntohs(peer.sin_port)) != ours.end()) {
      ::close(fd);
      continue;
    }
    return std::make_unique<RawPeer>(fd);
  }
  ADD_FAILURE() << "HangingTcpServer: the engine's connection did not arrive within " << timeout.count()
                << " ms";
  return nullptr;
}

bool sayHello(RawPeer& peer, Ampe& ampe, std::uint16_t channel, std::uint64_t id) {
  auto hello = newMessage(ampe);
  EXPECT_EQ(prepareHelloRequest(*hello, Address::tcp("127.0.0.1", 1)), Status::success);
  hello->setChannelNumber(channel);
  hello->setMessageId(id);
  const bool sent = peer.sendFrame(*hello);
  ampe.put(hello);
  return sent;
}

// ---------------------------------------------------------------------------------------------
// Wire bytes: a frame as expected on the wire (wire_bytes.h for the rest)

// Reads one frame from `peer` and expects exactly `expected`.
void expectFrame(RawPeer& peer, const std::vector<std::uint8_t>& expected) {
  const auto frame = peer.readFrameBytes();
  ASSERT_TRUE(frame) << "no frame; expected:\n" << hex(expected);
  EXPECT_EQ(*frame, expected) << "got:\n" << hex(*frame) << "\nexpected:\n" << hex(expected);
}

}  // namespace tofu::test
