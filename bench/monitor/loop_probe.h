// LoopProbe: measures how late the GUI thread's event loop runs a periodic timer: every
// lateness sample is (time between two timeouts - the interval). If anything blocks the loop
// (a slow model update, a huge repaint), the next timeout is late by that much. Also reads
// this process's resident memory. GUI thread only.
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <vector>

namespace tofu::monitor::bench {

class LoopProbe : public QObject {
  Q_OBJECT

 public:
  explicit LoopProbe(int intervalMs = 10, QObject* parent = nullptr);

  void start();
  // Forgets the samples so far (after a warm-up).
  void reset();

  struct Summary {
    std::size_t samples = 0;
    double medianMs = 0;
    double p99Ms = 0;
    double maxMs = 0;
  };
  Summary summary() const;

 private:
  void tick();

  int intervalMs_;
  QTimer timer_;
  QElapsedTimer clock_;
  qint64 lastNs_ = 0;
  std::vector<double> latenessMs_;
};

// Resident set size of this process in bytes (0 if /proc is not readable).
qint64 residentBytes();

}  // namespace tofu::monitor::bench
