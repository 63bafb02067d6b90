// TelemetrySource over TLS (issue 23), against an engine in this process serving telemetry on
// tls|127.0.0.1|0 with the test certificates (made by the `openssl` command): with the CA it
// attaches and sees the engine's channels; a server certificate from a CA it does not trust is
// shown as disconnected with the engine's reason; with client certificates required, the
// certificate stands in for the token; TLS files the engine cannot use are named at once.
#include <QSignalSpy>
#include <QtTest>

#include "tofu/qt/channel_group.h"
#include "tofu/qt/engine.h"

#include "sources/telemetry_source.h"
#include "tls_certificates.h"

using namespace tofu;
using namespace tofu::monitor;
using tofu::test::TlsCertificates;

namespace {

constexpr int kWaitMs = 10000;
constexpr auto kToken = "tls-monitor-token";

const TlsCertificates& certificates() { return TlsCertificates::get(); }

// An engine serving telemetry over TLS with `identity` (the test CA trusted for clients).
std::unique_ptr<tofu::qt::Engine> servedEngine(const tofu::test::CertificateFiles& identity,
                                               bool requireClientCertificate = false) {
  tofu::Options options = certificates().serverOptions(identity);
  options.telemetryAddress = "tls|127.0.0.1|0";
  options.telemetryToken = requireClientCertificate ? "" : kToken;
  options.tlsRequireClientCertificate = requireClientCertificate;
  options.telemetryFromEnvironment = false;
  return std::make_unique<tofu::qt::Engine>(options);
}

TelemetryAccess trustingTheTestCa(const QString& token) {
  return TelemetryAccess{token, QString::fromStdString(certificates().caFile), {}, {}, false};
}

bool hasListener(const QList<QVariant>& snapshotArguments, const QString& address) {
  const auto snapshot = snapshotArguments.at(0).value<EngineSnapshot>();
  for (const ChannelInfo& channel : snapshot.channels) {
    if (channel.kind == ChannelKind::listener && QString::fromStdString(channel.localAddress) == address) return true;
  }
  return false;
}

}  // namespace

class TstTelemetrySourceTls : public QObject {
  Q_OBJECT

 private slots:
  void attachesOverTlsAndSeesTheChannels() {
    const auto served = servedEngine(certificates().server);
    QVERIFY2(served->isValid(), qPrintable(served->errorString()));
    const QString telemetry = served->telemetryAddress();
    QVERIFY2(telemetry.startsWith(QLatin1String("tls|127.0.0.1|")), qPrintable(telemetry));
    // A channel of the served engine for the snapshot to show.
    tofu::qt::ChannelGroup application(*served);
    QSignalSpy listening(&application, &tofu::qt::ChannelGroup::listening);
    QVERIFY(application.listenOn(QStringLiteral("tcp|127.0.0.1|0")) != 0);
    QTRY_COMPARE_WITH_TIMEOUT(listening.size(), 1, kWaitMs);
    const QString listener = listening.first().at(1).toString();

    TelemetrySource source(telemetry, trustingTheTestCa(QString::fromLatin1(kToken)), 100);
    QSignalSpy snapshots(&source, &Source::snapshotReady);
    QTRY_COMPARE_WITH_TIMEOUT(source.state(), Source::State::connected, kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty(), kWaitMs);
    QCOMPARE(snapshots.first().at(0).value<EngineSnapshot>().engineId, served->engineId());
    QVERIFY(hasListener(snapshots.first(), listener));
    QCOMPARE(source.connectAttempts(), 1);
  }

  void anUntrustedCertificateIsShownWithTheReason() {
    const auto served = servedEngine(certificates().unknownCa);
    QVERIFY2(served->isValid(), qPrintable(served->errorString()));
    const QString telemetry = served->telemetryAddress();
    TelemetrySource source(telemetry, trustingTheTestCa(QString::fromLatin1(kToken)), 60000);
    QSignalSpy snapshots(&source, &Source::snapshotReady);
    QTRY_COMPARE_WITH_TIMEOUT(source.state(), Source::State::disconnected, kWaitMs);
    const QString reason = source.stateReason();
    QVERIFY2(reason.startsWith(QLatin1String("cannot connect: ")), qPrintable(reason));
    QVERIFY2(reason.contains(QLatin1String("the server's certificate was refused: unable to get local issuer certificate")),
             qPrintable(reason));
    QVERIFY(snapshots.isEmpty());
  }

  void aClientCertificateStandsInForTheToken() {
    const auto served = servedEngine(certificates().server, true);
    QVERIFY2(served->isValid(), qPrintable(served->errorString()));
    TelemetryAccess access = trustingTheTestCa({});
    access.certificateFile = QString::fromStdString(certificates().client.certificate);
    access.keyFile = QString::fromStdString(certificates().client.key);
    TelemetrySource source(served->telemetryAddress(), access, 100);
    QTRY_COMPARE_WITH_TIMEOUT(source.state(), Source::State::connected, kWaitMs);
    QVERIFY(!source.hasToken());
  }

  void unusableTlsFilesAreNamedAtOnce() {
    TelemetryAccess access = trustingTheTestCa({});
    access.caFile = QStringLiteral("/nonexistent/ca.pem");
    TelemetrySource source(QStringLiteral("tls|127.0.0.1|9"), access, 100);
    QCOMPARE(source.state(), Source::State::disconnected);
    QVERIFY2(source.stateReason().startsWith(QLatin1String("cannot start the monitor's engine: ")),
             qPrintable(source.stateReason()));
    QCOMPARE(source.connectAttempts(), 0);
  }
};

QTEST_GUILESS_MAIN(TstTelemetrySourceTls)
#include "tst_telemetry_source_tls.moc"
