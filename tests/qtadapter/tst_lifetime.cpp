// Lifetime misuses of the adapter (issue 19): deleting a ChannelGroup or its Engine inside one
// of the group's own slots, and using a group or watcher after its Engine was destroyed. Each
// checks what happens after the misuse: the rest of the batch is not delivered, the peers see
// their channels end, the other groups keep delivering, later calls fail with a clear error.
#include <QPointer>
#include <QSignalSpy>
#include <QTest>

#include <memory>

#include "tofu/qt/channel_group.h"
#include "tofu/qt/engine.h"
#include "tofu/qt/engine_watcher.h"

#include "qt_test_support.h"

using tofu::OpCode;
using tofu::Status;
using tofu::qt::ChannelGroup;
using tofu::qt::Engine;
using tofu::qt::EngineWatcher;
using tofu::qt::MessageEnvelope;
using tofu::qt::test::listenOn;
using tofu::qt::test::makeEcho;

namespace {

constexpr auto kEngineGone = u"the engine was destroyed";

// `group` still delivers: an updateReceiver() item comes back as receiverUpdated.
bool stillDelivers(Engine& engine, ChannelGroup& group) {
  QSignalSpy updated(&group, &ChannelGroup::receiverUpdated);
  tofu::MessagePtr message = engine.ampe().get(tofu::AllocationStrategy::always).value();
  message->body().assign("alive");
  return group.updateReceiver(message) && updated.wait(5000) &&
         updated.at(0).at(0).value<MessageEnvelope>().body == "alive";
}

// A group on `engine` that listens and is flooded with Requests by a peer on its own engine
// (the flood's HelloRequest is answered). `onRequest` runs in messageReceived for each Request,
// connected with `context` (null: the group itself).
struct FloodedGroup {
  QString address;
  std::unique_ptr<tofu::qt::test::FloodSender> sender;

  bool start(ChannelGroup& group, QObject* context, const std::function<void()>& onRequest) {
    QObject::connect(&group, &ChannelGroup::messageReceived, context != nullptr ? context : &group,
                     [&group, onRequest](const MessageEnvelope& m) {
                       if (m.opCode() == OpCode::HelloRequest) {
                         group.send(m.channelNumber(), OpCode::HelloResponse, {}, {}, false, m.messageId());
                       } else if (m.opCode() == OpCode::Request) {
                         onRequest();
                       }
                     });
    address = listenOn(group);
    if (address.isEmpty()) {
      return false;
    }
    sender = std::make_unique<tofu::qt::test::FloodSender>(address, 10'000'000);
    return true;
  }
};

// Checks the state of a group left behind by its engine: every call fails with the engine's
// end as reason, and nothing is emitted but errorOccurred.
void checkDetached(ChannelGroup& group, Engine& otherEngine) {
  QVERIFY(!group.isValid());
  QCOMPARE(group.error(), Status::shutdown_started);
  QVERIFY2(group.errorString().contains(kEngineGone), qPrintable(group.errorString()));
  QSignalSpy errors(&group, &ChannelGroup::errorOccurred);
  QSignalSpy received(&group, &ChannelGroup::messageReceived);
  QSignalSpy notifications(&group, &ChannelGroup::notificationReceived);
  QCOMPARE(group.listenOn(QStringLiteral("tcp|127.0.0.1|0")), quint16{0});
  QCOMPARE(group.connectTo(QStringLiteral("tcp|127.0.0.1|1")), quint16{0});
  QCOMPARE(group.send(1, OpCode::Request, "x"), quint64{0});
  QCOMPARE(group.reply(MessageEnvelope{}, "x"), quint64{0});
  QVERIFY(!group.close(1));
  QVERIFY(!group.abort(1));
  tofu::MessagePtr message = otherEngine.ampe().get(tofu::AllocationStrategy::always).value();
  QCOMPARE(group.enqueue(message).status(), Status::shutdown_started);
  QVERIFY(message != nullptr);  // refused: the caller keeps it
  QVERIFY(!group.updateReceiver(message));
  QVERIFY(message != nullptr);
  otherEngine.ampe().put(message);
  QCOMPARE(errors.count(), 8);
  for (const QList<QVariant>& error : std::as_const(errors)) {
    QCOMPARE(error.at(0).value<Status>(), Status::shutdown_started);
    QVERIFY2(error.at(1).toString().contains(kEngineGone), qPrintable(error.at(1).toString()));
  }
  QCOMPARE(group.error(), Status::shutdown_started);
  QTest::qWait(50);  // anything still posted to the group would run now
  QCOMPARE(received.count(), 0);
  QCOMPARE(notifications.count(), 0);
}

}  // namespace

class TestLifetime : public QObject {
  Q_OBJECT

