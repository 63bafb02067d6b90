// TelemetrySource against a real `tofu-cli listen --telemetry`: attached (snapshots with the
// listener, events), lost when the process is killed (disconnected), back when it restarts on
// the same telemetry address; a plain tofu peer is refused as "not a telemetry endpoint".
// Against an in-process engine serving TCP telemetry with a token: the right token attaches,
// a wrong or missing one is refused once with a reason naming the fix, and not retried.
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include "tofu/qt/engine.h"

#include "telemetry_source.h"

using namespace tofu;
using namespace tofu::monitor;

namespace {

constexpr int kWaitMs = 10000;
constexpr auto kToken = "monitor-test-token";

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
    QCOMPARE(source.stateReason(), QStringLiteral("%1 is not a telemetry endpoint").arg(plain.address));
  }
};

QTEST_GUILESS_MAIN(TstTelemetrySource)
#include "tst_telemetry_source.moc"
