// WorkbenchPanel against a real peer: a spawned `tofu-cli listen --echo`. Connect and Send are
// clicked like a user would; the echoed Response must reach the activity list, the message
// log and, selected, the detail view with its body and headers.
#include <QComboBox>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryFile>
#include <QTest>

#include "log_view.h"
#include "main_window.h"
#include "message_detail.h"
#include "session.h"
#include "ui_test_support.h"
#include "workbench_panel.h"

using namespace tofu::monitor;
using tofu::monitor::test::child;

class TestWorkbenchPanel : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    echo_.start(QStringLiteral(TOFU_CLI_PATH), {QStringLiteral("listen"), QStringLiteral("tcp|127.0.0.1|0"), QStringLiteral("--echo")});
    QVERIFY2(echo_.waitForStarted(5000), qPrintable(echo_.errorString()));
    QTRY_VERIFY_WITH_TIMEOUT(echo_.canReadLine(), 10000);
    const QString first = QString::fromUtf8(echo_.readLine()).trimmed();
    QVERIFY2(first.startsWith(QStringLiteral("listening ")), qPrintable(first));
    address_ = first.mid(10);
    session_ = std::make_unique<Session>();
    window_ = std::make_unique<MainWindow>(*session_);
    window_->resize(1600, 1000);
    window_->show();
  }
  void cleanupTestCase() {
    window_.reset();
    session_.reset();
    echo_.terminate();
    echo_.waitForFinished(5000);
  }

  void sendReachesTheEchoAndTheResponseIsShown() {
    auto* address = child<QLineEdit>(window_.get(), "wbAddress");
    QVERIFY(address);
    address->setText(address_);
    QTest::mouseClick(child<QPushButton>(window_.get(), "wbConnect"), Qt::LeftButton);
    auto* channel = child<QComboBox>(window_.get(), "wbChannel");
    QTRY_VERIFY_WITH_TIMEOUT(channel->count() == 1, 10000);

    child<QPlainTextEdit>(window_.get(), "wbHeaders")->setPlainText(QStringLiteral("trace:wb-1\ncontent-type:application/json"));
    child<QPlainTextEdit>(window_.get(), "wbBody")->setPlainText(QStringLiteral(R"({"greeting":"hello echo"})"));
    child<QLineEdit>(window_.get(), "wbMessageId")->setText(QStringLiteral("4242"));
    QTest::mouseClick(child<QPushButton>(window_.get(), "wbSend"), Qt::LeftButton);

    auto* activity = child<QPlainTextEdit>(window_.get(), "wbActivity");
    QTRY_VERIFY_WITH_TIMEOUT(activity->toPlainText().contains(QStringLiteral("Response #4242")), 10000);

    // The log shows it; filter to Responses and select it: the detail has the echoed content.
    auto* opCode = child<QComboBox>(window_.get(), "logOpCodeFilter");
    opCode->setCurrentIndex(opCode->findText(QStringLiteral("Response")));
    auto* log = child<QTableView>(window_.get(), "logTable");
    QTRY_VERIFY_WITH_TIMEOUT(log->model()->rowCount() >= 1, 10000);
    log->setCurrentIndex(log->model()->index(log->model()->rowCount() - 1, 0));
    auto* text = child<QPlainTextEdit>(window_.get(), "detailText");
    QTRY_COMPARE(text->toPlainText(), QStringLiteral(R"({"greeting":"hello echo"})"));
    auto* headers = child<QTableWidget>(window_.get(), "detailTextHeaders");
    QVERIFY(headers->findItems(QStringLiteral("wb-1"), Qt::MatchExactly).size() == 1);
    QVERIFY(child<QPlainTextEdit>(window_.get(), "detailJson")->toPlainText().contains(QStringLiteral("\"greeting\": \"hello echo\"")));
  }

  void bodyLoadedFromAFileIsSentAsIs() {
    QTemporaryFile file;
    QVERIFY(file.open());
    const QByteArray bytes("binary\0body\xff", 12);
    file.write(bytes);
    file.flush();
    auto* panel = child<WorkbenchPanel>(window_.get(), "workbenchPanel");
    QVERIFY(panel->loadBodyFile(file.fileName()));
    child<QLineEdit>(window_.get(), "wbMessageId")->setText(QStringLiteral("4343"));
    QTest::mouseClick(child<QPushButton>(window_.get(), "wbSend"), Qt::LeftButton);
    auto* activity = child<QPlainTextEdit>(window_.get(), "wbActivity");
    QTRY_VERIFY_WITH_TIMEOUT(activity->toPlainText().contains(QStringLiteral("Response #4343")), 10000);
    // The bytes themselves, NUL and 0xff included, went out in the Request and came back echoed.
    // The log hears of them through the engine's events, which may come after the activity line.
    using tofu::qt::Direction;
    QTRY_COMPARE_WITH_TIMEOUT(loggedBodies(Direction::sent, tofu::OpCode::Request, 4343), QByteArrayList{bytes}, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(loggedBodies(Direction::received, tofu::OpCode::Response, 4343), QByteArrayList{bytes},
                              10000);
  }

  void badHeaderLineIsRefused() {
    tofu::qt::HeaderList headers;
    QString error;
    QVERIFY(!WorkbenchPanel::parseHeaders(QStringLiteral("ok:1\n:novalue"), headers, &error));
    QVERIFY(error.contains(QStringLiteral(":novalue")));
    QVERIFY(WorkbenchPanel::parseHeaders(QStringLiteral("a: 1\n\nb:x:y\n"), headers, &error));
    QCOMPARE(headers.size(), 2);
    QCOMPARE(headers[1].second, QByteArray("x:y"));
  }

 private:
  // The bodies of the messages with this direction, op code and id in the Session's log.
  QByteArrayList loggedBodies(tofu::qt::Direction direction, tofu::OpCode opCode, quint64 messageId) {
    auto& traffic = session_->traffic();
    traffic.flush();
    QByteArrayList bodies;
    for (int row = 0; row < traffic.rowCount(); ++row) {
      const tofu::qt::TrafficRecord& record = traffic.recordAt(row);
      if (record.direction == direction && record.header.proto.opCode == opCode &&
          record.header.messageId == messageId)
        bodies.append(record.body);
    }
    return bodies;
  }

  QProcess echo_;
  QString address_;
  std::unique_ptr<Session> session_;
  std::unique_ptr<MainWindow> window_;
};

QTEST_MAIN(TestWorkbenchPanel)
#include "tst_workbench_panel.moc"
