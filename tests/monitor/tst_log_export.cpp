// Log export: the whole log and a filtered one as CSV and JSON with exact content (wall-clock
// time, whole content from the store), and as pcapng that tshark decodes with
// resources/wireshark/tofu.lua (skipped only where tshark is absent).
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "core_test_events.h"
#include "fake_source.h"
#include "models/message_filter.h"
#include "session.h"
#include "sources/log_export.h"

using namespace tofu;
using namespace tofu::monitor;
using tofu::monitor::test::FakeSource;
using tofu::qt::Direction;

namespace {

constexpr std::int64_t kMonotonic = 20'000'000'000;
constexpr std::int64_t kWall = 1796620000123456789;  // 2026-12-07 05:06:40.123456789 UTC
const QByteArray kHeaders("needle:yes\r\nkind:a,b\r\n");
const QByteArray kBody = QByteArray("{\"n\":12345678901234567891}") + QByteArray(100, 'x');  // longer than a preview
const QByteArray kBinary("\x00\xff\x10", 3);

QByteArray readAll(const QString& path) {
  QFile file(path);
  return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

}  // namespace

class TstLogExport : public QObject {
  Q_OBJECT

 private slots:
  void init() {
    session_ = std::make_unique<Session>();
    session_->timeFormat().setTimeZone(QTimeZone::utc());
    auto* source = new FakeSource(QStringLiteral("uds|/tmp/app.sock"));
    session_->addSource(source);
    EngineSnapshot snapshot;
    snapshot.engineId = 1;
    snapshot.takenAtNs = kMonotonic;
    snapshot.takenAtWallNs = kWall;
    emit source->snapshotReady(snapshot);
    emit source->eventsReady({
        test::messageEvent(EventKind::messageSent, 1, 5, OpCode::Request, 42, kMonotonic, false, kHeaders, kBody),
        test::messageEvent(EventKind::messageReceived, 1, 5, OpCode::Response, 42, kMonotonic + 250'000, false, {},
                           kBinary),
        test::messageEvent(EventKind::messageReturned, 1, 6, OpCode::Signal, 7, kMonotonic + 1'000'000, false, {}, {},
                           Status::channel_closed),
    });
    emit source->contentReady(
        {test::contentRecord(1, 5, OpCode::Request, 42, Direction::sent, kMonotonic, kHeaders, kBody)});
    session_->traffic().flush();
    proxy_ = std::make_unique<MessageFilterProxy>(&session_->content());
    proxy_->setSourceModel(&session_->traffic());
    QCOMPARE(proxy_->rowCount(), 3);
  }
  void cleanup() {
    proxy_.reset();
    session_.reset();
  }

  void csvOfTheWholeLog() {
    const QString path = dir_.filePath(QStringLiteral("log.csv"));
    QString error;
    QVERIFY2(exportLog(*proxy_, ExportFormat::csv, path, context(), &error), qPrintable(error));
    QCOMPARE(readAll(path),
             QByteArray("time,wallNs,Engine,Channel,Direction,Opcode,Id,Status,More,Headers,Body,Latency\r\n"
                        "2026-12-07 05:06:40.123456 UTC,1796620000123456789,uds|/tmp/app.sock,5,sent,Request,42,"
                        "success,,22,126,\r\n"
                        "2026-12-07 05:06:40.123706 UTC,1796620000123706789,uds|/tmp/app.sock,5,received,Response,42,"
                        "success,,0,3,\r\n"
                        "2026-12-07 05:06:40.124456 UTC,1796620000124456789,uds|/tmp/app.sock,6,returned,Signal,7,"
                        "channel_closed,,0,0,\r\n"));
  }

  // Filtered to the Request: its whole body (from the store, not the 64-byte preview), base64.
  void jsonOfAFilteredLog() {
    proxy_->setOpCodes({OpCode::Request});
    const QString path = dir_.filePath(QStringLiteral("log.json"));
    QString error;
    QVERIFY2(exportLog(*proxy_, ExportFormat::json, path, context(), &error), qPrintable(error));
    QCOMPARE(readAll(path),
             QByteArray("[\n{\"atNs\":20000000000,\"body\":\"") + kBody.toBase64() +
                 "\",\"bodyLen\":126,\"channelNumber\":5,\"complete\":true,\"direction\":\"sent\",\"engine\":"
                 "\"uds|/tmp/app.sock\",\"engineId\":1,\"headersLen\":22,\"incarnation\":0,\"latencyNs\":0,"
                 "\"messageId\":42,\"more\":false,\"opCode\":\"Request\",\"origin\":\"application\",\"status\":"
                 "\"success\",\"textHeaders\":\"" + kHeaders.toBase64() +
                 "\",\"time\":\"2026-12-07 05:06:40.123456 UTC\",\"wallNs\":1796620000123456789}\n]\n");
  }

  void pcapngDecodesWithTheDissector() {
    const QString tshark = QStandardPaths::findExecutable(QStringLiteral("tshark"));
    if (tshark.isEmpty()) QSKIP("tshark is not installed");
    const QString path = dir_.filePath(QStringLiteral("log.pcapng"));
    QString error;
    QVERIFY2(exportLog(*proxy_, ExportFormat::pcapng, path, context(), &error), qPrintable(error));

    QProcess process;
    process.start(tshark, {"-n", "-r", path, "-X", QStringLiteral("lua_script:%1").arg(TOFU_DISSECTOR_PATH), "-T",
                           "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=;", "-e",
                           "frame.time_epoch", "-e", "frame.interface_name", "-e", "frame.packet_flags_direction", "-e",
                           "frame.len", "-e", "frame.cap_len", "-e", "tofu.channel", "-e", "tofu.opcode", "-e",
                           "tofu.message_id", "-e", "tofu.status", "-e", "tofu.header", "-e", "tofu.body"});
    QVERIFY(process.waitForFinished(60000));
    const QByteArray errors = process.readAllStandardError();
    QVERIFY2(process.exitCode() == 0 && !errors.contains("Lua: Error"), errors.constData());
    const QList<QByteArray> lines = process.readAllStandardOutput().trimmed().split('\n');
    QCOMPARE(lines.size(), 3);
    QCOMPARE(lines[0], QByteArray("1796620000.123456789|uds|/tmp/app.sock|0x00000002|164|164|5|0|42|0|needle:yes;kind:a,b|") +
                           kBody.toHex());
    // The Response's content is not in the store: its 3-byte preview is the whole body.
    QCOMPARE(lines[1], QByteArray("1796620000.123706789|uds|/tmp/app.sock|0x00000001|19|19|5|1|42|0||00ff10"));
    QCOMPARE(lines[2], QByteArray("1796620000.124456789|uds|/tmp/app.sock|0x00000002|16|16|6|2|7|22||"));
  }

 private:
  ExportContext context() const { return {&session_->timeFormat(), &session_->content()}; }

  QTemporaryDir dir_;
  std::unique_ptr<Session> session_;
  std::unique_ptr<MessageFilterProxy> proxy_;
};

QTEST_GUILESS_MAIN(TstLogExport)
#include "tst_log_export.moc"
