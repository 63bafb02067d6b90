// MainWindow with the live demo: every view exists by objectName, is visible at the default
// size, and fills within a few seconds; selections flow from the tables to the detail,
// timeline and chart; the proxies the views add pass QAbstractItemModelTester while rows stream;
// the log exports every row or the filtered ones.
#include <QAbstractItemModelTester>
#include <QAction>
#include <QDateTime>
#include <QDockWidget>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QSignalSpy>
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
#include "models/correlation_model.h"
#include "models/engine_list_model.h"
#include "models/message_filter.h"
#include "rate_chart.h"
#include "session.h"
#include "sources/demo_scene.h"
#include "timeline_view.h"
#include "ui_test_support.h"

using namespace tofu::monitor;
using tofu::monitor::test::child;

namespace {

// What a view shows in `column`, row by row (the top-level rows of a tree).
QStringList shownColumn(const QAbstractItemModel& model, int column) {
  QStringList texts;
  for (int row = 0; row < model.rowCount(); ++row) texts << model.index(row, column).data().toString();
  return texts;
}

QStringList sorted(QStringList texts) {
  texts.sort();
  return texts;
}

// "engine local-address" of each listener row the channel table shows.
QStringList shownListeners(const QAbstractItemModel& model) {
  const auto column = [&model](int row, tofu::qt::ChannelColumn which) {
    return model.index(row, static_cast<int>(which)).data().toString();
  };
  QStringList listeners;
  for (int row = 0; row < model.rowCount(); ++row) {
    if (column(row, tofu::qt::ChannelColumn::kind) == QLatin1String("listener"))
      listeners << column(row, tofu::qt::ChannelColumn::engine) + QLatin1Char(' ') +
                       column(row, tofu::qt::ChannelColumn::localAddress);
  }
  return listeners;
}

// A Response row in the log whose body is alpha's answer {"n": N, "square": N*N}.
bool showsASquare(const QAbstractItemModel& log) {
  for (int row = 0; row < log.rowCount(); ++row) {
    const QModelIndex index = log.index(row, static_cast<int>(tofu::qt::TrafficColumn::opCode));
    const auto record = index.data(tofu::qt::RecordRole).value<tofu::qt::TrafficRecord>();
    const QJsonObject body = QJsonDocument::fromJson(record.body).object();
    const int n = body.value(QLatin1String("n")).toInt();
    const int square = body.value(QLatin1String("square")).toInt();
    if (index.data().toString() == QLatin1String("Response") && n > 0 && square == n * n) return true;
  }
  return false;
}

// A row of the correlation table: a client's Request, answered.
bool showsAnAnsweredRequest(const QAbstractItemModel& correlation) {
  for (int row = 0; row < correlation.rowCount(); ++row) {
    const auto text = [&](CorrelationModel::Column column) {
      return correlation.index(row, column).data().toString();
    };
    const QString engine = text(CorrelationModel::engine);
    if ((engine == QLatin1String("beta") || engine == QLatin1String("gamma")) &&
        text(CorrelationModel::kind) == QLatin1String("request") &&
        text(CorrelationModel::state) == QLatin1String("answered"))
      return true;
  }
  return false;
}

}  // namespace

