// ChannelTableModel: correct under QAbstractItemModelTester while channels open, carry
// traffic and close; merged updates; bounded rows with the closed ones evicted first; a lost
// engine's open channels marked as lost.
#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

#include "tofu/qt/models/channel_table_model.h"

#include "model_fixture.h"

using tofu::ChannelInfo;
using tofu::ChannelKind;
using tofu::ChannelState;
using tofu::qt::ChannelColumn;
using tofu::qt::ChannelTableModel;

namespace {

// The row of the first channel of `kind`, or -1.
int rowOfKind(const ChannelTableModel& model, ChannelKind kind) {
  for (int row = 0; row < model.rowCount(); ++row) {
    if (model.channelAt(row)->kind == kind) {
      return row;
    }
  }
  return -1;
}

QString cell(const ChannelTableModel& model, int row, ChannelColumn column) {
  return model.index(row, static_cast<int>(column)).data().toString();
}

tofu::EngineSnapshot syntheticSnapshot(std::uint64_t engineId, int open, int closed) {
  tofu::EngineSnapshot snapshot;
  snapshot.engineId = engineId;
  for (int i = 0; i < open + closed; ++i) {
    ChannelInfo info;
    info.engineId = engineId;
    info.incarnation = static_cast<std::uint64_t>(i + 1);
    info.channelNumber = static_cast<std::uint16_t>(i + 1);
    // Closed ones are interleaved with open ones, so eviction has to pick them out.
    info.state = i % 2 == 0 && i / 2 < closed ? ChannelState::closed : ChannelState::ready;
    snapshot.channels.push_back(info);
  }
  return snapshot;
}

int closedRows(const ChannelTableModel& model) {
  int count = 0;
  for (int row = 0; row < model.rowCount(); ++row) {
    count += model.channelAt(row)->state == ChannelState::closed ? 1 : 0;
  }
  return count;
}

}  // namespace

class TestChannelTableModel : public QObject {
  Q_OBJECT

 private slots:
  void followsLiveEngine();
  void boundedRows_data();
  void boundedRows();
  void removesEngine();
  void marksALostEngine();
};

void TestChannelTableModel::followsLiveEngine() {
  tofu::qt::WatchOptions watch;
  watch.snapshotIntervalMs = 20;
  watch.observeEvents = false;
  tofu::qt::test::LiveScene scene(watch);
  ChannelTableModel model;
  model.setUpdateIntervalMs(10);
  QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
  model.setEngineName(scene.engine().engineId(), QStringLiteral("local"));
  connect(&scene.watcher(), &tofu::qt::EngineWatcher::snapshotReady, &model, &ChannelTableModel::applySnapshot);

  QVERIFY(scene.open());
  QTRY_COMPARE(model.rowCount(), 3);  // listener, client, server channel
  QVERIFY(rowOfKind(model, ChannelKind::listener) >= 0);
  QVERIFY(rowOfKind(model, ChannelKind::serverIo) >= 0);
  const int client = rowOfKind(model, ChannelKind::clientIo);
  QVERIFY(client >= 0);
  QCOMPARE(cell(model, client, ChannelColumn::engine), QStringLiteral("local"));
  QCOMPARE(cell(model, client, ChannelColumn::channel), QString::number(scene.clientChannel()));
  QTRY_COMPARE(cell(model, client, ChannelColumn::state), QStringLiteral("ready"));

  scene.sendRequests(50);
  // Hello + 50 Requests out, HelloResponse + 50 Responses in.
  QTRY_COMPARE(cell(model, rowOfKind(model, ChannelKind::clientIo), ChannelColumn::messagesOut), QStringLiteral("51"));
  QTRY_COMPARE(cell(model, rowOfKind(model, ChannelKind::clientIo), ChannelColumn::messagesIn), QStringLiteral("51"));

  QVERIFY(scene.closeClient());
  QTRY_COMPARE(cell(model, rowOfKind(model, ChannelKind::clientIo), ChannelColumn::state), QStringLiteral("closed"));
  QTRY_COMPARE(cell(model, rowOfKind(model, ChannelKind::serverIo), ChannelColumn::state), QStringLiteral("closed"));
  const int closedClient = rowOfKind(model, ChannelKind::clientIo);
  QCOMPARE(model.index(closedClient, 0).data(tofu::qt::StateRole).toInt(), static_cast<int>(ChannelState::closed));
  QVERIFY(!cell(model, closedClient, ChannelColumn::closeReason).isEmpty());
}

