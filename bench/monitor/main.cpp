// tofu-monitor-bench: does the monitor's GUI stay responsive, and its memory bounded, while
// a flood pours in?
//
// Scenario: the real MainWindow (1600x1000, offscreen when there is no display) over a
// Session with the DemoScene's normal traffic, plus a flood of --rate messages/s (default
// 200,000) from one of two places:
//   --source attach (default): a `tofu-cli listen --telemetry` process the monitor attaches
//       to, flooded by a sender thread with its own engine in this process (not observed), with
//       payloads on: bodies of about 300 bytes of text, TOFU_TELEMETRY_BODY_LIMIT=65536 in the
//       listener, and the monitor subscribes with telemetry-payloads:1;
//   --source demo: the DemoScene's own flood channel (its sender runs on the GUI thread).
// After a warm-up it measures for --seconds (default 10):
//   - flood sent: messages/s the sender actually posted;
//   - log rows in: message records/s that reached the log model (shown, held or evicted);
//   - event-loop lateness of a 10 ms timer on the GUI thread: median, p99, max;
//   - resident memory at the start, middle and end of the window;
//   - payloads (attach): bodies and body bytes the attached process sent to the monitor, and
//     what the monitor's content store holds at the end;
//   - attach: the messages the listener received (its snapshots), and how often the monitor
//     subscribed (the endpoint disconnects a monitor that falls too far behind).
// Targets (issue 20, acceptance 2): lateness p99 < 20 ms; memory bounded (end <= middle * 1.2 +
// 16 MB); payload bodies received > 0 (attach). Exit 1 when a target is missed (not with
// --quick, the 3-second CI smoke run).
//
// Usage: tofu-monitor-bench [--quick] [--seconds S] [--rate MSGS_PER_SECOND] [--source attach|demo]
#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <memory>

#include <cstdio>

#include "flood_sender.h"
#include "loop_probe.h"
#include "main_window.h"
#include "session.h"
#include "sources/demo_scene.h"

