// tofu::qt::Server: the handshake and Bye answered without application code, the accept hook,
// pending connections that keep what arrived early, broadcast, listening errors, and deleting
// the Server (also from its own slot) while peers are connected.
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

#include "tofu/qt/connection.h"
#include "tofu/qt/engine.h"
#include "tofu/qt/server.h"

#include "connection_fixture.h"

using tofu::Status;
using tofu::qt::Connection;
using tofu::qt::Engine;
using tofu::qt::MessageEnvelope;
using tofu::qt::Server;
using tofu::qt::test::SignalLog;
using State = tofu::qt::Connection::State;

class TestServer : public QObject {
  Q_OBJECT

 private slots:
  void handshakeAndByeWithoutApplicationCode_data();
  void handshakeAndByeWithoutApplicationCode();
  void serverSideCloseIsAnsweredByTheClient();
  void acceptHookRefuses();
  void pendingConnectionKeepsEarlyMessages();
  void broadcastReachesEveryClient();
  void listenFailures();
  void closeStopsListeningOnly();
  void deleteServerInItsOwnSlot();
  void deletedServerEndsReparentedConnections();
  void deleteEngineInServerSlot();
  void usedAfterEngineDeleted();

 private:
  QTemporaryDir dir_;
};

void TestServer::handshakeAndByeWithoutApplicationCode_data() {
  QTest::addColumn<QString>("address");
  QTest::newRow("tcp") << QStringLiteral("tcp|127.0.0.1|0");
  QTest::newRow("uds") << QStringLiteral("uds|%1/handshake.sock").arg(dir_.path());
}

void TestServer::handshakeAndByeWithoutApplicationCode() {
  QFETCH(QString, address);
  Engine engine;
  Server server(engine);
  Connection client(engine);
  SignalLog clientLog(client);
  const QString bound = tofu::qt::test::listenOn(server, address);
  QVERIFY(!bound.isEmpty());
  QVERIFY(server.isListening());
  QCOMPARE(server.serverAddress(), bound);

  QVERIFY(tofu::qt::test::connectAndWait(client, bound, {{"user", "ada"}}));
  QCOMPARE(client.state(), State::Connected);
  QCOMPARE(client.peerAddress(), bound);
  QVERIFY(client.channelNumber() != 0);
  Connection* peer = tofu::qt::test::takeNext(server);
  QVERIFY(peer != nullptr);
  QVERIFY(peer->isServerSide());
  QCOMPARE(peer->parent(), &server);
  QCOMPARE(peer->state(), State::Connected);
  QCOMPARE(peer->helloHeaders(), (tofu::qt::HeaderList{{"user", "ada"}}));
  if (address.startsWith(u"tcp")) {
    QVERIFY2(peer->peerAddress().startsWith(u"tcp|127.0.0.1|"), qPrintable(peer->peerAddress()));
  }
  QCOMPARE(server.connections(), QList<Connection*>{peer});
  QVERIFY(!server.hasPendingConnections());
  SignalLog peerLog(*peer);

  // Messages both ways, then a graceful close answered by the server's Connection itself.
  QVERIFY(client.send("to server"));
  QTRY_COMPARE(peerLog.count(QStringLiteral("received:to server")), 1);
  QVERIFY(peer->send("to client"));
  QTRY_COMPARE(clientLog.count(QStringLiteral("received:to client")), 1);
  client.setCloseTimeout(20000);  // so that only the answers can end the close in time
  peer->setCloseTimeout(20000);
  client.close();
  QCOMPARE(client.state(), State::Closing);
  QTRY_COMPARE_WITH_TIMEOUT(client.state(), State::Unconnected, 5000);
  QTRY_COMPARE_WITH_TIMEOUT(peer->state(), State::Unconnected, 5000);
  QCOMPARE(clientLog.lines, (QStringList{"state:Connecting", "state:Connected", "connected", "received:to client",
                                         "state:Closing", "state:Unconnected", "disconnected"}));
  QCOMPARE(peerLog.lines, (QStringList{"received:to server", "state:Closing", "state:Unconnected", "disconnected"}));
  QVERIFY(server.connections().isEmpty());
}

void TestServer::serverSideCloseIsAnsweredByTheClient() {
  Engine engine;
  Server server(engine);
  Connection client(engine);
  SignalLog clientLog(client);
  Connection* peer = tofu::qt::test::connectPair(server, client);
  QVERIFY(peer != nullptr);
  QSignalSpy peerDisconnected(peer, &Connection::disconnected);
  peer->setCloseTimeout(20000);  // so that only the answers can end the close in time
  client.setCloseTimeout(20000);
  peer->close();
  QVERIFY(peerDisconnected.wait(5000));
  QTRY_COMPARE(client.state(), State::Unconnected);
  QCOMPARE(clientLog.lines.mid(3), (QStringList{"state:Closing", "state:Unconnected", "disconnected"}));
  QCOMPARE(client.error(), Status::success);  // a graceful close is no error
}

