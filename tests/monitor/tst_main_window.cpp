// MainWindow with the live demo: every view exists by objectName, is visible at the default
// size, and fills within a few seconds; selections flow from the tables to the detail,
// timeline and chart; the proxies the views add pass QAbstractItemModelTester while rows stream;
// the log exports every row or the filtered ones.
#include <QAbstractItemModelTester>
#include <QDockWidget>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

#include "channel_view.h"
#include "gauge_panel.h"
#include "log_view.h"
#include "main_window.h"
#include "message_detail.h"
#include "message_filter.h"
#include "rate_chart.h"
#include "session.h"
#include "timeline_view.h"
#include "ui_test_support.h"

using namespace tofu::monitor;
using tofu::monitor::test::child;

class TestMainWindow : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    session_ = std::make_unique<Session>();
    window_ = std::make_unique<MainWindow>(*session_);
    window_->resize(1600, 1000);
    window_->startDemo();
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
  }
  void cleanupTestCase() {
    window_.reset();
    session_.reset();
  }

  void everyViewIsThereAndVisible_data() {
    QTest::addColumn<QString>("name");
    for (const char* name : {"engineTree", "engineGauges", "channelTable", "channelFilter", "logTable", "logSearch",
                             "logOpCodeFilter", "logChannelFilter", "logStatusFilter", "logOriginFilter",
                             "logHeaderFilter", "logBodyFilter", "logPauseButton", "logEvictedLabel", "messageDetail",
                             "detailHex", "detailHeaderFields", "detailTextHeaders", "timelineView",
                             "correlationTable", "correlationSummary", "rateChart"})
      QTest::newRow(name) << QString::fromLatin1(name);
  }
  void everyViewIsThereAndVisible() {
    QFETCH(QString, name);
    auto* widget = window_->findChild<QWidget*>(name);
    QVERIFY2(widget, qPrintable(name));
    QVERIFY2(widget->isVisible(), qPrintable(name + QStringLiteral(" is hidden at the default layout")));
    QVERIFY2(widget->width() >= 40 && widget->height() >= 12, qPrintable(name + QStringLiteral(" is squeezed")));
  }

  void viewsFillWithinSeconds() {
    constexpr int kTimeoutMs = 10000;
    auto* channels = child<QTableView>(window_.get(), "channelTable");
    QAbstractItemModelTester channelTester(channels->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto* log = child<QTableView>(window_.get(), "logTable");
    QAbstractItemModelTester logTester(log->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto* correlation = child<QTableView>(window_.get(), "correlationTable");
    QAbstractItemModelTester correlationTester(correlation->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);

    QTRY_VERIFY_WITH_TIMEOUT(child<QTreeView>(window_.get(), "engineTree")->model()->rowCount() >= 1, kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(child<GaugePanel>(window_.get(), "engineGauges")->engineCount() >= 3, kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(channels->model()->rowCount() >= 3, kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(log->model()->rowCount() >= 20, kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(correlation->model()->rowCount() >= 1, kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(child<MessageDetail>(window_.get(), "messageDetail")->hasRecord(), kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(!child<TimelineView>(window_.get(), "timelineView")->labels().isEmpty(), kTimeoutMs);
    auto* chart = child<RateChart>(window_.get(), "rateChart");
    QTRY_VERIFY_WITH_TIMEOUT((chart->refresh(), chart->peakMessagesPerSecond() > 0), kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(child<QLabel>(window_.get(), "statusSources")->text().contains(QStringLiteral("engines")), kTimeoutMs);
  }

  void channelFilterNarrowsTheTable() {
    auto* table = child<QTableView>(window_.get(), "channelTable");
    auto* filter = child<QLineEdit>(window_.get(), "channelFilter");
    QTRY_VERIFY(table->model()->rowCount() >= 2);
    filter->setText(QStringLiteral("no channel has this text"));
    QCOMPARE(table->model()->rowCount(), 0);
    filter->setText(QStringLiteral("ready"));
    QTRY_VERIFY(table->model()->rowCount() >= 1);
    filter->clear();
  }

  void channelSelectionDrivesTheTimeline() {
    auto* table = child<QTableView>(window_.get(), "channelTable");
    auto* timeline = child<TimelineView>(window_.get(), "timelineView");
    QTRY_VERIFY(table->model()->rowCount() >= 2);
    table->setCurrentIndex(table->model()->index(1, 0));
    const auto info = table->model()->index(1, 0).data(tofu::qt::ChannelInfoRole).value<tofu::ChannelInfo>();
    QCOMPARE(timeline->channel().incarnation, info.incarnation);
    QCOMPARE(timeline->channel().engineId, info.engineId);
  }

  void pauseHoldsRowsAndResumeShowsThem() {
    auto& traffic = session_->traffic();
    auto* log = child<LogView>(window_.get(), "logView");
    QTRY_VERIFY(traffic.rowCount() > 0);
    log->setPaused(true);
    traffic.flush();
    const int rowsAtPause = traffic.rowCount();
    const quint64 evictedAtPause = traffic.evictedRows();
    QTRY_VERIFY_WITH_TIMEOUT(traffic.pendingRows() >= 5, 10000);  // the demo keeps talking
    QCOMPARE(traffic.rowCount(), rowsAtPause);                     // nothing inserted while paused
    const qsizetype held = traffic.pendingRows();
    log->setPaused(false);
    traffic.flush();
    // Everything held is in the log now (less what the bound evicted, which is counted).
    QVERIFY(static_cast<quint64>(traffic.rowCount()) + (traffic.evictedRows() - evictedAtPause) >=
            static_cast<quint64>(rowsAtPause + held));
  }

  // File > Export log: every row of the log, or only the rows its filter shows.
  void exportsTheWholeOrTheFilteredLog() {
    auto& traffic = session_->traffic();
    auto* log = child<LogView>(window_.get(), "logView");
    QTRY_VERIFY(traffic.rowCount() >= 20);
    log->setPaused(true);  // the demo keeps talking: hold the rows still
    log->proxy()->setOpCodes({tofu::OpCode::Request});
    const int filtered = log->proxy()->rowCount();
    QVERIFY(filtered > 0 && filtered < traffic.rowCount());
    QTemporaryDir dir;
    const auto csvRows = [&](bool onlyFiltered) {
      const QString path = dir.filePath(onlyFiltered ? QStringLiteral("filtered.csv") : QStringLiteral("all.csv"));
      QString error;
      if (!window_->exportLog(ExportFormat::csv, onlyFiltered, path, &error)) qWarning() << error;
      QFile file(path);
      return file.open(QIODevice::ReadOnly) ? file.readAll().count("\r\n") - 1 : -1;  // less the header line
    };
    QCOMPARE(csvRows(true), filtered);
    QCOMPARE(csvRows(false), traffic.rowCount());
    log->proxy()->setOpCodes({});
    log->setPaused(false);
  }

 private:
  std::unique_ptr<Session> session_;
  std::unique_ptr<MainWindow> window_;
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
