// Another process's traffic as the monitor shows it (issue 20, part A), against real
// `tofu-cli listen --echo --telemetry` processes: a 61,011-byte body whole in the detail view
// and found by the header and body filters; a body over TOFU_TELEMETRY_BODY_LIMIT cut and
// said so; limit 0 sends headers only; engines named after their process, a restarted process
// kept apart from the old one, a killed one marked lost; a second attach to one endpoint refused.
#include <QLabel>
#include <QProcess>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include "cli_listener.h"
#include "main_window.h"
#include "message_detail.h"
#include "models/message_filter.h"
#include "hex_view.h"
#include "session.h"
#include "sources/telemetry_source.h"
#include "ui_test_support.h"

using namespace tofu;
using namespace tofu::monitor;
using tofu::monitor::test::child;
using tofu::monitor::test::CliListener;
using tofu::monitor::test::kCliWaitMs;

namespace {

constexpr qsizetype kBigBody = 61011;

// A recognisable body: NEEDLE somewhere in the middle of filler.
QByteArray bigBody() {
  QByteArray body(kBigBody, 'a');
  body.replace(30000, 6, "NEEDLE");
  return body;
}

bool sendRequest(const QString& address, const QByteArray& body) {
  QProcess sender;
  sender.start(QStringLiteral(TOFU_CLI_PATH), {QStringLiteral("send"), address, QStringLiteral("--body"),
                                               QString::fromLatin1(body), QStringLiteral("--header"),
                                               QStringLiteral("needle:yes")});
  return sender.waitForFinished(kCliWaitMs) && sender.exitCode() == 0;
}

// The whole content of the first received Request with a body of `bodyLen` bytes that
// `proxy` lets through, once it is there.
std::optional<tofu::qt::TrafficRecord> filteredRequest(Session& session, const MessageFilterProxy& proxy,
                                                       qsizetype bodyLen) {
  for (int row = 0; row < proxy.rowCount(); ++row) {
    const tofu::qt::TrafficRecord& record =
        session.traffic().recordAt(proxy.mapToSource(proxy.index(row, 0)).row());
    if (record.direction == tofu::qt::Direction::received && record.header.proto.opCode == OpCode::Request &&
        record.header.bodyLen == bodyLen) {
      return session.content().find(record);
    }
  }
  return std::nullopt;
}

// Attaches `session` to `listener`'s telemetry and sends it the big Request; the content
// record of that Request as the monitor received it.
std::optional<tofu::qt::TrafficRecord> attachAndSend(Session& session, const CliListener& listener) {
  auto* source = new TelemetrySource(listener.telemetry, 200);
  // The first snapshot follows the subscription: from then on the process streams its events.
  QSignalSpy subscribed(source, &Source::snapshotReady);
  session.addSource(source);
  if (!subscribed.wait(kCliWaitMs) || !sendRequest(listener.address, bigBody())) {
    return std::nullopt;
  }
  MessageFilterProxy any(&session.content());
  any.setSourceModel(&session.traffic());
  std::optional<tofu::qt::TrafficRecord> found;
  (void)QTest::qWaitFor([&] { return (found = filteredRequest(session, any, kBigBody)).has_value(); }, kCliWaitMs);
  return found;
}

QStringList channelColumn(tofu::qt::ChannelTableModel& channels, tofu::qt::ChannelColumn column) {
  channels.flush();
  QStringList values;
  for (int row = 0; row < channels.rowCount(); ++row) {
    values << channels.index(row, static_cast<int>(column)).data().toString();
  }
  return values;
}

}  // namespace

class TstAttachedTraffic : public QObject {
  Q_OBJECT

