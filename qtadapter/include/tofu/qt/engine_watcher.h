// EngineWatcher: feeds models with what an in-process engine is doing, without ever blocking
// its thread: snapshots are taken on a helper thread every `snapshotIntervalMs`, and the
// engine's event stream is polled every `eventIntervalMs`. Owns the observation (one per
// engine: Ampe::startObserving replaces any other). Lives in one thread with an event loop;
// the Engine must outlive it.
#pragma once

#include <QList>
#include <QObject>
#include <QTimer>

#include <memory>

#include "tofu/introspection.h"

Q_DECLARE_METATYPE(tofu::EngineSnapshot)
Q_DECLARE_METATYPE(tofu::Event)

namespace tofu::qt {

class Engine;
class SnapshotThread;

struct WatchOptions {
  int snapshotIntervalMs = 250;
  int eventIntervalMs = 50;
  bool observeEvents = true;
  ObserverOptions observer{16384, Event::kMaxPreview};
};

class EngineWatcher : public QObject {
  Q_OBJECT

 public:
  explicit EngineWatcher(Engine& engine, const WatchOptions& options = {}, QObject* parent = nullptr);
  // Stops observing and joins the snapshot thread (at most one snapshot, well under 1 ms).
  ~EngineWatcher() override;

  std::uint64_t engineId() const noexcept;
  // Events the engine dropped because this watcher's buffer was full.
  quint64 droppedEvents() const;

 public slots:
  void requestSnapshot();  // one more, now; never blocks

 signals:
  void snapshotReady(const tofu::EngineSnapshot& snapshot);
  void eventsReady(const QList<tofu::Event>& events);

 protected:
  bool event(QEvent* event) override;  // runs calls posted by the worker thread

 private:
  void pollEvents();

  Engine& engine_;
  WatchOptions options_;
  std::shared_ptr<EventStream> stream_;
  std::unique_ptr<SnapshotThread> snapshots_;
  QTimer snapshotTimer_;
  QTimer eventTimer_;
};

}  // namespace tofu::qt
