#include "sources/telemetry_parser.h"

#include <QMetaObject>

#include "telemetry_json.h"

namespace tofu::monitor {
namespace {

// The events in a JSON Lines body, without parsing it: its non-empty lines.
quint64 lineCount(const QByteArray& body) {
  quint64 lines = 0;
  qsizetype start = 0;
  while (start < body.size()) {
    qsizetype end = body.indexOf('\n', start);
    if (end < 0) {
      end = body.size();
    }
    if (end > start) {
      ++lines;
    }
    start = end + 1;
  }
  return lines;
}

}  // namespace

TelemetryParser::TelemetryParser(const QString& address, qsizetype maxPending, QObject* parent)
    : QObject(parent), address_(address), maxPending_(maxPending < 1 ? 1 : maxPending) {
  qRegisterMetaType<tofu::EngineSnapshot>();
  qRegisterMetaType<QList<tofu::Event>>();
  qRegisterMetaType<QList<tofu::qt::TrafficRecord>>();
  qRegisterMetaType<tofu::telemetry::ProcessIdentity>();
}

quint64 TelemetryParser::enqueue(Kind kind, const QByteArray& body) {
  if (stopped_.load(std::memory_order_acquire)) {
    return 0;
  }
  quint64 droppedEvents = 0;
  bool post = false;
  {
    const detail::MutexLock lock(mutex_);
    pending_.push_back({kind, body});
    // Over the bound: drop the oldest events bodies, keeping every snapshot and the newest body.
    auto it = pending_.begin();
    while (static_cast<qsizetype>(pending_.size()) > maxPending_ && it != pending_.end() - 1) {
      if (it->kind == Kind::events) {
        droppedEvents += lineCount(it->body);
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    if (!drainPosted_) {
      drainPosted_ = true;
      post = true;
    }
  }
  if (post) {
    QMetaObject::invokeMethod(this, &TelemetryParser::drain, Qt::QueuedConnection);
  }
  return droppedEvents;
}

void TelemetryParser::stop() {
  stopped_.store(true, std::memory_order_release);
  const detail::MutexLock lock(mutex_);
  pending_.clear();
}

// One body at a time, so that a body enqueued meanwhile may still be dropped while it waits.
void TelemetryParser::drain() {
  for (;;) {
    Job job;
    {
      const detail::MutexLock lock(mutex_);
      if (pending_.empty() || stopped_.load(std::memory_order_acquire)) {
        drainPosted_ = false;
        return;
      }
      job = std::move(pending_.front());
      pending_.pop_front();
    }
    parse(job);
  }
}

void TelemetryParser::parse(const Job& job) {
  QString error;
  if (job.kind == Kind::snapshot) {
    EngineSnapshot snapshot;
    telemetry::SnapshotSource source;
    if (parseSnapshot(job.body, snapshot, &error, &source)) {
      emit processParsed(source.process);
      emit snapshotParsed(snapshot);
    } else {
      qWarning("tofu-monitor: %s: bad snapshot: %s", qPrintable(address_), qPrintable(error));
    }
  } else {
    QList<Event> events;
    QList<tofu::qt::TrafficRecord> content;
    if (parseEvents(job.body, events, &error, &content)) {
      // Content first: a filtered view then finds a row's whole message when the row arrives.
      if (!content.isEmpty()) {
        emit contentParsed(content);
      }
      emit eventsParsed(events);
    } else {
      qWarning("tofu-monitor: %s: bad events: %s", qPrintable(address_), qPrintable(error));
    }
  }
}

}  // namespace tofu::monitor
