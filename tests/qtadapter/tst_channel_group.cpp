// tofu::qt::ChannelGroup: signals on the object's thread, in order, with their content; the
// derived signals for listen/connect failures; errors the Qt way; prompt, leak-free shutdown.
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <memory>

#include "tofu/qt/channel_group.h"
#include "tofu/qt/engine.h"

#include "qt_test_support.h"

using tofu::OpCode;
using tofu::Status;
using tofu::qt::ChannelGroup;
using tofu::qt::Engine;
using tofu::qt::MessageEnvelope;
using tofu::qt::test::listenOn;
using tofu::qt::test::makeEcho;
using tofu::qt::test::scaledMs;

class TestChannelGroup : public QObject {
  Q_OBJECT

 private slots:
  void deliversOnOwnThreadInOrder_data();
  void deliversOnOwnThreadInOrder();
  void receiverUpdatesInOrder();
  void listenFailure_data();
  void listenFailure();
  void connectFailure_data();
  void connectFailure();
  void callFailureSetsError();
  void invalidEngine();
  void shutdownWhileBlocked();
  void shutdownWhileFlooding_data();
  void shutdownWhileFlooding();

 private:
  QTemporaryDir dir_;
};

void TestChannelGroup::deliversOnOwnThreadInOrder_data() {
  QTest::addColumn<QString>("address");
  QTest::newRow("tcp") << QStringLiteral("tcp|127.0.0.1|0");
  QTest::newRow("uds") << QStringLiteral("uds|%1/order.sock").arg(dir_.path());
}

void TestChannelGroup::deliversOnOwnThreadInOrder() {
  QFETCH(QString, address);
  constexpr int kCount = 500;
  Engine serverEngine;
  Engine clientEngine;
  ChannelGroup server(serverEngine);
  ChannelGroup client(clientEngine);
  makeEcho(server);
  QSignalSpy opened(&server, &ChannelGroup::channelOpened);
  QSignalSpy connected(&client, &ChannelGroup::connected);
  QSignalSpy ready(&client, &ChannelGroup::channelReady);

  const QString bound = listenOn(server, address);
  QVERIFY(!bound.isEmpty());
  if (address.startsWith(u"tcp")) {
    QVERIFY(bound != address);  // port 0 became the real port
  }
  const quint16 channel = client.connectTo(bound, {{"who", "test"}});
  QVERIFY(channel != 0);
  QVERIFY(connected.wait(5000));
  QCOMPARE(connected.at(0).at(0).value<quint16>(), channel);
  QCOMPARE(ready.count(), 1);
  QCOMPARE(opened.count(), 1);

  QList<QThread*> threads;
  QList<MessageEnvelope> responses;
  // Direct: the slot runs on the emitting thread, so a worker-thread emission would show.
  connect(
      &client, &ChannelGroup::messageReceived, this,
      [&](const MessageEnvelope& m) {
        threads.append(QThread::currentThread());
        responses.append(m);
      },
      Qt::DirectConnection);
  for (int i = 1; i <= kCount; ++i) {
    QVERIFY(client.send(channel, OpCode::Request, "body " + QByteArray::number(i),
                        {{"seq", QByteArray::number(i)}}) != 0);
  }
  QTRY_COMPARE_WITH_TIMEOUT(responses.size(), kCount, 10000);
  for (int i = 0; i < kCount; ++i) {
    QCOMPARE(threads.at(i), QThread::currentThread());
    const MessageEnvelope& m = responses.at(i);
    QCOMPARE(m.opCode(), OpCode::Response);
    QCOMPARE(m.status(), Status::success);
    QCOMPARE(m.channelNumber(), channel);
    QCOMPARE(m.body, "body " + QByteArray::number(i + 1));
    QCOMPARE(m.headerValue(u"seq"), QString::number(i + 1));
    QVERIFY(m.receivedNs > 0);
  }
  const tofu::qt::DeliveryStats stats = client.stats();
  QCOMPARE(stats.received, stats.delivered);
  QCOMPARE(stats.dropped, quint64{0});
  QCOMPARE(stats.pending, qsizetype{0});
  QVERIFY(stats.postedEvents >= 1 && stats.postedEvents <= stats.received);

  // A graceful close ends with channelClosed for the same number on both sides.
  QSignalSpy clientClosed(&client, &ChannelGroup::channelClosed);
  QSignalSpy serverClosed(&server, &ChannelGroup::channelClosed);
  QVERIFY(client.close(channel));
  QTRY_COMPARE_WITH_TIMEOUT(clientClosed.count(), 1, 5000);
  QCOMPARE(clientClosed.at(0).at(0).value<quint16>(), channel);
  QTRY_COMPARE_WITH_TIMEOUT(serverClosed.count(), 1, 5000);
  QCOMPARE(serverClosed.at(0).at(0).value<quint16>(), opened.at(0).at(0).value<quint16>());
}

