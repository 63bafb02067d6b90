#include "connection_fixture.h"

#include <QSignalSpy>
#include <QVariant>

namespace tofu::qt::test {
namespace {

constexpr int kWaitMs = 5000;

}  // namespace

QString listenOn(Server& server, const QString& address) {
  QSignalSpy listening(&server, &Server::listening);
  if (!server.listen(address) || !listening.wait(kWaitMs)) {
    return {};
  }
  return listening.at(0).at(0).toString();
}

bool connectAndWait(Connection& client, const QString& address, const HeaderList& headers) {
  QSignalSpy connected(&client, &Connection::connected);
  return client.connectTo(address, headers) && connected.wait(kWaitMs);
}

Connection* takeNext(Server& server) {
  if (!server.hasPendingConnections()) {
    QSignalSpy accepted(&server, &Server::newConnection);
    if (!accepted.wait(kWaitMs)) {
      return nullptr;
    }
  }
  return server.nextPendingConnection();
}

Connection* connectPair(Server& server, Connection& client) {
  const QString bound = listenOn(server, QStringLiteral("tcp|127.0.0.1|0"));
  return !bound.isEmpty() && connectAndWait(client, bound) ? takeNext(server) : nullptr;
}

SignalLog::SignalLog(Connection& connection) {
  QObject::connect(&connection, &Connection::stateChanged, &connection, [this](Connection::State state) {
    lines.append(QStringLiteral("state:") + QVariant::fromValue(state).toString());
  });
  QObject::connect(&connection, &Connection::connected, &connection, [this] { lines.append(QStringLiteral("connected")); });
  QObject::connect(&connection, &Connection::disconnected, &connection,
                   [this] { lines.append(QStringLiteral("disconnected")); });
  QObject::connect(&connection, &Connection::messageReceived, &connection, [this](const MessageEnvelope& m) {
    lines.append(QStringLiteral("received:") + QString::fromUtf8(m.body));
  });
  QObject::connect(&connection, &Connection::messageReturned, &connection, [this](const MessageEnvelope& m) {
    lines.append(QStringLiteral("returned:") + statusName(m.status()));
  });
  QObject::connect(&connection, &Connection::errorOccurred, &connection, [this](Status status, const QString&) {
    lines.append(QStringLiteral("error:") + statusName(status));
  });
  QObject::connect(&connection, &Connection::readyToSend, &connection, [this] { lines.append(QStringLiteral("ready")); });
}

qsizetype SignalLog::indexOf(const QString& prefix) const {
  for (qsizetype i = 0; i < lines.size(); ++i) {
    if (lines.at(i).startsWith(prefix)) {
      return i;
    }
  }
  return -1;
}

bool connectToSilentPeer(Connection& client, SilentPeer& peer) {
  QSignalSpy connected(&client, &Connection::connected);
  return !peer.address().isEmpty() && client.connectTo(peer.address()) && peer.accept(kWaitMs) &&
         peer.answerHello(kWaitMs) && connected.wait(kWaitMs);
}

int fillSendQueue(Connection& client, const QByteArray& body) {
  constexpr int kMostSends = 10000;
  int sent = 0;
  while (sent < kMostSends && client.send(body)) {
    ++sent;
  }
  return sent < kMostSends ? sent : -1;
}

}  // namespace tofu::qt::test
