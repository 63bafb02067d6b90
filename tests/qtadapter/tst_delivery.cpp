// Flow control of tofu::qt::ChannelGroup: batched delivery (few posted events for a burst),
// both overflow policies under a GUI thread that stalls, exact stats and drop counts.
#include <QSignalSpy>
#include <QTest>
#include <QThread>

#include "tofu/qt/channel_group.h"
#include "tofu/qt/engine.h"

#include "qt_test_support.h"

using tofu::OpCode;
using tofu::qt::ChannelGroup;
using tofu::qt::DeliveryOptions;
using tofu::qt::DeliveryStats;
using tofu::qt::Engine;
using tofu::qt::MessageEnvelope;
using tofu::qt::OverflowPolicy;

namespace {

// What a receiving ChannelGroup emitted, checked as it arrives.
struct Observed {
  quint64 emitted = 0;      // messageReceived + notificationReceived + receiverUpdated
  quint64 requests = 0;
  quint64 lastSeq = 0;
  bool inOrder = true;       // Request seq strictly increasing
  bool onOwnThread = true;
  quint64 droppedReported = 0;
  quint64 lastDroppedTotal = 0;
};

// Every slot is a direct connection: it runs on the emitting thread, so onOwnThread would
// catch an emission from the worker (a queued one would hop to the group's thread anyway).
void observe(ChannelGroup& group, Observed& seen, int stallMs) {
  auto count = [&seen, &group](const MessageEnvelope&) {
    ++seen.emitted;
    seen.onOwnThread = seen.onOwnThread && QThread::currentThread() == group.thread();
  };
  QObject::connect(&group, &ChannelGroup::notificationReceived, &group, count, Qt::DirectConnection);
  QObject::connect(&group, &ChannelGroup::receiverUpdated, &group, count, Qt::DirectConnection);
  const auto onMessage = [&seen, &group, count, stallMs](const MessageEnvelope& m) {
    count(m);
    if (m.opCode() == OpCode::HelloRequest) {  // the Requests behind it are held until answered (B15)
      group.send(m.channelNumber(), OpCode::HelloResponse, {}, {}, false, m.messageId());
      return;
    }
    if (m.opCode() != OpCode::Request) {
      return;
    }
    const quint64 seq = m.headerValue(u"seq").toULongLong();
    seen.inOrder = seen.inOrder && seq > seen.lastSeq && m.body.startsWith(QByteArray::number(seq));
    seen.lastSeq = seq;
    if (++seen.requests == 1 && stallMs > 0) {
      QThread::msleep(static_cast<unsigned long>(stallMs));  // a GUI thread busy elsewhere
    }
  };
  QObject::connect(&group, &ChannelGroup::messageReceived, &group, onMessage, Qt::DirectConnection);
  const auto onDropped = [&seen, &group](quint64 fresh, quint64 total) {
    seen.onOwnThread = seen.onOwnThread && QThread::currentThread() == group.thread();
    seen.droppedReported += fresh;
    seen.lastDroppedTotal = total;
  };
  QObject::connect(&group, &ChannelGroup::messagesDropped, &group, onDropped, Qt::DirectConnection);
}

}  // namespace

class TestDelivery : public QObject {
  Q_OBJECT

 private slots:
  void burstIsBatched();
  void backpressureLosesNothing_data();
  void backpressureLosesNothing();
  void dropOldestCountsExactly_data();
  void dropOldestCountsExactly();
};

