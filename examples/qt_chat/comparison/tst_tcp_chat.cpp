// The QTcpSocket chat does what run_chat_test.sh checks of the tofu chat: three users, the
// server gone and back on the same port, the clients back by themselves, every line once.
#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <algorithm>
#include <memory>
#include <vector>

#include "tcp_chat_client_core.h"
#include "tcp_chat_server_core.h"

class TestTcpChat : public QObject {
  Q_OBJECT

 private slots:
  void everyLineOnceAcrossARestart();
};

namespace {

// Every `NAME line I` for the three users and I in first..last, as "FROM: TEXT", sorted.
QStringList expectedLines(const QStringList& names, int first, int last) {
  QStringList lines;
  for (const QString& name : names) {
    for (int i = first; i <= last; ++i) lines << QStringLiteral("%1: %1 line %2").arg(name).arg(i);
  }
  lines.sort();
  return lines;
}

}  // namespace

void TestTcpChat::everyLineOnceAcrossARestart() {
  const QStringList names{"alice", "bob", "carol"};
  auto server = std::make_unique<TcpChatServerCore>();
  QVERIFY(server->server()->listen(QHostAddress::LocalHost, 0));
  const quint16 port = server->server()->serverPort();
  QStringList relayed;
  const auto countRelayed = [&relayed](const QString& from, const QString& text, int recipients) {
    relayed << QStringLiteral("%1: %2 to %3").arg(from, text).arg(recipients);
  };
  connect(server.get(), &TcpChatServerCore::lineRelayed, this, countRelayed);

  std::vector<std::unique_ptr<TcpChatClientCore>> clients;
  QHash<QString, QStringList> received;
  for (const QString& name : names) {
    clients.push_back(std::make_unique<TcpChatClientCore>(name));
    connect(clients.back().get(), &TcpChatClientCore::lineReceived, this,
            [&received, name](const QString& from, const QString& text) {
              received[name] << from + ": " + text;
            });
    clients.back()->connectTo("127.0.0.1", port);
  }
  const auto roomIsFull = [&clients] {
    return std::all_of(clients.begin(), clients.end(),
                       [](const auto& client) { return client->users().size() == 3; });
  };
  const auto everyoneReceived = [&received, &names](qsizetype count) {
    return std::all_of(names.begin(), names.end(),
                       [&](const QString& name) { return received[name].size() == count; });
  };
  const auto sendLines = [&clients](int first, int last) {
    for (const auto& client : clients) {
      for (int i = first; i <= last; ++i)
        QVERIFY(client->say(QStringLiteral("%1 line %2").arg(client->name()).arg(i)));
    }
  };

  QTRY_VERIFY_WITH_TIMEOUT(roomIsFull(), 10'000);
  sendLines(1, 5);
  QTRY_VERIFY_WITH_TIMEOUT(everyoneReceived(15), 10'000);
  QCOMPARE(relayed.size(), 15);

  server.reset();  // every client sees its connection drop and refuses lines until it is back
  QTRY_VERIFY_WITH_TIMEOUT(std::none_of(clients.begin(), clients.end(),
                                        [](const auto& client) {
                                          return client->socket()->state() == QAbstractSocket::ConnectedState;
                                        }),
                           10'000);
  for (const auto& client : clients) QVERIFY(!client->say("refused"));

  server = std::make_unique<TcpChatServerCore>();
  QVERIFY(server->server()->listen(QHostAddress::LocalHost, port));
  connect(server.get(), &TcpChatServerCore::lineRelayed, this, countRelayed);
  QTRY_VERIFY_WITH_TIMEOUT(roomIsFull(), 10'000);
  sendLines(6, 10);
  QTRY_VERIFY_WITH_TIMEOUT(everyoneReceived(30), 10'000);

  for (const QString& name : names) {
    QStringList lines = received[name];
    lines.sort();
    QCOMPARE(lines, expectedLines(names, 1, 10));
  }
  QCOMPARE(relayed.size(), 30);
  QVERIFY(std::all_of(relayed.begin(), relayed.end(),
                      [](const QString& line) { return line.endsWith(" to 3"); }));
}

QTEST_GUILESS_MAIN(TestTcpChat)
#include "tst_tcp_chat.moc"
