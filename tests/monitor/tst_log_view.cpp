// LogView: the filter bar drives the MessageFilterProxy, pause/resume holds and then shows every
// record that arrived meanwhile, and the counter shows evicted rows.
#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QTableView>
#include <QTest>
#include <QToolButton>

#include "content_store.h"
#include "log_view.h"
#include "message_filter.h"
#include "tofu/qt/traffic_model.h"
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