namespace {

using tofu::monitor::bench::FloodSender;
using tofu::monitor::bench::LoopProbe;
using tofu::monitor::bench::residentBytes;

constexpr double kLatencyTargetMs = 20;
constexpr double kMiB = 1024.0 * 1024.0;
constexpr qint64 kListenerStartMs = 5000;

struct Counts {
  double atSeconds = 0;
  quint64 sent = 0;
  quint64 logged = 0;
  quint64 bodies = 0;         // payload bodies (non-empty) from the attached process
  quint64 bodyBytes = 0;
  quint64 listenerReceived = 0;  // messages the attached process received, by its snapshots
  quint64 subscriptions = 0;     // times the monitor (re)subscribed
};

// What the attached source delivered, counted on the GUI thread as the session receives it:
// whole messages (contentReady), the process's own receive counters (its snapshots, once a
// second) and how often the monitor subscribed (a server disconnects a monitor that falls
// too far behind, docs/telemetry.md "Slow monitors"; the events meanwhile are not counted as
// dropped by anyone).
struct AttachedTally {
  quint64 bodies = 0;
  quint64 bodyBytes = 0;
  quint64 listenerReceived = 0;
  quint64 subscriptions = 0;
};

struct Run {
  Counts start;
  Counts end;
  qint64 rssStart = 0;
  qint64 rssMiddle = 0;
  qint64 rssEnd = 0;
  LoopProbe::Summary loop;
  bool attached = false;
  qsizetype storeEntries = 0;   // the content store at the end
  qsizetype storeBytes = 0;
  quint64 storeEvicted = 0;
};

Counts countNow(tofu::monitor::MainWindow& window, const tofu::monitor::DemoScene& demo, const FloodSender* flood,
                const AttachedTally& attached, const QElapsedTimer& clock) {
  auto& traffic = window.session().traffic();
  const quint64 sent = flood ? flood->sent() : demo.messagesSent();
  return {static_cast<double>(clock.nsecsElapsed()) / 1e9,
          sent,
          static_cast<quint64>(traffic.rowCount()) + traffic.evictedRows() + static_cast<quint64>(traffic.pendingRows()),
          attached.bodies,
          attached.bodyBytes,
          attached.listenerReceived,
          attached.subscriptions};
}

const char* verdict(bool ok) { return ok ? "yes" : "NO"; }

// Starts `tofu-cli listen ADDRESS --quiet --telemetry T` on socket paths in `dir` and waits
// until both exist. --quiet: formatting a line per message took the listener about a core at
// this rate, which capped the flood below its target. Its stdout goes to the null device.
bool startListener(QProcess& cli, const QTemporaryDir& dir, QString& address, QString& telemetry) {
  address = QStringLiteral("uds|%1/flood.sock").arg(dir.path());
  telemetry = QStringLiteral("uds|%1/flood.telemetry").arg(dir.path());
  cli.setStandardOutputFile(QProcess::nullDevice());
  QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
  environment.insert(QStringLiteral("TOFU_TELEMETRY_BODY_LIMIT"), QStringLiteral("65536"));  // payloads on
  environment.remove(QStringLiteral("TOFU_TELEMETRY_TOKEN"));  // the monitor attaches without one
  cli.setProcessEnvironment(environment);
  cli.start(QStringLiteral(TOFU_CLI_PATH), {QStringLiteral("listen"), address, QStringLiteral("--quiet"), QStringLiteral("--telemetry"), telemetry});
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
  const quint64 bodies = run.end.bodies - run.start.bodies;
  const bool payloadsOk = !run.attached || bodies > 0;
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
  if (run.attached) {
    std::printf("| payload bodies from the attached process | %.0f /s, %.2f MiB/s | > 0 | %s |\n",
                static_cast<double>(bodies) / seconds,
                static_cast<double>(run.end.bodyBytes - run.start.bodyBytes) / kMiB / seconds, verdict(payloadsOk));
    std::printf("| messages the attached process received | %.0f msg/s | | |\n",
                static_cast<double>(run.end.listenerReceived - run.start.listenerReceived) / seconds);
    std::printf("| monitor subscriptions (re-subscribed after falling behind) | %llu | | |\n",
                static_cast<unsigned long long>(run.end.subscriptions - run.start.subscriptions));
  }
  std::printf("| content store at the end: messages / MiB / evicted | %lld / %.1f / %llu | | |\n",
              static_cast<long long>(run.storeEntries), static_cast<double>(run.storeBytes) / kMiB,
              static_cast<unsigned long long>(run.storeEvicted));
  std::printf("| timer samples | %zu | | |\n", run.loop.samples);
  std::fflush(stdout);
  return quick || (latencyOk && memoryOk && payloadsOk);
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
  tofu::monitor::DemoScene demo(session, {.engines = 3, .floodRate = fromDemo ? rate : 0});
  demo.start();
  QTemporaryDir dir;
  QProcess listener;
  std::unique_ptr<FloodSender> flood;
  const tofu::monitor::Source* attached = nullptr;
  AttachedTally tally;
  if (!fromDemo) {
    QString address;
    QString telemetry;
    if (!startListener(listener, dir, address, telemetry)) {
      std::fprintf(stderr, "tofu-monitor-bench: cannot start %s\n", TOFU_CLI_PATH);
      return 1;
    }
    window.attach(telemetry);
    attached = window.session().findSource(telemetry);
    if (attached == nullptr) {
      std::fprintf(stderr, "tofu-monitor-bench: cannot attach to %s\n", qPrintable(telemetry));
      return 1;
    }
    QObject::connect(attached, &tofu::monitor::Source::contentReady, &window,
                     [&tally](const QList<tofu::qt::TrafficRecord>& records) {
                       for (const tofu::qt::TrafficRecord& record : records) {
                         tally.bodies += record.body.isEmpty() ? 0U : 1U;
                         tally.bodyBytes += static_cast<quint64>(record.body.size());
                       }
                     });
    QObject::connect(attached, &tofu::monitor::Source::snapshotReady, &window,
                     [&tally](const tofu::EngineSnapshot& snapshot) {
                       quint64 received = 0;
                       for (const tofu::ChannelInfo& channel : snapshot.channels) received += channel.messagesReceived;
                       tally.listenerReceived = std::max(tally.listenerReceived, received);
                     });
    QObject::connect(attached, &tofu::monitor::Source::stateChanged, &window,
                     [&tally](tofu::monitor::Source::State state) {
                       tally.subscriptions += state == tofu::monitor::Source::State::connected ? 1U : 0U;
                     });
    flood = std::make_unique<FloodSender>(address.toStdString(), rate);
    flood->start();
  }

  LoopProbe probe;
  QElapsedTimer clock;
  clock.start();
  probe.start();
  Run run;
  run.attached = attached != nullptr;
  bool ok = true;
  const int measureMs = static_cast<int>(seconds * 1000);
  QTimer::singleShot(warmupMs, &window, [&] {
    probe.reset();
    run.start = countNow(window, demo, flood.get(), tally, clock);
    run.rssStart = residentBytes();
  });
  QTimer::singleShot(warmupMs + measureMs / 2, &window, [&] { run.rssMiddle = residentBytes(); });
  QTimer::singleShot(warmupMs + measureMs, &window, [&] {
    run.end = countNow(window, demo, flood.get(), tally, clock);
    run.rssEnd = residentBytes();
    run.storeEntries = window.session().content().size();
    run.storeBytes = window.session().content().bytes();
    run.storeEvicted = window.session().content().evicted();
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
