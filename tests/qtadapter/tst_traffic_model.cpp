// TrafficModel: correct under QAbstractItemModelTester while live traffic flows; batched
// insertion; bounded rows with an exact evicted count; pause and resume; naming an engine
// reports only its rows changed.
#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

#include "tofu/qt/models/traffic_model.h"

#include "model_fixture.h"

using tofu::qt::Direction;
using tofu::qt::TrafficColumn;
using tofu::qt::TrafficModel;
using tofu::qt::TrafficRecord;

namespace {

TrafficRecord numbered(int n) {
  TrafficRecord record;
  record.atNs = n;
  record.header.messageId = static_cast<std::uint64_t>(n);
  return record;
}

int rowsWith(const TrafficModel& model, Direction direction) {
  int count = 0;
  for (int row = 0; row < model.rowCount(); ++row) {
    count += model.recordAt(row).direction == direction ? 1 : 0;
  }
  return count;
}

}  // namespace

class TestTrafficModel : public QObject {
  Q_OBJECT

 private slots:
  void followsLiveTraffic();
  void boundedRows_data();
  void boundedRows();
  void pauseKeepsRecords();
  void namingAnEngineChangesOnlyItsRows();
};

void TestTrafficModel::followsLiveTraffic() {
  tofu::qt::WatchOptions watch;
  watch.eventIntervalMs = 10;
  tofu::qt::test::LiveScene scene(watch);
  TrafficModel model;
  model.setUpdateIntervalMs(20);
  QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
  connect(&scene.watcher(), &tofu::qt::EngineWatcher::eventsReady, &model, &TrafficModel::appendEvents);
  QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);

  QVERIFY(scene.open());
  scene.sendRequests(100);
  // The Hello and each Request with its Response: sent by one side, received by the other.
  QTRY_COMPARE(rowsWith(model, Direction::sent), 2 + 100 * 2);
  QTRY_COMPARE(rowsWith(model, Direction::received), 2 + 100 * 2);
  QVERIFY(inserted.count() < model.rowCount() / 4);  // batches, not one insert per row
  bool sawBody = false;
  for (int row = 0; row < model.rowCount(); ++row) {
    const TrafficRecord& record = model.recordAt(row);
    sawBody = sawBody || (record.direction == Direction::received && record.body == "body 42");
  }
  QVERIFY(sawBody);
  QVERIFY(scene.closeClient());
  // The ByeRequest and its ByeResponse, sent and received, and nothing else.
  QTRY_COMPARE(rowsWith(model, Direction::received), 2 + 100 * 2 + 2);
  QTRY_COMPARE(rowsWith(model, Direction::sent), 2 + 100 * 2 + 2);
  QCOMPARE(model.rowCount(), 2 * (2 + 100 * 2 + 2));
  QCOMPARE(model.recordAt(model.rowCount() - 1).header.proto.opCode, tofu::OpCode::ByeResponse);
  QCOMPARE(model.recordAt(model.rowCount() - 1).direction, Direction::received);
  QCOMPARE(model.evictedRows(), quint64{0});
  QCOMPARE(model.index(0, static_cast<int>(TrafficColumn::engine)).data(tofu::qt::EngineIdRole).toULongLong(),
           scene.engine().engineId());
}

void TestTrafficModel::boundedRows_data() {
  QTest::addColumn<int>("ticks");
  QTest::newRow("one tick") << 1;
  QTest::newRow("a tick per record") << 250;
}

void TestTrafficModel::boundedRows() {
  QFETCH(int, ticks);
  TrafficModel model;
  QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
  model.setMaxRows(100);
  QSignalSpy evicted(&model, &TrafficModel::evictedRowsChanged);
  for (int i = 1; i <= 250; ++i) {
    model.append(numbered(i));
    if (ticks > 1) {
      model.flush();
    }
  }
  model.flush();
  QCOMPARE(model.rowCount(), 100);
  QCOMPARE(model.evictedRows(), quint64{150});
  QCOMPARE(evicted.last().at(0).value<quint64>(), quint64{150});
  QCOMPARE(model.recordAt(0).header.messageId, std::uint64_t{151});
  QCOMPARE(model.recordAt(99).header.messageId, std::uint64_t{250});
  model.clear();
  QCOMPARE(model.rowCount(), 0);
}

void TestTrafficModel::pauseKeepsRecords() {
  TrafficModel model;
  QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
  model.setMaxRows(50);
  model.setUpdateIntervalMs(5);
  model.append(numbered(1));
  QTRY_COMPARE(model.rowCount(), 1);
  model.setPaused(true);
  for (int i = 2; i <= 80; ++i) {
    model.append(numbered(i));
  }
  QTest::qWait(30);
  model.flush();
  QCOMPARE(model.rowCount(), 1);
  QCOMPARE(model.pendingRows(), qsizetype{50});  // bounded while paused: the oldest 29 went
  QCOMPARE(model.evictedRows(), quint64{29});
  model.setPaused(false);
  QTRY_COMPARE(model.rowCount(), 50);
  QCOMPARE(model.evictedRows(), quint64{30});  // record 1 made room
  QCOMPARE(model.recordAt(0).header.messageId, std::uint64_t{31});
  QCOMPARE(model.pendingRows(), qsizetype{0});
}

// A monitor names each engine when it first sees it, with 100,000 rows of others in the log:
// only that engine's rows (none yet) may be reported changed.
void TestTrafficModel::namingAnEngineChangesOnlyItsRows() {
  TrafficModel model;
  QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
  for (int i = 1; i <= 6; ++i) {
    TrafficRecord record = numbered(i);
    record.engineId = i >= 3 && i <= 4 ? 2 : 1;
    model.append(record);
  }
  model.flush();
  QSignalSpy changed(&model, &TrafficModel::dataChanged);
  model.setEngineName(3, QStringLiteral("new"));
  QCOMPARE(changed.count(), 0);
  model.setEngineName(2, QStringLiteral("two"));
  QCOMPARE(changed.count(), 1);
  const int column = static_cast<int>(TrafficColumn::engine);
  QCOMPARE(changed.first().at(0).toModelIndex(), model.index(2, column));
  QCOMPARE(changed.first().at(1).toModelIndex(), model.index(3, column));
  QCOMPARE(model.index(3, column).data().toString(), QStringLiteral("two"));
  QCOMPARE(model.index(4, column).data().toString(), QStringLiteral("1"));
}

QTEST_GUILESS_MAIN(TestTrafficModel)
#include "tst_traffic_model.moc"
