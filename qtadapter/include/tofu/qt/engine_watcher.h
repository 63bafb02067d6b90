// EngineWatcher: feeds models with what an in-process engine is doing, without ever blocking
// its thread: snapshots are taken on a helper thread every `snapshotIntervalMs`, and the
// engine's event stream is polled every `eventIntervalMs`. Owns the observation (one per
// engine: Ampe::startObserving replaces any other) and the snapshot thread. Lives in the
// Engine's thread, which needs an event loop.
//
// Ownership and lifetime: it borrows the Engine and registers with it. Parent it to the Engine
// to have ~Engine delete it; otherwise it may outlive the Engine: ~Engine then stops its
// observation, timers and snapshot thread (no signal emitted). From then on isValid() is
// false, engineId() is 0, no snapshot or event follows, errorString() says "the engine was
// destroyed" and requestSnapshot() emits errorOccurred(Status::shutdown_started, ...).
// Deleting it afterwards is fine. Deleting it, or its Engine, in one of its slots is safe.
#pragma once

#include <QList>
#include <QObject>
#include <QString>
#include <QTimer>

#include <memory>

#include "tofu/introspection.h"
#include "tofu/status.h"

Q_DECLARE_METATYPE(tofu::EngineSnapshot)
Q_DECLARE_METATYPE(tofu::Event)

namespace tofu::qt {

class Engine;
class EngineLease;
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

  // False when the engine did not start or was destroyed; errorString() says which. Never blocks.
  bool isValid() const noexcept { return snapshots_ != nullptr; }
  QString errorString() const { return errorString_; }
  // The watched engine's id; 0 when it did not start or was destroyed. Never blocks.
  std::uint64_t engineId() const noexcept;
  // Events the engine dropped because this watcher's buffer was full. Never blocks.
  quint64 droppedEvents() const;

 public slots:
  void requestSnapshot();  // one more, now; never blocks. Emits errorOccurred when !isValid()

 signals:
  void snapshotReady(const tofu::EngineSnapshot& snapshot);
  void eventsReady(const QList<tofu::Event>& events);
  void errorOccurred(tofu::Status status, const QString& description);

 protected:
  bool event(QEvent* event) override;  // runs calls posted by the worker thread

 private:
  void pollEvents();
  // Stops the timers, the observation and the snapshot thread; for the destructor and ~Engine.
  void release();
  void detachFromEngine();  // ~Engine, through lease_: release(), then unusable for good
  void setUnusable(Status status, const QString& reason);

  std::unique_ptr<EngineLease> lease_;  // engine() is null once the engine was destroyed
  WatchOptions options_;
  std::shared_ptr<EventStream> stream_;
  std::unique_ptr<SnapshotThread> snapshots_;  // null: unusable, for error_ and errorString_
  QTimer snapshotTimer_;
  QTimer eventTimer_;
  Status error_ = Status::success;
  QString errorString_;
};

}  // namespace tofu::qt