void TestServer::acceptHookRefuses() {
  Engine engine;
  Server server(engine);
  QList<QString> tokensSeen;
  server.setAcceptHook([&tokensSeen](const MessageEnvelope& hello) {
    tokensSeen.append(hello.headerValue(u"token"));
    return hello.headerValue(u"token") == u"secret";
  });
  QSignalSpy accepted(&server, &Server::newConnection);
  const QString bound = tofu::qt::test::listenOn(server, QStringLiteral("tcp|127.0.0.1|0"));
  QVERIFY(!bound.isEmpty());

  Connection intruder(engine);
  intruder.setAutoReconnect(true, 20, 20);  // a refusal is final all the same
  SignalLog intruderLog(intruder);
  QSignalSpy errors(&intruder, &Connection::errorOccurred);
  QVERIFY(intruder.connectTo(bound, {{"token", "guess"}}));
  QVERIFY(errors.wait(5000));
  QCOMPARE(errors.at(0).at(0).value<Status>(), Status::not_allowed);
  QVERIFY(errors.at(0).at(1).toString().contains(u"refused"));
  QCOMPARE(intruder.state(), State::Unconnected);
  QCOMPARE(intruderLog.lines, (QStringList{"state:Connecting", "state:Unconnected", "error:not_allowed"}));
  QCOMPARE(intruder.error(), Status::not_allowed);

  Connection member(engine);
  QVERIFY(tofu::qt::test::connectAndWait(member, bound, {{"token", "secret"}}));
  QCOMPARE(accepted.count(), 1);  // the member only
  QCOMPARE(tokensSeen, (QList<QString>{"guess", "secret"}));  // the intruder did not try again
  QCOMPARE(intruder.state(), State::Unconnected);
}

void TestServer::pendingConnectionKeepsEarlyMessages() {
  Engine engine;
  Server server(engine);
  Connection client(engine);
  const QString bound = tofu::qt::test::listenOn(server, QStringLiteral("tcp|127.0.0.1|0"));
  QVERIFY(tofu::qt::test::connectAndWait(client, bound));
  for (int i = 1; i <= 3; ++i) {
    QVERIFY(client.send("early " + QByteArray::number(i)));
  }
  QTest::qWait(200);  // they arrive while nobody has taken the connection
  client.setCloseTimeout(20000);
  client.close();  // answered at once all the same
  QTRY_COMPARE_WITH_TIMEOUT(client.state(), State::Unconnected, 5000);
  QCOMPARE(client.error(), Status::success);

  Connection* peer = server.nextPendingConnection();
  QVERIFY(peer != nullptr);
  SignalLog peerLog(*peer);
  QVERIFY(peerLog.lines.isEmpty());  // nothing is emitted before the event loop runs
  QTRY_COMPARE(peer->state(), State::Unconnected);
  QCOMPARE(peerLog.lines, (QStringList{"received:early 1", "received:early 2", "received:early 3", "state:Closing",
                                       "state:Unconnected", "disconnected"}));
}

void TestServer::broadcastReachesEveryClient() {
  Engine engine;
  Server server(engine);
  const QString bound = tofu::qt::test::listenOn(server, QStringLiteral("tcp|127.0.0.1|0"));
  std::vector<std::unique_ptr<Connection>> clients;
  std::vector<std::unique_ptr<SignalLog>> logs;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<Connection>(engine));
    logs.push_back(std::make_unique<SignalLog>(*clients.back()));
    QVERIFY(tofu::qt::test::connectAndWait(*clients.back(), bound));
    QVERIFY(tofu::qt::test::takeNext(server) != nullptr);
  }
  QCOMPARE(server.connections().size(), 3);
  QCOMPARE(server.broadcast("news", {{"kind", "chat"}}), 3);
  for (const auto& log : logs) {
    QTRY_COMPARE(log->count(QStringLiteral("received:news")), 1);
  }
  clients.front()->abort();
  QTRY_COMPARE(server.connections().size(), 2);
  QCOMPARE(server.broadcast("more"), 2);
  QTRY_COMPARE(logs.at(2)->count(QStringLiteral("received:more")), 1);
  QCOMPARE(logs.at(0)->count(QStringLiteral("received:more")), 0);
}

void TestServer::listenFailures() {
  Engine engine;
  Server server(engine);
  QSignalSpy errors(&server, &Server::errorOccurred);
  QVERIFY(!server.listen(QStringLiteral("127.0.0.1:7099")));  // not the tcp|HOST|PORT form
  QCOMPARE(errors.count(), 1);
  QCOMPARE(server.error(), Status::invalid_address);

  Server first(engine);
  const QString bound = tofu::qt::test::listenOn(first, QStringLiteral("tcp|127.0.0.1|0"));
  QVERIFY(!bound.isEmpty());
  QVERIFY(!first.listen(bound));  // already listening
  QCOMPARE(first.error(), Status::not_allowed);
  QVERIFY(server.listen(bound));  // the port is busy: that comes back later
  QVERIFY(errors.wait(5000));
  QCOMPARE(errors.at(1).at(0).value<Status>(), Status::listen_failed);
  QVERIFY(!server.isListening());
  QVERIFY(server.serverAddress().isEmpty());
}