void TestChannelTableModel::boundedRows_data() {
  QTest::addColumn<int>("maxRows");
  QTest::addColumn<int>("closedLeft");
  QTest::newRow("closed go first") << 25 << 5;
  QTest::newRow("then the oldest") << 15 << 0;
}

void TestChannelTableModel::boundedRows() {
  QFETCH(int, maxRows);
  QFETCH(int, closedLeft);
  ChannelTableModel model;
  QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
  model.setMaxRows(maxRows);
  model.applySnapshot(syntheticSnapshot(7, 20, 10));
  QCOMPARE(model.rowCount(), 0);  // nothing before the tick
  model.flush();
  QCOMPARE(model.rowCount(), maxRows);
  QCOMPARE(closedRows(model), closedLeft);
  // The newest channel always stays.
  QCOMPARE(model.channelAt(maxRows - 1)->incarnation, std::uint64_t{30});
}

void TestChannelTableModel::removesEngine() {
  ChannelTableModel model;
  QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
  model.setUpdateIntervalMs(5);
  model.applySnapshot(syntheticSnapshot(1, 3, 0));
  model.applySnapshot(syntheticSnapshot(2, 4, 0));
  QTRY_COMPARE(model.rowCount(), 7);
  // A newer snapshot that no longer lists a channel removes its row; others update in place.
  model.applySnapshot(syntheticSnapshot(1, 2, 0));
  model.removeEngine(2);
  QTRY_COMPARE(model.rowCount(), 2);
  QCOMPARE(model.index(0, static_cast<int>(ChannelColumn::engine)).data(tofu::qt::EngineIdRole).toULongLong(), 1u);
}

// A killed process's channels once still read "ready": they read "lost" until it reports again.
void TestChannelTableModel::marksALostEngine() {
  ChannelTableModel model;
  QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
  model.applySnapshot(syntheticSnapshot(1, 2, 1));  // incarnation 1 closed, 2 and 3 ready
  model.applySnapshot(syntheticSnapshot(2, 1, 0));
  model.flush();
  QCOMPARE(model.rowCount(), 4);
  QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
  model.markEngineLost(1);
  QCOMPARE(changed.count(), 3);
  for (int row = 0; row < model.rowCount(); ++row) {
    const ChannelInfo& info = *model.channelAt(row);
    const bool lost = info.engineId == 1 && info.state != ChannelState::closed;
    QCOMPARE(model.index(row, 0).data(tofu::qt::LostRole).toBool(), lost);
    QCOMPARE(cell(model, row, ChannelColumn::state), lost ? QStringLiteral("lost") : QString::fromLatin1(toString(info.state)));
    if (lost) {
      QCOMPARE(cell(model, row, ChannelColumn::closeReason), QStringLiteral("engine lost"));
      QVERIFY(model.index(row, static_cast<int>(ChannelColumn::state)).data(Qt::ToolTipRole).toString().contains(QStringLiteral("ready")));
    }
  }
  model.applySnapshot(syntheticSnapshot(1, 2, 1));  // it reports again
  model.flush();
  for (int row = 0; row < model.rowCount(); ++row) {
    QVERIFY(!model.index(row, 0).data(tofu::qt::LostRole).toBool());
    QVERIFY(cell(model, row, ChannelColumn::state) != QStringLiteral("lost"));
  }
}

QTEST_GUILESS_MAIN(TestChannelTableModel)
#include "tst_channel_table_model.moc"
