// EngineListModel: sources at the top, their engines below with gauges from the latest
// snapshot, state changes shown, engines and sources removed.
#include <QAbstractItemModelTester>
#include <QtTest>

#include "fake_source.h"
#include "models/engine_list_model.h"
#include "tofu/qt/models/model_roles.h"

using namespace tofu;
using namespace tofu::monitor;
using tofu::monitor::test::FakeSource;

namespace {

EngineSnapshot snapshot(std::uint64_t engineId, int openChannels, std::size_t idle) {
  EngineSnapshot s;
  s.engineId = engineId;
  for (int i = 0; i < openChannels + 1; ++i) {
    ChannelInfo channel;
    channel.channelNumber = static_cast<std::uint16_t>(i + 1);
    channel.state = i < openChannels ? ChannelState::ready : ChannelState::closed;
    channel.sendQueueMessages = 2;
    s.channels.push_back(channel);
  }
  s.groups.push_back({1, 5});
  s.pool = {idle, 3, idle + 3, 4};
  return s;
}

}  // namespace

class TstEngineListModel : public QObject {
  Q_OBJECT

 private slots:
  void showsSourcesAndEngines() {
    EngineListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    FakeSource a(QStringLiteral("alpha"), Source::State::connecting);
    FakeSource b(QStringLiteral("tcp|127.0.0.1|7000"), Source::State::connecting);
    model.addSource(&a);
    model.addSource(&b);
    model.setEngineName(7, QStringLiteral("alpha engine"));
    model.applySnapshot(&a, snapshot(7, 2, 16));
    model.applySnapshot(&b, snapshot(8, 1, 10));
    model.applySnapshot(&b, snapshot(9, 0, 1));
    model.applySnapshot(&b, snapshot(8, 3, 11));  // updates in place
    QCOMPARE(model.rowCount(), 2);
    const QModelIndex aRow = model.index(0, 0);
    const QModelIndex bRow = model.index(1, 0);
    QCOMPARE(model.sourceAt(aRow), &a);
    QCOMPARE(aRow.data().toString(), QStringLiteral("alpha (fake)"));
    QCOMPARE(model.rowCount(aRow), 1);
    QCOMPARE(model.rowCount(bRow), 2);
    const QModelIndex alphaEngine = model.index(0, EngineListModel::name, aRow);
    QCOMPARE(alphaEngine.data().toString(), QStringLiteral("alpha engine"));
    QCOMPARE(model.parent(alphaEngine), aRow);
    QCOMPARE(model.index(0, EngineListModel::channels, aRow).data().toInt(), 2);
    QCOMPARE(model.index(0, EngineListModel::poolIdle, aRow).data().toULongLong(), 16u);
    QCOMPARE(model.index(0, EngineListModel::poolAllocated, aRow).data().toULongLong(), 19u);
    QCOMPARE(model.index(0, EngineListModel::poolEmptyEpisodes, aRow).data().toULongLong(), 4u);
    QCOMPARE(model.index(0, EngineListModel::queued, aRow).data().toULongLong(), 3u * 2 + 5);
    QCOMPARE(model.index(0, EngineListModel::channels, bRow).data().toInt(), 3);
    QCOMPARE(model.index(1, EngineListModel::name, bRow).data().toString(), QStringLiteral("engine 9"));
    QCOMPARE(model.latest(8)->pool.idle, 11u);
    QVERIFY(model.latest(42) == nullptr);

    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    b.set(Source::State::disconnected, QStringLiteral("connection lost"));
    QCOMPARE(changed.count(), 2);  // the source's row, and its engines' "lost" mark
    QCOMPARE(model.index(1, EngineListModel::state).data().toString(), QStringLiteral("disconnected"));
    QCOMPARE(model.index(1, 0).data(Qt::ToolTipRole).toString(), QStringLiteral("connection lost"));
    // The reason as text in the first column, and the engines of a lost source marked lost.
    QCOMPARE(model.index(1, 0).data().toString(), QStringLiteral("tcp|127.0.0.1|7000 (fake): connection lost"));
    QCOMPARE(model.index(0, EngineListModel::state, bRow).data().toString(), QStringLiteral("lost"));
    QCOMPARE(model.index(0, EngineListModel::state, aRow).data().toString(), QString());

    model.removeEngine(&b, 8);
    QCOMPARE(model.rowCount(bRow), 1);
    QCOMPARE(model.index(0, EngineListModel::name, bRow).data().toString(), QStringLiteral("engine 9"));
    const QPersistentModelIndex bEngine = model.index(0, 0, bRow);
    model.removeSource(&a);
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.sourceAt(model.index(0, 0)), &b);
    QVERIFY(bEngine.isValid());
    QCOMPARE(bEngine.parent().row(), 0);
    QCOMPARE(bEngine.data().toString(), QStringLiteral("engine 9"));
    QVERIFY(model.latest(7) == nullptr);
  }
};

QTEST_GUILESS_MAIN(TstEngineListModel)
#include "tst_engine_list_model.moc"
