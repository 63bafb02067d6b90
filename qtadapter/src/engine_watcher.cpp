#include "tofu/qt/engine_watcher.h"

#include <vector>

#include "tofu/qt/engine.h"

#include "call_event.h"
#include "engine_lease.h"
#include "snapshot_thread.h"

namespace tofu::qt {
namespace {

// Most events moved per poll, so one tick never keeps the event loop busy for long.
constexpr std::size_t kMaxEventsPerPoll = 4096;

}  // namespace

EngineWatcher::EngineWatcher(Engine& engine, const WatchOptions& options, QObject* parent)
    : QObject(parent),
      lease_(std::make_unique<EngineLease>(engine, [this] { detachFromEngine(); })),
      options_(options) {
  qRegisterMetaType<EngineSnapshot>();
  qRegisterMetaType<Event>();
  qRegisterMetaType<QList<Event>>();
  qRegisterMetaType<Status>("tofu::Status");
  if (!engine.isValid()) {
    setUnusable(engine.creationStatus(), QStringLiteral("the engine did not start"));
    return;
  }
  snapshots_ = std::make_unique<SnapshotThread>(engine.ampe(), [this](EngineSnapshot snapshot) {
    // Runs on the snapshot thread: hand the value over, emit on this object's thread unless
    // the engine went in between.
    CallEvent::post(this, [this, snapshot = std::move(snapshot)] {
      if (isValid()) {
        emit snapshotReady(snapshot);
      }
    });
  });
  snapshots_->start();
  connect(&snapshotTimer_, &QTimer::timeout, this, &EngineWatcher::requestSnapshot);
  snapshotTimer_.start(options_.snapshotIntervalMs);
  if (options_.observeEvents) {
    stream_ = engine.ampe().startObserving(options_.observer);
    connect(&eventTimer_, &QTimer::timeout, this, &EngineWatcher::pollEvents);
    eventTimer_.start(options_.eventIntervalMs);
  }
  requestSnapshot();
}

EngineWatcher::~EngineWatcher() { release(); }

void EngineWatcher::release() {
  if (!isValid()) {
    return;  // never started, or released already
  }
  snapshotTimer_.stop();
  eventTimer_.stop();
  if (stream_) {
    lease_->engine()->ampe().stopObserving();
  }
  snapshots_->stop();
  snapshots_.reset();
}

void EngineWatcher::detachFromEngine() {
  release();
  setUnusable(Status::shutdown_started, QStringLiteral("the engine was destroyed"));
}

void EngineWatcher::setUnusable(Status status, const QString& reason) {
  error_ = status;
  errorString_ = reason + QStringLiteral(": ") + statusDescription(status);
}

std::uint64_t EngineWatcher::engineId() const noexcept {
  return lease_->engine() != nullptr ? lease_->engine()->engineId() : 0;
}

quint64 EngineWatcher::droppedEvents() const { return stream_ ? stream_->dropped() : 0; }

void EngineWatcher::requestSnapshot() {
  if (!isValid()) {
    emit errorOccurred(error_, errorString_);
    return;
  }
  snapshots_->request();
}

bool EngineWatcher::event(QEvent* event) { return CallEvent::dispatch(event) || QObject::event(event); }

void EngineWatcher::pollEvents() {
  std::vector<Event> polled;
  stream_->poll(polled, kMaxEventsPerPoll);
  if (polled.empty()) {
    return;
  }
  emit eventsReady(QList<Event>(polled.begin(), polled.end()));
}

}  // namespace tofu::qt