 private slots:
  void deleteGroupInItsSlotAmidBatch_data();
  void deleteGroupInItsSlotAmidBatch();
  void deleteGroupBetweenDerivedSignals_data();
  void deleteGroupBetweenDerivedSignals();
  void deleteEngineInGroupSlot_data();
  void deleteEngineInGroupSlot();
  void groupUsedAfterEngineDestroyed();
  void watcherUsedAfterEngineDestroyed();
  void deleteEngineInWatcherSlot_data();
  void deleteEngineInWatcherSlot();
};

void TestLifetime::deleteGroupInItsSlotAmidBatch_data() {
  QTest::addColumn<bool>("groupIsContext");
  QTest::newRow("group as context") << true;
  QTest::newRow("other context") << false;
}

// The first Request of a flood deletes the group: the rest of its batch is never emitted, the
// flooding peer sees its channel end, and another group on the same engine keeps delivering.
void TestLifetime::deleteGroupInItsSlotAmidBatch() {
  QFETCH(bool, groupIsContext);
  Engine engine;
  ChannelGroup survivor(engine);
  QObject other;
  QPointer<ChannelGroup> group = new ChannelGroup(engine);
  int requests = 0;
  FloodedGroup flood;
  QVERIFY(flood.start(*group, groupIsContext ? nullptr : &other, [&] {
    ++requests;
    delete group.data();
  }));
  QTRY_VERIFY_WITH_TIMEOUT(group.isNull(), 10000);
  QCOMPARE(requests, 1);
  QTRY_VERIFY_WITH_TIMEOUT(flood.sender->failed(), 10000);  // its channel was aborted
  QVERIFY(stillDelivers(engine, survivor));
  QCOMPARE(requests, 1);
  QTRY_COMPARE(tofu::qt::test::poolInUse(engine.ampe()), std::size_t{0});
}

void TestLifetime::deleteGroupBetweenDerivedSignals_data() {
  QTest::addColumn<bool>("groupIsContext");
  QTest::newRow("group as context") << true;
  QTest::newRow("other context") << false;
}

// A client deletes itself in connected(), which channelReady() follows for the same message:
// channelReady is not emitted, the server sees the channel close, the server keeps delivering.
void TestLifetime::deleteGroupBetweenDerivedSignals() {
  QFETCH(bool, groupIsContext);
  Engine engine;
  ChannelGroup server(engine);
  makeEcho(server);
  QSignalSpy serverClosed(&server, &ChannelGroup::channelClosed);
  const QString address = listenOn(server);
  QVERIFY(!address.isEmpty());

  QObject other;
  QPointer<ChannelGroup> client = new ChannelGroup(engine);
  int connectedCalls = 0;
  int readyCalls = 0;
  QObject* context = groupIsContext ? client.data() : &other;
  connect(client, &ChannelGroup::connected, context, [&](quint16) {
    ++connectedCalls;
    delete client.data();
  });
  connect(client, &ChannelGroup::channelReady, &other, [&](quint16) { ++readyCalls; });
  QVERIFY(client->connectTo(address) != 0);
  QTRY_VERIFY_WITH_TIMEOUT(client.isNull(), 5000);
  QCOMPARE(connectedCalls, 1);
  QTRY_COMPARE_WITH_TIMEOUT(serverClosed.count(), 1, 5000);
  QCOMPARE(readyCalls, 0);

  ChannelGroup second(engine);
  QSignalSpy connected(&second, &ChannelGroup::connected);
  QSignalSpy responses(&second, &ChannelGroup::messageReceived);
  const quint16 channel = second.connectTo(address);
  QVERIFY(channel != 0);
  QVERIFY(connected.wait(5000));
  QVERIFY(second.send(channel, OpCode::Request, "echo") != 0);
  QTRY_COMPARE(responses.count(), 2);  // the HelloResponse, then the echo
  QCOMPARE(responses.at(1).at(0).value<MessageEnvelope>().body, QByteArray("echo"));
}

void TestLifetime::deleteEngineInGroupSlot_data() {
  QTest::addColumn<bool>("groupIsChild");
  QTest::newRow("group parented to the engine") << true;
  QTest::newRow("group not parented") << false;
}

