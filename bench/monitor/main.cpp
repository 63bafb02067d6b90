// tofu-monitor-bench: does the monitor's GUI stay responsive, and its memory bounded, while
// a flood pours in?
//
// Scenario: the real MainWindow (1600x1000, offscreen when there is no display) over a
// Session with the DemoScene's normal traffic, plus a flood of --rate messages/s (default
// 200,000) from one of two places:
//   --source attach (default): a `tofu-cli listen --telemetry` process the monitor attaches
//       to, flooded by a sender thread with its own engine in this process (not observed);
//   --source demo: the DemoScene's own flood channel (its sender runs on the GUI thread).
// After a warm-up it measures for --seconds (default 10):
//   - flood sent: messages/s the sender actually posted;
//   - log rows in: message records/s that reached the log model (shown, held or evicted);
//   - event-loop lateness of a 10 ms timer on the GUI thread: median, p99, max;
//   - resident memory at the start, middle and end of the window.
// Targets: lateness p99 < 50 ms; memory bounded (end <= middle * 1.2 + 16 MB). Exit 1 when a
// target is missed (not with --quick, the 3-second CI smoke run).
//
// Usage: tofu-monitor-bench [--quick] [--seconds S] [--rate MSGS_PER_SECOND] [--source attach|demo]
#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <memory>

#include <cstdio>

#include "flood_sender.h"
#include "loop_probe.h"
#include "main_window.h"
#include "session.h"

