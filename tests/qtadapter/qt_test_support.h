// Helpers shared by the adapter's Qt Test suites: a listening echo ChannelGroup, a flooding
// peer on a plain engine, addresses that fail in known ways, and waits on the adapter's own
// threads. Each helper owns what it starts; see each class.
#pragma once

#include <QString>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "tofu/qt/channel_group.h"
#include "tofu/reactor.h"

namespace tofu::qt::test {

// Listens on `address`; the bound address, or "" when listening() did not come within 5 s.
QString listenOn(ChannelGroup& group, const QString& address = QStringLiteral("tcp|127.0.0.1|0"));
// Makes `server` answer HelloRequests and ByeRequests, and echo Requests (the body, and the
// `seq` header when there is one).
void makeEcho(ChannelGroup& server);

// A peer on its own plain engine and thread: connects to `address` and sends `count` Requests
// (header `seq:N`, a 64-byte body starting with N), retrying while the send queue is full.
// It keeps the channel open until destroyed, which stops the thread and the engine.
class FloodSender {
 public:
  FloodSender(const QString& address, std::uint64_t count);
  ~FloodSender();
  FloodSender(const FloodSender&) = delete;
  FloodSender& operator=(const FloodSender&) = delete;

  std::uint64_t sent() const { return sent_.load(std::memory_order_acquire); }
  bool failed() const { return failed_.load(std::memory_order_acquire); }

 private:
  void run(const QString& address, std::uint64_t count);

  std::unique_ptr<Reactor> reactor_;
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<bool> failed_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A peer on a raw socket that reads only when told to (issue 19): it listens, accepts one
// connection, answers the HelloRequest when asked and otherwise leaves what the engine sends
// unread, so it never answers a ByeRequest and a sender's queue piles up in its engine: over
// TCP with small buffers on both ends of the connection, over UDS with the fixed buffers Unix
// sockets have. Owns its sockets and removes its socket file. Test thread only.
class SilentPeer {
 public:
  // Listens on 127.0.0.1, port 0, when `udsPath` is empty, else on `udsPath`.
  explicit SilentPeer(const QString& udsPath = {});
  ~SilentPeer();
  SilentPeer(const SilentPeer&) = delete;
  SilentPeer& operator=(const SilentPeer&) = delete;

  // "tcp|127.0.0.1|PORT" or "uds|PATH"; empty when listening failed.
  QString address() const { return address_; }
  // Accepts the connection within `timeoutMs`. TCP: then pins the send buffer of the engine's
  // end (in this process) to 16 KiB, which Linux would otherwise grow towards a non-reader.
  bool accept(int timeoutMs);
  // Reads the first frame within `timeoutMs` and, when it is a HelloRequest, answers it with a
  // HelloResponse of the same id; false otherwise.
  bool answerHello(int timeoutMs);
  // Reads whatever has arrived, without waiting; false once the connection ended or failed.
  bool readAvailable();
  qint64 bytesRead() const noexcept { return bytesRead_; }
  // Resets the connection (RST): the engine sees the peer go.
  void abort();

 private:
  void pinEngineSendBuffer() const;
  // Reads exactly `size` bytes into `out` within `timeoutMs`; false on timeout or end.
  bool readExactly(std::uint8_t* out, std::size_t size, int timeoutMs);

  int listenFd_ = -1;
  int fd_ = -1;
  QString address_;
  QByteArray udsPath_;
  qint64 bytesRead_ = 0;
};

// Runs an event loop (as an application's exec() would) until `done()` or `timeoutMs`; returns
// done(). QTRY_* would do here but sleeps 10 ms between event batches, which starves a
// delivery that needs one event-loop turn per message (maxPending 1).
bool runUntil(const std::function<bool()>& done, int timeoutMs);

// `ms` stretched by the factor the test stage sets for sanitizer builds: TOFU_STRESS_SCALE
// (0.25 under ASan and TSan, see scripts/test.sh) scales load down, so wall-clock limits are
// divided by it. Unset or not in (0, 1]: `ms` as is.
int scaledMs(int ms);

// Waits until the thread of this process named `name` (a QThread takes its objectName as its
// name) sleeps, seen on 3 polls in a row: only a wait in a blocking call keeps it asleep that
// long. False when no such thread sleeps within `timeoutMs`.
bool waitUntilThreadSleeps(const QString& name, int timeoutMs);

// A free TCP port on 127.0.0.1 nobody listens on (bound and released).
quint16 unusedTcpPort();
// Creates a Unix socket file at `path` with no listener behind it.
bool makeDeadSocketFile(const QString& path);
// Pool-made messages of `ampe`'s engine that are out of its pool now (from a snapshot).
std::size_t poolInUse(Ampe& ampe);

}  // namespace tofu::qt::test
