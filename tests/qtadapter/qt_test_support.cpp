#include "qt_test_support.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QSignalSpy>
#include <QTcpServer>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tofu/address.h"
#include "tofu/wire_format.h"

namespace tofu::qt::test {

QString listenOn(ChannelGroup& group, const QString& address) {
  QSignalSpy listening(&group, &ChannelGroup::listening);
  if (group.listenOn(address) == 0 || !listening.wait(5000)) {
    return {};
  }
  return listening.at(0).at(1).toString();
}

void makeEcho(ChannelGroup& server) {
  QObject::connect(&server, &ChannelGroup::messageReceived, &server, [&server](const MessageEnvelope& m) {
    if (m.opCode() == OpCode::HelloRequest) {
      server.send(m.channelNumber(), OpCode::HelloResponse, {}, {}, false, m.messageId());
    } else if (m.opCode() == OpCode::ByeRequest) {
      server.send(m.channelNumber(), OpCode::ByeResponse, {}, {}, false, m.messageId());
    } else if (m.opCode() == OpCode::Request) {
      const QByteArray seq = m.headerValue(u"seq").toUtf8();
      server.reply(m, m.body, seq.isEmpty() ? HeaderList{} : HeaderList{{"seq", seq}});
    }
  });
}

FloodSender::FloodSender(const QString& address, std::uint64_t count) {
  Result<std::unique_ptr<Reactor>> created = Reactor::create();
  if (!created.ok()) {
    failed_ = true;
    return;
  }
  reactor_ = std::move(created).value();
  thread_ = std::thread([this, address, count] { run(address, count); });
}

FloodSender::~FloodSender() {
  stop_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
}

void FloodSender::run(const QString& address, std::uint64_t count) {
  Ampe& ampe = reactor_->ampe();
  Result<tofu::ChannelGroup*> group = ampe.create();
  const Result<Address> peer = Address::parse(address.toStdString());
  MessagePtr message = ampe.get(AllocationStrategy::always).value();
  if (!group.ok() || !peer.ok() || prepareHelloRequest(*message, peer.value()) != Status::success) {
    failed_ = true;
    return;
  }
  const Result<BinaryHeader> hello = group.value()->enqueueToPeer(message);
  if (!hello.ok()) {
    failed_ = true;
    return;
  }
  std::string body(64, '.');
  for (std::uint64_t seq = 1; seq <= count && !stop_;) {
    if (!message) {
      message = ampe.get(AllocationStrategy::always).value();
      message->setChannelNumber(hello.value().channelNumber);
      const std::string number = std::to_string(seq);
      body.replace(0, number.size(), number);
      message->body().assign(body);
      (void)message->headers().append("seq", number);
    }
    const Result<BinaryHeader> posted = group.value()->enqueueToPeer(message);
    if (posted.ok()) {
      sent_.store(seq++, std::memory_order_release);
      continue;
    }
    if (posted.status() != Status::notification_failed) {
      ampe.put(message);
      failed_ = true;  // the channel is gone
      return;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));  // the send queue is full
  }
  ampe.put(message);
  // Drain notifications (HelloResponse, pool_empty...) until told to stop.
  while (!stop_) {
    Result<MessagePtr> received = group.value()->waitReceive(10'000'000);
    if (!received.ok()) {
      return;
    }
    ampe.put(received.value());
  }
}

namespace {

constexpr int kSmallBuffer = 4096;

// The port `fd` is bound to (IPv4), 0 when none; `peer` asks for the remote end's.
quint16 portOf(int fd, bool peer) {
  sockaddr_in address{};
  socklen_t length = sizeof(address);
  auto* raw = reinterpret_cast<sockaddr*>(&address);  // NOLINT: the sockets API
  const int got = peer ? ::getpeername(fd, raw, &length) : ::getsockname(fd, raw, &length);
  return got == 0 && address.sin_family == AF_INET ? ntohs(address.sin_port) : quint16{0};
}

}  // namespace

