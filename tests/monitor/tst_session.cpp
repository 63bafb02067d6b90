// Session: sources feed every model; engines of different sources with the same id stay
// apart; a source that reconnects replaces its old engines; removing a source drops its rows
// and ends its outstanding requests.
#include <QtTest>

#include "core_test_events.h"
#include "fake_source.h"
#include "session.h"

using namespace tofu;
using namespace tofu::monitor;
using tofu::monitor::test::FakeSource;

namespace {

EngineSnapshot snapshotOf(std::uint64_t engineId, int channels) {
  EngineSnapshot s;
  s.engineId = engineId;
  for (int i = 1; i <= channels; ++i) {
    ChannelInfo info;
    info.engineId = engineId;
    info.channelNumber = static_cast<std::uint16_t>(i);
    info.incarnation = static_cast<std::uint64_t>(i);
    info.state = ChannelState::ready;
    s.channels.push_back(info);
  }
  return s;
}

}  // namespace

class TstSession : public QObject {
  Q_OBJECT

 private slots:
  void keepsEnginesOfSourcesApart() {
    Session session;
    QSignalSpy sourcesChanged(&session, &Session::sourcesChanged);
    auto* a = new FakeSource(QStringLiteral("a"));
    auto* b = new FakeSource(QStringLiteral("b"));
    session.addSource(a);
    session.addSource(b);
    QCOMPARE(sourcesChanged.count(), 2);
    QCOMPARE(session.sources(), (QList<Source*>{a, b}));
    emit a->snapshotReady(snapshotOf(1, 2));
    emit b->snapshotReady(snapshotOf(1, 3));
    emit a->eventsReady({test::messageEvent(EventKind::messageSent, 1, 1, OpCode::Request, 5, 10)});
    emit b->eventsReady({test::messageEvent(EventKind::messageReceived, 1, 1, OpCode::Request, 5, 10)});
    session.channels().flush();
    session.traffic().flush();
    QCOMPARE(session.channels().rowCount(), 5);
    QCOMPARE(session.traffic().rowCount(), 2);
    const auto engineOf = [&session](int row) { return session.traffic().recordAt(row).engineId; };
    QVERIFY(engineOf(0) != engineOf(1));
    QCOMPARE(session.traffic().index(1, static_cast<int>(tofu::qt::TrafficColumn::engine)).data().toString(),
             QStringLiteral("b"));
    QCOMPARE(session.timeline().channels().size(), 0);  // no life-cycle events sent
    session.correlation().flush();
    QCOMPARE(session.correlation().rowCount(), 2);  // one request seen by each engine

    // b comes back (a restarted process): its old engine leaves, the new one gets a new id.
    b->set(Source::State::disconnected);
    session.channels().flush();
    QCOMPARE(session.channels().rowCount(), 5);  // kept while disconnected, marked as lost
    for (int row = 0; row < 5; ++row) {
      const QModelIndex state = session.channels().index(row, static_cast<int>(tofu::qt::ChannelColumn::state));
      const bool ofB = session.channels().channelAt(row)->engineId != engineOf(0);
      QCOMPARE(state.data(tofu::qt::LostRole).toBool(), ofB);
      QCOMPARE(state.data().toString(), ofB ? QStringLiteral("lost") : QStringLiteral("ready"));
    }
    b->set(Source::State::connected);
    emit b->snapshotReady(snapshotOf(1, 1));
    session.channels().flush();
    QCOMPARE(session.channels().rowCount(), 3);
    const QModelIndex bRow = session.engines().index(1, 0);
    QCOMPARE(session.engines().rowCount(bRow), 1);
    QVERIFY(session.engines().index(0, 0, bRow).data(tofu::qt::EngineIdRole).toULongLong() > engineOf(1));

    QPointer<Source> gone = a;
    session.removeSource(a);
    QVERIFY(gone.isNull());
    session.channels().flush();
    QCOMPARE(session.channels().rowCount(), 1);
    QCOMPARE(session.engines().rowCount(), 1);
    QCOMPARE(sourcesChanged.count(), 3);
  }
  // "1 outstanding requests" stayed after the source that sent the request was removed.
  void removingASourceLeavesNothingOutstanding() {
    Session session;
    auto* a = new FakeSource(QStringLiteral("a"));
    auto* b = new FakeSource(QStringLiteral("b"));
    session.addSource(a);
    session.addSource(b);
    emit a->eventsReady({test::messageEvent(EventKind::messageSent, 1, 1, OpCode::Request, 5, 10)});
    emit b->eventsReady({test::messageEvent(EventKind::messageSent, 1, 1, OpCode::Request, 6, 10)});
    session.correlation().flush();
    QCOMPARE(session.correlation().outstandingCount(), 2);
    session.removeSource(a);
    session.correlation().flush();
    QCOMPARE(session.correlation().outstandingCount(), 1);
    QCOMPARE(session.correlation().rowAt(0).state, CorrelationModel::State::unobserved);
    QCOMPARE(session.correlation().rowAt(1).state, CorrelationModel::State::outstanding);
  }
};

QTEST_GUILESS_MAIN(TstSession)
#include "tst_session.moc"
