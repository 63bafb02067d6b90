// Capture files: a Session records snapshots, events and content from two sources whose
// engines share an id; a CaptureSource replays the file into a second Session with the same
// counts in every view; bad files are refused with the line number.
#include <QTemporaryDir>
#include <QtTest>

#include "capture.h"
#include "core_test_events.h"
#include "fake_source.h"
#include "session.h"

using namespace tofu;
using namespace tofu::monitor;
using tofu::monitor::test::FakeSource;
using tofu::qt::Direction;

namespace {

EngineSnapshot snapshotOf(std::uint64_t engineId, std::uint16_t channel) {
  EngineSnapshot s;
  s.engineId = engineId;
  ChannelInfo info;
  info.engineId = engineId;
  info.channelNumber = channel;
  info.incarnation = channel;
  info.state = ChannelState::ready;
  info.peerAddress = "tcp|127.0.0.1|9";
  s.channels.push_back(info);
  s.pool = {5, 1, 6, 0};
  return s;
}

const QByteArray kBinaryBody("pong\0\xff", 6);

void feed(FakeSource& source, std::uint16_t channel) {
  emit source.snapshotReady(snapshotOf(1, channel));
  emit source.eventsReady({
      test::stateEvent(1, channel, channel, ChannelState::ready, 10),
      test::messageEvent(EventKind::messageSent, 1, channel, OpCode::Request, 100 + channel, 20, false, "a:b\r\n", "ping"),
      test::messageEvent(EventKind::messageReceived, 1, channel, OpCode::Response, 100 + channel, 70, false, "a:b\r\n", kBinaryBody),
  });
  emit source.contentReady({test::contentRecord(1, channel, OpCode::Response, 100 + channel, Direction::received, 70,
                                                "a:b\r\n", kBinaryBody)});
}

}  // namespace

class TstCapture : public QObject {
  Q_OBJECT

 private slots:
  void roundTrips() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("run.tofucap"));
    {
      Session live;
      auto* alpha = new FakeSource(QStringLiteral("alpha"));
      auto* remote = new FakeSource(QStringLiteral("tcp|127.0.0.1|7000"));
      live.addSource(alpha);
      live.addSource(remote);
      QString error;
      QVERIFY2(live.startRecording(path, &error), qPrintable(error));
      QVERIFY(live.isRecording());
      feed(*alpha, 4);
      feed(*remote, 9);  // the same engine id 1 in another process
      live.stopRecording();
      live.channels().flush();
      QCOMPARE(live.channels().rowCount(), 2);  // two engines, not one
    }
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll().count('\n'), 1 + 2 * 3);  // header, then snapshot/events/content per source

    Session offline;
    auto* capture = new CaptureSource(path);
    offline.addSource(capture);
    QString error;
    QVERIFY2(capture->load(&error), qPrintable(error));
    QCOMPARE(capture->state(), Source::State::offline);
    QCOMPARE(capture->name(), QStringLiteral("run.tofucap"));

    offline.channels().flush();
    QCOMPARE(offline.channels().rowCount(), 2);
    offline.traffic().flush();
    QCOMPARE(offline.traffic().rowCount(), 4);
    offline.correlation().flush();
    QCOMPARE(offline.correlation().latencies(), (QList<std::int64_t>{50, 50}));
    QCOMPARE(offline.timeline().channels().size(), 2);
    QCOMPARE(offline.engines().rowCount(offline.engines().index(0, 0)), 2);
    QCOMPARE(offline.content().size(), 2);
    const QStringList engineNames{capture->engineName(1), capture->engineName(2)};
    QCOMPARE(engineNames, (QStringList{"alpha", "tcp|127.0.0.1|7000"}));

    // The whole content comes back byte for byte, found from the log's (event) row.
    const tofu::qt::TrafficRecord row = offline.traffic().recordAt(3);
    QCOMPARE_NAME(row.header.proto.opCode, OpCode::Response);
    const auto whole = offline.content().find(row);
    QVERIFY(whole);
    QCOMPARE(whole->body, kBinaryBody);
    QCOMPARE(whole->textHeaders, QByteArray("a:b\r\n"));
    QCOMPARE(whole->channelNumber, 9);
  }

  void refusesBadFiles_data() {
    QTest::addColumn<QByteArray>("contents");
    QTest::addColumn<QString>("reason");
    QTest::newRow("empty") << QByteArray() << QStringLiteral("empty file");
    QTest::newRow("foreign") << QByteArray("{\"format\":\"pcap\"}\n") << QStringLiteral(":1: not a tofu-monitor capture");
    QTest::newRow("future") << QByteArray("{\"format\":\"tofu-monitor-capture\",\"version\":2}\n")
                            << QStringLiteral(":1: unsupported capture version 2");
    QTest::newRow("broken line") << QByteArray("{\"format\":\"tofu-monitor-capture\",\"version\":1}\n{\"type\":\"events\"\n")
                                 << QStringLiteral(":2: ");
    QTest::newRow("bad snapshot")
        << QByteArray("{\"format\":\"tofu-monitor-capture\",\"version\":1}\n{\"type\":\"future\"}\n{\"type\":\"snapshot\",\"source\":\"a\",\"snapshot\":{}}\n")
        << QStringLiteral(":3: snapshot: missing or invalid member \"engineId\"");
  }
  void refusesBadFiles() {
    QFETCH(QByteArray, contents);
    QFETCH(QString, reason);
    QTemporaryDir dir;
    QFile file(dir.filePath(QStringLiteral("bad")));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(contents);
    file.close();
    CaptureSource capture(file.fileName());
    QString error;
    QVERIFY(!capture.load(&error));
    QVERIFY2(error.contains(reason), qPrintable(error));
    QCOMPARE(capture.state(), Source::State::disconnected);
  }
};

QTEST_GUILESS_MAIN(TstCapture)
#include "tst_capture.moc"
