// Helpers for the Server/Connection/Reply suites: listening and connecting with bounded waits,
// a log of a Connection's signals in emission order, and a peer on a plain engine that answers
// the handshake and then reads nothing. GUI thread only; each helper owns what it starts.
#pragma once

#include <QString>
#include <QStringList>

#include <atomic>
#include <memory>
#include <thread>

#include "tofu/qt/channel_group.h"
#include "tofu/qt/connection.h"
#include "tofu/qt/server.h"
#include "tofu/reactor.h"

namespace tofu::qt::test {

// Listens on `address`; the bound address, or "" when listening() did not come within 5 s.
QString listenOn(Server& server, const QString& address);
// Connects and waits (5 s) for connected(); false on failure.
bool connectAndWait(Connection& client, const QString& address, const HeaderList& headers = {});
// Waits (5 s) for a pending connection and takes it; nullptr on timeout.
Connection* takeNext(Server& server);

class SilentPeer;
// Lets `peer` listen on TCP loopback, connects `client` to it, has the peer answer the Hello
// and waits (5 s) for connected(); false on failure.
bool connectToSilentPeer(Connection& client, SilentPeer& peer);
// Sends `body` until the send queue refuses it; the number sent, or -1 when 10000 went through.
int fillSendQueue(Connection& client, const QByteArray& body);

// Every signal of one Connection as a line, in emission order: "state:Connected",
// "connected", "disconnected", "received:BODY", "returned:STATUS", "error:STATUS", "ready".
class SignalLog {
 public:
  explicit SignalLog(Connection& connection);
  QStringList lines;
  qsizetype count(const QString& line) const { return lines.count(line); }
  // The first index of a line starting with `prefix`, -1 if none.
  qsizetype indexOf(const QString& prefix) const;
};

// A peer on its own plain engine, driven from the test thread: it listens, answers one
// HelloRequest, then never calls waitReceive() again, so it never answers a ByeRequest and,
// once its receive budget is spent, stops reading. abort() resets its channels.
class SilentPeer {
 public:
  SilentPeer();
  ~SilentPeer();
  SilentPeer(const SilentPeer&) = delete;
  SilentPeer& operator=(const SilentPeer&) = delete;

  // Blocks up to 5 s for the WelcomeResponse; the bound address or "".
  QString listen(const QString& address);
  // Blocks up to 5 s for a HelloRequest and answers it; false on timeout.
  bool answerHello();
  // From now on reads and discards everything on a thread of its own (until abort()), so a
  // sender's queue drains.
  void startReading();
  // Destroys its group: every channel of it is reset.
  void abort();

 private:
  std::unique_ptr<Reactor> reactor_;
  tofu::ChannelGroup* group_ = nullptr;
  std::atomic<bool> stopReading_{false};
  std::thread reader_;
};

}  // namespace tofu::qt::test
