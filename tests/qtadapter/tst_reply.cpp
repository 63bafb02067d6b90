// tofu::qt::Reply: a Request answered (also in parts), timed out, cancelled, finished with
// ClosedError when the link drops, refused when not connected, and deleted from its own slots.
#include <QSignalSpy>
#include <QTest>

#include <memory>

#include "tofu/qt/connection.h"
#include "tofu/qt/engine.h"
#include "tofu/qt/reply.h"
#include "tofu/qt/server.h"

#include "connection_fixture.h"

using tofu::OpCode;
using tofu::Status;
using tofu::qt::Connection;
using tofu::qt::Engine;
using tofu::qt::MessageEnvelope;
using tofu::qt::Reply;
using tofu::qt::Server;
using State = tofu::qt::Connection::State;

namespace {

// A server and one connected client; the server's Connection is `peer`.
struct Pair {
  Engine engine;
  Server server{engine};
  Connection client{engine};
  Connection* peer = nullptr;

  bool open() {
    peer = tofu::qt::test::connectPair(server, client);
    return peer != nullptr;
  }
  // The server answers each Request with its body reversed, in `parts` parts then the final one.
  void echoReversed(int parts = 0) {
    QObject::connect(peer, &Connection::messageReceived, peer, [this, parts](const MessageEnvelope& m) {
      QByteArray body = m.body;
      std::reverse(body.begin(), body.end());
      for (int i = 1; i <= parts; ++i) {
        peer->replyPart(m, "part " + QByteArray::number(i));
      }
      peer->reply(m, body, {{"answered", "yes"}});
    });
  }
};

}  // namespace

class TestReply : public QObject {
  Q_OBJECT

 private slots:
  void answered();
  void answeredInParts();
  void timesOutAndIgnoresALateAnswer();
  void cancelled();
  void closedWhenTheLinkDrops();
  void refusedWhenNotConnected();
  void replyNeedsARequestOfThisConnection();
  void deleteReplyInItsOwnSlots();
  void deleteConnectionInReplySlot();
  void pendingRepliesFinishWhenConnectionDeleted();
};

void TestReply::answered() {
  Pair pair;
  QVERIFY(pair.open());
  pair.echoReversed();
  QList<Reply*> replies;
  for (int i = 0; i < 5; ++i) {
    replies.append(pair.client.request("abc" + QByteArray::number(i), {{"n", QByteArray::number(i)}}));
  }
  for (int i = 0; i < 5; ++i) {
    Reply* reply = replies.at(i);
    QCOMPARE(reply->parent(), &pair.client);
    QVERIFY(reply->messageId() != 0);
    QSignalSpy finished(reply, &Reply::finished);
    QVERIFY(reply->isFinished() || finished.wait(5000));
    QCOMPARE(reply->error(), Reply::Error::NoError);
    QCOMPARE(reply->status(), Status::success);
    QCOMPARE(reply->response().opCode(), OpCode::Response);
    QCOMPARE(reply->response().messageId(), reply->messageId());
    QCOMPARE(reply->response().body, QByteArray::number(i) + "cba");
    QCOMPARE(reply->response().headerValue(u"answered"), QStringLiteral("yes"));
  }
}

void TestReply::answeredInParts() {
  Pair pair;
  QVERIFY(pair.open());
  pair.echoReversed(2);
  Reply* reply = pair.client.request("xyz");
  QList<QByteArray> parts;
  connect(reply, &Reply::partReceived, this, [&parts](const MessageEnvelope& part) { parts.append(part.body); });
  QSignalSpy finished(reply, &Reply::finished);
  QVERIFY(finished.wait(5000));
  QCOMPARE(finished.count(), 1);
  QCOMPARE(parts, (QList<QByteArray>{"part 1", "part 2"}));
  QCOMPARE(reply->response().body, QByteArray("zyx"));
  QVERIFY(!reply->response().hasMore());
}

void TestReply::timesOutAndIgnoresALateAnswer() {
  Pair pair;
  QVERIFY(pair.open());
  QList<MessageEnvelope> held;
  connect(pair.peer, &Connection::messageReceived, this, [&held](const MessageEnvelope& m) { held.append(m); });
  Reply* reply = pair.client.request("slow", {}, 200);
  QSignalSpy finished(reply, &Reply::finished);
  QVERIFY(finished.wait(5000));
  QCOMPARE(reply->error(), Reply::Error::TimeoutError);
  QVERIFY(!reply->errorString().isEmpty());
  QCOMPARE(held.size(), 1);
  QVERIFY(pair.peer->reply(held.at(0), "too late"));  // ignored by the client
  Reply* next = pair.client.request("next", {}, 200);
  QSignalSpy nextFinished(next, &Reply::finished);
  QVERIFY(nextFinished.wait(5000));
  QCOMPARE(finished.count(), 1);
  QCOMPARE(reply->error(), Reply::Error::TimeoutError);
  QVERIFY(reply->response().body.isEmpty());
  QCOMPARE(pair.client.state(), State::Connected);
}

void TestReply::cancelled() {
  Pair pair;
  QVERIFY(pair.open());
  QList<MessageEnvelope> held;
  connect(pair.peer, &Connection::messageReceived, this, [&held](const MessageEnvelope& m) { held.append(m); });
  Reply* reply = pair.client.request("never mind");
  QSignalSpy finished(reply, &Reply::finished);
  QTRY_COMPARE(held.size(), 1);
  reply->abort();
  QCOMPARE(finished.count(), 1);  // at once
  QCOMPARE(reply->error(), Reply::Error::CanceledError);
  reply->abort();
  QCOMPARE(finished.count(), 1);
  QVERIFY(pair.peer->reply(held.at(0), "ignored"));  // arrives before the probe's answer
  Reply* probe = pair.client.request("probe");
  QSignalSpy probeFinished(probe, &Reply::finished);
  QTRY_COMPARE(held.size(), 2);
  QVERIFY(pair.peer->reply(held.at(1), "answer"));
  QVERIFY(probeFinished.wait(5000));
  QCOMPARE(probe->response().body, QByteArray("answer"));
  QCOMPARE(finished.count(), 1);
  QVERIFY(reply->response().body.isEmpty());
}

