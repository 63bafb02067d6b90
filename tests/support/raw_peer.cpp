// Implementation of the raw peers and engine drivers (see raw_peer.h).
#include "raw_peer.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <span>
#include <thread>
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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

// sockaddr for a numeric TCP host or a UDS path; 0 when it cannot be expressed.
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
  if (::inet_pton(AF_INET, address.host().c_str(), &in4->sin_addr) != 1) {
    return 0;
  }
  in4->sin_family = AF_INET;
  in4->sin_port = htons(address.port());
  return static_cast<socklen_t>(sizeof(sockaddr_in));
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
  return peer;
}

RawPeer::RawPeer(int fd) : fd_(fd) {}

RawPeer::~RawPeer() { close(); }

bool RawPeer::sendBytes(const std::vector<std::uint8_t>& bytes) {
  const auto deadline = Clock::now() + defaultTimeout();
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t written =
        ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (written >= 0) {
      done += static_cast<std::size_t>(written);
      continue;
    }
    if (errno == EINTR) {
      continue;
    }
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && pollFor(fd_, POLLOUT, deadline)) {
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
  for (;;) {
    if (!pollFor(fd_, POLLIN, deadline)) {
      return ReadEnd::timeout;
    }
    std::array<std::uint8_t, 65536> chunk;
    const ssize_t got = ::recv(fd_, chunk.data(), chunk.size(), MSG_DONTWAIT);
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

bool RawPeer::takeFrame(RawFrame& frame) {
  if (buffer_.size() < kBinaryHeaderSize) {
    return false;
  }
  const BinaryHeader header =
      decodeBinaryHeader(std::span<const std::uint8_t, kBinaryHeaderSize>(buffer_.data(), kBinaryHeaderSize));
  const std::size_t total = kBinaryHeaderSize + header.textHeadersLen + header.bodyLen;
  if (buffer_.size() < total) {
    return false;
  }
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

// ---------------------------------------------------------------------------------------------
// Engine drivers

std::string fillBody(std::uint64_t id, std::size_t bytes) {
  std::string body(bytes, '\0');
  for (std::size_t i = 0; i < bytes; ++i) {
    body[i] = static_cast<char>('a' + (id + i) % 26);
  }
  return body;
}

FillResult fillSendQueue(Ampe& ampe, ChannelGroup& group, std::uint16_t channel, std::size_t bodyBytes,
                         std::chrono::milliseconds timeout) {
  FillResult result;
  result.bodyBytes = bodyBytes;
  const auto deadline = Clock::now() + timeout;
  // The id is chosen here (not by the engine) so the body can depend on it.
  static std::uint64_t nextId = 0x7000'0000'0000'0000ULL;
  while (Clock::now() < deadline) {
    const std::uint64_t id = ++nextId;
    auto message = request(ampe, channel, fillBody(id, bodyBytes), OpCode::Request, id);
    auto posted = group.enqueueToPeer(message);
    if (posted.ok()) {
      result.ids.push_back(id);
      continue;
    }
    if (posted.status() != Status::notification_failed) {
      ADD_FAILURE() << "fillSendQueue: enqueueToPeer failed with " << toString(posted.status());
      ampe.put(message);
      return result;
    }
    EXPECT_NE(message, nullptr) << "a refused message stays with the caller (K5, B6)";
    ampe.put(message);
    // Full for now. It is full for good once the engine cannot write any more: the peer's
    // buffers are full. Watch the written byte count for a while to tell the two apart.
    // The window is generous because a loaded machine may not run the engine thread for a
    // while; a queue taken for full too early would leave nothing pending later.
    const std::uint64_t before = ampe.counters().bytesWritten;
    bool moved = false;
    for (int step = 0; step < 40 && !moved; ++step) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5) * timeoutScale());
      moved = ampe.counters().bytesWritten != before;
    }
    if (!moved) {
      result.full = true;
      return result;
    }
  }
  ADD_FAILURE() << "fillSendQueue: the send queue of channel " << channel << " did not fill within "
                << timeout.count() << " ms (" << result.ids.size() << " accepted)";
  return result;
}