void TestChannelGroup::receiverUpdatesInOrder() {
  Engine engine;
  ChannelGroup group(engine);
  QList<QByteArray> bodies;
  QList<QThread*> threads;
  connect(
      &group, &ChannelGroup::receiverUpdated, this,
      [&](const MessageEnvelope& m) {
        threads.append(QThread::currentThread());
        QCOMPARE(m.status(), Status::receiver_update);
        bodies.append(m.body);
      },
      Qt::DirectConnection);  // runs on the emitting thread, checked below
  QSignalSpy peers(&group, &ChannelGroup::messageReceived);
  QSignalSpy notifications(&group, &ChannelGroup::notificationReceived);
  for (int i = 0; i < 100; ++i) {
    tofu::MessagePtr message = engine.ampe().get(tofu::AllocationStrategy::always).value();
    message->body().assign(std::to_string(i));
    QVERIFY(group.updateReceiver(message));
    QVERIFY(message == nullptr);
  }
  QTRY_COMPARE(bodies.size(), 100);
  for (int i = 0; i < 100; ++i) {
    QCOMPARE(threads.at(i), thread());
    QCOMPARE(bodies.at(i), QByteArray::number(i));
  }
  QCOMPARE(peers.count(), 0);
  QCOMPARE(notifications.count(), 0);
}

void TestChannelGroup::listenFailure_data() {
  QTest::addColumn<bool>("busyPort");
  QTest::addColumn<QString>("address");
  QTest::addColumn<Status>("status");
  QTest::newRow("port in use") << true << QString() << Status::listen_failed;
  QTest::newRow("host name") << false << QStringLiteral("tcp|localhost|0") << Status::invalid_address;
  QTest::newRow("uds dir missing") << false << QStringLiteral("uds|%1/no/such/dir.sock").arg(dir_.path())
                                   << Status::listen_failed;
}

void TestChannelGroup::listenFailure() {
  QFETCH(bool, busyPort);
  QFETCH(QString, address);
  QFETCH(Status, status);
  Engine engine;
  ChannelGroup first(engine);
  ChannelGroup group(engine);
  if (busyPort) {
    address = listenOn(first);
    QVERIFY(!address.isEmpty());
  }
  QSignalSpy failed(&group, &ChannelGroup::listenFailed);
  QSignalSpy errors(&group, &ChannelGroup::errorOccurred);
  QSignalSpy closed(&group, &ChannelGroup::channelClosed);
  QSignalSpy listening(&group, &ChannelGroup::listening);
  const quint16 channel = group.listenOn(address);
  QVERIFY(channel != 0);
  QTRY_COMPARE(closed.count(), 1);
  QCOMPARE(failed.count(), 1);
  QCOMPARE(failed.at(0).at(0).value<quint16>(), channel);
  QCOMPARE(failed.at(0).at(1).value<Status>(), status);
  QCOMPARE(errors.count(), 1);
  QCOMPARE(errors.at(0).at(0).value<Status>(), status);
  QCOMPARE(group.error(), status);
  QVERIFY(group.errorString().contains(tofu::qt::statusName(status)));
  QCOMPARE(closed.at(0).at(0).value<quint16>(), channel);
  QCOMPARE(listening.count(), 0);
}

void TestChannelGroup::connectFailure_data() {
  QTest::addColumn<QString>("address");
  QTest::addColumn<Status>("status");
  QTest::newRow("refused") << QStringLiteral("tcp|127.0.0.1|%1").arg(tofu::qt::test::unusedTcpPort())
                           << Status::connect_failed;
  QTest::newRow("uds missing") << QStringLiteral("uds|%1/missing.sock").arg(dir_.path())
                               << Status::uds_path_not_found;
  const QString dead = dir_.filePath(QStringLiteral("dead.sock"));
  QVERIFY(tofu::qt::test::makeDeadSocketFile(dead));
  QTest::newRow("uds nobody listens") << QStringLiteral("uds|") + dead << Status::communication_failed;
  QTest::newRow("unresolvable") << QStringLiteral("tcp|no-such-host.invalid|1") << Status::invalid_address;
}