void TestServer::closeStopsListeningOnly() {
  Engine engine;
  Server server(engine);
  Connection client(engine);
  Connection* peer = tofu::qt::test::connectPair(server, client);
  QVERIFY(peer != nullptr);
  const QString bound = server.serverAddress();
  server.close();
  QVERIFY(!server.isListening());
  Connection late(engine);
  QSignalSpy lateErrors(&late, &Connection::errorOccurred);
  QVERIFY(late.connectTo(bound));
  QVERIFY(lateErrors.wait(5000));
  QCOMPARE(lateErrors.at(0).at(0).value<Status>(), Status::connect_failed);
  // The accepted connection goes on working.
  SignalLog peerLog(*peer);
  QVERIFY(client.send("still here"));
  QTRY_COMPARE(peerLog.count(QStringLiteral("received:still here")), 1);
  QVERIFY(tofu::qt::test::listenOn(server, QStringLiteral("tcp|127.0.0.1|0")) != QString());
}

void TestServer::deleteServerInItsOwnSlot() {
  Engine engine;
  QPointer<Server> server = new Server(engine);
  Connection client(engine);
  SignalLog clientLog(client);
  const QString bound = tofu::qt::test::listenOn(*server, QStringLiteral("tcp|127.0.0.1|0"));
  QPointer<Connection> taken;
  connect(server, &Server::newConnection, server, [&] {
    taken = server->nextPendingConnection();
    delete server.data();
  });
  QVERIFY(client.connectTo(bound));
  QTRY_VERIFY(server.isNull());
  QVERIFY(taken.isNull());  // it was the server's child
  // The Server's channels went with it: whether or not its HelloResponse got out first, the
  // client ends with an error.
  QTRY_COMPARE_WITH_TIMEOUT(client.state(), State::Unconnected, 5000);
  QVERIFY(client.error() == Status::peer_disconnected || client.error() == Status::connect_failed);
  QCOMPARE(clientLog.lines.constLast(), QStringLiteral("error:") + tofu::qt::statusName(client.error()));
}

void TestServer::deletedServerEndsReparentedConnections() {
  Engine engine;
  auto server = std::make_unique<Server>(engine);
  Connection client(engine);
  std::unique_ptr<Connection> peer(tofu::qt::test::connectPair(*server, client));
  QVERIFY(peer != nullptr);
  peer->setParent(nullptr);
  SignalLog peerLog(*peer);
  server.reset();
  QCOMPARE(peer->state(), State::Unconnected);
  QCOMPARE(peerLog.lines, (QStringList{"state:Unconnected", "disconnected", "error:channel_closed"}));
  QVERIFY(!peer->send("nobody"));  // fails cleanly
  QCOMPARE(peer->error(), Status::channel_closed);
  QTRY_COMPARE_WITH_TIMEOUT(client.state(), State::Unconnected, 5000);
}

void TestServer::deleteEngineInServerSlot() {
  Engine clientEngine;
  Connection client(clientEngine);
  QPointer<Engine> engine = new Engine;
  QPointer<Server> server = new Server(*engine, engine);  // deleted with its engine
  const QString bound = tofu::qt::test::listenOn(*server, QStringLiteral("tcp|127.0.0.1|0"));
  connect(server, &Server::newConnection, server, [&engine] { delete engine.data(); });
  QVERIFY(client.connectTo(bound));
  QTRY_VERIFY_WITH_TIMEOUT(engine.isNull(), 5000);
  QVERIFY(server.isNull());
  QTRY_COMPARE_WITH_TIMEOUT(client.state(), State::Unconnected, 5000);
  QVERIFY(client.error() == Status::peer_disconnected || client.error() == Status::connect_failed);
}

void TestServer::usedAfterEngineDeleted() {
  Engine clientEngine;
  Connection client(clientEngine);
  auto engine = std::make_unique<Engine>();
  Server server(*engine);  // not parented to the engine
  Connection* peer = tofu::qt::test::connectPair(server, client);
  QVERIFY(peer != nullptr);
  SignalLog peerLog(*peer);
  QSignalSpy errors(&server, &Server::errorOccurred);
  engine.reset();
  QVERIFY(!server.isListening());
  QCOMPARE(errors.count(), 1);
  QCOMPARE(server.error(), Status::shutdown_started);
  QCOMPARE(peer->state(), State::Unconnected);
  QCOMPARE(peerLog.lines, (QStringList{"state:Unconnected", "disconnected", "error:shutdown_started"}));
  QVERIFY(!server.listen(QStringLiteral("tcp|127.0.0.1|0")));
  QCOMPARE(server.broadcast("nobody"), 0);
  QVERIFY(server.connections().isEmpty());
  QTRY_COMPARE_WITH_TIMEOUT(client.state(), State::Unconnected, 5000);  // its peer went with the engine
}

QTEST_GUILESS_MAIN(TestServer)
#include "tst_server.moc"
