// MessageEnvelope and TrafficRecord: plain values copied out of a message, read back exactly.
#include <QTest>

#include "tofu/qt/message_envelope.h"
#include "tofu/qt/models/traffic_record.h"

using tofu::qt::MessageEnvelope;

class TestMessageEnvelope : public QObject {
  Q_OBJECT

 private slots:
  void roundTrip();
  void recordFromEvent_data();
  void recordFromEvent();
};

void TestMessageEnvelope::roundTrip() {
  tofu::MessagePtr message = tofu::Message::create();
  message->header() = tofu::BinaryHeader::forOpCode(tofu::OpCode::Response);
  message->setChannelNumber(12);
  message->setMessageId(345);
  message->setMore(true);
  QCOMPARE(message->headers().append("b", "2"), tofu::HeaderCheck::ok);
  QCOMPARE(message->headers().append("a", "one value"), tofu::HeaderCheck::ok);
  message->body().assign(std::string_view("\0body", 5));

  const MessageEnvelope envelope = MessageEnvelope::fromMessage(*message, 99);
  QCOMPARE(envelope.opCode(), tofu::OpCode::Response);
  QCOMPARE(envelope.channelNumber(), quint16{12});
  QCOMPARE(envelope.messageId(), quint64{345});
  QVERIFY(envelope.hasMore());
  QCOMPARE(envelope.receivedNs, std::int64_t{99});
  QCOMPARE(envelope.body, QByteArray("\0body", 5));
  QCOMPARE(envelope.header.bodyLen, std::uint16_t{5});
  QCOMPARE(envelope.header.textHeadersLen, static_cast<std::uint16_t>(message->headers().size()));
  const QList<QPair<QString, QString>> expected{{"b", "2"}, {"a", "one value"}};
  QCOMPARE(envelope.headerList(), expected);
  QCOMPARE(envelope.headerValue(u"a"), QStringLiteral("one value"));
  QVERIFY(envelope.headerValue(u"missing").isNull());

  tofu::MessagePtr copy = tofu::Message::create();
  QCOMPARE(copy->headers().append("stale", "x"), tofu::HeaderCheck::ok);
  envelope.copyTo(*copy);
  QCOMPARE(copy->header(), envelope.header);
  QCOMPARE(copy->headers().buffer().view(), message->headers().buffer().view());
  QCOMPARE(copy->body().view(), message->body().view());
}

void TestMessageEnvelope::recordFromEvent_data() {
  QTest::addColumn<tofu::EventKind>("kind");
  QTest::addColumn<bool>("produced");
  QTest::addColumn<tofu::qt::Direction>("direction");
  QTest::addColumn<qint64>("latency");
  QTest::newRow("sent") << tofu::EventKind::messageSent << true << tofu::qt::Direction::sent << qint64{50};
  QTest::newRow("received") << tofu::EventKind::messageReceived << true << tofu::qt::Direction::received << qint64{7};
  QTest::newRow("returned") << tofu::EventKind::messageReturned << true << tofu::qt::Direction::returned << qint64{0};
  QTest::newRow("state") << tofu::EventKind::channelState << false << tofu::qt::Direction::sent << qint64{0};
}

void TestMessageEnvelope::recordFromEvent() {
  QFETCH(tofu::EventKind, kind);
  QFETCH(bool, produced);
  QFETCH(tofu::qt::Direction, direction);
  QFETCH(qint64, latency);
  tofu::Event event;
  event.kind = kind;
  event.channelNumber = 3;
  event.messageId = 8;
  event.headersLen = 4;
  event.bodyLen = 10;
  event.postedNs = 100;
  event.writtenNs = 150;
  event.readNs = 200;
  event.deliveredNs = 207;
  event.previewHeadersLen = 4;
  event.previewBodyLen = 3;
  const char bytes[] = "a:1\nxyz";
  std::copy(bytes, bytes + 7, event.preview.begin());
  tofu::qt::TrafficRecord record;
  QCOMPARE(tofu::qt::TrafficRecord::fromEvent(event, record), produced);
  if (!produced) {
    return;
  }
  QCOMPARE(record.direction, direction);
  QCOMPARE(record.latencyNs, latency);
  QCOMPARE(record.textHeaders, QByteArray("a:1\n"));
  QCOMPARE(record.body, QByteArray("xyz"));
  QVERIFY(!record.contentComplete);  // 3 of 10 body bytes
  QCOMPARE(record.header.messageId, std::uint64_t{8});
}

QTEST_GUILESS_MAIN(TestMessageEnvelope)
#include "tst_message_envelope.moc"