void pinEngineSendBuffer(const RawPeer& peer) {
  sockaddr_storage local{};
  socklen_t length = sizeof(local);
  if (::getsockname(peer.fd(), reinterpret_cast<sockaddr*>(&local), &length) != 0 ||
      local.ss_family != AF_INET) {
    return;
  }
  const std::uint16_t peerLocal = boundPort(peer.fd());
  sockaddr_in remote{};
  length = sizeof(remote);
  if (::getpeername(peer.fd(), reinterpret_cast<sockaddr*>(&remote), &length) != 0) {
    ADD_FAILURE() << "pinEngineSendBuffer: the raw peer is not connected";
    return;
  }
  const std::uint16_t peerRemote = ntohs(remote.sin_port);
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::atoi(entry.path().filename().c_str());
    if (fd == peer.fd() || boundPort(fd) != peerRemote) {
      continue;
    }
    sockaddr_in other{};
    length = sizeof(other);
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&other), &length) != 0 || other.sin_family != AF_INET ||
        ntohs(other.sin_port) != peerLocal) {
      continue;
    }
    const int bytes = 16 * 1024;
    EXPECT_EQ(::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes)), 0) << std::strerror(errno);
    return;
  }
  ADD_FAILURE() << "pinEngineSendBuffer: the engine's socket for 127.0.0.1:" << peerRemote << " <-> "
                << peerLocal << " was not found";
}

void waitForFramesWritten(Ampe& ampe, std::uint64_t frames) {
  const auto deadline = Clock::now() + defaultTimeout();
  while (ampe.counters().framesWritten < frames && Clock::now() < deadline) {
    std::this_thread::yield();
  }
}

BinaryHeader rawHeader(OpCode op, std::uint16_t channel, std::uint64_t id, std::uint16_t headersLen,
                       std::uint16_t bodyLen) {
  BinaryHeader header = BinaryHeader::forOpCode(op);
  header.channelNumber = channel;
  header.messageId = id;
  header.textHeadersLen = headersLen;
  header.bodyLen = bodyLen;
  return header;
}

std::uint8_t protoByte(std::uint8_t opCode, bool originEngine, bool more, std::uint8_t highBits) {
  return static_cast<std::uint8_t>((opCode & 0x0Fu) | (originEngine ? 0x10u : 0u) | (more ? 0x20u : 0u) |
                                   ((highBits & 0x3u) << 6));
}

// ---------------------------------------------------------------------------------------------
// Engine set-ups

Options roomyOptions() {
  Options options;
  options.initialPoolMsgs = 256;
  options.maxPoolMsgs = 1024;
  return options;
}

Options limitedOptions() {
  Options options = roomyOptions();
  options.sendQueueLimitBytes = 64 * 1024;
  return options;
}

std::size_t expectReturnedTail(const std::vector<MessagePtr>& returned, const FillResult& fill,
                               std::uint16_t channel, Status reason) {
  EXPECT_LE(returned.size(), fill.ids.size()) << "more messages returned than posted";
  if (returned.size() > fill.ids.size()) {
    return returned.size();
  }
  // Frames are written in posting order, so the ones that come back are the last posted.
  const std::size_t firstReturned = fill.ids.size() - returned.size();
  for (std::size_t i = 0; i < returned.size(); ++i) {
    const Message& message = *returned[i];
    const std::uint64_t id = fill.ids[firstReturned + i];
    EXPECT_EQ(message.opCode(), OpCode::Request) << "returned #" << i << ": " << describe(message);
    EXPECT_TRUE(message.isFromEngine()) << "returned #" << i << ": " << describe(message);
    EXPECT_EQ(message.status(), reason) << "returned #" << i << ": " << describe(message);
    EXPECT_EQ(message.channelNumber(), channel) << "returned #" << i << ": " << describe(message);
    EXPECT_EQ(message.messageId(), id) << "returned #" << i << " out of order or corrupted";
    EXPECT_FALSE(message.hasMore()) << "returned #" << i;
    EXPECT_EQ(message.body().size(), fill.bodyBytes) << "returned #" << i;
    EXPECT_TRUE(message.body().view() == fillBody(id, fill.bodyBytes))
        << "returned #" << i << ": body corrupted";
  }
  return returned.size();
}