void TestReply::closedWhenTheLinkDrops() {
  Pair pair;
  QVERIFY(pair.open());
  Reply* first = pair.client.request("one", {}, 0);
  Reply* second = pair.client.request("two", {}, 0);
  QList<QString> events;
  connect(first, &Reply::finished, this, [&] { events.append(QStringLiteral("first")); });
  connect(second, &Reply::finished, this, [&] { events.append(QStringLiteral("second")); });
  connect(&pair.client, &Connection::stateChanged, this, [&] { events.append(QStringLiteral("state")); });
  QTest::qWait(100);
  pair.peer->abort();
  QTRY_COMPARE_WITH_TIMEOUT(events.size(), 3, 5000);
  QCOMPARE(events, (QList<QString>{"first", "second", "state"}));
  QCOMPARE(first->error(), Reply::Error::ClosedError);
  QCOMPARE(first->status(), Status::peer_disconnected);
  QCOMPARE(second->error(), Reply::Error::ClosedError);
}

void TestReply::refusedWhenNotConnected() {
  Engine engine;
  Connection client(engine);
  QSignalSpy errors(&client, &Connection::errorOccurred);
  Reply* reply = client.request("nobody");
  QVERIFY(reply != nullptr);
  QVERIFY(reply->isFinished());
  QCOMPARE(reply->error(), Reply::Error::SendError);
  QCOMPARE(reply->status(), Status::channel_closed);
  QSignalSpy finished(reply, &Reply::finished);
  QCOMPARE(finished.count(), 0);  // queued: connected after request() still hears it
  QVERIFY(finished.wait(1000));
  QCOMPARE(finished.count(), 1);
  QCOMPARE(errors.count(), 0);  // the Reply carries the refusal
  QCOMPARE(client.error(), Status::channel_closed);
}

void TestReply::replyNeedsARequestOfThisConnection() {
  Pair pair;
  QVERIFY(pair.open());
  QSignalSpy errors(pair.peer, &Connection::errorOccurred);
  MessageEnvelope notARequest;
  notARequest.header = tofu::BinaryHeader::forOpCode(OpCode::Signal);
  notARequest.header.channelNumber = pair.peer->channelNumber();
  notARequest.header.messageId = 7;
  QVERIFY(!pair.peer->reply(notARequest, "no"));
  QCOMPARE(pair.peer->error(), Status::not_allowed);
  QCOMPARE(errors.count(), 1);
}

void TestReply::deleteReplyInItsOwnSlots() {
  Pair pair;
  QVERIFY(pair.open());
  pair.echoReversed(1);
  QPointer<Reply> inPart = pair.client.request("a");
  connect(inPart, &Reply::partReceived, inPart, [&inPart] { delete inPart.data(); });
  QPointer<Reply> inFinished = pair.client.request("b");
  connect(inFinished, &Reply::finished, inFinished, [&inFinished] { delete inFinished.data(); });
  QPointer<Reply> inCancel = pair.client.request("c");
  connect(inCancel, &Reply::finished, inCancel, [&inCancel] { delete inCancel.data(); });
  inCancel->abort();
  QVERIFY(inCancel.isNull());
  QTRY_VERIFY(inPart.isNull() && inFinished.isNull());
  // The connection goes on: a later reply still finishes.
  Reply* later = pair.client.request("d");
  QSignalSpy finished(later, &Reply::finished);
  QVERIFY(finished.wait(5000));
  QCOMPARE(later->response().body, QByteArray("d"));
}

void TestReply::deleteConnectionInReplySlot() {
  Engine engine;
  Server server(engine);
  QPointer<Connection> client = new Connection(engine);
  Connection* peer = tofu::qt::test::connectPair(server, *client);
  QVERIFY(peer != nullptr);
  QPointer<Reply> first = client->request("one");
  QPointer<Reply> second = client->request("two");
  connect(first, &Reply::finished, this, [&client] { delete client.data(); });
  int secondFinished = 0;
  connect(second, &Reply::finished, this, [&secondFinished] { ++secondFinished; });
  QTRY_COMPARE(peer->state(), State::Connected);
  peer->abort();  // both finish with ClosedError; the first deletes the Connection
  QTRY_VERIFY_WITH_TIMEOUT(client.isNull(), 5000);
  QVERIFY(first.isNull() && second.isNull());  // children of the Connection
  QCOMPARE(secondFinished, 1);                 // finished by ~Connection
}

void TestReply::pendingRepliesFinishWhenConnectionDeleted() {
  Pair pair;
  QVERIFY(pair.open());
  auto client = std::make_unique<Connection>(pair.engine);
  QVERIFY(tofu::qt::test::connectAndWait(*client, pair.server.serverAddress()));
  Reply* reply = client->request("orphan");
  reply->setParent(nullptr);  // the application keeps it
  std::unique_ptr<Reply> kept(reply);
  QSignalSpy finished(reply, &Reply::finished);
  client.reset();
  QCOMPARE(finished.count(), 1);
  QCOMPARE(reply->error(), Reply::Error::ClosedError);
  reply->abort();  // harmless once finished
  QCOMPARE(finished.count(), 1);
}

QTEST_GUILESS_MAIN(TestReply)
#include "tst_reply.moc"