void TestDelivery::burstIsBatched() {
  constexpr quint64 kCount = 100'000;
  Engine engine;
  ChannelGroup group(engine);
  Observed seen;
  observe(group, seen, 0);
  const QString address = tofu::qt::test::listenOn(group);
  QVERIFY(!address.isEmpty());
  tofu::qt::test::FloodSender sender(address, kCount);
  QVERIFY(tofu::qt::test::runUntil([&] { return seen.requests == kCount; }, 60000));
  QVERIFY(!sender.failed());
  QVERIFY(seen.inOrder);
  QVERIFY(seen.onOwnThread);
  const DeliveryStats stats = group.stats();
  QCOMPARE(stats.delivered, seen.emitted);
  QCOMPARE(stats.received, stats.delivered);
  QCOMPARE(stats.dropped, quint64{0});
  // One posted event per burst, not per message.
  QVERIFY2(stats.postedEvents * 10 < kCount, qPrintable(QString::number(stats.postedEvents)));
  QVERIFY(stats.lastLagNs > 0);
  QVERIFY(stats.maxLagNs >= stats.lastLagNs);
}

void TestDelivery::backpressureLosesNothing_data() {
  QTest::addColumn<qsizetype>("maxPending");
  QTest::newRow("1") << qsizetype{1};
  QTest::newRow("256") << qsizetype{256};
}

void TestDelivery::backpressureLosesNothing() {
  QFETCH(qsizetype, maxPending);
  constexpr quint64 kCount = 20'000;
  Engine engine;
  DeliveryOptions options;
  options.maxPending = maxPending;
  options.overflow = OverflowPolicy::backpressure;
  ChannelGroup group(engine, options);
  Observed seen;
  observe(group, seen, 300);
  QSignalSpy drops(&group, &ChannelGroup::messagesDropped);
  const QString address = tofu::qt::test::listenOn(group);
  QVERIFY(!address.isEmpty());
  tofu::qt::test::FloodSender sender(address, kCount);
  QVERIFY(tofu::qt::test::runUntil([&] { return seen.requests == kCount; }, 60000));
  QCOMPARE(sender.sent(), kCount);
  QVERIFY(seen.inOrder);
  QVERIFY(seen.onOwnThread);
  QCOMPARE(seen.lastSeq, kCount);
  const DeliveryStats stats = group.stats();
  QCOMPARE(stats.dropped, quint64{0});
  QCOMPARE(drops.count(), 0);
  QCOMPARE(stats.received, stats.delivered);
  QCOMPARE(stats.delivered, seen.emitted);
  QCOMPARE(stats.maxPendingSeen, maxPending);  // the bound was reached and never passed
}

void TestDelivery::dropOldestCountsExactly_data() {
  QTest::addColumn<qsizetype>("maxPending");
  QTest::newRow("1") << qsizetype{1};
  QTest::newRow("100") << qsizetype{100};
}

void TestDelivery::dropOldestCountsExactly() {
  QFETCH(qsizetype, maxPending);
  constexpr quint64 kCount = 20'000;
  Engine engine;
  DeliveryOptions options;
  options.maxPending = maxPending;
  options.overflow = OverflowPolicy::dropOldest;
  ChannelGroup group(engine, options);
  Observed seen;
  observe(group, seen, 300);
  const QString address = tofu::qt::test::listenOn(group);
  QVERIFY(!address.isEmpty());
  tofu::qt::test::FloodSender sender(address, kCount);
  // The newest message is never the one dropped, so the last one always arrives.
  QVERIFY(tofu::qt::test::runUntil([&] { return seen.lastSeq == kCount; }, 60000));
  QTRY_COMPARE(group.stats().pending, qsizetype{0});
  QVERIFY(seen.inOrder);
  QVERIFY(seen.onOwnThread);
  const DeliveryStats stats = group.stats();
  QVERIFY(stats.dropped > 0);
  QCOMPARE(stats.received, stats.delivered + stats.dropped);
  QCOMPARE(stats.delivered, seen.emitted);
  QCOMPARE(seen.droppedReported, stats.dropped);
  QCOMPARE(seen.lastDroppedTotal, stats.dropped);
  QVERIFY(stats.maxPendingSeen <= maxPending);
  QVERIFY(seen.requests < kCount);
}

QTEST_GUILESS_MAIN(TestDelivery)
#include "tst_delivery.moc"
