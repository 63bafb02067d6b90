// MessageFilterProxy over the adapter's TrafficModel: each criterion alone and combined, the
// header match forms, the body regex on whole content from the ContentStore (beyond the
// 64-byte preview), a bad pattern refused, and the log's eviction count.
#include <QAbstractItemModelTester>
#include <QtTest>

#include "core_test_events.h"
#include "models/content_store.h"
#include "models/message_filter.h"
#include "tofu/qt/models/traffic_model.h"

using namespace tofu;
using namespace tofu::monitor;
using tofu::qt::Direction;

namespace {

const QByteArray kLongBody = QByteArray(80, '.') + "needle-at-the-end";

QList<Event> knownTraffic() {
  return {
      test::messageEvent(EventKind::messageSent, 1, 2, OpCode::Request, 10, 1, false, "content-type:application/json\r\n", "{\"n\":1}"),
      test::messageEvent(EventKind::messageReceived, 1, 2, OpCode::Response, 10, 2, false, "content-type:application/json\r\n", "{\"square\":1}"),
      test::messageEvent(EventKind::messageReceived, 1, 2, OpCode::Signal, 11, 3, false, "progress:40%\r\n", {}),
      test::messageEvent(EventKind::messageSent, 1, 3, OpCode::Signal, 12, 4, false, "progress:90%\r\n", kLongBody),
      test::messageEvent(EventKind::messageReturned, 1, 3, OpCode::Request, 13, 5, false, {}, "x", Status::channel_closed),
  };
}

}  // namespace

class TstMessageFilter : public QObject {
  Q_OBJECT

 private:
  tofu::qt::TrafficModel log_;
  ContentStore content_;
  MessageFilterProxy* proxy_ = nullptr;

  QList<quint64> shownIds() const {
    QList<quint64> ids;
    for (int row = 0; row < proxy_->rowCount(); ++row) {
      ids << proxy_->index(row, 0).data(tofu::qt::RecordRole).value<tofu::qt::TrafficRecord>().header.messageId;
    }
    return ids;
  }

 private slots:
  void init() {
    log_.clear();
    log_.appendEvents(knownTraffic());
    log_.flush();
    content_.clear();
    content_.add(test::contentRecord(1, 3, OpCode::Signal, 12, Direction::sent, 4, "progress:90%\r\n", kLongBody));
    delete proxy_;
    proxy_ = new MessageFilterProxy(&content_, this);
    proxy_->setSourceModel(&log_);
  }
  void cleanup() {
    delete proxy_;
    proxy_ = nullptr;
  }

  void matchesEverythingUnfiltered() {
    QAbstractItemModelTester tester(proxy_, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(log_.rowCount(), 5);
    QCOMPARE(shownIds(), (QList<quint64>{10, 10, 11, 12, 13}));
  }

  void filtersByFields() {
    QAbstractItemModelTester tester(proxy_, QAbstractItemModelTester::FailureReportingMode::QtTest);
    proxy_->setOpCodes({OpCode::Signal});
    QCOMPARE(shownIds(), (QList<quint64>{11, 12}));
    proxy_->setChannel(3);
    QCOMPARE(shownIds(), (QList<quint64>{12}));
    proxy_->setOpCodes({});
    QCOMPARE(shownIds(), (QList<quint64>{12, 13}));
    proxy_->setStatus(Status::channel_closed);
    QCOMPARE(shownIds(), (QList<quint64>{13}));
    proxy_->setStatus(std::nullopt);
    proxy_->setChannel(std::nullopt);
    proxy_->setOrigin(Origin::engine);
    QCOMPARE(shownIds(), (QList<quint64>{13}));
    proxy_->setOrigin(Origin::application);
    QCOMPARE(shownIds(), (QList<quint64>{10, 10, 11, 12}));
    proxy_->setOrigin(std::nullopt);
    proxy_->setDirection(Direction::received);
    QCOMPARE(shownIds(), (QList<quint64>{10, 11}));
  }

  void matchesHeaders_data() {
    QTest::addColumn<QString>("match");
    QTest::addColumn<QList<quint64>>("ids");
    QTest::newRow("name:value") << "progress:40" << QList<quint64>{11};
    QTest::newRow("name only") << "Progress:" << QList<quint64>{11, 12};
    QTest::newRow("value substring") << "content-type:json" << QList<quint64>{10, 10};
    QTest::newRow("raw substring") << "90%" << QList<quint64>{12};
    QTest::newRow("no such header") << "trace:" << QList<quint64>{};
  }
  void matchesHeaders() {
    QFETCH(QString, match);
    QFETCH(QList<quint64>, ids);
    proxy_->setHeaderMatch(match);
    QCOMPARE(shownIds(), ids);
  }

  void searchesTheWholeBody() {
    QAbstractItemModelTester tester(proxy_, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QVERIFY(proxy_->setBodyPattern(QStringLiteral("needle-at-the-end$")));  // past the preview
    QCOMPARE(shownIds(), (QList<quint64>{12}));
    content_.clear();
    proxy_->setBodyPattern(QStringLiteral("needle-at-the-end$"));
    QCOMPARE(shownIds(), (QList<quint64>{}));  // the preview alone does not hold it
    QVERIFY(proxy_->setBodyPattern(QStringLiteral("\"square\":\\d")));
    QCOMPARE(shownIds(), (QList<quint64>{10}));
    QVERIFY(!proxy_->setBodyPattern(QStringLiteral("(unclosed")));
    QVERIFY(proxy_->errorString().startsWith(QStringLiteral("body pattern:")));
    QCOMPARE(shownIds(), (QList<quint64>{10}));  // unchanged
    QVERIFY(proxy_->setBodyPattern({}));
    QCOMPARE(proxy_->rowCount(), 5);
  }

  void searchesDisplayText() {
    proxy_->setSearchText(QStringLiteral("ResPonse"));
    QCOMPARE(shownIds(), (QList<quint64>{10}));
  }

  void countsEvictedLogRows() {
    const quint64 before = log_.evictedRows();
    log_.setMaxRows(3);
    log_.appendEvents(knownTraffic());
    log_.flush();
    QCOMPARE(log_.rowCount(), 3);
    QCOMPARE(log_.evictedRows() - before, 7u);
    QCOMPARE(shownIds(), (QList<quint64>{11, 12, 13}));
    log_.setMaxRows(100000);
  }
};

QTEST_GUILESS_MAIN(TstMessageFilter)
#include "tst_message_filter.moc"