 private slots:
  void wholeBodyShownAndFoundByTheFilters() {
    QTemporaryDir dir;
    CliListener listener;
    QVERIFY(listener.start(QStringLiteral("uds|%1/t.sock").arg(dir.path())));
    Session session;
    const std::optional<tofu::qt::TrafficRecord> whole = attachAndSend(session, listener);
    QVERIFY(whole);
    QCOMPARE(whole->body, bigBody());
    QVERIFY(!whole->bodyCut);
    QVERIFY(whole->textHeaders.contains("needle:yes"));

    MessageFilterProxy byHeader(&session.content());
    byHeader.setSourceModel(&session.traffic());
    byHeader.setHeaderMatch(QStringLiteral("needle:yes"));
    QVERIFY(filteredRequest(session, byHeader, kBigBody));
    byHeader.setHeaderMatch(QStringLiteral("needle:no"));
    QVERIFY(!filteredRequest(session, byHeader, kBigBody));
    MessageFilterProxy byBody(&session.content());
    byBody.setSourceModel(&session.traffic());
    QVERIFY(byBody.setBodyPattern(QStringLiteral("NEEDLE")));
    QVERIFY(filteredRequest(session, byBody, kBigBody));
    QVERIFY(byBody.setBodyPattern(QStringLiteral("HAYSTACK")));
    QVERIFY(!filteredRequest(session, byBody, kBigBody));

    MessageDetail detail;
    detail.resize(700, 500);
    detail.show();
    detail.showRecord(*whole);
    QCOMPARE(child<HexView>(&detail, "detailHex")->data().size(), kBigBody);
    QVERIFY(child<QLabel>(&detail, "detailPreviewBanner")->isHidden());
    auto* headers = child<QTableWidget>(&detail, "detailTextHeaders");
    QVERIFY(!headers->findItems(QStringLiteral("needle"), Qt::MatchExactly).isEmpty());
  }

  // Before the user picks a row, the window shows an attached message with its body, as it
  // does for in-process traffic.
  void windowShowsAnAttachedBodyUnasked() {
    QTemporaryDir dir;
    CliListener listener;
    QVERIFY(listener.start(QStringLiteral("uds|%1/t.sock").arg(dir.path())));
    Session session;
    MainWindow window(session);
    window.show();
    QVERIFY(attachAndSend(session, listener));
    auto* detail = child<MessageDetail>(&window, "messageDetail");
    QTRY_VERIFY_WITH_TIMEOUT(detail->hasRecord(), kCliWaitMs);
    QCOMPARE(child<HexView>(detail, "detailHex")->data(), bigBody());
  }

  void bodyOverTheLimitIsCutAndSaidSo_data() {
    QTest::addColumn<int>("limit");
    QTest::newRow("1000") << 1000;
    QTest::newRow("0: headers only") << 0;
  }
  void bodyOverTheLimitIsCutAndSaidSo() {
    QFETCH(int, limit);
    QTemporaryDir dir;
    CliListener listener;
    QVERIFY(listener.start(QStringLiteral("uds|%1/t.sock").arg(dir.path()),
                           {QStringLiteral("TOFU_TELEMETRY_BODY_LIMIT=%1").arg(limit)}));
    Session session;
    const std::optional<tofu::qt::TrafficRecord> cut = attachAndSend(session, listener);
    QVERIFY(cut);
    QCOMPARE(cut->body, bigBody().left(limit));
    QVERIFY(cut->bodyCut);
    QVERIFY(cut->textHeaders.contains("needle:yes"));  // headers always whole

    MessageDetail detail;
    detail.showRecord(*cut);
    const auto* banner = child<QLabel>(&detail, "detailPreviewBanner");
    QVERIFY(!banner->isHidden());
    QVERIFY2(banner->text().contains(QStringLiteral("first %1 of %2 bytes sent by the process").arg(limit).arg(kBigBody)),
             qPrintable(banner->text()));
    QVERIFY2(banner->text().contains(QLatin1String("TOFU_TELEMETRY_BODY_LIMIT")), qPrintable(banner->text()));
  }

