#include "session.h"

#include "sources/capture.h"

namespace tofu::monitor {

namespace {
// New log rows are inserted (and the log repainted) four times a second, not ten: under a
// flood each insertion repaints the whole visible log, 6-9 ms of the GUI thread, and on a busy
// machine such a repaint is what makes the event loop late (tofu-monitor-bench: p99 14-15 ms
// at 250 ms, 13-22 ms at the adapter's 100 ms default, load average 8 on 2 cores).
constexpr int kLogUpdateMs = 250;
}  // namespace

Session::Session(QObject* parent) : QObject(parent) { traffic_.setUpdateIntervalMs(kLogUpdateMs); }

// Sources go first: they may still deliver to the models while they stop.
Session::~Session() {
  stopRecording();
  for (Source* source : std::exchange(sources_, {})) {
    disconnect(source, nullptr, this, nullptr);
    delete source;
  }
}

void Session::addSource(Source* source) {
  if (source == nullptr || sources_.contains(source)) {
    return;
  }
  source->setParent(this);
  sources_.append(source);
  engines_.addSource(source);
  if (auto* capture = qobject_cast<CaptureSource*>(source)) {
    capture->log().setEngineIdMap([this, source](std::uint64_t id) { return engineIdFor(source, id); });
    rates_.clear();  // the chart shows the replay, whose seconds may lie before live traffic's
  }
  connect(source, &Source::snapshotReady, this, [this, source](const EngineSnapshot& s) { onSnapshot(source, s); });
  connect(source, &Source::eventsReady, this, [this, source](const QList<Event>& e) { onEvents(source, e); });
  connect(source, &Source::contentReady, this,
          [this, source](const QList<tofu::qt::TrafficRecord>& r) { onContent(source, r); });
  connect(source, &Source::stateChanged, this, [this, source](Source::State state) { onStateChanged(source, state); });
  onStateChanged(source, source->state());
  emit sourcesChanged();
}

void Session::removeSource(Source* source) {
  if (!sources_.removeOne(source)) {
    return;
  }
  disconnect(source, nullptr, this, nullptr);
  forgetEngines(source);
  engines_.removeSource(source);
  engineIds_.remove(source);
  delete source;
  onStateChanged(nullptr, Source::State::offline);
  emit sourcesChanged();
}

QList<Source*> Session::sources() const { return sources_; }

Source* Session::findSource(const QString& name) const {
  for (Source* source : sources_) {
    if (source->name() == name.trimmed()) {
      return source;
    }
  }
  return nullptr;
}

bool Session::startRecording(const QString& path, QString* error) {
  auto recorder = std::make_unique<CaptureWriter>();
  if (!recorder->open(path, error)) {
    return false;
  }
  recorder_ = std::move(recorder);
  emit recordingChanged(true);
  return true;
}

void Session::stopRecording() {
  if (recorder_) {
    recorder_->close();
    recorder_.reset();
    emit recordingChanged(false);
  }
}

bool Session::isRecording() const noexcept { return recorder_ != nullptr; }

std::uint64_t Session::engineIdFor(Source* source, std::uint64_t engineId) {
  QHash<std::uint64_t, std::uint64_t>& ids = engineIds_[source];
  auto it = ids.find(engineId);
  if (it == ids.end()) {
    it = ids.insert(engineId, nextEngineId_++);
    const QString name = source->engineName(engineId);
    const QString description = source->engineDescription(engineId);
    channels_.setEngineName(*it, name);
    traffic_.setEngineName(*it, name);
    correlation_.setEngineName(*it, name);
    engines_.setEngineName(*it, description);
    descriptions_.insert(*it, description);
  }
  return *it;
}

// A source that connects again may serve a new process: its old engines leave the views
// then (they stay, with their last state, while it is disconnected).
void Session::forgetEngines(Source* source) {
  for (const std::uint64_t id : engineIds_.value(source)) {
    channels_.removeEngine(id);
    correlation_.forgetEngine(id, monotonicNowNs());
    engines_.removeEngine(source, id);
  }
  engineIds_.remove(source);
}

void Session::onStateChanged(Source* source, Source::State state) {
  if (source != nullptr && state == Source::State::connected) {
    forgetEngines(source);
    if (recorder_) {
      recorder_->writeConnected(source->name());
    }
  }
  // A source that lost its process keeps its channels on screen, marked as lost rather than
  // in their last reported state.
  if (source != nullptr && (state == Source::State::disconnected || state == Source::State::connecting)) {
    for (const std::uint64_t id : engineIds_.value(source)) {
      channels_.markEngineLost(id);
    }
  }
  // While a capture is open the rates window stays at its newest event rather than move on
  // with the clock and leave the replay behind.
  bool live = false;
  bool replaying = false;
  for (const Source* each : std::as_const(sources_)) {
    live = live || each->state() != Source::State::offline;
    replaying = replaying || qobject_cast<const CaptureSource*>(each) != nullptr;
  }
  rates_.setLive(live && !replaying);
}

void Session::onSnapshot(Source* source, const EngineSnapshot& snapshot) {
  if (recorder_) {
    recorder_->writeSnapshot(source->name(), snapshot);
  }
  EngineSnapshot mapped = snapshot;
  mapped.engineId = engineIdFor(source, snapshot.engineId);
  for (ChannelInfo& channel : mapped.channels) {
    channel.engineId = mapped.engineId;
  }
  if (snapshot.takenAtWallNs != 0) {
    timeFormat_.setClockOffset(mapped.engineId, snapshot.takenAtWallNs - snapshot.takenAtNs);
  }
  channels_.applySnapshot(mapped);
  engines_.applySnapshot(source, mapped);
}

void Session::onEvents(Source* source, const QList<Event>& events) {
  if (recorder_) {
    recorder_->writeEvents(source->name(), events);
  }
  QList<Event> mapped = events;
  for (Event& event : mapped) {
    event.engineId = engineIdFor(source, event.engineId);
    if (event.kind != EventKind::channelState) {
      timeFormat_.noteEvent(timeFormat_.toWallNs(event.engineId, event.atNs));
    }
  }
  traffic_.appendEvents(mapped);
  timeline_.addEvents(mapped);
  correlation_.addEvents(mapped);
  rates_.addEvents(mapped);
}

void Session::onContent(Source* source, const QList<tofu::qt::TrafficRecord>& records) {
  if (recorder_) {
    recorder_->writeContent(source->name(), records);
  }
  for (tofu::qt::TrafficRecord record : records) {
    record.engineId = engineIdFor(source, record.engineId);
    content_.add(record);
  }
}

}  // namespace tofu::monitor
