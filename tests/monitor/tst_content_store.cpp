// ContentStore: whole content found by key, frames of one stream told apart by size and time,
// and the byte bound evicting the oldest entries with a count.
#include <QtTest>

#include "core_test_events.h"
#include "models/content_store.h"

using namespace tofu;
using namespace tofu::monitor;
using tofu::qt::Direction;

class TstContentStore : public QObject {
  Q_OBJECT

 private slots:
  void findsByKey() {
    ContentStore store;
    store.add(test::contentRecord(1, 5, OpCode::Request, 10, Direction::sent, 100, "a:1\r\n", "first"));
    store.add(test::contentRecord(1, 5, OpCode::Request, 11, Direction::sent, 200, "a:2\r\n", "second"));
    tofu::qt::TrafficRecord probe = test::contentRecord(1, 5, OpCode::Request, 11, Direction::sent, 205, "", "");
    probe.header.textHeadersLen = 5;
    probe.header.bodyLen = 6;
    const auto found = store.find(probe);
    QVERIFY(found);
    QCOMPARE(found->body, QByteArray("second"));
    probe.direction = Direction::received;
    QVERIFY(!store.find(probe));
    probe.direction = Direction::sent;
    probe.engineId = 2;
    QVERIFY(!store.find(probe));
  }

  void tellsStreamFramesApart() {
    ContentStore store;
    store.add(test::contentRecord(1, 5, OpCode::Response, 7, Direction::received, 1000, "", "chunk-0", true));
    store.add(test::contentRecord(1, 5, OpCode::Response, 7, Direction::received, 2000, "", "chunk-1", true));
    store.add(test::contentRecord(1, 5, OpCode::Response, 7, Direction::received, 3000, "", "end", false));
    auto probe = test::contentRecord(1, 5, OpCode::Response, 7, Direction::received, 1900, "", "xxxxxxx", true);
    QCOMPARE(store.find(probe)->body, QByteArray("chunk-1"));
    probe.atNs = 1100;
    QCOMPARE(store.find(probe)->body, QByteArray("chunk-0"));
    probe = test::contentRecord(1, 5, OpCode::Response, 7, Direction::received, 1000, "", "xxx", false);
    QCOMPARE(store.find(probe)->body, QByteArray("end"));
  }

  void evictsTheOldestPastItsBound() {
    ContentStore store(3 * (128 + 1000));  // three 1000-byte bodies with their overhead
    for (int id = 1; id <= 5; ++id) {
      store.add(test::contentRecord(1, 1, OpCode::Signal, static_cast<std::uint64_t>(id), Direction::sent, id, "",
                                    QByteArray(1000, 'x')));
    }
    QCOMPARE(store.size(), 3);
    QCOMPARE(store.evicted(), 2u);
    QCOMPARE(store.bytes(), 3 * (128 + 1000));
    auto probe = test::contentRecord(1, 1, OpCode::Signal, 2, Direction::sent, 2, "", QByteArray(1000, 'x'));
    QVERIFY(!store.find(probe));
    probe.header.messageId = 3;
    QVERIFY(store.find(probe));
    probe.header.messageId = 5;
    QVERIFY(store.find(probe));
    store.clear();
    QCOMPARE(store.size(), 0);
    QVERIFY(!store.find(probe));
  }
};

QTEST_GUILESS_MAIN(TstContentStore)
#include "tst_content_store.moc"
