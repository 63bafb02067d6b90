// Source: where the monitor's data comes from: an engine in this process, another process's
// telemetry endpoint, or a capture file. Every source speaks in engine values (snapshots,
// events) plus, where the application layer saw them, whole messages. GUI thread only.
#pragma once

#include <QList>
#include <QObject>
#include <QString>

#include "tofu/introspection.h"
#include "tofu/qt/models/traffic_record.h"

namespace tofu::monitor {

class Source : public QObject {
  Q_OBJECT

 public:
  enum class State { connecting, connected, disconnected, offline /* a capture: complete, not live */ };
  Q_ENUM(State)

  using QObject::QObject;
  ~Source() override = default;

  virtual QString name() const = 0;       // "demo", "tcp|127.0.0.1|7100", a file name
  virtual QString kindName() const = 0;   // "in process", "attached", "capture"
  // The name to show for one of this source's engines (a capture holds several sources), short
  // enough for a table's Engine column.
  virtual QString engineName(std::uint64_t engineId) const;
  // The whole description of that engine (an attached process's host and start time too), for
  // the engines panel and tooltips; engineName() unless a source knows more.
  virtual QString engineDescription(std::uint64_t engineId) const { return engineName(engineId); }
  // Events this source lost on the way (a telemetry subscriber that fell behind); 0 where
  // nothing can be lost. Never blocks.
  virtual quint64 droppedEvents() const { return 0; }
  State state() const noexcept { return state_; }
  QString stateReason() const { return stateReason_; }

 signals:
  void stateChanged(tofu::monitor::Source::State state, const QString& reason);
  void snapshotReady(const tofu::EngineSnapshot& snapshot);
  void eventsReady(const QList<tofu::Event>& events);
  // Messages with their whole text headers and body (contentComplete), as an application
  // sent or received them; the log shows them in place of the event's preview.
  void contentReady(const QList<tofu::qt::TrafficRecord>& records);

 protected:
  void setState(State state, const QString& reason = {});

 private:
  State state_ = State::connecting;
  QString stateReason_;
};

}  // namespace tofu::monitor
