// DemoScene: within a few seconds of running, every kind of traffic and life-cycle outcome
// reaches the Session: Requests answered with JSON, progress Signals, a streamed Response,
// a graceful close, a refused connect, a peer loss and an abort; the flood sender adds Signals.
#include <QAbstractItemModelTester>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <algorithm>

#include "session.h"
#include "sources/demo_scene.h"

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

// A compute answer in the log: a final Response whose JSON body is {"n": N, "square": N*N}.
bool logHasSquare(tofu::qt::TrafficModel& log) {
  for (int row = 0; row < log.rowCount(); ++row) {
    const tofu::qt::TrafficRecord& record = log.recordAt(row);
    const QJsonObject body = QJsonDocument::fromJson(record.body).object();
    const int n = body.value(QLatin1String("n")).toInt();
    if (record.header.proto.opCode == OpCode::Response && !record.header.proto.more && n > 0 &&
        body.value(QLatin1String("square")).toInt() == n * n) {
      return true;
    }
  }
  return false;
}

// A whole streamed answer in the log, as one engine sent or received it: for one message id,
// the chunks 0..4 in order, the first four with `more` set and the last without.
bool logHasWholeStream(tofu::qt::TrafficModel& log) {
  log.flush();
  QHash<QString, QList<QPair<int, bool>>> chunks;  // "engine id direction" -> (chunk, more)...
  for (int row = 0; row < log.rowCount(); ++row) {
    const tofu::qt::TrafficRecord& record = log.recordAt(row);
    const QJsonObject body = QJsonDocument::fromJson(record.body).object();
    if (record.header.proto.opCode == OpCode::Response && body.contains(QLatin1String("chunk"))) {
      const QString key = QStringLiteral("%1 %2 %3")
                              .arg(record.engineId)
                              .arg(record.header.messageId)
                              .arg(static_cast<int>(record.direction));
      chunks[key].append({body.value(QLatin1String("chunk")).toInt(), record.header.proto.more});
    }
  }
  const QList<QPair<int, bool>> whole{{0, true}, {1, true}, {2, true}, {3, true}, {4, false}};
  return std::any_of(chunks.cbegin(), chunks.cend(), [&whole](const auto& seen) { return seen == whole; });
}

// The session-wide id of the engine of the source named `name`; 0 if not (yet) listed.
std::uint64_t engineIdOf(EngineListModel& engines, const QString& name) {
  for (int row = 0; row < engines.rowCount(); ++row) {
    const QModelIndex source = engines.index(row, EngineListModel::name);
    if (source.data().toString() == name + QLatin1String(" (in process)") && engines.rowCount(source) == 1) {
      return engines.index(0, 0, source).data(tofu::qt::EngineIdRole).toULongLong();
    }
  }
  return 0;
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
    QVERIFY(logHasSquare(session.traffic()));
    QTRY_VERIFY_WITH_TIMEOUT(logHasWholeStream(session.traffic()), 15000);  // every 5th Request
    QVERIFY(session.content().size() > 0);
    QVERIFY(demo.messagesSent() > 10);

    // One engine per source, each under its name; alpha's two listeners with their addresses.
    QCOMPARE(session.engines().rowCount(), 4);
    for (const QString& name : {QStringLiteral("alpha"), QStringLiteral("beta"), QStringLiteral("gamma"),
                                QStringLiteral("flood")}) {
      QTRY_VERIFY2(engineIdOf(session.engines(), name) != 0, qPrintable(name));
    }
    const std::uint64_t alpha = engineIdOf(session.engines(), QStringLiteral("alpha"));
    session.channels().flush();
    QStringList listeners;
    for (int row = 0; row < session.channels().rowCount(); ++row) {
      const ChannelInfo& channel = *session.channels().channelAt(row);
      if (channel.kind == ChannelKind::listener) {
        QCOMPARE(channel.engineId, alpha);
        listeners.append(QString::fromStdString(channel.localAddress));
      }
    }
    listeners.sort();  // "tcp|..." before "uds|..."
    QCOMPARE(listeners.size(), 2);
    const QString& tcp = listeners.at(0);
    const QString& uds = listeners.at(1);
    QVERIFY2(tcp.startsWith(u"tcp|127.0.0.1|") && !tcp.endsWith(u"|0"), qPrintable(tcp));
    QVERIFY2(uds.startsWith(u"uds|") && uds.endsWith(u"/alpha.sock"), qPrintable(uds));
  }
};

QTEST_GUILESS_MAIN(TstDemoScene)
#include "tst_demo_scene.moc"
