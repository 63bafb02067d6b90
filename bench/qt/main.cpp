// tofu-qt-bench: how much of a plain waitReceive loop's rate reaches a slot on the main
// (GUI) thread through tofu::qt::ChannelGroup, and how late a 1 ms timer of that thread fires
// during the flood. Rounds alternate plain and Qt runs with the same sender; medians reported.
#include <QCoreApplication>
#include <QEventLoop>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include "tofu/qt/channel_group.h"
#include "tofu/qt/engine.h"

#include "flood.h"

namespace {

using tofu::bench::Span;

constexpr double kRatioTarget = 0.5;
constexpr double kLatencyTargetMs = 20.0;
constexpr int kTimerMs = 1;

struct QtRun {
  Span span;
  std::vector<double> latenessMs;  // how late each timer tick fired during the flood
  quint64 postedEvents = 0;
};

double percentile(std::vector<double> values, double p) {
  if (values.empty()) {
    return 0.0;
  }
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
  return values[index];
}

QtRun runQt(const tofu::Options& options, std::uint64_t count) {
  QtRun run;
  tofu::qt::Engine engine(options);
  auto* group = new tofu::qt::ChannelGroup(engine, {}, &engine);
  QEventLoop loop;
  QString bound;
  QObject::connect(group, &tofu::qt::ChannelGroup::listening, &loop, [&](quint16, const QString& address) {
    bound = address;
    loop.quit();
  });
  QObject::connect(group, &tofu::qt::ChannelGroup::errorOccurred, &loop, &QEventLoop::quit);
  group->listenOn(QStringLiteral("tcp|127.0.0.1|0"));
  loop.exec();
  if (bound.isEmpty()) {
    std::fprintf(stderr, "qt run: not listening: %s\n", qPrintable(group->errorString()));
    return run;
  }
  QObject::connect(group, &tofu::qt::ChannelGroup::messageReceived, group,
                   [&](const tofu::qt::MessageEnvelope& message) {
                     if (message.opCode() == tofu::OpCode::HelloRequest) {
                       // B15: the sender's Requests are held until its HelloRequest is answered.
                       group->send(message.channelNumber(), tofu::OpCode::HelloResponse, {}, {}, false,
                                   message.messageId());
                       return;
                     }
                     if (message.opCode() != tofu::OpCode::Request) {
                       return;
                     }
                     run.span.lastNs = tofu::monotonicNowNs();
                     run.span.firstNs = run.span.count++ == 0 ? run.span.lastNs : run.span.firstNs;
                     if (run.span.count == count) {
                       loop.quit();
                     }
                   });
  QTimer ticker;
  ticker.setTimerType(Qt::PreciseTimer);
  std::int64_t previousNs = 0;
  QObject::connect(&ticker, &QTimer::timeout, group, [&] {
    const std::int64_t now = tofu::monotonicNowNs();
    if (previousNs != 0 && run.span.count > 0 && run.span.count < count) {
      run.latenessMs.push_back(std::max(0.0, static_cast<double>(now - previousNs) / 1e6 - kTimerMs));
    }
    previousNs = now;
  });
  ticker.start(kTimerMs);
  QTimer::singleShot(120'000, &loop, &QEventLoop::quit);
  const tofu::bench::FloodSender sender(options, bound.toStdString(), count);
  loop.exec();
  run.postedEvents = group->stats().postedEvents;
  return run;
}

double median(std::vector<double> values) { return percentile(std::move(values), 0.5); }

}  // namespace

int main(int argc, char* argv[]) {
  QCoreApplication app(argc, argv);
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int rounds = quick ? 3 : 5;
  const std::uint64_t count = quick ? 200'000 : 1'000'000;
  tofu::Options options;
  options.telemetryFromEnvironment = false;

  std::printf("tofu-qt-bench: %d rounds of %llu Requests (64 B body), TCP loopback, default pool\n", rounds,
              static_cast<unsigned long long>(count));
  std::printf("%-6s %14s %14s %7s %10s %10s %10s %9s\n", "round", "plain msg/s", "qt-slot msg/s", "ratio",
              "lat p50 ms", "lat p99 ms", "lat max ms", "posted");
  std::vector<double> plainRates, qtRates, ratios, p50s, p99s, maxes;
  for (int round = 1; round <= rounds; ++round) {
    const Span plain = tofu::bench::runPlainLoop(options, count);
    const QtRun qt = runQt(options, count);
    if (plain.count != count || qt.span.count != count) {
      std::fprintf(stderr, "round %d incomplete: plain %llu, qt %llu of %llu\n", round,
                   static_cast<unsigned long long>(plain.count), static_cast<unsigned long long>(qt.span.count),
                   static_cast<unsigned long long>(count));
      return 1;
    }
    plainRates.push_back(plain.perSecond());
    qtRates.push_back(qt.span.perSecond());
    ratios.push_back(qt.span.perSecond() / plain.perSecond());
    p50s.push_back(percentile(qt.latenessMs, 0.5));
    p99s.push_back(percentile(qt.latenessMs, 0.99));
    maxes.push_back(percentile(qt.latenessMs, 1.0));
    std::printf("%-6d %14.0f %14.0f %7.2f %10.2f %10.2f %10.2f %9llu\n", round, plainRates.back(), qtRates.back(),
                ratios.back(), p50s.back(), p99s.back(), maxes.back(),
                static_cast<unsigned long long>(qt.postedEvents));
  }
  const double ratio = median(ratios);
  const double worst = *std::max_element(maxes.begin(), maxes.end());
  std::printf("%-6s %14.0f %14.0f %7.2f %10.2f %10.2f %10.2f\n", "median", median(plainRates), median(qtRates), ratio,
              median(p50s), median(p99s), median(maxes));
  std::printf("target: qt/plain >= %.1f: %s (%.2f)\n", kRatioTarget, ratio >= kRatioTarget ? "met" : "MISSED", ratio);
  std::printf("target: event-loop latency < %.0f ms during the flood: %s (worst max %.2f ms)\n", kLatencyTargetMs,
              worst < kLatencyTargetMs ? "met" : "MISSED", worst);
  return 0;
}