class TestMainWindow : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    session_ = std::make_unique<Session>();
    window_ = std::make_unique<MainWindow>(*session_);
    window_->resize(1600, 1000);
    demo_ = std::make_unique<DemoScene>(*session_);
    demo_->start();
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
  }
  void cleanupTestCase() {
    window_.reset();
    demo_.reset();
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

    // The demo's three engines, each under its name, each in the gauges; the workbench's is
    // listed only once the workbench is opened or used (workbenchIsListedOnceOpened).
    QAbstractItemModel* engines = child<QTreeView>(window_.get(), "engineTree")->model();
    const QStringList names{QStringLiteral("alpha (in process)"), QStringLiteral("beta (in process)"),
                            QStringLiteral("gamma (in process)")};
    QTRY_COMPARE_WITH_TIMEOUT(sorted(shownColumn(*engines, EngineListModel::name)), names, kTimeoutMs);
    for (int row = 0; row < engines->rowCount(); ++row)
      QTRY_COMPARE(engines->rowCount(engines->index(row, 0)), 1);
    QTRY_COMPARE_WITH_TIMEOUT(child<GaugePanel>(window_.get(), "engineGauges")->engineCount(), 3, kTimeoutMs);

    // alpha's two listeners, TCP on a bound port and UDS, as rows of the channel table.
    QTRY_COMPARE_WITH_TIMEOUT(shownListeners(*channels->model()).size(), 2, kTimeoutMs);
    const QStringList listeners = sorted(shownListeners(*channels->model()));
    const QRegularExpression tcp(QStringLiteral("^alpha tcp\\|127\\.0\\.0\\.1\\|[1-9][0-9]*$"));
    const QRegularExpression uds(QStringLiteral("^alpha uds\\|/.+/alpha\\.sock$"));
    QVERIFY2(tcp.match(listeners.at(0)).hasMatch(), qPrintable(listeners.at(0)));
    QVERIFY2(uds.match(listeners.at(1)).hasMatch(), qPrintable(listeners.at(1)));

    // The log shows the demo's kinds of message, and alpha's answers with their JSON.
    const auto opCodes = [log] {
      return shownColumn(*log->model(), static_cast<int>(tofu::qt::TrafficColumn::opCode));
    };
    QTRY_VERIFY_WITH_TIMEOUT(opCodes().contains(QStringLiteral("Request")), kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(opCodes().contains(QStringLiteral("Signal")), kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(showsASquare(*log->model()), kTimeoutMs);

    // The correlation table pairs a client's Request with alpha's Response.
    QTRY_VERIFY_WITH_TIMEOUT(showsAnAnsweredRequest(*correlation->model()), kTimeoutMs);

    // The detail shows the body of the log's current message.
    QTRY_VERIFY_WITH_TIMEOUT(child<MessageDetail>(window_.get(), "messageDetail")->hasRecord(), kTimeoutMs);
    const auto current = log->currentIndex().data(tofu::qt::RecordRole).value<tofu::qt::TrafficRecord>();
    QVERIFY(!current.body.isEmpty());
    QCOMPARE(child<QPlainTextEdit>(window_.get(), "detailText")->toPlainText(),
             QString::fromUtf8(current.body));

    // The timeline shows a channel that became ready and went through the handshake.
    auto* timeline = child<TimelineView>(window_.get(), "timelineView");
    QTRY_VERIFY_WITH_TIMEOUT(timeline->labels().contains(QStringLiteral("ready")), kTimeoutMs);
    const QRegularExpression handshake(QStringLiteral("^(sent|got) HelloRequest #[0-9]+ success$"));
    QVERIFY2(!timeline->labels().filter(handshake).isEmpty(), qPrintable(timeline->labels().join(u'|')));
    auto* chart = child<RateChart>(window_.get(), "rateChart");
    QTRY_VERIFY_WITH_TIMEOUT((chart->refresh(), chart->peakMessagesPerSecond() > 0), kTimeoutMs);
    // Its time axis reads the time of day: it ends at most one 10-second step past this second,
    // give or take a slow build.
    const qint64 endMs = chart->timeRangeMs().second;
    const qint64 nowMs = QDateTime::currentMSecsSinceEpoch();
    QVERIFY2(endMs <= nowMs + 12'000 && endMs > nowMs - 10'000,
             qPrintable(QStringLiteral("axis ends at %1, now is %2").arg(endMs).arg(nowMs)));
    auto* status = child<QLabel>(window_.get(), "statusSources");
    QTRY_VERIFY_WITH_TIMEOUT(status->text().startsWith(QStringLiteral("3 sources · 3 engines · ")), kTimeoutMs);
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
    // The heading says when the channel's life began, as a time of day within the last minutes
    // (a stamp read as seconds since boot would land elsewhere on the clock).
    const QRegularExpression from(QStringLiteral(" · from (\\d\\d:\\d\\d:\\d\\d)\\.\\d{6}$"));
    QTRY_VERIFY2(from.match(timeline->heading()).hasMatch(), qPrintable(timeline->heading()));
    const QTime began = QTime::fromString(from.match(timeline->heading()).captured(1), QStringLiteral("HH:mm:ss"));
    const int agoSeconds = (began.secsTo(QTime::currentTime()) + 86'400) % 86'400;
    QVERIFY2(agoSeconds < 600, qPrintable(timeline->heading()));
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

  // The Sources menu's demo entry asks the demo's owner (the app) and runs no engine itself.
  void demoMenuEntryAsksForTheDemo() {
    QAction* start = nullptr;
    for (QAction* action : window_->findChildren<QAction*>()) {
      if (action->text().remove(QLatin1Char('&')) == QLatin1String("Start demo scene")) start = action;
    }
    QVERIFY(start);
    QSignalSpy asked(window_.get(), &MainWindow::demoRequested);
    const qsizetype sources = session_->sources().size();
    start->trigger();
    QCOMPARE(asked.count(), 1);
    QCOMPARE(session_->sources().size(), sources);
  }

  // Last: it adds the workbench's engine for good. Unlisted while idle, listed once its tab
  // (behind "Pools and queues") is opened.
  void workbenchIsListedOnceOpened() {
    QAbstractItemModel* engines = child<QTreeView>(window_.get(), "engineTree")->model();
    const QString workbench = QStringLiteral("workbench (in process)");
    QTRY_COMPARE(engines->rowCount(), 3);
    QVERIFY(!shownColumn(*engines, EngineListModel::name).contains(workbench));
    child<QDockWidget>(window_.get(), "workbenchDock")->raise();
    QTRY_VERIFY(shownColumn(*engines, EngineListModel::name).contains(workbench));
  }

 private:
  std::unique_ptr<Session> session_;
  std::unique_ptr<MainWindow> window_;
  std::unique_ptr<DemoScene> demo_;  // the app owns the demo, not the window
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
