// The monitor's edge of the telemetry codec (the codec itself: tests/telemetry): Qt bytes in,
// errors as QString, payloads as content records (cut bodies marked), the serving process from
// a snapshot, and its labels.
#include <QDateTime>
#include <QtTest>
#include <string>

#include "tofu/telemetry/codec.h"

#include "process_identity.h"
#include "telemetry_json.h"

using namespace tofu;
using namespace tofu::monitor;

class TstTelemetryJson : public QObject {
  Q_OBJECT

 private slots:
  void payloadsBecomeContentRecords() {
    Event received;
    received.kind = EventKind::messageReceived;
    received.channelNumber = 4;
    received.incarnation = 2;
    received.opCode = OpCode::Request;
    received.messageId = 31;
    received.bodyLen = 6;
    received.readNs = 10;
    received.deliveredNs = 15;
    Event state;
    state.kind = EventKind::channelState;
    state.channelNumber = 4;
    state.incarnation = 2;
    EventPayload cut{true, "k:v\r\n", std::string("ab\0", 3)};
    std::string lines;
    telemetry::appendEventJsonLine(lines, received, &cut);
    telemetry::appendEventJsonLine(lines, state);
    telemetry::appendEventJsonLine(lines, received);  // payload not taken
    QList<Event> events;
    QList<tofu::qt::TrafficRecord> content;
    QString error;
    QVERIFY2(parseEvents(QByteArray::fromStdString(lines), events, &error, &content), qPrintable(error));
    QCOMPARE(events.size(), 3);
    QCOMPARE(content.size(), 1);
    const tofu::qt::TrafficRecord& record = content.front();
    QCOMPARE(record.header.messageId, 31u);
    QCOMPARE(record.direction, tofu::qt::Direction::received);
    QCOMPARE(record.latencyNs, 5);
    QCOMPARE(record.textHeaders, QByteArray("k:v\r\n"));
    QCOMPARE(record.body, QByteArray("ab\0", 3));
    QVERIFY(record.contentComplete);
    QVERIFY(record.bodyCut);  // 3 of 6 bytes sent

    QVERIFY(!parseEvents("{}\n", events, &error));
    QCOMPARE(error, QStringLiteral("event line 1: event: missing or invalid member \"kind\""));
  }

  void snapshotsNameTheirProcess() {
    EngineSnapshot snapshot;
    snapshot.engineId = 2;
    telemetry::SnapshotSource served;
    served.process = {4242, "tofu-cli", "box", 0};
    EngineSnapshot back;
    telemetry::SnapshotSource source;
    QString error;
    QVERIFY2(parseSnapshot(QByteArray::fromStdString(telemetry::snapshotToJson(snapshot, &served)), back,
                           &error, &source),
             qPrintable(error));
    QCOMPARE(back.engineId, 2u);
    QVERIFY(source.process.known());
    QCOMPARE(processShortLabel(source.process), QStringLiteral("tofu-cli[4242]"));
    QCOMPARE(processLabel(source.process), QStringLiteral("tofu-cli[4242]@box"));
    QVERIFY(!parseSnapshot("[]", back, &error));
    QCOMPARE(error, QStringLiteral("snapshot: not a JSON object"));
  }

  void labelsLeaveOutWhatIsNotKnown() {
    telemetry::ProcessIdentity process;
    process.processId = 7;
    QCOMPARE(processShortLabel(process), QStringLiteral("pid 7"));
    QCOMPARE(processLabel(process), QStringLiteral("pid 7"));
    const QDateTime started(QDate::currentDate(), QTime(0, 0, 1));
    process.startedUnixMs = started.toMSecsSinceEpoch();
    QCOMPARE(processLabel(process), QStringLiteral("pid 7, started 00:00:01"));
    process.startedUnixMs = started.addDays(-2).toMSecsSinceEpoch();
    QCOMPARE(processLabel(process), QStringLiteral("pid 7, started ") +
                                        started.addDays(-2).toString(QStringLiteral("yyyy-MM-dd")) +
                                        QStringLiteral(" 00:00:01"));
  }
};

QTEST_GUILESS_MAIN(TstTelemetryJson)
#include "tst_telemetry_json.moc"
