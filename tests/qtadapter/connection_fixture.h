// Helpers for the Server/Connection/Reply suites: listening and connecting with bounded waits,
// a connected pair of Connections, a connection to a SilentPeer (qt_test_support.h), and a log
// of a Connection's signals in emission order. GUI thread only.
#pragma once

#include <QString>
#include <QStringList>

#include "tofu/qt/channel_group.h"
#include "tofu/qt/connection.h"
#include "tofu/qt/server.h"

#include "qt_test_support.h"

namespace tofu::qt::test {

// Listens on `address`; the bound address, or "" when listening() did not come within 5 s.
QString listenOn(Server& server, const QString& address);
// Connects and waits (5 s) for connected(); false on failure.
bool connectAndWait(Connection& client, const QString& address, const HeaderList& headers = {});
// Waits (5 s) for a pending connection and takes it; nullptr on timeout.
Connection* takeNext(Server& server);
// Lets `server` listen on TCP loopback (port 0), connects `client` to it and takes the server
// side of that connection; nullptr when a step fails.
Connection* connectPair(Server& server, Connection& client);

// Connects `client` to `peer`, which accepts and answers the Hello, and waits (5 s) for
// connected(); false on failure.
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

}  // namespace tofu::qt::test
