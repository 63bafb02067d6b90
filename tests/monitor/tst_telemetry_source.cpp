// TelemetrySource against a real `tofu-cli listen --telemetry`: attached (snapshots with the
// listener, events), lost when the process is killed (disconnected), back when it restarts on
// the same telemetry address; a plain tofu peer is refused as "not a telemetry endpoint".
// Against an in-process engine serving TCP telemetry with a token: the right token attaches,
// a wrong or missing one is refused once with a reason naming the fix, and not retried.
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include "tofu/qt/channel_group.h"
#include "tofu/qt/engine.h"

#include "cli_listener.h"
#include "sources/telemetry_source.h"

using namespace tofu;
using namespace tofu::monitor;

namespace {

constexpr int kWaitMs = 10000;
constexpr auto kToken = "monitor-test-token";

tofu::Options quietOptions() {
  tofu::Options options;
  options.telemetryFromEnvironment = false;
  return options;
}

// An engine in this process serving telemetry on loopback TCP, which needs a token.
std::unique_ptr<tofu::qt::Engine> servedEngine() {
  tofu::Options options;
  options.telemetryAddress = "tcp|127.0.0.1|0";
  options.telemetryToken = kToken;
  options.telemetryFromEnvironment = false;
  return std::make_unique<tofu::qt::Engine>(options);
}

int countState(const QSignalSpy& states, Source::State state) {
  int count = 0;
  for (const QList<QVariant>& change : states) {
    count += change.at(0).value<Source::State>() == state ? 1 : 0;
  }
  return count;
}

using Listener = tofu::monitor::test::CliListener;

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
    // UDS: a TCP endpoint is served only with a token (docs/telemetry.md, "Access and limits").
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    auto listener = std::make_unique<Listener>();
    QVERIFY(listener->start(QStringLiteral("uds|%1/telemetry.sock").arg(dir.path())));
    const QString telemetry = listener->telemetry;
    TelemetrySource source(telemetry, 200);
    QSignalSpy states(&source, &Source::stateChanged);
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
    // It keeps trying (every 200 ms) while nobody listens, and no try gets through.
    const int attempts = source.connectAttempts();
    const int connections = countState(states, Source::State::connected);
    QTRY_VERIFY_WITH_TIMEOUT(source.connectAttempts() >= attempts + 2, kWaitMs);
    QVERIFY(source.state() != Source::State::connected);
    QCOMPARE(countState(states, Source::State::connected), connections);

