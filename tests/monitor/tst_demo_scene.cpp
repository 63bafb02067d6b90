// DemoScene: within a few seconds of running, every kind of traffic and life-cycle outcome
// reaches the Session: Requests answered with JSON, progress Signals, a streamed Response,
// a graceful close, a refused connect, a peer loss and an abort; the flood sender adds Signals.
#include <QAbstractItemModelTester>
#include <QtTest>

#include "demo_scene.h"
#include "session.h"

using namespace tofu;
using namespace tofu::monitor;

namespace {

bool timelineHas(const TimelineModel& timeline, ChannelState state, Status status) {
  for (const ChannelKey& key : timeline.channels()) {
    for (const TimelineEntry& entry : timeline.entries(key)) {
      if (entry.isStateChange && entry.state == state && entry.status == status) {
        return true;
      }
    }
  }
  return false;
}

bool timelineHasMessage(const TimelineModel& timeline, OpCode op) {
  for (const ChannelKey& key : timeline.channels()) {
    for (const TimelineEntry& entry : timeline.entries(key)) {
      if (!entry.isStateChange && entry.opCode == op) {
        return true;
      }
    }
  }
  return false;
}

bool logHas(tofu::qt::TrafficModel& log, OpCode op, bool more, const QByteArray& header) {
  for (int row = 0; row < log.rowCount(); ++row) {
    const tofu::qt::TrafficRecord& record = log.recordAt(row);
    if (record.header.proto.opCode == op && record.header.proto.more == more && record.textHeaders.contains(header)) {
      return true;
    }
  }
  return false;
}

}  // namespace

class TstDemoScene : public QObject {
  Q_OBJECT

 private slots:
  void showsEveryOutcome() {
    Session session;
    QAbstractItemModelTester channelsTester(&session.channels(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester enginesTester(&session.engines(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester correlationTester(&session.correlation(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    DemoScene demo(session, DemoOptions{3, 200, 150});
    demo.start();
    QCOMPARE(session.sources().size(), 4);  // alpha, beta, gamma, flood
    QTRY_VERIFY_WITH_TIMEOUT(timelineHas(session.timeline(), ChannelState::closed, Status::connect_failed), 15000);
    QTRY_VERIFY_WITH_TIMEOUT(timelineHas(session.timeline(), ChannelState::closed, Status::peer_disconnected), 15000);
    QTRY_VERIFY_WITH_TIMEOUT(timelineHasMessage(session.timeline(), OpCode::ByeResponse), 15000);  // graceful
    QTRY_VERIFY_WITH_TIMEOUT(timelineHasMessage(session.timeline(), OpCode::ByeSignal), 15000);    // abort
    QTRY_VERIFY_WITH_TIMEOUT(session.correlation().latencies().size() >= 3, 15000);
    session.traffic().flush();
    QVERIFY(logHas(session.traffic(), OpCode::Response, true, "content-type:application/json"));
    QVERIFY(logHas(session.traffic(), OpCode::Signal, false, "progress:"));
    QVERIFY(logHas(session.traffic(), OpCode::Signal, false, "seq:"));  // the flood
    QVERIFY(session.content().size() > 0);
    QVERIFY(demo.messagesSent() > 10);
    session.channels().flush();
    QVERIFY(session.channels().rowCount() >= 5);
    QCOMPARE(session.engines().rowCount(), 4);
  }
};

QTEST_GUILESS_MAIN(TstDemoScene)
#include "tst_demo_scene.moc"