  // Two runs of a program on one telemetry path: the second is another process, with its own
  // label and rows; the first one's channels are marked lost once it is killed.
  void restartedProcessIsKeptApartAndTheDeadOneMarkedLost() {
    QTemporaryDir dir;
    const QString path = QStringLiteral("uds|%1/t.sock").arg(dir.path());
    auto first = std::make_unique<CliListener>();
    QVERIFY(first->start(path));
    const QString firstPid = QString::number(first->process.processId());
    Session session;
    auto* source = new TelemetrySource(path, 100);
    session.addSource(source);
    auto& channels = session.channels();
    QTRY_VERIFY_WITH_TIMEOUT(!channelColumn(channels, tofu::qt::ChannelColumn::engine).isEmpty(), kCliWaitMs);
    // The table names the process short; its whole description (host, start time) is the
    // session's, for the engines panel and the Engine cells' tooltips.
    const QString firstLabel = channelColumn(channels, tofu::qt::ChannelColumn::engine).first();
    QCOMPARE(firstLabel, QStringLiteral("tofu-cli[%1]").arg(firstPid));
    const QString firstDescription =
        session.engineDescription(channels.index(0, 0).data(tofu::qt::EngineIdRole).value<std::uint64_t>());
    QVERIFY2(firstDescription.startsWith(QStringLiteral("tofu-cli[%1]@").arg(firstPid)), qPrintable(firstDescription));
    QVERIFY2(firstDescription.contains(QLatin1String(", started ")), qPrintable(firstDescription));
    QCOMPARE(channelColumn(channels, tofu::qt::ChannelColumn::state), QStringList{QStringLiteral("ready")});

    first.reset();  // kill -9
    QTRY_COMPARE_WITH_TIMEOUT(channelColumn(channels, tofu::qt::ChannelColumn::state),
                              QStringList{QStringLiteral("lost")}, kCliWaitMs);
    const QModelIndex sourceRow = session.engines().index(0, EngineListModel::name);
    QTRY_VERIFY_WITH_TIMEOUT(session.engines().index(0, EngineListModel::state, sourceRow).data().toString() ==
                                 QLatin1String("lost"),
                             kCliWaitMs);

    CliListener second;
    QVERIFY(second.start(path));
    const QString secondPid = QString::number(second.process.processId());
    QVERIFY(secondPid != firstPid);
    QTRY_VERIFY_WITH_TIMEOUT(source->state() == Source::State::connected, kCliWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(!channelColumn(channels, tofu::qt::ChannelColumn::engine).isEmpty(), kCliWaitMs);
    for (const QString& label : channelColumn(channels, tofu::qt::ChannelColumn::engine)) {
      QCOMPARE(label, QStringLiteral("tofu-cli[%1]").arg(secondPid));
    }
    QCOMPARE(channelColumn(channels, tofu::qt::ChannelColumn::state), QStringList{QStringLiteral("ready")});
    QCOMPARE(channelColumn(channels, tofu::qt::ChannelColumn::localAddress), QStringList{second.address});
  }

  void sourceErrorIsTextInTheEnginesPanel() {
    CliListener plain;
    QVERIFY(plain.start({}));
    Session session;
    session.addSource(new TelemetrySource(plain.address, 100));
    const QModelIndex row = session.engines().index(0, EngineListModel::name);
    QTRY_VERIFY_WITH_TIMEOUT(row.data().toString().contains(QLatin1String("is not a telemetry endpoint")), kCliWaitMs);
  }

  void secondAttachToOneEndpointIsRefused() {
    Session session;
    MainWindow window(session);
    const QString address = QStringLiteral("uds|/nonexistent/tofu-test-telemetry.sock");
    QString error;
    const qsizetype before = session.sources().size();  // the window's own (workbench) source
    QVERIFY(window.attach(address));
    QVERIFY(!window.attach(address, {}, &error));
    QVERIFY(!window.attach(QLatin1Char(' ') + address, {}, &error));
    QCOMPARE(error, QStringLiteral("already attached to %1").arg(address));
    QCOMPARE(session.sources().size(), before + 1);
  }
};

QTEST_MAIN(TstAttachedTraffic)
#include "tst_attached_traffic.moc"