void TestChannelGroup::connectFailure() {
  QFETCH(QString, address);
  QFETCH(Status, status);
  Engine engine;
  ChannelGroup group(engine);
  QSignalSpy failed(&group, &ChannelGroup::connectFailed);
  QSignalSpy errors(&group, &ChannelGroup::errorOccurred);
  QSignalSpy closed(&group, &ChannelGroup::channelClosed);
  QSignalSpy connected(&group, &ChannelGroup::connected);
  const quint16 channel = group.connectTo(address);
  QVERIFY(channel != 0);
  QTRY_COMPARE_WITH_TIMEOUT(closed.count(), 1, 10000);
  QCOMPARE(failed.count(), 1);
  QCOMPARE(failed.at(0).at(0).value<quint16>(), channel);
  QCOMPARE(failed.at(0).at(1).value<Status>(), status);
  QCOMPARE(errors.count(), 1);
  QCOMPARE(group.error(), status);
  QCOMPARE(closed.at(0).at(0).value<quint16>(), channel);
  QCOMPARE(connected.count(), 0);
}

void TestChannelGroup::callFailureSetsError() {
  Engine engine;
  ChannelGroup group(engine);
  QSignalSpy errors(&group, &ChannelGroup::errorOccurred);
  QCOMPARE(group.send(999, OpCode::Request, "x"), quint64{0});
  QCOMPARE(errors.count(), 1);
  QCOMPARE(errors.at(0).at(0).value<Status>(), Status::invalid_channel_number);
  QCOMPARE(group.error(), Status::invalid_channel_number);
  QVERIFY(group.errorString().contains(u"channel 999"));
  QCOMPARE(group.listenOn(QStringLiteral("nonsense")), quint16{0});
  QCOMPARE(group.error(), Status::invalid_address);
  QCOMPARE(group.send(999, OpCode::Request, "x", {{"bad:name", "v"}}), quint64{0});
  QCOMPARE(errors.count(), 3);
  QCOMPARE(tofu::qt::test::poolInUse(engine.ampe()), std::size_t{0});  // refused messages went back
}

void TestChannelGroup::invalidEngine() {
  tofu::Options options;
  options.telemetryAddress = "tcp|localhost|0";  // a host name: the engine refuses to start
  options.telemetryToken = "t";                   // (without a token it would refuse TCP telemetry first)
  Engine engine(options);
  QVERIFY(!engine.isValid());
  QCOMPARE(engine.creationStatus(), Status::invalid_address);
  QVERIFY(!engine.errorString().isEmpty());
  ChannelGroup group(engine);
  QVERIFY(!group.isValid());
  QSignalSpy errors(&group, &ChannelGroup::errorOccurred);
  QCOMPARE(group.connectTo(QStringLiteral("tcp|127.0.0.1|1")), quint16{0});
  QCOMPARE(errors.count(), 1);
  QCOMPARE(group.error(), Status::invalid_address);
}

void TestChannelGroup::shutdownWhileBlocked() {
  Engine engine;
  auto group = std::make_unique<ChannelGroup>(engine);
  // Nothing to receive: once its thread sleeps, the worker is blocked in waitReceive().
  QVERIFY(tofu::qt::test::waitUntilThreadSleeps(QStringLiteral("tofu receive"), 5000));
  QElapsedTimer timer;
  timer.start();
  group.reset();
  QVERIFY2(timer.elapsed() < scaledMs(2000), qPrintable(QString::number(timer.elapsed())));
  QCOMPARE(tofu::qt::test::poolInUse(engine.ampe()), std::size_t{0});
}

void TestChannelGroup::shutdownWhileFlooding_data() {
  QTest::addColumn<tofu::qt::OverflowPolicy>("policy");
  QTest::newRow("backpressure") << tofu::qt::OverflowPolicy::backpressure;
  QTest::newRow("dropOldest") << tofu::qt::OverflowPolicy::dropOldest;
}

void TestChannelGroup::shutdownWhileFlooding() {
  QFETCH(tofu::qt::OverflowPolicy, policy);
  Engine engine;
  tofu::qt::DeliveryOptions options;
  options.overflow = policy;
  options.maxPending = 1000;
  auto group = std::make_unique<ChannelGroup>(engine, options);
  QObject::connect(group.get(), &ChannelGroup::messageReceived, group.get(), [&group](const MessageEnvelope& m) {
    if (m.opCode() == OpCode::HelloRequest) {  // the flood is held until answered (B15)
      group->send(m.channelNumber(), OpCode::HelloResponse, {}, {}, false, m.messageId());
    }
  });
  const QString address = listenOn(*group);
  QVERIFY(!address.isEmpty());
  tofu::qt::test::FloodSender sender(address, 10'000'000);
  QTRY_VERIFY_WITH_TIMEOUT(group->stats().delivered > 20'000, 20000);
  QElapsedTimer timer;
  timer.start();
  group.reset();  // while the flood flows, with messages pending
  QVERIFY2(timer.elapsed() < scaledMs(2000), qPrintable(QString::number(timer.elapsed())));
  QCOMPARE(tofu::qt::test::poolInUse(engine.ampe()), std::size_t{0});
}

QTEST_GUILESS_MAIN(TestChannelGroup)
#include "tst_channel_group.moc"
