// Posting from several application threads at once: the QObjects of the adapter belong to
// their thread, but the tofu::Ampe of a tofu::qt::Engine is thread-safe, so worker threads may
// post through an engine group made on it. A tofu::qt::ChannelGroup at the other end emits
// every message exactly once, on its own thread, each poster's in its posting order.
#include <QHash>
#include <QTest>
#include <QThread>

#include <functional>
#include <thread>
#include <vector>

#include "tofu/address.h"
#include "tofu/qt/channel_group.h"
#include "tofu/qt/engine.h"

#include "qt_test_support.h"

using tofu::OpCode;
using tofu::Status;
using tofu::qt::ChannelGroup;
using tofu::qt::Engine;
using tofu::qt::MessageEnvelope;

namespace {

// What one poster thread did: every post accepted, or the first failure's status.
struct Poster {
  int accepted = 0;
  int fullQueueRetries = 0;
  Status failure = Status::success;
};

// Posts `count` Requests (headers `poster:ID`, `seq:1..count`) on `channel`, retrying while
// the send queue is full (B6), as an application's worker thread would.
void post(tofu::Ampe& ampe, tofu::ChannelGroup& group, quint16 channel, int id, int count, Poster& result) {
  for (int seq = 1; seq <= count; ++seq) {
    tofu::MessagePtr message = ampe.get(tofu::AllocationStrategy::always).value();
    message->setOpCode(OpCode::Request);
    message->setChannelNumber(channel);
    (void)message->headers().append("poster", std::to_string(id));
    (void)message->headers().append("seq", std::to_string(seq));
    message->body().assign("from " + std::to_string(id));
    for (;;) {
      const tofu::Result<tofu::BinaryHeader> posted = group.enqueueToPeer(message);
      if (posted.ok()) {
        ++result.accepted;
        break;
      }
      if (posted.status() != Status::notification_failed) {
        result.failure = posted.status();
        ampe.put(message);
        return;
      }
      ++result.fullQueueRetries;  // refused: the message is still ours (K5)
      std::this_thread::yield();
    }
  }
}

}  // namespace

class TestPostingThreads : public QObject {
  Q_OBJECT

 private slots:
  void eachPostersOrderIsKept();
};

void TestPostingThreads::eachPostersOrderIsKept() {
  constexpr int kPosters = 4;
  constexpr int kPerPoster = 2000;
  Engine engine;
  ChannelGroup server(engine);
  QHash<QString, QList<int>> seqsByPoster;
  int requests = 0;
  bool onOwnThread = true;
  // Direct: the slot runs on the emitting thread, so an emission from another thread would show.
  connect(
      &server, &ChannelGroup::messageReceived, this,
      [&](const MessageEnvelope& m) {
        onOwnThread = onOwnThread && QThread::currentThread() == server.thread();
        if (m.opCode() == OpCode::HelloRequest) {  // the Requests behind it are held until answered (B15)
          server.send(m.channelNumber(), OpCode::HelloResponse, {}, {}, false, m.messageId());
        } else if (m.opCode() == OpCode::Request) {
          ++requests;
          seqsByPoster[m.headerValue(u"poster")].append(m.headerValue(u"seq").toInt());
        }
      },
      Qt::DirectConnection);
  const QString address = tofu::qt::test::listenOn(server);
  QVERIFY(!address.isEmpty());

  // One channel of one engine group, made on the Qt Engine's Ampe; the posters share it.
  tofu::Ampe& ampe = engine.ampe();
  tofu::ChannelGroup* client = ampe.create().value();
  tofu::MessagePtr hello = ampe.get(tofu::AllocationStrategy::always).value();
  QCOMPARE(tofu::prepareHelloRequest(*hello, tofu::Address::parse(address.toStdString()).value()), Status::success);
  const tofu::Result<tofu::BinaryHeader> opened = client->enqueueToPeer(hello);
  QVERIFY(opened.ok());
  const quint16 channel = opened.value().channelNumber;

  std::vector<Poster> posters(kPosters);
  std::vector<std::thread> threads;
  for (std::size_t id = 0; id < posters.size(); ++id) {
    threads.emplace_back(post, std::ref(ampe), std::ref(*client), channel, static_cast<int>(id), kPerPoster,
                         std::ref(posters[id]));
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  for (const Poster& poster : posters) {
    QCOMPARE(poster.failure, Status::success);
    QCOMPARE(poster.accepted, kPerPoster);
  }
  QVERIFY(tofu::qt::test::runUntil([&] { return requests == kPosters * kPerPoster; }, 30000));

  QList<int> expected;
  for (int seq = 1; seq <= kPerPoster; ++seq) {
    expected.append(seq);
  }
  QCOMPARE(seqsByPoster.size(), kPosters);
  for (int id = 0; id < kPosters; ++id) {
    QCOMPARE(seqsByPoster.value(QString::number(id)), expected);  // all of them, in posting order
  }
  QVERIFY(onOwnThread);
  const tofu::qt::DeliveryStats stats = server.stats();
  QCOMPARE(stats.received, stats.delivered);
  QCOMPARE(stats.dropped, quint64{0});
  QCOMPARE(ampe.destroy(client), Status::success);
}

QTEST_GUILESS_MAIN(TestPostingThreads)
#include "tst_posting_threads.moc"
