// CorrelationModel: Requests paired with their Responses (client and server side) with exact
// latencies, outstanding requests, streamed frames as one job, failures from returned
// messages and closed channels, batched inserts and the row bound.
#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QtTest>

#include "models/correlation_model.h"
#include "core_test_events.h"

using namespace tofu;
using namespace tofu::monitor;
using State = CorrelationModel::State;

namespace {
Event sent(std::uint16_t channel, OpCode op, std::uint64_t id, std::int64_t at, bool more = false) {
  return test::messageEvent(EventKind::messageSent, 1, channel, op, id, at, more, {}, "body");
}
Event received(std::uint16_t channel, OpCode op, std::uint64_t id, std::int64_t at, bool more = false) {
  return test::messageEvent(EventKind::messageReceived, 1, channel, op, id, at, more, {}, "body");
}
}  // namespace

class TstCorrelationModel : public QObject {
  Q_OBJECT

 private slots:
  void pairsRequestsWithResponses() {
    CorrelationModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.addEvents({
        sent(5, OpCode::Request, 10, 1000),
        sent(5, OpCode::Request, 11, 1100),
        received(6, OpCode::Request, 12, 1200),        // this engine serves channel 6
        received(5, OpCode::Response, 10, 4000),
        sent(6, OpCode::Response, 12, 1700),
        received(5, OpCode::Response, 99, 5000),       // answers nothing seen: ignored
        sent(5, OpCode::Signal, 13, 5100),             // a lone Signal is no job
    });
    QCOMPARE(model.rowCount(), 0);  // inserted at the next flush
    model.flush();
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.latencies(), (QList<std::int64_t>{3000, 500}));
    QCOMPARE(model.outstandingCount(), 1);
    QCOMPARE(model.rowAt(0).state, State::answered);
    QCOMPARE(model.rowAt(0).frames, 2);
    QCOMPARE(model.rowAt(0).bytes, 2u * (16 + 4));
    QCOMPARE(model.rowAt(1).state, State::outstanding);
    QCOMPARE(model.rowAt(1).messageId, 11u);
    QCOMPARE(model.rowAt(2).direction, tofu::qt::Direction::received);
    QCOMPARE(model.index(0, CorrelationModel::latency).data().toString(), QStringLiteral("0.003 ms"));
    QVERIFY(model.index(1, CorrelationModel::latency).data().toString().startsWith(QStringLiteral("age ")));
    QCOMPARE(model.index(1, CorrelationModel::state).data().toString(), QStringLiteral("outstanding"));
    QCOMPARE(model.index(2, CorrelationModel::kind).data().toString(), QStringLiteral("request"));
  }

  void groupsStreamsAsOneJob() {
    CorrelationModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.addEvents({
        sent(5, OpCode::Request, 20, 0),
        received(5, OpCode::Response, 20, 10, true),
        received(5, OpCode::Response, 20, 20, true),
        received(5, OpCode::Response, 20, 30, false),
        sent(5, OpCode::Signal, 21, 40, true),
        sent(5, OpCode::Signal, 21, 50, true),
    });
    model.flush();
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.rowAt(0).frames, 4);
    QCOMPARE(model.rowAt(0).state, State::answered);
    QCOMPARE(model.latencies(), (QList<std::int64_t>{30}));
    QCOMPARE(model.rowAt(1).isStream, true);
    QCOMPARE(model.rowAt(1).state, State::outstanding);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    model.addEvents({sent(5, OpCode::Signal, 21, 90, false)});
    model.flush();
    QCOMPARE(changed.count(), 1);
    QCOMPARE(model.rowAt(1).frames, 3);
    QCOMPARE(model.rowAt(1).state, State::answered);
    QCOMPARE(model.index(1, CorrelationModel::latency).data().toString(), QStringLiteral("0.000 ms"));
    QCOMPARE(model.index(1, CorrelationModel::kind).data().toString(), QStringLiteral("stream"));
    QCOMPARE(model.latencies().size(), 1);  // streams have no request latency
  }

  void failsReturnedAndOrphanedRequests() {
    CorrelationModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.addEvents({
        sent(5, OpCode::Request, 30, 0),
        sent(7, OpCode::Request, 31, 0),
        sent(7, OpCode::Request, 32, 0),
        test::messageEvent(EventKind::messageReturned, 1, 5, OpCode::Request, 30, 5, false, {}, {}, Status::peer_disconnected),
        test::stateEvent(1, 7, 7, ChannelState::closed, 9, Status::peer_disconnected),
        test::stateEvent(2, 7, 7, ChannelState::closed, 9, Status::peer_disconnected),  // another engine
    });
    model.flush();
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.outstandingCount(), 0);
    for (int row = 0; row < 3; ++row) {
      QCOMPARE(model.rowAt(row).state, State::failed);
      QCOMPARE_NAME(model.rowAt(row).status, Status::peer_disconnected);
    }
    QCOMPARE(model.index(0, CorrelationModel::state).data().toString(), QStringLiteral("failed: peer_disconnected"));
    QVERIFY(model.latencies().isEmpty());
  }

  // "100000 answered" after 200,000 answers misled: the counts go on past the latency window.
  void countsEveryAnswerPastTheLatencyWindow() {
    CorrelationModel model;
    model.setMaxRows(10);
    constexpr int kRequests = 100'005;
    QList<Event> events;
    events.reserve(2 * kRequests);
    for (int i = 0; i < kRequests; ++i) {
      const auto id = static_cast<std::uint64_t>(i);
      events << sent(1, OpCode::Request, id, 2 * i) << received(1, OpCode::Response, id, 2 * i + 1);
    }
    model.addEvents(events);
    model.addEvents({sent(2, OpCode::Request, 7, 1),
                     test::messageEvent(EventKind::messageReturned, 1, 2, OpCode::Request, 7, 2, false, {}, {},
                                        Status::connect_failed)});
    model.flush();
    QCOMPARE(model.answeredCount(), quint64{kRequests});
    QCOMPARE(model.latencies().size(), qsizetype{100'000});
    QCOMPARE(model.failedCount(), quint64{1});
  }

  void forgottenEngineLeavesNothingOutstanding() {
    CorrelationModel model;
    model.addEvents({sent(1, OpCode::Request, 1, 10), sent(2, OpCode::Request, 2, 20),
                     test::messageEvent(EventKind::messageSent, 2, 1, OpCode::Request, 3, 30)});
    model.flush();
    QCOMPARE(model.outstandingCount(), 3);
    model.forgetEngine(1, 40);
    model.flush();
    QCOMPARE(model.outstandingCount(), 1);
    QCOMPARE(model.rowAt(0).state, State::unobserved);
    QCOMPARE(model.rowAt(1).state, State::unobserved);
    QCOMPARE(model.rowAt(2).state, State::outstanding);
    QCOMPARE(model.index(0, CorrelationModel::state).data().toString(), QStringLiteral("unobserved (source gone)"));
    QCOMPARE(model.rowOf(2, 1, 3), 2);
    QCOMPARE(model.rowOf(1, 2, 2), 1);
    QCOMPARE(model.rowOf(1, 2, 3), -1);
  }

  void dropsTheOldestRows() {
    CorrelationModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setMaxRows(3);
    QList<Event> events;
    for (std::uint64_t id = 1; id <= 5; ++id) {
      events << sent(5, OpCode::Request, id, static_cast<std::int64_t>(id));
    }
    model.addEvents(events);
    model.flush();
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.evictedRows(), 2u);
    QCOMPARE(model.rowAt(0).messageId, 3u);
    QCOMPARE(model.outstandingCount(), 3);
    model.addEvents({received(5, OpCode::Response, 1, 100), received(5, OpCode::Response, 4, 100)});
    model.flush();
    QCOMPARE(model.latencies(), (QList<std::int64_t>{96}));  // id 1 was evicted
    QCOMPARE(model.rowAt(1).state, State::answered);
    model.clear();
    QCOMPARE(model.rowCount(), 0);
  }
};

QTEST_GUILESS_MAIN(TstCorrelationModel)
#include "tst_correlation_model.moc"