bool echo(Ampe& clientAmpe, ChannelGroup& client, std::uint16_t clientChannel, Ampe& serverAmpe,
          ChannelGroup& server, std::uint16_t serverChannel, std::string_view body) {
  const BinaryHeader sent = post(client, request(clientAmpe, clientChannel, body));
  if (sent.channelNumber == 0) {
    return false;
  }
  auto arrived = receive(server);
  if (!arrived || arrived->opCode() != OpCode::Request || arrived->channelNumber() != serverChannel ||
      arrived->messageId() != sent.messageId || arrived->body().view() != body ||
      !arrived->isFromApplication()) {
    ADD_FAILURE() << "echo: expected Request ch=" << serverChannel << " id=" << sent.messageId << " body='"
                  << body << "', got " << describe(arrived);
    return false;
  }
  arrived->setOpCode(OpCode::Response);
  if (post(server, std::move(arrived)).channelNumber == 0) {
    return false;
  }
  auto answer = receive(client);
  if (!answer || answer->opCode() != OpCode::Response || answer->channelNumber() != clientChannel ||
      answer->messageId() != sent.messageId || answer->body().view() != body ||
      !answer->isFromApplication()) {
    ADD_FAILURE() << "echo: expected Response ch=" << clientChannel << " id=" << sent.messageId << ", got "
                  << describe(answer);
    return false;
  }
  clientAmpe.put(answer);
  const BinaryHeader signal = post(server, request(serverAmpe, serverChannel, body, OpCode::Signal));
  auto notice = receive(client);
  if (!notice || notice->opCode() != OpCode::Signal || notice->channelNumber() != clientChannel ||
      notice->messageId() != signal.messageId || notice->status() != Status::success) {
    ADD_FAILURE() << "echo: expected Signal ch=" << clientChannel << " id=" << signal.messageId << ", got "
                  << describe(notice);
    return false;
  }
  clientAmpe.put(notice);
  return true;
}

// ---------------------------------------------------------------------------------------------
// ViolationBench

ViolationBench::ViolationBench(Transport transport, const Options& serverOptions)
    : transport_(transport), server_(serverOptions), client_(roomyOptions()) {
  serverGroup_ = &server_.group();
  clientGroup_ = &client_.group();
  listening_ = listen(server_.ampe(), *serverGroup_, listenAddress(transport));
  if (listening_.channel == 0) {
    return;
  }
  bystander_ = connectPair(client_.ampe(), *clientGroup_, server_.ampe(), *serverGroup_, listening_.bound);
}

std::unique_ptr<RawPeer> ViolationBench::connectVictim(bool sayHello) {
  beforeVictim_ = server_.ampe().counters();
  auto victim = RawPeer::connectTo(listening_.bound, kSmallReceiveBuffer);
  victimPeer_ = victim.get();
  if (!victim || !sayHello) {
    return victim;
  }
  auto hello = newMessage(server_.ampe());
  EXPECT_EQ(prepareHelloRequest(*hello, Address::tcp("127.0.0.1", 1)), Status::success);
  hello->setChannelNumber(0x0BAD);
  // Ids of our own choosing (far from the process-wide counter) identify the victim's frames.
  static std::uint64_t nextVictimId = 0x5EED'0000'0000'0000ULL;
  hello->setMessageId(++nextVictimId);
  victimHelloId_ = hello->messageId();
  EXPECT_TRUE(victim->sendFrame(*hello));
  server_.ampe().put(hello);
  auto arrived = receive(*serverGroup_);
  if (!arrived || arrived->opCode() != OpCode::HelloRequest || !arrived->isFromApplication() ||
      arrived->messageId() != victimHelloId_ || arrived->channelNumber() == 0 ||
      arrived->channelNumber() == listening_.channel ||
      arrived->channelNumber() == bystander_.serverChannel) {
    ADD_FAILURE() << "the victim's HelloRequest did not arrive as such: " << describe(arrived);
    victim_ = 0;
    return victim;
  }
  victim_ = arrived->channelNumber();
  server_.ampe().put(arrived);
  return victim;
}