    listener = std::make_unique<Listener>();
    QVERIFY(listener->start(telemetry));
    snapshots.clear();
    QTRY_COMPARE_WITH_TIMEOUT(source.state(), Source::State::connected, kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty(), kWaitMs);
    QVERIFY(hasListener(snapshots.last(), listener->address));
  }

  void attachesWithTheRightToken() {
    const auto served = servedEngine();
    QVERIFY2(served->isValid(), qPrintable(served->errorString()));
    const QString telemetry = served->telemetryAddress();
    QVERIFY(telemetry.startsWith(QLatin1String("tcp|127.0.0.1|")));
    TelemetrySource source(telemetry, QString::fromLatin1(kToken), 100);
    QVERIFY(source.hasToken());
    QSignalSpy snapshots(&source, &Source::snapshotReady);
    QTRY_COMPARE_WITH_TIMEOUT(source.state(), Source::State::connected, kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty(), kWaitMs);
    QCOMPARE(snapshots.first().at(0).value<EngineSnapshot>().engineId, served->engineId());
    QVERIFY(!source.isRefused());
    QCOMPARE(source.connectAttempts(), 1);
  }

  void refusesAWrongOrMissingTokenOnce_data() {
    QTest::addColumn<QString>("token");
    QTest::addColumn<QString>("problem");
    QTest::newRow("wrong") << QStringLiteral("not-the-token") << QStringLiteral("wrong token");
    QTest::newRow("missing") << QString() << QStringLiteral("missing token");
  }
  void refusesAWrongOrMissingTokenOnce() {
    QFETCH(QString, token);
    QFETCH(QString, problem);
    const auto served = servedEngine();
    QVERIFY2(served->isValid(), qPrintable(served->errorString()));
    const QString telemetry = served->telemetryAddress();
    TelemetrySource source(telemetry, token, 50);  // a short retry: a storm would show at once
    QSignalSpy states(&source, &Source::stateChanged);
    QSignalSpy snapshots(&source, &Source::snapshotReady);
    QTRY_VERIFY_WITH_TIMEOUT(source.isRefused(), kWaitMs);
    QCOMPARE(source.state(), Source::State::disconnected);
    const QString reason = source.stateReason();
    QVERIFY2(reason.startsWith(QStringLiteral("telemetry refused: %1").arg(problem)), qPrintable(reason));
    QVERIFY2(reason.contains(telemetry), qPrintable(reason));
    QVERIFY2(reason.contains(QLatin1String("--token")), qPrintable(reason));
    QVERIFY2(reason.contains(QLatin1String("Attach to telemetry...")), qPrintable(reason));
    QVERIFY2(reason.contains(QLatin1String("unauthorised")), qPrintable(reason));  // what the endpoint said

    // No reconnect storm: over 2 s (40 retry periods) nothing else happens. Ends early on a retry.
    const bool retried = QTest::qWaitFor(
        [&] {
          return countState(states, Source::State::connecting) > 1 ||
                 source.state() != Source::State::disconnected;
        },
        2000);
    QVERIFY2(!retried, qPrintable(source.stateReason()));
    QCOMPARE(countState(states, Source::State::connected), 0);
    QCOMPARE(source.connectAttempts(), 1);
    QVERIFY(snapshots.isEmpty());
    QCOMPARE(source.stateReason(), reason);
  }

  void refusesATokenThatIsNoHeaderValue() {
    TelemetrySource source(QStringLiteral("tcp|127.0.0.1|9"), QStringLiteral("two\nlines"), 50);
    QTRY_VERIFY_WITH_TIMEOUT(source.isRefused(), kWaitMs);
    QCOMPARE(source.state(), Source::State::disconnected);
    QVERIFY2(source.stateReason().contains(QLatin1String("not a valid header value")),
             qPrintable(source.stateReason()));
    QCOMPARE(source.connectAttempts(), 0);
  }

  void refusesAPlainPeer() {
    Listener plain;
    QVERIFY(plain.start({}));
    TelemetrySource source(plain.address, 60000);
    QSignalSpy states(&source, &Source::stateChanged);
    QTRY_COMPARE_WITH_TIMEOUT(source.state(), Source::State::disconnected, kWaitMs);
    QVERIFY2(source.stateReason().startsWith(QStringLiteral("%1 is not a telemetry endpoint").arg(plain.address)),
             qPrintable(source.stateReason()));
    QVERIFY(source.isRefused());
  }

  // An application's port is asked once, then left alone: no connection every second.
  void leavesANonTelemetryEndpointAlone() {
    tofu::qt::Engine application(quietOptions());
    tofu::qt::ChannelGroup group(application);
    int accepted = 0;
    connect(&group, &tofu::qt::ChannelGroup::channelOpened, this, [&accepted](quint16) { ++accepted; });
    connect(&group, &tofu::qt::ChannelGroup::messageReceived, this, [&group](const tofu::qt::MessageEnvelope& m) {
      if (m.opCode() == OpCode::HelloRequest) group.send(m.channelNumber(), OpCode::HelloResponse, {}, {}, false, m.messageId());
    });
    QSignalSpy listening(&group, &tofu::qt::ChannelGroup::listening);
    group.listenOn(QStringLiteral("tcp|127.0.0.1|0"));
    QVERIFY(listening.wait(kWaitMs));
    const QString address = listening.first().at(1).toString();
    TelemetrySource source(address, 50);  // a fixed 50 ms retry would connect 40 times in 2 s
    QTRY_VERIFY_WITH_TIMEOUT(source.isRefused(), kWaitMs);
    QVERIFY2(source.stateReason().contains(QLatin1String("not a telemetry endpoint")), qPrintable(source.stateReason()));
    QTest::qWait(2000);
    QCOMPARE(accepted, 1);
    QCOMPARE(source.connectAttempts(), 1);
  }

  // Nobody listens: retries wait 1x, 2x, 4x... the first interval, up to kMaxRetryMs.
  void retriesBackOff() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    TelemetrySource source(QStringLiteral("uds|%1/nobody.sock").arg(dir.path()), 100);
    QTRY_COMPARE_WITH_TIMEOUT(source.state(), Source::State::disconnected, kWaitMs);
    QTest::qWait(2000);
    // Attempts at about 0, 0.1, 0.3, 0.7, 1.5 s: five, where a fixed 100 ms retry makes twenty.
    QVERIFY2(source.connectAttempts() >= 3 && source.connectAttempts() <= 5,
             qPrintable(QString::number(source.connectAttempts())));
    QVERIFY2(source.nextRetryMs() >= 1600, qPrintable(QString::number(source.nextRetryMs())));
    QVERIFY2(source.stateReason().contains(QLatin1String("retrying in")), qPrintable(source.stateReason()));
    TelemetrySource patient(QStringLiteral("uds|%1/nobody.sock").arg(dir.path()), 20'000);
    QTRY_COMPARE_WITH_TIMEOUT(patient.state(), Source::State::disconnected, kWaitMs);
    QCOMPARE(patient.nextRetryMs(), TelemetrySource::kMaxRetryMs);  // 40 s capped at 30 s
  }
};

QTEST_GUILESS_MAIN(TstTelemetrySource)
#include "tst_telemetry_source.moc"
