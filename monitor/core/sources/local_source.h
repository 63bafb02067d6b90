// LocalSource: an engine in this process (the demo's, the workbench's) as a Source, through an
// EngineWatcher (snapshots off-thread, events polled with previews). tap() adds a group's whole
// messages as content, batched per event-loop tick. Borrows the Engine, which must outlive it.
// GUI thread only.
#pragma once

#include <QTimer>

#include <memory>

#include "tofu/qt/channel_group.h"
#include "tofu/qt/engine.h"
#include "tofu/qt/engine_watcher.h"
#include "sources/source.h"

namespace tofu::monitor {

class LocalSource : public Source {
  Q_OBJECT

 public:
  LocalSource(tofu::qt::Engine& engine, const QString& name, QObject* parent = nullptr);
  ~LocalSource() override;
  QString name() const override;
  QString kindName() const override;

  // Reports every message `group` receives, and every message returned to it, as content.
  void tap(tofu::qt::ChannelGroup& group);
  // Reports a message the application sent (the group's send() does not report its content).
  void reportSent(const tofu::qt::TrafficRecord& record);
  // The same, built from the arguments of ChannelGroup::send() and the id it returned.
  void reportSent(quint16 channel, tofu::OpCode opCode, quint64 messageId, bool more,
                  const tofu::qt::HeaderList& headers, const QByteArray& body);

 private:
  void report(const tofu::qt::TrafficRecord& record);

  tofu::qt::Engine& engine_;
  QString name_;
  std::unique_ptr<tofu::qt::EngineWatcher> watcher_;
  QList<tofu::qt::TrafficRecord> pending_;
  QTimer flush_;
};

}  // namespace tofu::monitor
