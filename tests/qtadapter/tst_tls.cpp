// The adapter over TLS (issue 23): an Engine made with TLS Options serves and connects on
// tls|HOST|PORT through Server and Connection; the verified client identity (mutual TLS) reaches
// the accept hook and Connection::helloHeaders(); a refused server certificate fails the connect
// with the engine's reason in errorString(). Certificates made by the `openssl` command.
#include <QSignalSpy>
#include <QTest>

#include "tofu/qt/connection.h"
#include "tofu/qt/engine.h"
#include "tofu/qt/server.h"

#include "connection_fixture.h"
#include "tls_certificates.h"

using tofu::Status;
using tofu::qt::Connection;
using tofu::qt::Engine;
using tofu::qt::HeaderList;
using tofu::qt::MessageEnvelope;
using tofu::qt::Server;
using tofu::qt::test::SignalLog;
using tofu::test::TlsCertificates;
using State = tofu::qt::Connection::State;

namespace {

const TlsCertificates& certificates() { return TlsCertificates::get(); }

const QString kSubject = QStringLiteral("CN=tofu test client,O=tofu tests");
const QString kSans = QStringLiteral("DNS:client.tofu.test, email:client@tofu.test");

}  // namespace

class TestTls : public QObject {
  Q_OBJECT

 private slots:
  void mutualTlsIdentityReachesTheServer();
  void unknownCaFailsTheConnectWithTheReason();
  void channelGroupErrorsCarryTheReason();
  void listenerWithoutCertificateSaysWhatIsMissing();
};

void TestTls::mutualTlsIdentityReachesTheServer() {
  tofu::Options serverOptions = certificates().serverOptions(certificates().server);
  serverOptions.tlsRequireClientCertificate = true;
  Engine serverEngine(serverOptions);
  QVERIFY2(serverEngine.isValid(), qPrintable(serverEngine.errorString()));
  tofu::Options clientOptions = certificates().clientOptions();
  clientOptions.tlsCertificateChainFile = certificates().client.certificate;
  clientOptions.tlsPrivateKeyFile = certificates().client.key;
  Engine clientEngine(clientOptions);
  QVERIFY2(clientEngine.isValid(), qPrintable(clientEngine.errorString()));

  Server server(serverEngine);
  QString hookSubject;
  server.setAcceptHook([&hookSubject](const MessageEnvelope& hello) {
    hookSubject = hello.headerValue(QStringLiteral("~tls-peer-subject"));
    return !hookSubject.isEmpty();
  });
  const QString bound = tofu::qt::test::listenOn(server, QStringLiteral("tls|127.0.0.1|0"));
  QVERIFY2(bound.startsWith(u"tls|127.0.0.1|"), qPrintable(bound));

  Connection client(clientEngine);
  QVERIFY2(tofu::qt::test::connectAndWait(client, bound, {{"user", "ada"}}), qPrintable(client.errorString()));
  Connection* peer = tofu::qt::test::takeNext(server);
  QVERIFY(peer != nullptr);
  QCOMPARE(hookSubject, kSubject);
  QCOMPARE(peer->helloHeaders(),
           (HeaderList{{"user", "ada"}, {"~tls-peer-subject", kSubject.toUtf8()}, {"~tls-peer-san", kSans.toUtf8()}}));

  SignalLog peerLog(*peer);
  SignalLog clientLog(client);
  QVERIFY(client.send("over tls"));
  QTRY_COMPARE(peerLog.count(QStringLiteral("received:over tls")), 1);
  QVERIFY(peer->send("and back"));
  QTRY_COMPARE(clientLog.count(QStringLiteral("received:and back")), 1);
}

void TestTls::unknownCaFailsTheConnectWithTheReason() {
  Engine serverEngine(certificates().serverOptions(certificates().unknownCa));
  QVERIFY2(serverEngine.isValid(), qPrintable(serverEngine.errorString()));
  Engine clientEngine(certificates().clientOptions());
  QVERIFY2(clientEngine.isValid(), qPrintable(clientEngine.errorString()));
  Server server(serverEngine);
  const QString bound = tofu::qt::test::listenOn(server, QStringLiteral("tls|127.0.0.1|0"));
  QVERIFY(!bound.isEmpty());

  Connection client(clientEngine);
  QSignalSpy errors(&client, &Connection::errorOccurred);
  QVERIFY(client.connectTo(bound));
  // Well within the connect timeout (10 s): the failure itself ends the connect.
  QTRY_COMPARE_WITH_TIMEOUT(client.state(), State::Unconnected, 5000);
  QCOMPARE(errors.count(), 1);
  QCOMPARE(errors.at(0).at(0).value<Status>(), Status::connect_failed);
  const QString description = errors.at(0).at(1).toString();
  QVERIFY2(description.startsWith(QStringLiteral("cannot connect to %1: ").arg(bound)), qPrintable(description));
  // OpenSSL's reason, from the engine's ~tls-error header.
  QVERIFY2(description.contains(u"unable to get local issuer certificate"), qPrintable(description));
  QCOMPARE(client.errorString(), description);
  QVERIFY(!server.hasPendingConnections());
}

void TestTls::channelGroupErrorsCarryTheReason() {
  Engine serverEngine(certificates().serverOptions(certificates().expired));
  Engine clientEngine(certificates().clientOptions());
  Server server(serverEngine);
  const QString bound = tofu::qt::test::listenOn(server, QStringLiteral("tls|127.0.0.1|0"));
  QVERIFY(!bound.isEmpty());
  tofu::qt::ChannelGroup group(clientEngine);
  QSignalSpy errors(&group, &tofu::qt::ChannelGroup::errorOccurred);
  QVERIFY(group.connectTo(bound) != 0);
  QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, 5000);
  const QString description = errors.at(0).at(1).toString();
  // The status first, then OpenSSL's reason.
  QVERIFY2(description.contains(QStringLiteral("(connect_failed): the server's certificate was refused: certificate "
                                               "has expired")),
           qPrintable(description));
  QCOMPARE(group.errorString(), description);
}

void TestTls::listenerWithoutCertificateSaysWhatIsMissing() {
  Engine engine(certificates().clientOptions());
  Server server(engine);
  QSignalSpy errors(&server, &Server::errorOccurred);
  QVERIFY(server.listen(QStringLiteral("tls|127.0.0.1|0")));
  QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, 5000);
  QCOMPARE(errors.at(0).at(0).value<Status>(), Status::listen_failed);
  const QString description = errors.at(0).at(1).toString();
  QVERIFY2(description.startsWith(u"cannot listen on tls|127.0.0.1|0: "), qPrintable(description));
  QVERIFY2(description.contains(u"tlsCertificateChainFile"), qPrintable(description));
  QVERIFY(!server.isListening());
}

QTEST_GUILESS_MAIN(TestTls)
#include "tst_tls.moc"
