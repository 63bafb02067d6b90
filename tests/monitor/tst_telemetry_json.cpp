// Telemetry JSON reading (docs/telemetry.md): the documented example, every event field, full
// 64-bit counters, unknown kinds skipped, malformed input refused, and write/read round trips.
#include <QJsonDocument>
#include <QtTest>

#include "core_test_events.h"
#include "telemetry_json.h"

using namespace tofu;
using namespace tofu::monitor;

class TstTelemetryJson : public QObject {
  Q_OBJECT

 private slots:
  void readsTheDocumentedSnapshot() {
    const QByteArray json = R"({"telemetryVersion":1,"processId":4242,"telemetryAddress":"uds|/tmp/t.sock",
      "engineId":1,"takenAtNs":3031386934678,"channels":[{"engineId":1,"channelNumber":32505,
      "incarnation":1,"kind":"listener","state":"ready","groupId":2,
      "localAddress":"tcp|127.0.0.1|44937","peerAddress":"","messagesSent":18446744073709551615,"bytesSent":0,
      "messagesReceived":9007199254740993,"bytesReceived":0,"sendQueueMessages":3,"sendQueueBytes":48,
      "lastSendNs":0,"lastReceiveNs":0,"closeReason":"peer_disconnected","futureField":true}],
      "groups":[{"groupId":2,"receiveQueueDepth":5}],
      "pool":{"idle":16,"inUse":2,"allocated":18,"poolEmptyEpisodes":1},
      "totals":{"framesWritten":7,"bytesWritten":8,"framesRead":9,"bytesRead":10,
      "messagesReturned":11,"poolEmptyEpisodes":12,"channelsOpened":13,"channelsClosed":14}})";
    EngineSnapshot snapshot;
    QString error;
    QVERIFY2(parseSnapshot(json, snapshot, &error), qPrintable(error));
    QCOMPARE(snapshot.engineId, 1u);
    QCOMPARE(snapshot.takenAtNs, 3031386934678);
    QCOMPARE(snapshot.channels.size(), 1u);
    const ChannelInfo& channel = snapshot.channels.front();
    QCOMPARE(channel.channelNumber, 32505);
    QCOMPARE_NAME(channel.kind, ChannelKind::listener);
    QCOMPARE_NAME(channel.state, ChannelState::ready);
    QCOMPARE(channel.localAddress, std::string("tcp|127.0.0.1|44937"));
    QCOMPARE(channel.messagesSent, std::numeric_limits<std::uint64_t>::max());
    QCOMPARE(channel.messagesReceived, 9007199254740993u);  // 2^53 + 1: not a double
    QCOMPARE(channel.sendQueueBytes, 48u);
    QCOMPARE_NAME(channel.closeReason, Status::peer_disconnected);
    QCOMPARE(snapshot.groups.size(), 1u);
    QCOMPARE(snapshot.groups.front().receiveQueueDepth, 5u);
    QCOMPARE(snapshot.pool.inUse, 2u);
    QCOMPARE(snapshot.pool.poolEmptyEpisodes, 1u);
    QCOMPARE(snapshot.totals.messagesReturned, 11u);
    QCOMPARE(snapshot.totals.channelsClosed, 14u);
  }

  void refusesWhatIsNotASnapshot_data() {
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("reason");
    QTest::newRow("not json") << QByteArray("{nope") << QString();
    QTest::newRow("array") << QByteArray("[]") << QStringLiteral("not a JSON object");
    QTest::newRow("no channels") << QByteArray(R"({"engineId":1})") << QStringLiteral("\"channels\"");
    QTest::newRow("bad state") << QByteArray(R"({"engineId":1,"channels":[{"channelNumber":1,"incarnation":1,"state":"dancing"}]})")
                               << QStringLiteral("\"state\"");
    QTest::newRow("channel too big") << QByteArray(R"({"engineId":1,"channels":[{"channelNumber":70000,"incarnation":1,"state":"ready"}]})")
                                     << QStringLiteral("\"channelNumber\"");
  }
  void refusesWhatIsNotASnapshot() {
    QFETCH(QByteArray, json);
    QFETCH(QString, reason);
    EngineSnapshot snapshot;
    QString error;
    QVERIFY(!parseSnapshot(json, snapshot, &error));
    QVERIFY2(error.contains(reason), qPrintable(error));
  }

  void readsEventLinesAndSkipsUnknownKinds() {
    const QByteArray lines =
        R"({"kind":"channel_state","engineId":1,"channelNumber":20020,"incarnation":2,"atNs":3030884120011,"state":"closed","status":"connect_failed"}
{"kind":"teleported","engineId":1,"channelNumber":1,"incarnation":1,"atNs":5}
{"kind":"message_received","engineId":1,"channelNumber":20020,"incarnation":2,"atNs":3030884589108,"opCode":"HelloRequest","status":"success","more":true,"messageId":77,"headersLen":36,"bodyLen":4,"postedNs":0,"writtenNs":0,"readNs":3030884589108,"deliveredNs":3030884589400,"previewHeaders":"a:b\r\n","previewBody":"body"}
)";
    QList<Event> events;
    QString error;
    QVERIFY2(parseEvents(lines, events, &error), qPrintable(error));
    QCOMPARE(events.size(), 2);
    QCOMPARE_NAME(events[0].kind, EventKind::channelState);
    QCOMPARE_NAME(events[0].state, ChannelState::closed);
    QCOMPARE_NAME(events[0].status, Status::connect_failed);
    QCOMPARE(events[0].incarnation, 2u);
    const Event& message = events[1];
    QCOMPARE_NAME(message.kind, EventKind::messageReceived);
    QCOMPARE_NAME(message.opCode, OpCode::HelloRequest);
    QVERIFY(message.more);
    QCOMPARE(message.messageId, 77u);
    QCOMPARE(message.headersLen, 36);
    QCOMPARE(message.bodyLen, 4);
    QCOMPARE(message.deliveredNs, 3030884589400);
    QCOMPARE(message.previewHeadersLen, 5);
    QCOMPARE(message.previewBodyLen, 4);
    QCOMPARE(QByteArray(reinterpret_cast<const char*>(message.preview.data()), 9), QByteArray("a:b\r\nbody"));
  }

  void refusesAMalformedEventLine() {
    QList<Event> events;
    QString error;
    QVERIFY(!parseEvents("{\"kind\":\"message_sent\",\"channelNumber\":1,\"incarnation\":1,\"atNs\":1,\"opCode\":\"Bogus\"}\n",
                         events, &error));
    QVERIFY2(error.startsWith(QStringLiteral("event line 1:")) && error.contains(QStringLiteral("opCode")), qPrintable(error));
    QVERIFY(!parseEvents("garbage\n", events, &error));
    QVERIFY(events.isEmpty());
  }

  void writesWhatItReads() {
    EngineSnapshot snapshot;
    snapshot.engineId = 3;
    snapshot.takenAtNs = 99;
    ChannelInfo channel;
    channel.engineId = 3;
    channel.channelNumber = 7;
    channel.incarnation = 12;
    channel.kind = ChannelKind::serverIo;
    channel.state = ChannelState::closing;
    channel.peerAddress = "uds|/tmp/x";
    channel.bytesReceived = 1234;
    channel.closeReason = Status::channel_closed;
    snapshot.channels.push_back(channel);
    snapshot.pool.allocated = 40;
    snapshot.totals.framesRead = 17;
    EngineSnapshot back;
    QString error;
    QVERIFY2(parseSnapshot(QJsonDocument(snapshotToJson(snapshot)).toJson(), back, &error), qPrintable(error));
    QCOMPARE(back.channels.size(), 1u);
    QCOMPARE_NAME(back.channels[0].kind, ChannelKind::serverIo);
    QCOMPARE_NAME(back.channels[0].state, ChannelState::closing);
    QCOMPARE(back.channels[0].peerAddress, channel.peerAddress);
    QCOMPARE(back.channels[0].bytesReceived, 1234u);
    QCOMPARE_NAME(back.channels[0].closeReason, Status::channel_closed);
    QCOMPARE(back.pool.allocated, 40u);
    QCOMPARE(back.totals.framesRead, 17u);

    const Event sent = test::messageEvent(EventKind::messageSent, 3, 7, OpCode::Response, 41, 1000, true, "k:v\r\n", "{}");
    QList<Event> events;
    QVERIFY(parseEvents(QJsonDocument(eventToJson(sent)).toJson(QJsonDocument::Compact) + '\n', events, &error));
    QCOMPARE(events.size(), 1);
    QCOMPARE_NAME(events[0].opCode, OpCode::Response);
    QCOMPARE(events[0].writtenNs, 1000);
    QVERIFY(events[0].more);
    QCOMPARE(events[0].previewHeadersLen, 5);
    QCOMPARE(events[0].previewBodyLen, 2);
    QCOMPARE(events[0].preview, sent.preview);
  }
};

QTEST_GUILESS_MAIN(TstTelemetryJson)
#include "tst_telemetry_json.moc"
