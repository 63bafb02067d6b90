// The tofu-monitor executable: its command line, a `--screenshot` run producing a PNG of the
// window's size with exit 0 that shows the demo's ready channels, and the no-display run that
// goes offscreen by itself and says where it wrote its screenshot.
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

#include "command_line.h"
#include "palette.h"

using namespace tofu::monitor;

namespace {

// Where the image has exactly this colour. Channel states are painted in the monitor's own
// colours (palette.h), which the style's greys and blues never hit exactly.
struct ColourArea {
  int pixels = 0;
  int longestRun = 0;  // the widest horizontal stretch
};
ColourArea areaOf(const QImage& image, const QColor& colour) {
  ColourArea area;
  for (int y = 0; y < image.height(); ++y) {
    int run = 0;
    for (int x = 0; x < image.width(); ++x) {
      run = image.pixel(x, y) == colour.rgb() ? run + 1 : 0;
      area.pixels += run > 0 ? 1 : 0;
      area.longestRun = std::max(area.longestRun, run);
    }
  }
  return area;
}

}  // namespace

class TestMonitorApp : public QObject {
  Q_OBJECT

 private slots:
  void parsesEveryOption() {
    MonitorOptions options;
    QString message;
    const QStringList args{QStringLiteral("tofu-monitor"), QStringLiteral("--attach"), QStringLiteral("uds|/tmp/a"),
                           QStringLiteral("--attach"), QStringLiteral("tcp|127.0.0.1|7000"), QStringLiteral("--open"),
                           QStringLiteral("in.jsonl"), QStringLiteral("--record"), QStringLiteral("out.jsonl"),
                           QStringLiteral("--screenshot"), QStringLiteral("s.png"), QStringLiteral("--quit-after"),
                           QStringLiteral("2.5"), QStringLiteral("--flood"), QStringLiteral("200000"),
                           QStringLiteral("--size"), QStringLiteral("1280x800")};
    QCOMPARE(parseCommandLine(args, options, message), ParseResult::ok);
    QCOMPARE(options.attach, (QStringList{QStringLiteral("uds|/tmp/a"), QStringLiteral("tcp|127.0.0.1|7000")}));
    QCOMPARE(options.open, QStringLiteral("in.jsonl"));
    QCOMPARE(options.record, QStringLiteral("out.jsonl"));
    QCOMPARE(options.screenshot, QStringLiteral("s.png"));
    QCOMPARE(options.quitAfter, 2.5);
    QCOMPARE(options.floodRate, 200000);
    QVERIFY(options.demo);  // --flood implies the demo
    QCOMPARE(options.size, QSize(1280, 800));
  }

  void parsesTheToken() {
    qunsetenv("TOFU_TELEMETRY_TOKEN");
    MonitorOptions options;
    QString message;
    QCOMPARE(parseCommandLine(
                 {QStringLiteral("tofu-monitor"), QStringLiteral("--attach"),
                  QStringLiteral("tcp|127.0.0.1|7000"), QStringLiteral("--token"), QStringLiteral("T0k")},
                 options, message),
             ParseResult::ok);
    QCOMPARE(options.attach, QStringList{QStringLiteral("tcp|127.0.0.1|7000")});
    QCOMPARE(options.access.token, QStringLiteral("T0k"));

    MonitorOptions none;
    QCOMPARE(parseCommandLine(
                 {QStringLiteral("tofu-monitor"), QStringLiteral("--attach"), QStringLiteral("uds|/tmp/a")},
                 none, message),
             ParseResult::ok);
    QVERIFY(none.access.token.isEmpty());

    // TOFU_TELEMETRY_TOKEN is the fallback; --token wins over it.
    qputenv("TOFU_TELEMETRY_TOKEN", "from-environment");
    MonitorOptions fromEnvironment;
    QCOMPARE(parseCommandLine({QStringLiteral("tofu-monitor"), QStringLiteral("--attach"),
                               QStringLiteral("tcp|127.0.0.1|7000")},
                              fromEnvironment, message),
             ParseResult::ok);
    QCOMPARE(fromEnvironment.access.token, QStringLiteral("from-environment"));
    MonitorOptions given;
    QCOMPARE(
        parseCommandLine({QStringLiteral("tofu-monitor"), QStringLiteral("--token"), QStringLiteral("given")},
                         given, message),
        ParseResult::ok);
    QCOMPARE(given.access.token, QStringLiteral("given"));
    qunsetenv("TOFU_TELEMETRY_TOKEN");

    MonitorOptions help;
    QCOMPARE(parseCommandLine({QStringLiteral("tofu-monitor"), QStringLiteral("--help")}, help, message),
             ParseResult::exitOk);
    QVERIFY2(message.contains(QLatin1String("--token <TOKEN>")), qPrintable(message));
    QVERIFY2(message.contains(QLatin1String("TOFU_TELEMETRY_TOKEN")), qPrintable(message));
  }

