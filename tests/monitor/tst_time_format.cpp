// TimeFormat: absolute, relative and delta times exact for known stamps; a per-engine clock
// offset from snapshots turns monotonic stamps into wall-clock time; the log (its filter proxy)
// sorts rows of two engines on different hosts by wall-clock time and shows deltas between them.
#include <QtTest>

#include "core_test_events.h"
#include "fake_source.h"
#include "models/message_filter.h"
#include "models/time_format.h"
#include "session.h"
#include "tofu/qt/models/model_roles.h"

using namespace tofu;
using namespace tofu::monitor;
using tofu::monitor::test::FakeSource;

namespace {

constexpr std::int64_t kWall = 1796620000123456789;  // 2026-12-07 05:06:40.123456789 UTC

EngineSnapshot snapshotAt(std::int64_t monotonicNs, std::int64_t wallNs) {
  EngineSnapshot snapshot;
  snapshot.engineId = 1;
  snapshot.takenAtNs = monotonicNs;
  snapshot.takenAtWallNs = wallNs;
  return snapshot;
}

}  // namespace

class TstTimeFormat : public QObject {
  Q_OBJECT

 private slots:
  void formatsEachMode() {
    TimeFormat format;
    format.setTimeZone(QTimeZone::utc());
    format.noteEvent(kWall);
    format.noteEvent(kWall + 5'000'000'000);  // later: the first event stays
    QCOMPARE(format.format(kWall + 1'500'000, std::nullopt), QStringLiteral("05:06:40.124956"));
    QCOMPARE(format.formatFull(kWall), QStringLiteral("2026-12-07 05:06:40.123456 UTC"));
    format.setMode(TimeMode::relative);
    QCOMPARE(format.format(kWall, std::nullopt), QStringLiteral("0.000000 s"));
    QCOMPARE(format.format(kWall + 61'000'250'999, std::nullopt), QStringLiteral("61.000250 s"));
    format.setMode(TimeMode::delta);
    QCOMPARE(format.format(kWall + 100'000, kWall), QStringLiteral("+0.000100 s"));
    QCOMPARE(format.format(kWall, kWall + 2'000'100'000), QStringLiteral("-2.000100 s"));
    QCOMPARE(format.format(kWall, std::nullopt), QStringLiteral("+0.000000 s"));
    QCOMPARE(TimeFormat::formatAbsolute(-1, QTimeZone::utc()), QStringLiteral("23:59:59.999999"));
  }

  void convertsWithEachEnginesOffset() {
    TimeFormat format;
    format.setDefaultClockOffset(7);
    format.setClockOffset(2, 1'000);
    QCOMPARE(format.toWallNs(2, 50), 1'050);
    QCOMPARE(format.toWallNs(3, 50), 57);  // no snapshot yet: the monitor host's offset
  }

  // Host A's monotonic clock is 10 s ahead of host B's: by stamps B's message would come
  // first; by wall clock it comes between A's two. Both ways of reading a row's time: through
  // the source model's data(), and straight from the TrafficModel's records (the log's way).
  void sortsTwoEnginesByWallClock_data() {
    QTest::addColumn<bool>("readsRecords");
    QTest::newRow("through data()") << false;
    QTest::newRow("from the records") << true;
  }

  void sortsTwoEnginesByWallClock() {
    QFETCH(bool, readsRecords);
    Session session;
    session.timeFormat().setTimeZone(QTimeZone::utc());
    auto* hostA = new FakeSource(QStringLiteral("a"));
    auto* hostB = new FakeSource(QStringLiteral("b"));
    session.addSource(hostA);
    session.addSource(hostB);
    emit hostA->snapshotReady(snapshotAt(20'000'000'000, kWall));
    emit hostB->snapshotReady(snapshotAt(10'000'000'000, kWall));
    emit hostA->eventsReady({test::messageEvent(EventKind::messageSent, 1, 5, OpCode::Request, 1, 20'000'000'000),
                             test::messageEvent(EventKind::messageSent, 1, 5, OpCode::Request, 3, 20'000'300'000)});
    emit hostB->eventsReady({test::messageEvent(EventKind::messageReceived, 1, 7, OpCode::Request, 2, 10'000'100'000)});
    session.traffic().flush();

    MessageFilterProxy proxy;
    proxy.setSourceModel(&session.traffic());
    proxy.setTimeFormat(&session.timeFormat());
    if (readsRecords) proxy.setTrafficModel(&session.traffic());
    proxy.sort(static_cast<int>(tofu::qt::TrafficColumn::time));
    const auto idAt = [&proxy](int row) {
      return proxy.index(row, static_cast<int>(tofu::qt::TrafficColumn::messageId)).data(tofu::qt::SortRole).toULongLong();
    };
    QCOMPARE(proxy.rowCount(), 3);
    QCOMPARE((QList<qulonglong>{idAt(0), idAt(1), idAt(2)}), (QList<qulonglong>{1, 2, 3}));
    const auto timeAt = [&proxy](int row) { return proxy.index(row, 0).data().toString(); };
    QCOMPARE(timeAt(1), QStringLiteral("05:06:40.123556"));
    session.timeFormat().setMode(TimeMode::delta);
    QCOMPARE((QStringList{timeAt(0), timeAt(1), timeAt(2)}),
             (QStringList{"+0.000000 s", "+0.000100 s", "+0.000200 s"}));
    session.timeFormat().setMode(TimeMode::relative);
    QCOMPARE(timeAt(2), QStringLiteral("0.000300 s"));
    QCOMPARE(proxy.index(2, 0).data(Qt::ToolTipRole).toString(), QStringLiteral("2026-12-07 05:06:40.123756 UTC"));
  }
};

QTEST_GUILESS_MAIN(TstTimeFormat)
#include "tst_time_format.moc"
