// MainWindow's layout and habits: no header title cut at 1280x800 and 1600x1000 and the window
// fits 1280 px; cut cells have tooltips; columns, layout, time format and attach addresses
// survive a restart through QSettings; Ctrl+F and F8 work; a log row selects its channel and request; dropped
// events and the last full second's rate are shown as they are.
#include <memory>
#include <utility>

#include <QChart>
#include <QComboBox>
#include <QDockWidget>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolTip>

#include "attach_dialog.h"
#include "channel_view.h"
#include "models/correlation_model.h"
#include "correlation_view.h"
#include "fake_source.h"
#include "log_view.h"
#include "main_window.h"
#include "message_detail.h"
#include "models/message_filter.h"
#include "rate_chart.h"
#include "models/rate_series.h"
#include "session.h"
#include "sources/demo_scene.h"
#include "tofu/qt/models/model_roles.h"
#include "ui_test_support.h"
#include "core_test_events.h"

using namespace tofu::monitor;
using tofu::monitor::test::child;

namespace {

constexpr int kTimeoutMs = 10000;

// The sections of `header` whose title does not fit: "Channe" for "Channel".
QStringList cutTitles(const QHeaderView* header) {
  const QFontMetrics metrics(header->font());
  const int margin = header->style()->pixelMetric(QStyle::PM_HeaderMargin, nullptr, header);
  const int sortMark = header->style()->pixelMetric(QStyle::PM_HeaderMarkSize, nullptr, header);
  QStringList cut;
  for (int section = 0; section < header->count(); ++section) {
    if (header->isSectionHidden(section)) continue;
    const QString title = header->model()->headerData(section, header->orientation()).toString();
    int needed = metrics.horizontalAdvance(title) + 2 * margin;
    if (header->isSortIndicatorShown() && header->sortIndicatorSection() == section) needed += sortMark + margin;
    if (needed > header->sectionSize(section))
      cut << QStringLiteral("%1 (%2 of %3 px)").arg(title).arg(header->sectionSize(section)).arg(needed);
  }
  return cut;
}

}  // namespace

class TestWindowLayout : public QObject {
  Q_OBJECT

