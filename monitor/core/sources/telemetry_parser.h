// TelemetryParser: parses TelemetrySource's snapshot and events bodies on its own thread, in
// arrival order, and posts the results back. At most maxPending bodies wait; beyond that the
// oldest events bodies are dropped (snapshots never are). enqueue() is thread-safe.
#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QString>

#include <atomic>
#include <deque>

#include "tofu/introspection.h"
#include "tofu/qt/engine_watcher.h"
#include "tofu/qt/models/traffic_record.h"
#include "tofu/support/mutex.h"

#include "process_identity.h"

namespace tofu::monitor {

class TelemetryParser : public QObject {
  Q_OBJECT

 public:
  enum class Kind { snapshot, events };

  explicit TelemetryParser(const QString& address, qsizetype maxPending = 64, QObject* parent = nullptr);

  // Queues `body` for parsing (any thread). Returns the number of events dropped to keep the
  // backlog within maxPending (counted as the JSON lines of the dropped bodies).
  quint64 enqueue(Kind kind, const QByteArray& body);
  // Forgets the waiting bodies and ignores later ones; the body being parsed still finishes.
  void stop();

 signals:
  // Before each snapshot: who serves it.
  void processParsed(const tofu::telemetry::ProcessIdentity& process);
  void snapshotParsed(const tofu::EngineSnapshot& snapshot);
  // Before the events they belong to: the payloads that came with them.
  void contentParsed(const QList<tofu::qt::TrafficRecord>& records);
  void eventsParsed(const QList<tofu::Event>& events);

 private:
  struct Job {
    Kind kind = Kind::events;
    QByteArray body;
  };

  void drain();  // on the parser's thread
  void parse(const Job& job);

  const QString address_;
  const qsizetype maxPending_;
  detail::Mutex mutex_;  // a std::mutex underneath, not QMutex: ThreadSanitizer sees it
  std::deque<Job> pending_ GUARDED_BY(mutex_);
  bool drainPosted_ GUARDED_BY(mutex_) = false;
  std::atomic<bool> stopped_{false};
};

}  // namespace tofu::monitor
