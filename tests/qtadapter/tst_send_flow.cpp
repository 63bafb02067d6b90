// tofu::qt::ChannelGroup flow control for senders (issue 19, B16): a flood against a peer that
// does not read is reported by one errorOccurred(notification_failed) per episode while every
// refused send() still returns 0 and sets error(); readyToSend() ends the episode once the peer
// reads, and sending succeeds again.
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "tofu/qt/channel_group.h"
#include "tofu/qt/engine.h"

#include "qt_test_support.h"

using tofu::OpCode;
using tofu::Status;
using tofu::qt::ChannelGroup;
using tofu::qt::Engine;
using tofu::qt::MessageEnvelope;
using tofu::qt::test::SilentPeer;

namespace {

constexpr int kTimeoutMs = 10'000;
constexpr int kRefusals = 5'000;  // the issue saw 13,000-21,000 refused calls in one loop

tofu::Options smallSendQueue() {
  tofu::Options options;
  options.sendQueueLimitBytes = 64 * 1024;
  return options;
}

// A group on an engine with a small send queue, connected to a SilentPeer.
struct StuckScene {
  explicit StuckScene(const QString& udsPath = {}) : engine(smallSendQueue()), group(engine), peer(udsPath) {}

  // Connects the group to the peer, which accepts; false on failure.
  bool connect() {
    channel = peer.address().isEmpty() ? quint16{0} : group.connectTo(peer.address());
    return channel != 0 && peer.accept(kTimeoutMs);
  }

  Engine engine;
  ChannelGroup group;
  SilentPeer peer;
  quint16 channel = 0;
};

// What one flood loop saw: sends until `kRefusals` were refused, each checked to say why.
struct Flood {
  int accepted = 0;
  int refused = 0;
  bool everyRefusalExplained = true;
};

Flood flood(ChannelGroup& group, quint16 channel) {
  const QByteArray body(1024, 'f');
  Flood result;
  QElapsedTimer timer;
  timer.start();
  while (result.refused < kRefusals && timer.elapsed() < kTimeoutMs) {
    if (group.send(channel, OpCode::Request, body) != 0) {
      ++result.accepted;
      continue;
    }
    ++result.refused;
    result.everyRefusalExplained = result.everyRefusalExplained &&
                                   group.error() == Status::notification_failed &&
                                   group.errorString().contains(QStringLiteral("channel %1").arg(channel));
  }
  return result;
}

// Floods until the queue stays full. The poster can outrun the engine's thread: a refusal then
// comes before the socket is full, and once the engine catches up readyToSend ends that
// episode; flooding goes on until an episode would end only if the peer read.
void floodUntilStuck(ChannelGroup& group, quint16 channel, QSignalSpy& errors, QSignalSpy& ready) {
  int floods = 0;
  do {
    const Flood sent = flood(group, channel);
    QCOMPARE(sent.refused, kRefusals);
    QVERIFY(sent.everyRefusalExplained);
    QCOMPARE(errors.count(), ready.count() + 1);  // one per episode, not one per refused call
    QCOMPARE(errors.last().at(0).value<Status>(), Status::notification_failed);
  } while (ready.wait(200) && ++floods < 20);
  QVERIFY(floods < 20);
}

}  // namespace

class TestSendFlow : public QObject {
  Q_OBJECT

 private slots:
  void floodReportsOnceThenReadyToSend_data();
  void floodReportsOnceThenReadyToSend();
  void noReadyToSendAfterAbort();

 private:
  QTemporaryDir dir_;
};

void TestSendFlow::floodReportsOnceThenReadyToSend_data() {
  QTest::addColumn<QString>("udsPath");
  QTest::newRow("tcp") << QString();
  QTest::newRow("uds") << dir_.filePath(QStringLiteral("silent.sock"));
}

void TestSendFlow::floodReportsOnceThenReadyToSend() {
  QFETCH(QString, udsPath);
  StuckScene scene(udsPath);
  QVERIFY(scene.connect());
  ChannelGroup& group = scene.group;
  SilentPeer& peer = scene.peer;
  const quint16 channel = scene.channel;

  QSignalSpy errors(&group, &ChannelGroup::errorOccurred);
  QSignalSpy ready(&group, &ChannelGroup::readyToSend);
  QSignalSpy notifications(&group, &ChannelGroup::notificationReceived);
  QSignalSpy returned(&group, &ChannelGroup::messageReturned);

  for (int round = 1; round <= 2; ++round) {
    floodUntilStuck(group, channel, errors, ready);
    if (QTest::currentTestFailed()) {
      return;
    }
    const qsizetype episodes = errors.count();
    QVERIFY(tofu::qt::test::runUntil([&] { return !peer.readAvailable() || ready.count() == episodes; },
                                     kTimeoutMs));
    QCOMPARE(ready.count(), episodes);
    QCOMPARE(ready.last().at(0).value<quint16>(), channel);
    QVERIFY(group.send(channel, OpCode::Request, QByteArrayLiteral("after readyToSend")) != 0);
  }
  // The engine's notices reached notificationReceived and nothing else.
  QCOMPARE(returned.count(), 0);
  qsizetype notices = 0;
  for (const QList<QVariant>& arguments : std::as_const(notifications)) {
    const auto message = arguments.at(0).value<MessageEnvelope>();
    if (tofu::isSendReady(message.header)) {
      ++notices;
      QCOMPARE(message.channelNumber(), channel);
      QCOMPARE(message.headerValue(u"~event"), QStringLiteral("send_ready"));
    }
  }
  QVERIFY(notices >= ready.count());  // a notice for a refusal readyToSend already answered emits nothing
}

void TestSendFlow::noReadyToSendAfterAbort() {
  StuckScene scene;
  QVERIFY(scene.connect());
  ChannelGroup& group = scene.group;
  SilentPeer& peer = scene.peer;
  const quint16 channel = scene.channel;
  QSignalSpy errors(&group, &ChannelGroup::errorOccurred);
  QSignalSpy ready(&group, &ChannelGroup::readyToSend);
  QSignalSpy closed(&group, &ChannelGroup::channelClosed);

  floodUntilStuck(group, channel, errors, ready);
  if (QTest::currentTestFailed()) {
    return;
  }
  const qsizetype readyBefore = ready.count();
  QVERIFY(group.abort(channel));  // a ByeSignal is never refused (B13)
  QVERIFY(closed.wait(kTimeoutMs));
  // The peer reads what was written, then sees the reset; the engine said nothing more.
  QVERIFY(tofu::qt::test::runUntil([&] { return !peer.readAvailable(); }, kTimeoutMs));
  QVERIFY(!ready.wait(200));
  QCOMPARE(ready.count(), readyBefore);
}

QTEST_GUILESS_MAIN(TestSendFlow)
#include "tst_send_flow.moc"