FillResult ViolationBench::fillVictim() {
  if (victimPeer_ != nullptr) {
    pinEngineSendBuffer(*victimPeer_);
  }
  beforeFill_ = server_.ampe().counters();
  FillResult fill = fillSendQueue(server_.ampe(), *serverGroup_, victim_, kFillBodyBytes);
  EXPECT_TRUE(fill.full) << "the victim's send queue did not fill";
  return fill;
}

void ViolationBench::expectVictimClosed(Status reason, const FillResult& fill) {
  Recorder recorder(*serverGroup_);
  if (!recorder.until(closedSignal(victim_))) {
    return;
  }
  std::vector<MessagePtr> returned;
  for (auto& message : recorder.messages()) {
    returned.push_back(std::move(message));
  }
  MessagePtr closed = std::move(returned.back());
  returned.pop_back();
  EXPECT_EQ(closed->messageId(), victimHelloId_)
      << "the final Signal carries the id of the first frame received on the channel";
  const std::size_t count = expectReturnedTail(returned, fill, victim_, reason);
  EXPECT_GE(count, 1u) << "messages were pending when the victim channel closed; they must come back with "
                       << toString(reason);
  const EngineCounters after = server_.ampe().counters();
  const std::uint64_t written = after.framesWritten - beforeFill_.framesWritten;
  const std::uint64_t back = after.messagesReturned - beforeFill_.messagesReturned;
  EXPECT_EQ(back, count) << "EngineCounters::messagesReturned";
  EXPECT_EQ(written + back, fill.ids.size()) << "written + returned == posted (B1)";
}

void ViolationBench::expectSilentClose() {
  // The engine counts the close even when it announces nothing.
  const auto deadline = std::chrono::steady_clock::now() + defaultTimeout();
  while (server_.ampe().counters().channelsClosed == beforeVictim_.channelsClosed &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const EngineCounters after = server_.ampe().counters();
  EXPECT_EQ(after.channelsOpened, beforeVictim_.channelsOpened + 1) << "the victim's connection was accepted";
  EXPECT_EQ(after.channelsClosed, beforeVictim_.channelsClosed + 1) << "and closed";
  EXPECT_EQ(expectNothing(*serverGroup_), nullptr) << "an unannounced channel closes silently";
}

void ViolationBench::expectOthersWork() {
  ASSERT_TRUE(bystander_.ok());
  EXPECT_TRUE(echo(client_.ampe(), *clientGroup_, bystander_.clientChannel, server_.ampe(), *serverGroup_,
                   bystander_.serverChannel, "still here"))
      << "the bystander channel must keep working";
  auto newcomer = RawPeer::connectTo(listening_.bound);
  ASSERT_NE(newcomer, nullptr) << "the listener must keep accepting";
  auto hello = newMessage(server_.ampe());
  ASSERT_EQ(prepareHelloRequest(*hello, listening_.bound), Status::success);
  hello->setChannelNumber(77);
  hello->setMessageId(4242);
  ASSERT_TRUE(newcomer->sendFrame(*hello));
  server_.ampe().put(hello);
  std::uint64_t helloId = 0;
  const std::uint16_t channel = acceptHello(server_.ampe(), *serverGroup_, defaultTimeout(), &helloId);
  ASSERT_NE(channel, 0u);
  EXPECT_EQ(helloId, 4242u);
  RawFrame answer;
  ASSERT_EQ(newcomer->readFrame(answer), ReadEnd::frame);
  EXPECT_EQ(answer.header.proto.opCode, OpCode::HelloResponse);
  EXPECT_EQ(answer.header.messageId, 4242u);
  // An orderly close with nothing pending: only the final Signal.
  newcomer->close();
  auto closed = receive(*serverGroup_);
  EXPECT_TRUE(closed && closedSignal(channel)(*closed)) << describe(closed);
  EXPECT_EQ(closed ? closed->messageId() : 0u, 4242u);
}

}  // namespace tofu::test