 private slots:
  // Every test gets its own settings file, so nothing of the user's (or another test's) leaks in.
  void init() {
    settingsDir_ = std::make_unique<QTemporaryDir>();
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, settingsDir_->path());
  }
  void cleanup() { settingsDir_.reset(); }

  void noHeaderTitleIsCut_data() {
    QTest::addColumn<QSize>("size");
    QTest::newRow("1280x800") << QSize(1280, 800);
    QTest::newRow("1600x1000") << QSize(1600, 1000);
  }
  void noHeaderTitleIsCut() {
    QFETCH(QSize, size);
    Session session;
    MainWindow window(session);
    window.resize(size);
    DemoScene demo(session);
    demo.start();
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QCOMPARE(window.size(), size);
    QTRY_VERIFY_WITH_TIMEOUT(child<QTableView>(&window, "logTable")->model()->rowCount() > 0, kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(child<MessageDetail>(&window, "messageDetail")->hasRecord(), kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(child<QLabel>(&window, "statusSources")->text().contains(QStringLiteral("channels")), kTimeoutMs);
    // With every view filled (long labels, a message shown) the window still fits 1280 px.
    QVERIFY2(window.minimumSizeHint().width() <= 1280, qPrintable(QString::number(window.minimumSizeHint().width())));
    int checked = 0;
    for (const QHeaderView* header : window.findChildren<QHeaderView*>()) {
      if (!header->isVisible() || header->orientation() != Qt::Horizontal || !header->model()) continue;
      const QStringList cut = cutTitles(header);
      QVERIFY2(cut.isEmpty(), qPrintable(header->parent()->objectName() + QStringLiteral(": ") + cut.join(QStringLiteral(", "))));
      ++checked;
    }
    QVERIFY(checked >= 5);  // engines, channels, log, correlation, message fields at least
    // The close reason was cut and off-screen: it sits inside the viewport, every reason whole.
    auto* channels = child<QTableView>(&window, "channelTable");
    const int reason = static_cast<int>(tofu::qt::ChannelColumn::closeReason);
    const QHeaderView* header = channels->horizontalHeader();
    QVERIFY(header->sectionViewportPosition(reason) >= 0);
    QVERIFY2(header->sectionViewportPosition(reason) + header->sectionSize(reason) <= channels->viewport()->width(),
             qPrintable(QStringLiteral("%1 + %2 > %3").arg(header->sectionViewportPosition(reason)).arg(header->sectionSize(reason)).arg(channels->viewport()->width())));
    QTRY_VERIFY_WITH_TIMEOUT(channels->model()->match(channels->model()->index(0, reason), Qt::DisplayRole,
                                                      QStringLiteral("_"), 1, Qt::MatchContains).size() == 1, kTimeoutMs);
    for (int row = 0; row < channels->model()->rowCount(); ++row) {
      const QModelIndex cell = channels->model()->index(row, reason);
      QVERIFY2(channels->sizeHintForIndex(cell).width() <= header->sectionSize(reason), qPrintable(cell.data().toString()));
    }
  }

  void columnsAndLayoutSurviveARestart() {
    QCoreApplication::setOrganizationName(QStringLiteral("tofu-test"));
    const int bodyColumn = static_cast<int>(tofu::qt::TrafficColumn::bodySize);
    const int localColumn = static_cast<int>(tofu::qt::ChannelColumn::localAddress);
    {
      Session session;
      MainWindow window(session);
      window.resize(1280, 800);
      window.show();
      QVERIFY(QTest::qWaitForWindowExposed(&window));
      child<QTableView>(&window, "logTable")->setColumnHidden(bodyColumn, true);
      child<QTableView>(&window, "channelTable")->setColumnHidden(localColumn, false);  // hidden by default
      child<QDockWidget>(&window, "ratesDock")->hide();
      auto* timeMode = child<QComboBox>(&window, "logTimeMode");
      timeMode->setCurrentIndex(timeMode->findData(static_cast<int>(TimeMode::delta)));
      QCOMPARE(session.timeFormat().mode(), TimeMode::delta);
    }
    Session session;
    MainWindow window(session);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(child<QTableView>(&window, "logTable")->isColumnHidden(bodyColumn));
    QVERIFY(!child<QTableView>(&window, "logTable")->isColumnHidden(bodyColumn - 1));
    QVERIFY(!child<QTableView>(&window, "channelTable")->isColumnHidden(localColumn));
    QVERIFY(!child<QDockWidget>(&window, "ratesDock")->isVisible());
    QCOMPARE(window.size(), QSize(1280, 800));
    QCOMPARE(session.timeFormat().mode(), TimeMode::delta);
    QCOMPARE(child<QComboBox>(&window, "logTimeMode")->currentData().toInt(), static_cast<int>(TimeMode::delta));
    QSettings settings;
    QCOMPARE(settings.value(QStringLiteral("log/timeFormat")).toString(), QStringLiteral("delta"));
    QVERIFY(settings.value(QStringLiteral("log/statusColors")).toStringList().size() > 5);  // written for editing
  }

  // Attach addresses are kept newest first, once each; the attach dialog offers the newest.
  void recentAttachAddressesAreRemembered() {
    QCoreApplication::setOrganizationName(QStringLiteral("tofu-test"));
    const QString first = QStringLiteral("uds|%1/first.sock").arg(settingsDir_->path());
    const QString second = QStringLiteral("uds|%1/second.sock").arg(settingsDir_->path());
    {
      Session session;
      MainWindow window(session);
      window.attach(first);
      window.attach(second);
    }
    {  // After a restart (while attached, a second attach to `first` would be refused).
      Session session;
      MainWindow window(session);
      window.attach(first);
    }
    QCOMPARE(QSettings().value(QStringLiteral("attach/recent")).toStringList(), (QStringList{first, second}));
    AttachDialog dialog;
    dialog.setRecentAddresses(QSettings().value(QStringLiteral("attach/recent")).toStringList());
    QCOMPARE(dialog.address(), first);
  }

  void aLogRowSelectsItsChannelAndRequest() {
    Session session;
    MainWindow window(session);
    window.resize(1600, 1000);
    DemoScene demo(session);
    demo.start();
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto* log = child<LogView>(&window, "logView");
    auto* channels = child<QTableView>(&window, "channelTable");
    auto* requests = child<QTableView>(&window, "correlationTable");
    // A Request whose channel is in the table and is not the current one, and whose job is shown.
    const auto findRow = [&]() -> int {
      session.correlation().flush();
      const auto current = channels->currentIndex().siblingAtColumn(0).data(tofu::qt::ChannelInfoRole).value<tofu::ChannelInfo>();
      for (int row = log->proxy()->rowCount() - 1; row >= 0; --row) {
        const QModelIndex index = log->proxy()->index(row, 0);
        const auto record = index.data(tofu::qt::RecordRole).value<tofu::qt::TrafficRecord>();
        if (record.header.proto.opCode != tofu::OpCode::Request || record.incarnation == current.incarnation) continue;
        if (session.correlation().rowOf(record.engineId, record.channelNumber, record.header.messageId) < 0) continue;
        for (int channel = 0; channel < channels->model()->rowCount(); ++channel) {
          const auto info = channels->model()->index(channel, 0).data(tofu::qt::ChannelInfoRole).value<tofu::ChannelInfo>();
          if (info.engineId == record.engineId && info.incarnation == record.incarnation) return row;
        }
      }
      return -1;
    };
    int row = -1;
    QTRY_VERIFY_WITH_TIMEOUT((row = findRow()) >= 0, kTimeoutMs);
    log->selectRow(row);
    const auto record = log->proxy()->index(row, 0).data(tofu::qt::RecordRole).value<tofu::qt::TrafficRecord>();
    const auto channel = channels->currentIndex().siblingAtColumn(0).data(tofu::qt::ChannelInfoRole).value<tofu::ChannelInfo>();
    QCOMPARE(channel.engineId, record.engineId);
    QCOMPARE(channel.incarnation, record.incarnation);
    const QModelIndex request = requests->currentIndex();
    QVERIFY(request.isValid());
    QCOMPARE(request.siblingAtColumn(CorrelationModel::messageId).data(tofu::qt::SortRole).toULongLong(),
             record.header.messageId);
    QCOMPARE(request.data(tofu::qt::ChannelNumberRole).toUInt(), uint{record.channelNumber});
  }

  // Ctrl+F goes to the log's search field, F8 to the next failed message, from anywhere in the window.
  void findAndNextFailureShortcuts() {
    Session session;
    MainWindow window(session);
    window.resize(1280, 800);
    DemoScene demo(session);
    demo.start();
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    auto* log = child<LogView>(&window, "logView");
    const auto failureShown = [&] {
      for (int row = 0; row < log->proxy()->rowCount(); ++row)
        if (tofu::isFailure(static_cast<tofu::Status>(log->proxy()->index(row, 0).data(tofu::qt::StatusRole).toInt())))
          return true;
      return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(failureShown(), kTimeoutMs);
    child<QTableView>(&window, "channelTable")->setFocus();
    QTest::keyClick(&window, Qt::Key_F, Qt::ControlModifier);
    QTRY_VERIFY(child<QLineEdit>(&window, "logSearch")->hasFocus());
    log->setPaused(true);  // rows stay where they are while the current one is checked
    QTest::keyClick(&window, Qt::Key_F8);
    const QModelIndex current = child<QTableView>(&window, "logTable")->currentIndex();
    QVERIFY(current.isValid());
    QVERIFY(tofu::isFailure(static_cast<tofu::Status>(current.data(tofu::qt::StatusRole).toInt())));
  }

  // A cut cell shows its whole text as a tooltip; a cell that fits shows none.
  void cutCellsHaveTooltips() {
    Session session;
    MainWindow window(session);
    window.resize(1280, 800);
    DemoScene demo(session);
    demo.start();
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto* table = child<QTableView>(&window, "logTable");
    QTRY_VERIFY_WITH_TIMEOUT(table->model()->rowCount() > 0, kTimeoutMs);
    child<LogView>(&window, "logView")->setPaused(true);
    QModelIndex cut;
    QModelIndex whole;
    for (int column = 0; column < table->model()->columnCount() && !(cut.isValid() && whole.isValid()); ++column) {
      const QModelIndex index = table->model()->index(0, column);
      if (table->isColumnHidden(column) || index.data().toString().isEmpty() || index.data(Qt::ToolTipRole).isValid()) continue;
      if (!table->viewport()->rect().contains(table->visualRect(index).center())) continue;
      (table->sizeHintForIndex(index).width() > table->visualRect(index).width() ? cut : whole) = index;
    }
    QVERIFY(whole.isValid());
    if (!cut.isValid()) cut = std::exchange(whole, QModelIndex());  // every shown cell fits
    // The demo keeps the sorted log moving, so what row 0 shows may change by the time the
    // tooltip is asked for: 8 px cuts any text, and the cell that fitted is checked only if it
    // still does.
    table->horizontalHeader()->setMinimumSectionSize(1);  // the style's minimum is wider than 8 px
    table->setColumnWidth(cut.column(), 8);
    const auto tooltipAt = [&](const QModelIndex& index) {
      QToolTip::hideText();
      const QPoint at = table->visualRect(index).center();
      QHelpEvent help(QEvent::ToolTip, at, table->viewport()->mapToGlobal(at));
      QCoreApplication::sendEvent(table->viewport(), &help);
      return QToolTip::isVisible() ? QToolTip::text() : QString();
    };
    QCOMPARE(tooltipAt(cut), cut.data().toString());
    if (whole.isValid() && table->sizeHintForIndex(whole).width() <= table->visualRect(whole).width()) {
      QCOMPARE(tooltipAt(whole), QString());
    }
  }

  void droppedEventsAreInTheStatusBar() {
    Session session;
    MainWindow window(session);
    auto* label = child<QLabel>(&window, "statusDrops");
    QCOMPARE(label->text(), QStringLiteral("no events dropped"));
    auto* source = new test::FakeSource(QStringLiteral("attached"));
    source->dropped = 987;
    session.addSource(source);
    QTRY_VERIFY_WITH_TIMEOUT(label->text().contains(QStringLiteral("987 events dropped")), kTimeoutMs);
  }

  // The Engine column names a process short ("app[42]", not cut at its default width); its
  // cells' tooltip is the whole description, in the log and in the channel table.
  void engineCellsAreShortWithTheWholeDescriptionAsTooltip() {
    class DescribedSource : public test::FakeSource {
     public:
      using FakeSource::FakeSource;
      QString engineName(std::uint64_t /*engineId*/) const override { return QStringLiteral("app[42]"); }
      QString engineDescription(std::uint64_t /*engineId*/) const override {
        return QStringLiteral("app[42]@box.example, started 10:00:00");
      }
    };
    Session session;
    MainWindow window(session);
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto* source = new DescribedSource(QStringLiteral("attached"));
    session.addSource(source);
    tofu::EngineSnapshot snapshot;
    snapshot.engineId = 7;
    tofu::ChannelInfo channel;
    channel.engineId = 7;
    channel.channelNumber = 5;
    channel.incarnation = 1;
    snapshot.channels.push_back(channel);
    emit source->snapshotReady(snapshot);
    emit source->eventsReady({test::messageEvent(tofu::EventKind::messageReceived, 7, 5, tofu::OpCode::Request, 1, 1000)});
    session.traffic().flush();
    session.channels().flush();
    const QList<std::pair<const char*, int>> engineColumns{
        {"logTable", static_cast<int>(tofu::qt::TrafficColumn::engine)},
        {"channelTable", static_cast<int>(tofu::qt::ChannelColumn::engine)}};
    for (const auto& [name, column] : engineColumns) {
      auto* table = child<QTableView>(&window, name);
      QTRY_VERIFY(table->model()->rowCount() > 0);
      const QModelIndex cell = table->model()->index(0, column);
      QCOMPARE(cell.data().toString(), QStringLiteral("app[42]"));
      QVERIFY2(table->sizeHintForIndex(cell).width() <= table->visualRect(cell).width(), name);
      table->scrollTo(cell);
      QToolTip::hideText();
      const QPoint at = table->visualRect(cell).center();
      QHelpEvent help(QEvent::ToolTip, at, table->viewport()->mapToGlobal(at));
      QCoreApplication::sendEvent(table->viewport(), &help);
      QVERIFY2(QToolTip::isVisible(), name);
      QCOMPARE(QToolTip::text(), QStringLiteral("app[42]@box.example, started 10:00:00"));
    }
  }

  // The label once said "now: 3 msg/s" for the second just begun while the plot stood at 150.
  void rateLabelReadsTheLastFullSecond() {
    TimeFormat time;
    time.setDefaultClockOffset(0);
    RateSeries rates(time);
    rates.setLive(false);
    QList<tofu::Event> events;
    constexpr std::int64_t kSecond = 1'000'000'000;
    for (int i = 0; i < 153; ++i) {
      tofu::Event event;
      event.kind = tofu::EventKind::messageSent;
      event.engineId = 1;
      event.atNs = (i < 150 ? 10 : 11) * kSecond + i;
      events << event;
    }
    rates.addEvents(events);
    RateChart chart(rates);
    chart.refresh();
    QVERIFY2(chart.rateText().startsWith(QStringLiteral("last second: 150 msg/s")), qPrintable(chart.rateText()));
  }

 private:
  std::unique_ptr<QTemporaryDir> settingsDir_;
};

QTEST_MAIN(TestWindowLayout)
#include "tst_window_layout.moc"