  void parsesTheTlsFiles() {
    MonitorOptions options;
    QString message;
    QCOMPARE(parseCommandLine({QStringLiteral("tofu-monitor"), QStringLiteral("--attach"), QStringLiteral("tls|host|7443"),
                               QStringLiteral("--ca"), QStringLiteral("/ca.pem"), QStringLiteral("--cert"),
                               QStringLiteral("/me.pem"), QStringLiteral("--key"), QStringLiteral("/me.key")},
                              options, message),
             ParseResult::ok);
    QCOMPARE(options.access.caFile, QStringLiteral("/ca.pem"));
    QCOMPARE(options.access.certificateFile, QStringLiteral("/me.pem"));
    QCOMPARE(options.access.keyFile, QStringLiteral("/me.key"));
    QVERIFY(!options.access.insecureSkipVerification);
    MonitorOptions insecure;
    QCOMPARE(parseCommandLine({QStringLiteral("tofu-monitor"), QStringLiteral("--insecure")}, insecure, message),
             ParseResult::ok);
    QVERIFY(insecure.access.insecureSkipVerification);
    MonitorOptions help;
    QCOMPARE(parseCommandLine({QStringLiteral("tofu-monitor"), QStringLiteral("--help")}, help, message),
             ParseResult::exitOk);
    QVERIFY2(message.contains(QLatin1String("DO NOT CHECK")), qPrintable(message));
  }

  void refusesBadValues_data() {
    QTest::addColumn<QStringList>("args");
    QTest::newRow("quit-after text") << QStringList{QStringLiteral("--quit-after"), QStringLiteral("soon")};
    QTest::newRow("negative flood") << QStringList{QStringLiteral("--flood"), QStringLiteral("-5")};
    QTest::newRow("unknown option") << QStringList{QStringLiteral("--bogus")};
    QTest::newRow("positional") << QStringList{QStringLiteral("stray")};
    QTest::newRow("token without value") << QStringList{QStringLiteral("--token")};
    QTest::newRow("cert without key") << QStringList{QStringLiteral("--cert"), QStringLiteral("/me.pem")};
    QTest::newRow("key without cert") << QStringList{QStringLiteral("--key"), QStringLiteral("/me.key")};
    QTest::newRow("size without height") << QStringList{QStringLiteral("--size"), QStringLiteral("1280")};
    QTest::newRow("size too small") << QStringList{QStringLiteral("--size"), QStringLiteral("100x80")};
  }
  void refusesBadValues() {
    QFETCH(QStringList, args);
    MonitorOptions options;
    QString message;
    QCOMPARE(parseCommandLine(QStringList{QStringLiteral("tofu-monitor")} + args, options, message), ParseResult::error);
    QVERIFY(!message.isEmpty());
  }

  void screenshotOfTheDemo() {
    QTemporaryDir dir;
    const QString png = dir.filePath(QStringLiteral("shot.png"));
    QProcess monitor;
    monitor.start(QStringLiteral(TOFU_MONITOR_PATH), {QStringLiteral("--demo"), QStringLiteral("--screenshot"), png,
                                                      QStringLiteral("--quit-after"), QStringLiteral("3")});
    QVERIFY(monitor.waitForFinished(60000));
    QCOMPARE(monitor.exitStatus(), QProcess::NormalExit);
    QCOMPARE(monitor.exitCode(), 0);
    const QImage image(png);
    QVERIFY2(!image.isNull(), qPrintable(QString::fromUtf8(monitor.readAllStandardError())));
    QCOMPARE(image.size(), QSize(1600, 1000));
    // The demo's channels shown ready: the state badges in the channel table (each about 40 x 15
    // pixels) and the ready band across the timeline of the channel it selected.
    const ColourArea ready = areaOf(image, stateColor(tofu::ChannelState::ready));
    QVERIFY2(ready.pixels >= 2000, qPrintable(QString::number(ready.pixels)));
    QVERIFY2(ready.longestRun >= 100, qPrintable(QString::number(ready.longestRun)));
    QVERIFY(QString::fromUtf8(monitor.readAllStandardOutput()).contains(png));
  }

  void withoutADisplayItGoesOffscreenAndSaysWhere() {
    QTemporaryDir dir;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}) env.remove(QString::fromLatin1(name));
    QProcess monitor;
    monitor.setProcessEnvironment(env);
    monitor.setWorkingDirectory(dir.path());
    monitor.start(QStringLiteral(TOFU_MONITOR_PATH), {QStringLiteral("--quit-after"), QStringLiteral("1")});
    QVERIFY(monitor.waitForFinished(60000));
    QCOMPARE(monitor.exitCode(), 0);
    const QString out = QString::fromUtf8(monitor.readAllStandardOutput());
    QVERIFY2(out.contains(QStringLiteral("tofu-monitor-screenshot.png")), qPrintable(out));
    QVERIFY(!QImage(dir.filePath(QStringLiteral("tofu-monitor-screenshot.png"))).isNull());
  }
};

QTEST_MAIN(TestMonitorApp)
#include "tst_monitor_app.moc"
