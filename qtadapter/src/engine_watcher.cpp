#include "tofu/qt/engine_watcher.h"

#include <vector>

#include "tofu/qt/engine.h"

#include "call_event.h"
#include "snapshot_thread.h"

namespace tofu::qt {
namespace {

// Most events moved per poll, so one tick never keeps the event loop busy for long.
constexpr std::size_t kMaxEventsPerPoll = 4096;

}  // namespace

EngineWatcher::EngineWatcher(Engine& engine, const WatchOptions& options, QObject* parent)
    : QObject(parent), engine_(engine), options_(options) {
  qRegisterMetaType<EngineSnapshot>();
  qRegisterMetaType<Event>();
  qRegisterMetaType<QList<Event>>();
  if (!engine.isValid()) {
    return;
  }
  snapshots_ = std::make_unique<SnapshotThread>(engine.ampe(), [this](EngineSnapshot snapshot) {
    // Runs on the snapshot thread: hand the value over, emit on this object's thread.
    CallEvent::post(this, [this, snapshot = std::move(snapshot)] { emit snapshotReady(snapshot); });
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

EngineWatcher::~EngineWatcher() {
  if (stream_) {
    engine_.ampe().stopObserving();
  }
  if (snapshots_) {
    snapshots_->stop();
  }
}

std::uint64_t EngineWatcher::engineId() const noexcept { return engine_.engineId(); }

quint64 EngineWatcher::droppedEvents() const { return stream_ ? stream_->dropped() : 0; }

void EngineWatcher::requestSnapshot() {
  if (snapshots_) {
    snapshots_->request();
  }
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