namespace {

using tofu::monitor::bench::FloodSender;
using tofu::monitor::bench::LoopProbe;
using tofu::monitor::bench::residentBytes;

constexpr double kLatencyTargetMs = 50;
constexpr double kMiB = 1024.0 * 1024.0;
constexpr qint64 kListenerStartMs = 5000;

struct Counts {
  double atSeconds = 0;
  quint64 sent = 0;
  quint64 logged = 0;
};

struct Run {
  Counts start;
  Counts end;
  qint64 rssStart = 0;
  qint64 rssMiddle = 0;
  qint64 rssEnd = 0;
  LoopProbe::Summary loop;
};

Counts countNow(tofu::monitor::MainWindow& window, const FloodSender* flood, const QElapsedTimer& clock) {
  auto& traffic = window.session().traffic();
  const quint64 sent = flood ? flood->sent() : (window.demo() ? window.demo()->messagesSent() : 0);
  return {static_cast<double>(clock.nsecsElapsed()) / 1e9, sent,
          static_cast<quint64>(traffic.rowCount()) + traffic.evictedRows() + static_cast<quint64>(traffic.pendingRows())};
}

const char* verdict(bool ok) { return ok ? "yes" : "NO"; }

// Starts `tofu-cli listen ADDRESS --telemetry T` on socket paths in `dir` and waits until both
// exist. Its stdout (a line per message) goes to the null device: read through a pipe, it
// would cost this process the very CPU and memory being measured.
bool startListener(QProcess& cli, const QTemporaryDir& dir, QString& address, QString& telemetry) {
  address = QStringLiteral("uds|%1/flood.sock").arg(dir.path());
  telemetry = QStringLiteral("uds|%1/flood.telemetry").arg(dir.path());
  cli.setStandardOutputFile(QProcess::nullDevice());
  cli.start(QStringLiteral(TOFU_CLI_PATH), {QStringLiteral("listen"), address, QStringLiteral("--telemetry"), telemetry});
  QElapsedTimer waited;
  waited.start();
  while (!QFileInfo::exists(dir.filePath(QStringLiteral("flood.sock"))) ||
         !QFileInfo::exists(dir.filePath(QStringLiteral("flood.telemetry")))) {
    if (waited.elapsed() > kListenerStartMs || cli.state() == QProcess::NotRunning) return false;
    QThread::msleep(20);
  }
  return true;
}

bool printReport(const Run& run, int targetRate, bool quick) {
  const double seconds = run.end.atSeconds - run.start.atSeconds;
  const double sentRate = static_cast<double>(run.end.sent - run.start.sent) / seconds;
  const double loggedRate = static_cast<double>(run.end.logged - run.start.logged) / seconds;
  const bool latencyOk = run.loop.p99Ms < kLatencyTargetMs;
  const bool memoryOk = static_cast<double>(run.rssEnd) <= static_cast<double>(run.rssMiddle) * 1.2 + 16 * kMiB;
  std::printf("\ntofu-monitor-bench: %.1f s measured, flood target %d msg/s%s\n\n", seconds, targetRate,
              quick ? " (--quick)" : "");
  std::printf("| metric | value | target | met |\n|---|---:|---|---|\n");
  std::printf("| flood sent | %.0f msg/s | >= %d msg/s | %s |\n", sentRate, targetRate,
              verdict(sentRate >= targetRate * 0.95));
  std::printf("| message records into the log | %.0f rows/s | | |\n", loggedRate);
  std::printf("| GUI event-loop lateness, median | %.2f ms | < %.0f ms | %s |\n", run.loop.medianMs, kLatencyTargetMs,
              verdict(run.loop.medianMs < kLatencyTargetMs));
  std::printf("| GUI event-loop lateness, p99 | %.2f ms | < %.0f ms | %s |\n", run.loop.p99Ms, kLatencyTargetMs,
              verdict(latencyOk));
  std::printf("| GUI event-loop lateness, max | %.2f ms | | |\n", run.loop.maxMs);
  std::printf("| resident memory start / middle / end | %.0f / %.0f / %.0f MiB | bounded | %s |\n",
              static_cast<double>(run.rssStart) / kMiB, static_cast<double>(run.rssMiddle) / kMiB,
              static_cast<double>(run.rssEnd) / kMiB, verdict(memoryOk));
  std::printf("| timer samples | %zu | | |\n", run.loop.samples);
  std::fflush(stdout);
  return quick || (latencyOk && memoryOk);
}

}  // namespace

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") &&
      !qEnvironmentVariableIsSet("QT_QPA_PLATFORM"))
    qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  QCommandLineParser parser;
  parser.addHelpOption();
  const QCommandLineOption quickOption(QStringLiteral("quick"), QStringLiteral("3-second smoke run."));
  const QCommandLineOption secondsOption(QStringLiteral("seconds"), QStringLiteral("Measured seconds (default 10)."),
                                         QStringLiteral("S"), QStringLiteral("10"));
  const QCommandLineOption rateOption(QStringLiteral("rate"), QStringLiteral("Flood messages/s (default 200000)."),
                                      QStringLiteral("R"), QStringLiteral("200000"));
  const QCommandLineOption sourceOption(QStringLiteral("source"), QStringLiteral("attach (default) or demo."),
                                        QStringLiteral("KIND"), QStringLiteral("attach"));
  parser.addOptions({quickOption, secondsOption, rateOption, sourceOption});
  parser.process(app);
  const bool quick = parser.isSet(quickOption);
  const double seconds = quick ? 3 : parser.value(secondsOption).toDouble();
  const int rate = parser.value(rateOption).toInt();
  const int warmupMs = quick ? 1000 : 2000;

  tofu::monitor::Session session;
  tofu::monitor::MainWindow window(session);
  window.resize(1600, 1000);
  window.show();
  const bool fromDemo = parser.value(sourceOption) == QLatin1String("demo");
  window.startDemo({.engines = 3, .floodRate = fromDemo ? rate : 0});
  QTemporaryDir dir;
  QProcess listener;
  std::unique_ptr<FloodSender> flood;
  if (!fromDemo) {
    QString address;
    QString telemetry;
    if (!startListener(listener, dir, address, telemetry)) {
      std::fprintf(stderr, "tofu-monitor-bench: cannot start %s\n", TOFU_CLI_PATH);
      return 1;
    }
    window.attach(telemetry);
    flood = std::make_unique<FloodSender>(address.toStdString(), rate);
    flood->start();
  }

  LoopProbe probe;
  QElapsedTimer clock;
  clock.start();
  probe.start();
  Run run;
  bool ok = true;
  const int measureMs = static_cast<int>(seconds * 1000);
  QTimer::singleShot(warmupMs, &window, [&] {
    probe.reset();
    run.start = countNow(window, flood.get(), clock);
    run.rssStart = residentBytes();
  });
  QTimer::singleShot(warmupMs + measureMs / 2, &window, [&] { run.rssMiddle = residentBytes(); });
  QTimer::singleShot(warmupMs + measureMs, &window, [&] {
    run.end = countNow(window, flood.get(), clock);
    run.rssEnd = residentBytes();
    run.loop = probe.summary();
    ok = printReport(run, rate, quick);
    QApplication::quit();
  });
  QApplication::exec();
  if (flood) {
    flood->stop();
    if (!flood->error().empty()) std::fprintf(stderr, "tofu-monitor-bench: %s\n", flood->error().c_str());
  }
  listener.terminate();
  listener.waitForFinished(5000);
  return ok ? 0 : 1;
}
