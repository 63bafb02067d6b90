#include "qt_test_support.h"

#include <QEventLoop>
#include <QTcpServer>
#include <QTimer>

#include <chrono>
#include <string>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tofu/address.h"

namespace tofu::qt::test {

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
  Result<ChannelGroup*> group = ampe.create();
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
