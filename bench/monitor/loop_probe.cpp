#include "loop_probe.h"

#include <QFile>

#include <algorithm>

#include <unistd.h>

namespace tofu::monitor::bench {

LoopProbe::LoopProbe(int intervalMs, QObject* parent) : QObject(parent), intervalMs_(intervalMs) {
  timer_.setTimerType(Qt::PreciseTimer);
  timer_.setInterval(intervalMs);
  connect(&timer_, &QTimer::timeout, this, &LoopProbe::tick);
}

void LoopProbe::start() {
  clock_.start();
  lastNs_ = 0;
  timer_.start();
}

void LoopProbe::reset() { latenessMs_.clear(); }

void LoopProbe::tick() {
  const qint64 now = clock_.nsecsElapsed();
  if (lastNs_ != 0) {
    const double late = static_cast<double>(now - lastNs_) / 1e6 - intervalMs_;
    latenessMs_.push_back(std::max(0.0, late));
  }
  lastNs_ = now;
}

LoopProbe::Summary LoopProbe::summary() const {
  Summary out;
  out.samples = latenessMs_.size();
  if (latenessMs_.empty()) return out;
  std::vector<double> sorted = latenessMs_;
  std::sort(sorted.begin(), sorted.end());
  const auto at = [&](double q) { return sorted[static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1))]; };
  out.medianMs = at(0.5);
  out.p99Ms = at(0.99);
  out.maxMs = sorted.back();
  return out;
}

qint64 residentBytes() {
  QFile statm(QStringLiteral("/proc/self/statm"));
  if (!statm.open(QIODevice::ReadOnly)) return 0;
  const QList<QByteArray> fields = statm.readAll().split(' ');
  return fields.size() > 1 ? fields[1].toLongLong() * sysconf(_SC_PAGESIZE) : 0;
}

}  // namespace tofu::monitor::bench
