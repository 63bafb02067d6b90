// Workbench against `tofu-cli listen --echo`: connect, send a Request with an explicit id, the
// more flag clear, text headers and a body, get the echoed Response; the Session has the whole
// content of both and the traffic of the workbench engine; listening from the GUI works too.
#include <QProcess>
#include <QSignalSpy>
#include <QtTest>

#include "core_test_events.h"
#include "session.h"
#include "sources/workbench.h"

using namespace tofu;
using namespace tofu::monitor;
using tofu::qt::Direction;
using tofu::qt::MessageEnvelope;

namespace {
constexpr int kWaitMs = 10000;
}

class TstWorkbench : public QObject {
  Q_OBJECT

 private slots:
  void sendsAndGetsTheEcho() {
    QProcess echo;
    echo.start(QStringLiteral(TOFU_CLI_PATH), {QStringLiteral("listen"), QStringLiteral("tcp|127.0.0.1|0"), QStringLiteral("--echo")});
    QVERIFY(echo.waitForStarted(kWaitMs));
    QTRY_VERIFY_WITH_TIMEOUT(echo.canReadLine(), kWaitMs);
    const QString address = QString::fromUtf8(echo.readLine()).trimmed().section(QLatin1Char(' '), 1);
    QVERIFY(address.startsWith(QLatin1String("tcp|127.0.0.1|")));

    Session session;
    Workbench bench(session);
    QCOMPARE(session.sources().size(), 0);  // nothing to show until it is used (or opened)
    QSignalSpy ready(&bench, &Workbench::channelReady);
    QSignalSpy received(&bench, &Workbench::messageReceived);
    const quint16 channel = bench.connectTo(address);
    QVERIFY(channel != 0);
    QCOMPARE(session.sources().size(), 1);
    QCOMPARE(session.sources().first()->name(), QStringLiteral("workbench"));
    QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, kWaitMs);
    QCOMPARE(ready.first().at(1).toString(), QStringLiteral("connected to %1").arg(address));

    WorkbenchMessage message;
    message.channel = channel;
    message.opCode = OpCode::Request;
    message.messageId = 777000;
    message.headers = {{"content-type", "application/json"}, {"trace", "wb-1"}};
    message.body = R"({"hello":"echo"})";
    QCOMPARE(bench.send(message), 777000u);
    MessageEnvelope response;
    const auto responseArrived = [&received, &response] {
      for (const QList<QVariant>& args : received) {
        response = args.at(0).value<MessageEnvelope>();
        if (response.opCode() == OpCode::Response) {
          return true;
        }
      }
      return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(responseArrived(), kWaitMs);
    QCOMPARE_NAME(response.opCode(), OpCode::Response);
    QCOMPARE(response.messageId(), 777000u);
    QCOMPARE(response.body, message.body);
    QCOMPARE(response.headerValue(u"trace"), QStringLiteral("wb-1"));
    QVERIFY(!response.hasMore());

    // The whole content of the Request sent and the Response received, and their events.
    QTRY_VERIFY_WITH_TIMEOUT(session.content().size() >= 2, kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(
        [&session] {
          session.correlation().flush();
          return session.correlation().latencies().size() == 1;
        }(),
        kWaitMs);
    session.traffic().flush();
    bool sawRequestContent = false;
    for (int row = 0; row < session.traffic().rowCount(); ++row) {
      const tofu::qt::TrafficRecord& record = session.traffic().recordAt(row);
      if (record.header.proto.opCode == OpCode::Request && record.direction == Direction::sent) {
        const auto whole = session.content().find(record);
        sawRequestContent = whole && whole->body == message.body &&
                            whole->textHeaders == "content-type:application/json\r\ntrace:wb-1\r\n";
      }
    }
    QVERIFY(sawRequestContent);

    QSignalSpy closed(&bench, &Workbench::channelClosed);
    QVERIFY(bench.close(channel));
    QTRY_COMPARE_WITH_TIMEOUT(closed.count(), 1, kWaitMs);
    echo.kill();
    echo.waitForFinished(kWaitMs);
  }

  void listensFromTheGui() {
    Session session;
    Workbench bench(session);
    QSignalSpy ready(&bench, &Workbench::channelReady);
    QVERIFY(bench.listenOn(QStringLiteral("tcp|127.0.0.1|0")) != 0);
    QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, kWaitMs);
    QVERIFY(ready.first().at(1).toString().startsWith(QStringLiteral("listening on tcp|127.0.0.1|")));
    QSignalSpy errors(&bench, &Workbench::errorOccurred);
    (void)bench.listenOn(QStringLiteral("tcp|not-an-ip|0"));  // refused now or by the I/O thread
    QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, kWaitMs);
  }
};

QTEST_GUILESS_MAIN(TstWorkbench)
#include "tst_workbench.moc"