SilentPeer::SilentPeer(const QString& udsPath) {
  const bool uds = !udsPath.isEmpty();
  listenFd_ = ::socket(uds ? AF_UNIX : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listenFd_ < 0) {
    return;
  }
  // Inherited by the accepted socket, and announced to the sender as a small window.
  (void)::setsockopt(listenFd_, SOL_SOCKET, SO_RCVBUF, &kSmallBuffer, sizeof(kSmallBuffer));
  bool bound = false;
  if (uds) {
    udsPath_ = udsPath.toLocal8Bit();
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (static_cast<std::size_t>(udsPath_.size()) < sizeof(address.sun_path)) {
      std::copy(udsPath_.begin(), udsPath_.end(), address.sun_path);
      bound = ::bind(listenFd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;  // NOLINT
    }
  } else {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bound = ::bind(listenFd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;  // NOLINT
  }
  if (!bound || ::listen(listenFd_, 1) != 0) {
    return;
  }
  address_ = uds ? QStringLiteral("uds|") + udsPath
                 : QStringLiteral("tcp|127.0.0.1|%1").arg(portOf(listenFd_, false));
}

SilentPeer::~SilentPeer() {
  for (const int fd : {fd_, listenFd_}) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
  if (!udsPath_.isEmpty()) {
    ::unlink(udsPath_.constData());
  }
}

bool SilentPeer::accept(int timeoutMs) {
  pollfd ready{listenFd_, POLLIN, 0};
  if (address_.isEmpty() || ::poll(&ready, 1, timeoutMs) != 1) {
    return false;
  }
  fd_ = ::accept4(listenFd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd_ >= 0 && udsPath_.isEmpty()) {
    pinEngineSendBuffer();
  }
  return fd_ >= 0;
}

void SilentPeer::pinEngineSendBuffer() const {
  // The engine's end: bound to the port our end sees as remote, connected to our port.
  const quint16 enginePort = portOf(fd_, true);
  const quint16 ourPort = portOf(fd_, false);
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::atoi(entry.path().filename().c_str());
    if (fd != fd_ && portOf(fd, false) == enginePort && portOf(fd, true) == ourPort) {
      const int bytes = 16 * 1024;
      (void)::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
      return;
    }
  }
}

bool SilentPeer::readExactly(std::uint8_t* out, std::size_t size, int timeoutMs) {
  QElapsedTimer timer;
  timer.start();
  std::size_t got = 0;
  while (got < size) {
    const ssize_t read = ::recv(fd_, out + got, size - got, MSG_DONTWAIT);
    if (read > 0) {
      got += static_cast<std::size_t>(read);
      continue;
    }
    if (read == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      return false;
    }
    pollfd readable{fd_, POLLIN, 0};
    const qint64 left = timeoutMs - timer.elapsed();
    if (left <= 0 || ::poll(&readable, 1, static_cast<int>(left)) < 0) {
      return false;
    }
  }
  bytesRead_ += static_cast<qint64>(size);
  return true;
}

bool SilentPeer::answerHello(int timeoutMs) {
  std::array<std::uint8_t, kBinaryHeaderSize> bytes{};
  if (fd_ < 0 || !readExactly(bytes.data(), bytes.size(), timeoutMs)) {
    return false;
  }
  const BinaryHeader hello = decodeBinaryHeader(bytes);
  std::vector<std::uint8_t> sections(std::size_t{hello.textHeadersLen} + hello.bodyLen);
  if (hello.proto.opCode != OpCode::HelloRequest || !readExactly(sections.data(), sections.size(), timeoutMs)) {
    return false;
  }
  BinaryHeader answer = BinaryHeader::forOpCode(OpCode::HelloResponse);
  answer.channelNumber = 1;  // the sender's own number, which the receiver replaces (PROTOCOL.md 4.3)
  answer.messageId = hello.messageId;
  encodeBinaryHeader(answer, bytes);
  return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

void SilentPeer::abort() {
  if (fd_ < 0) {
    return;
  }
  const linger reset{1, 0};
  (void)::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  ::close(fd_);
  fd_ = -1;
}

bool SilentPeer::readAvailable() {
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t got = ::recv(fd_, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (got > 0) {
      bytesRead_ += got;
      continue;
    }
    return got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
  }
}

bool runUntil(const std::function<bool()>& done, int timeoutMs) {
  QEventLoop loop;
  QTimer poll;
  QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
    if (done()) {
      loop.quit();
    }
  });
  poll.start(5);
  QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
  if (!done()) {
    loop.exec();
  }
  return done();
}

int scaledMs(int ms) {
  const double scale = qEnvironmentVariable("TOFU_STRESS_SCALE").toDouble();
  return scale > 0 && scale <= 1 ? static_cast<int>(ms / scale) : ms;
}

namespace {

// The state letter ("R", "S", "D"...) of the thread of this process named `name`; ' ' when no
// such thread runs. The kernel keeps 15 bytes of a thread's name.
char threadState(const std::string& name) {
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::string comm;
    std::getline(std::ifstream(task.path() / "comm"), comm);
    if (comm != name.substr(0, 15)) {
      continue;
    }
    std::string stat;
    std::getline(std::ifstream(task.path() / "stat"), stat);
    const std::size_t close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() ? stat[close + 2] : '?';
  }
  return ' ';
}

}  // namespace

bool waitUntilThreadSleeps(const QString& name, int timeoutMs) {
  const std::string wanted = name.toStdString();
  QElapsedTimer timer;
  timer.start();
  int asleep = 0;
  while (asleep < 3 && timer.elapsed() < timeoutMs) {
    asleep = threadState(wanted) == 'S' ? asleep + 1 : 0;
    QThread::msleep(1);
  }
  return asleep == 3;
}

quint16 unusedTcpPort() {
  QTcpServer server;
  return server.listen(QHostAddress::LocalHost, 0) ? server.serverPort() : quint16{0};
}

bool makeDeadSocketFile(const QString& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const QByteArray native = path.toLocal8Bit();
  if (fd < 0 || static_cast<std::size_t>(native.size()) >= sizeof(address.sun_path)) {
    return false;
  }
  std::copy(native.begin(), native.end(), address.sun_path);
  const bool bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;  // NOLINT
  ::close(fd);  // the file stays, nobody listens
  return bound;
}

std::size_t poolInUse(Ampe& ampe) {
  const Result<EngineSnapshot> snapshot = ampe.snapshot();
  return snapshot.ok() ? snapshot.value().pool.inUse : ~std::size_t{0};
}

}  // namespace tofu::qt::test
