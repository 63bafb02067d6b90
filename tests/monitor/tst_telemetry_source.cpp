// TelemetrySource against a real `tofu-cli listen --telemetry`: attached (snapshots with the
// listener, events), lost when the process is killed (disconnected), back when it restarts on
// the same telemetry address; a plain tofu peer is refused as "not a telemetry endpoint".
#include <QProcess>
#include <QSignalSpy>
#include <QtTest>

#include "telemetry_source.h"

using namespace tofu;
using namespace tofu::monitor;

namespace {

constexpr int kWaitMs = 10000;

// Starts tofu-cli listen and reads its `listening` (and `telemetry`) lines.
struct Listener {
  QProcess process;
  QString address;
  QString telemetry;

  bool start(const QString& telemetryAddress) {
    QStringList args{QStringLiteral("listen"), QStringLiteral("tcp|127.0.0.1|0"), QStringLiteral("--echo")};
    if (!telemetryAddress.isEmpty()) {
      args << QStringLiteral("--telemetry") << telemetryAddress;
    }
    process.start(QStringLiteral(TOFU_CLI_PATH), args);
    if (!process.waitForStarted(kWaitMs)) {
      return false;
    }
    const int lines = telemetryAddress.isEmpty() ? 1 : 2;
    for (int line = 0; line < lines; ++line) {
      while (!process.canReadLine()) {
        if (!process.waitForReadyRead(kWaitMs)) {
          return false;
        }
      }
      const QString text = QString::fromUtf8(process.readLine()).trimmed();
      (text.startsWith(QLatin1String("telemetry ")) ? telemetry : address) = text.section(QLatin1Char(' '), 1);
    }
    return !address.isEmpty() && (telemetryAddress.isEmpty() || !telemetry.isEmpty());
  }
  ~Listener() {
    process.kill();
    process.waitForFinished(kWaitMs);
  }
};

bool hasListener(const QList<QVariant>& snapshotArguments, const QString& address) {
  const auto snapshot = snapshotArguments.at(0).value<EngineSnapshot>();
  for (const ChannelInfo& channel : snapshot.channels) {
    if (channel.kind == ChannelKind::listener && QString::fromStdString(channel.localAddress) == address) {
      return true;
    }
  }
  return false;
}

}  // namespace

class TstTelemetrySource : public QObject {
  Q_OBJECT

 private slots:
  void attachesLosesAndReattaches() {
    auto listener = std::make_unique<Listener>();
    QVERIFY(listener->start(QStringLiteral("tcp|127.0.0.1|0")));
    const QString telemetry = listener->telemetry;
    TelemetrySource source(telemetry, 200);
    QSignalSpy snapshots(&source, &Source::snapshotReady);
    QSignalSpy events(&source, &Source::eventsReady);
    QCOMPARE(source.name(), telemetry);
    QTRY_COMPARE_WITH_TIMEOUT(source.state(), Source::State::connected, kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty(), kWaitMs);
    QVERIFY(hasListener(snapshots.first(), listener->address));

    // Some traffic for the event stream: a Request echoed by the listener.
    QProcess sender;
    sender.start(QStringLiteral(TOFU_CLI_PATH), {QStringLiteral("send"), listener->address, QStringLiteral("--body"), QStringLiteral("hi")});
    QVERIFY(sender.waitForFinished(kWaitMs));
    QCOMPARE(sender.exitCode(), 0);
    QTRY_VERIFY_WITH_TIMEOUT(
        [&events] {
          for (const QList<QVariant>& batch : events) {
            for (const Event& event : batch.at(0).value<QList<Event>>()) {
              if (event.kind == EventKind::messageSent && event.opCode == OpCode::Response) {
                return true;
              }
            }
          }
          return false;
        }(),
        kWaitMs);

    listener.reset();  // killed: no goodbye
    QTRY_COMPARE_WITH_TIMEOUT(source.state(), Source::State::disconnected, kWaitMs);
    QVERIFY(!source.stateReason().isEmpty());
    QTest::qWait(500);  // a few refused retries
    QCOMPARE(source.state() == Source::State::connected, false);

    listener = std::make_unique<Listener>();
    QVERIFY(listener->start(telemetry));
    snapshots.clear();
    QTRY_COMPARE_WITH_TIMEOUT(source.state(), Source::State::connected, kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty(), kWaitMs);
    QVERIFY(hasListener(snapshots.last(), listener->address));
  }

  void refusesAPlainPeer() {
    Listener plain;
    QVERIFY(plain.start({}));
    TelemetrySource source(plain.address, 60000);
    QSignalSpy states(&source, &Source::stateChanged);
    QTRY_COMPARE_WITH_TIMEOUT(source.state(), Source::State::disconnected, kWaitMs);
    QCOMPARE(source.stateReason(), QStringLiteral("%1 is not a telemetry endpoint").arg(plain.address));
  }
};

QTEST_GUILESS_MAIN(TstTelemetrySource)
#include "tst_telemetry_source.moc"
