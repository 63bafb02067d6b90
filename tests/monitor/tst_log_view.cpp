// LogView: the filter bar drives the MessageFilterProxy, pause/resume holds and then shows every
// record that arrived meanwhile, and the counter shows evicted rows; failed rows are coloured
// by configurable rules, selected rows copy exactly as text and JSON, F8's search finds failures.
#include <QAbstractItemModelTester>
#include <QApplication>
#include <QClipboard>
#include <QSettings>
#include <QTemporaryDir>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QTableView>
#include <QTest>
#include <QToolButton>

#include "log_view.h"
#include "models/content_store.h"
#include "models/message_filter.h"
#include "status_colors.h"
#include "tofu/qt/models/traffic_model.h"
#include "ui_test_support.h"

using namespace tofu::monitor;
using tofu::monitor::test::child;
using tofu::monitor::test::makeRecord;

class TestLogView : public QObject {
  Q_OBJECT

 private slots:
  void init() {
    model_ = std::make_unique<tofu::qt::TrafficModel>();
    content_ = std::make_unique<ContentStore>();
    view_ = std::make_unique<LogView>(*model_, *content_);
    tester_ = std::make_unique<QAbstractItemModelTester>(view_->proxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    view_->resize(1200, 400);
    view_->show();
    for (quint64 id = 1; id <= 30; ++id) {
      const auto op = id % 3 == 0 ? tofu::OpCode::Response : tofu::OpCode::Request;
      const auto status = id % 10 == 0 ? tofu::Status::channel_closed : tofu::Status::success;
      model_->append(makeRecord(op, static_cast<quint16>(id % 2 + 1), id, "body-" + QByteArray::number(id), status,
                                id == 7 ? QByteArray("trace:seven\r\n") : QByteArray()));
    }
    model_->flush();
  }
  void cleanup() {
    tester_.reset();
    view_.reset();
    content_.reset();
    model_.reset();
  }

  // A replayed log (another model) is sorted by its own times, not the live rows' at the
  // same row numbers.
  void aShownLogIsSortedByItsOwnTimes() {
    tofu::qt::TrafficModel replay;
    for (const quint64 id : {3U, 2U, 1U}) replay.append(makeRecord(tofu::OpCode::Signal, 1, id, "replayed"));
    replay.flush();
    view_->showLog(&replay);
    const auto idAt = [this](int row) {
      return view_->proxy()->index(row, static_cast<int>(tofu::qt::TrafficColumn::messageId)).data(tofu::qt::SortRole).toULongLong();
    };
    QCOMPARE(view_->proxy()->rowCount(), 3);
    QCOMPARE((QList<qulonglong>{idAt(0), idAt(1), idAt(2)}), (QList<qulonglong>{1, 2, 3}));
    view_->showLog(nullptr);
    QCOMPARE(view_->proxy()->rowCount(), 30);
    QCOMPARE(idAt(29), 30u);
  }

  void failedStatusRowsAreColoured() {
    model_->append(makeRecord(tofu::OpCode::Request, 4, 31, "x", tofu::Status::connect_failed));
    model_->flush();
    const auto color = [this](int row, int role) { return view_->proxy()->index(row, 3).data(role).value<QColor>(); };
    const QColor failedBackground = color(30, Qt::BackgroundRole);
    QVERIFY(failedBackground.isValid());
    QVERIFY2(failedBackground.red() > failedBackground.green() + 20, qPrintable(failedBackground.name()));
    QVERIFY(color(30, Qt::ForegroundRole).isValid());
    QCOMPARE(color(9, Qt::BackgroundRole), failedBackground);  // channel_closed: a failure too
    QVERIFY(!color(0, Qt::BackgroundRole).isValid());          // success keeps the table's colours
    QVERIFY(!color(0, Qt::ForegroundRole).isValid());

    // The rules come from the settings: here, connect_failed in blue and nothing else.
    QTemporaryDir dir;
    QSettings settings(dir.filePath(QStringLiteral("rules.ini")), QSettings::IniFormat);
    settings.setValue(QStringLiteral("log/statusColors"),
                      QStringList{QStringLiteral("connect_failed=#0000ff/#ffffff"), QStringLiteral("no_such=#000/#fff")});
    const StatusColorRules rules = StatusColorRules::load(settings);
    QCOMPARE(rules.rules.size(), qsizetype{1});
    view_->setStatusColorRules(rules);
    QCOMPARE(color(30, Qt::BackgroundRole), QColor(Qt::blue));
    QCOMPARE(color(30, Qt::ForegroundRole), QColor(Qt::white));
    QVERIFY(!color(9, Qt::BackgroundRole).isValid());
    rules.save(settings);
    QCOMPARE(settings.value(QStringLiteral("log/statusColors")).toStringList(),
             QStringList{QStringLiteral("connect_failed=#0000ff/#ffffff")});
  }

  void copiesSelectedRowsAsTextAndJson() {
    auto* table = child<QTableView>(view_.get(), "logTable");
    for (auto column : {tofu::qt::TrafficColumn::time, tofu::qt::TrafficColumn::engine, tofu::qt::TrafficColumn::latency})
      table->setColumnHidden(static_cast<int>(column), true);
    table->setFocus();
    table->selectionModel()->select(view_->proxy()->index(4, 0),
                                    QItemSelectionModel::Select | QItemSelectionModel::Rows);
    table->selectionModel()->select(view_->proxy()->index(2, 0),
                                    QItemSelectionModel::Select | QItemSelectionModel::Rows);
    QApplication::clipboard()->clear();
    QTest::keyClick(table, Qt::Key_C, Qt::ControlModifier);
    QCOMPARE(QApplication::clipboard()->text(),
             QStringLiteral("Channel\tDirection\tOpcode\tId\tStatus\tMore\tHeaders\tBody\n"
                            "2\treceived\tResponse\t3\tsuccess\t\t0\t6\n"
                            "2\treceived\tRequest\t5\tsuccess\t\t0\t6\n"));
    QTest::keyClick(table, Qt::Key_C, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(QApplication::clipboard()->text(),
             QStringLiteral("[\n"
                            R"( {"Channel": "2", "Direction": "received", "Opcode": "Response", "Id": "3", )"
                            R"("Status": "success", "More": "", "Headers": "0", "Body": "6"},)"
                            "\n"
                            R"( {"Channel": "2", "Direction": "received", "Opcode": "Request", "Id": "5", )"
                            R"("Status": "success", "More": "", "Headers": "0", "Body": "6"})"
                            "\n]\n"));
  }

  void nextFailureWrapsAround() {
    auto* table = child<QTableView>(view_.get(), "logTable");
    view_->selectRow(12);
    QVERIFY(view_->selectNextFailure());
    QCOMPARE(table->currentIndex().row(), 19);  // id 20: channel_closed
    QVERIFY(view_->selectNextFailure());
    QCOMPARE(table->currentIndex().row(), 29);
    QVERIFY(view_->selectNextFailure());
    QCOMPARE(table->currentIndex().row(), 9);   // wrapped
    QVERIFY(view_->selectNextFailure(false));
    QCOMPARE(table->currentIndex().row(), 29);  // and back
    child<QComboBox>(view_.get(), "logStatusFilter")->setCurrentIndex(1);  // success only
    QVERIFY(!view_->selectNextFailure());
  }

  void opCodeFilterShowsOnlyThatOpCode() {
    auto* combo = child<QComboBox>(view_.get(), "logOpCodeFilter");
    QVERIFY(combo);
    QCOMPARE(view_->proxy()->rowCount(), 30);
    combo->setCurrentIndex(combo->findText(QStringLiteral("Response")));
    QCOMPARE(view_->proxy()->rowCount(), 10);
    for (int row = 0; row < view_->proxy()->rowCount(); ++row)
      QCOMPARE(view_->proxy()->index(row, 0).data(tofu::qt::OpCodeRole).toInt(), static_cast<int>(tofu::OpCode::Response));
    combo->setCurrentIndex(0);
    QCOMPARE(view_->proxy()->rowCount(), 30);
  }

  void channelStatusHeaderAndBodyFilters() {
    auto* channel = child<QLineEdit>(view_.get(), "logChannelFilter");
    QVERIFY(channel);
    QTest::keyClicks(channel, QStringLiteral("2"));
    QCOMPARE(view_->proxy()->rowCount(), 15);  // odd ids are on channel 2
    channel->clear();

    auto* status = child<QComboBox>(view_.get(), "logStatusFilter");
    status->setCurrentIndex(status->findText(QStringLiteral("channel_closed")));
    QCOMPARE(view_->proxy()->rowCount(), 3);
    status->setCurrentIndex(0);

    auto* header = child<QLineEdit>(view_.get(), "logHeaderFilter");
    QTest::keyClicks(header, QStringLiteral("trace:seven"));
    QCOMPARE(view_->proxy()->rowCount(), 1);
    header->clear();

    auto* body = child<QLineEdit>(view_.get(), "logBodyFilter");
    QTest::keyClicks(body, QStringLiteral("body-2[0-9]$"));
    QCOMPARE(view_->proxy()->rowCount(), 10);
    body->setText(QStringLiteral("body-("));  // does not compile: the filter stays, the box says so
    QCOMPARE(view_->proxy()->rowCount(), 10);
    QVERIFY(!body->toolTip().isEmpty());
    QVERIFY(body->styleSheet().contains(QStringLiteral("border")));
  }

  void selectingARowEmitsTheWholeRecord() {
    QList<tofu::qt::TrafficRecord> seen;
    connect(view_.get(), &LogView::recordSelected, this, [&](const tofu::qt::TrafficRecord& r) { seen << r; });
    view_->selectRow(4);
    QCOMPARE(seen.size(), 1);
    QCOMPARE(seen.front().body, QByteArray("body-5"));
  }

  void pauseKeepsWhatArrivesAndResumeShowsIt() {
    auto* pause = child<QToolButton>(view_.get(), "logPauseButton");
    QVERIFY(pause);
    QTest::mouseClick(pause, Qt::LeftButton);
    QVERIFY(model_->isPaused());
    for (quint64 id = 31; id <= 50; ++id) model_->append(makeRecord(tofu::OpCode::Signal, 1, id, "late"));
    model_->flush();
    QCOMPARE(model_->rowCount(), 30);
    QCOMPARE(model_->pendingRows(), 20);
    QTRY_VERIFY(child<QLabel>(view_.get(), "logEvictedLabel")->text().contains(QStringLiteral("held 20")));
    QTest::mouseClick(pause, Qt::LeftButton);
    model_->flush();
    QCOMPARE(model_->rowCount(), 50);
    QCOMPARE(model_->recordAt(49).header.messageId, quint64{50});
  }

  void evictedRowsAreCounted() {
    model_->setMaxRows(40);
    for (quint64 id = 31; id <= 60; ++id) model_->append(makeRecord(tofu::OpCode::Request, 1, id, "x"));
    model_->flush();
    QCOMPARE(model_->rowCount(), 40);
    QCOMPARE(model_->evictedRows(), quint64{20});
    QTRY_VERIFY(child<QLabel>(view_.get(), "logEvictedLabel")->text().contains(QStringLiteral("evicted 20")));
  }

 private:
  std::unique_ptr<tofu::qt::TrafficModel> model_;
  std::unique_ptr<ContentStore> content_;
  std::unique_ptr<LogView> view_;
  std::unique_ptr<QAbstractItemModelTester> tester_;
};

QTEST_MAIN(TestLogView)
#include "tst_log_view.moc"