// The first Request of a flood deletes the group's Engine. A child group goes with it; a group
// that is not a child stays, detached: nothing more is emitted and every call fails. The flood's
// peer sees its channel end, and a group on another engine keeps delivering.
void TestLifetime::deleteEngineInGroupSlot() {
  QFETCH(bool, groupIsChild);
  Engine otherEngine;
  ChannelGroup elsewhere(otherEngine);
  QPointer<Engine> engine = new Engine;
  std::unique_ptr<ChannelGroup> owned;
  QPointer<ChannelGroup> group;
  if (groupIsChild) {
    group = new ChannelGroup(*engine, {}, engine.data());
  } else {
    owned = std::make_unique<ChannelGroup>(*engine);
    group = owned.get();
  }
  int requests = 0;
  FloodedGroup flood;
  QVERIFY(flood.start(*group, nullptr, [&] {
    ++requests;
    delete engine.data();
  }));
  QTRY_VERIFY_WITH_TIMEOUT(engine.isNull(), 10000);
  QCOMPARE(requests, 1);
  QCOMPARE(group.isNull(), groupIsChild);
  QTRY_VERIFY_WITH_TIMEOUT(flood.sender->failed(), 10000);  // the engine's sockets are gone
  QVERIFY(stillDelivers(otherEngine, elsewhere));
  QCOMPARE(requests, 1);
  if (!groupIsChild) {
    checkDetached(*owned, otherEngine);
    if (QTest::currentTestFailed()) {
      return;
    }
    QCOMPARE(requests, 1);
    owned.reset();
  }
}

// A group that is not the Engine's child outlives it: the Engine stops its worker and destroys
// its engine group first, so every later call fails cleanly and destroying it is fine.
void TestLifetime::groupUsedAfterEngineDestroyed() {
  Engine otherEngine;
  auto engine = std::make_unique<Engine>();
  auto group = std::make_unique<ChannelGroup>(*engine);
  QVERIFY(!listenOn(*group).isEmpty());
  const tofu::qt::DeliveryStats before = group->stats();
  QCOMPARE(before.delivered, quint64{1});  // the WelcomeResponse
  engine.reset();
  checkDetached(*group, otherEngine);
  if (QTest::currentTestFailed()) {
    return;
  }
  QCOMPARE(group->stats().delivered, before.delivered);  // the counts stay readable
  group.reset();
}

// A watcher that is not the Engine's child outlives it: its snapshot thread and observation
// end with the engine, no snapshot follows, and requests fail with errorOccurred.
void TestLifetime::watcherUsedAfterEngineDestroyed() {
  auto engine = std::make_unique<Engine>();
  tofu::qt::WatchOptions options;
  options.snapshotIntervalMs = 10;
  options.eventIntervalMs = 10;
  auto watcher = std::make_unique<EngineWatcher>(*engine, options);
  QVERIFY(watcher->isValid());
  QCOMPARE(watcher->engineId(), engine->engineId());
  QSignalSpy snapshots(watcher.get(), &EngineWatcher::snapshotReady);
  QSignalSpy errors(watcher.get(), &EngineWatcher::errorOccurred);
  QVERIFY(snapshots.wait(5000));
  engine.reset();
  QVERIFY(!watcher->isValid());
  QCOMPARE(watcher->engineId(), std::uint64_t{0});
  QVERIFY2(watcher->errorString().contains(kEngineGone), qPrintable(watcher->errorString()));
  const qsizetype seen = snapshots.count();
  QTest::qWait(100);  // ten snapshot intervals: posted snapshots and timers would show now
  QCOMPARE(snapshots.count(), seen);
  QCOMPARE(errors.count(), 0);  // detaching itself emits nothing
  watcher->requestSnapshot();
  QCOMPARE(errors.count(), 1);
  QCOMPARE(errors.at(0).at(0).value<Status>(), Status::shutdown_started);
  QVERIFY(errors.at(0).at(1).toString().contains(kEngineGone));
  QCOMPARE(watcher->droppedEvents(), quint64{0});
  watcher.reset();
}

void TestLifetime::deleteEngineInWatcherSlot_data() {
  QTest::addColumn<bool>("watcherIsChild");
  QTest::newRow("watcher parented to the engine") << true;
  QTest::newRow("watcher not parented") << false;
}

// The first snapshot deletes the engine: a child watcher goes with it, another one is left
// detached and emits no more snapshots.
void TestLifetime::deleteEngineInWatcherSlot() {
  QFETCH(bool, watcherIsChild);
  QPointer<Engine> engine = new Engine;
  tofu::qt::WatchOptions options;
  options.snapshotIntervalMs = 10;
  std::unique_ptr<EngineWatcher> owned;
  QPointer<EngineWatcher> watcher;
  if (watcherIsChild) {
    watcher = new EngineWatcher(*engine, options, engine.data());
  } else {
    owned = std::make_unique<EngineWatcher>(*engine, options);
    watcher = owned.get();
  }
  int snapshots = 0;
  QObject other;
  connect(watcher, &EngineWatcher::snapshotReady, &other, [&] {
    ++snapshots;
    delete engine.data();
  });
  QTRY_VERIFY_WITH_TIMEOUT(engine.isNull(), 5000);
  QCOMPARE(watcher.isNull(), watcherIsChild);
  QTest::qWait(100);  // ten snapshot intervals
  QCOMPARE(snapshots, 1);
  if (!watcherIsChild) {
    QVERIFY(!owned->isValid());
    owned.reset();
  }
}

QTEST_GUILESS_MAIN(TestLifetime)
#include "tst_lifetime.moc"
