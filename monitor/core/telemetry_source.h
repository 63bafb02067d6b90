// TelemetrySource: another process's engine, through its telemetry endpoint (docs/telemetry.md).
// Owns a private tofu::qt::Engine and group that connect, subscribe and parse snapshots and
// events. A lost endpoint is shown as disconnected and retried every retryMs until it is back.
// GUI thread only; the bodies are parsed on a private thread (TelemetryParser), in order.
#pragma once

#include <QHash>
#include <QThread>
#include <QTimer>

#include <memory>

#include "source.h"

namespace tofu::qt {
class ChannelGroup;
class Engine;
struct MessageEnvelope;
}  // namespace tofu::qt

namespace tofu::monitor {

class TelemetryParser;

class TelemetrySource : public Source {
  Q_OBJECT

 public:
  // Starts connecting at the next event-loop turn, so signals can be connected first.
  explicit TelemetrySource(const QString& address, int retryMs = 1000, QObject* parent = nullptr);
  ~TelemetrySource() override;
  QString name() const override;
  QString kindName() const override;

  // Events this monitor lost since it last subscribed: the endpoint's `dropped` count plus
  // those dropped here when parsing fell behind.
  quint64 droppedEvents() const noexcept { return dropped_ + droppedUnparsed_; }

 private:
  void connectNow();
  void onMessage(const tofu::qt::MessageEnvelope& message);
  void onWelcome(const tofu::qt::MessageEnvelope& message);
  void onData(const tofu::qt::MessageEnvelope& message, const QString& what);
  void lost(const QString& reason);

  QString address_;
  std::unique_ptr<tofu::qt::Engine> engine_;
  tofu::qt::ChannelGroup* group_ = nullptr;  // a child of engine_
  quint16 channel_ = 0;                      // 0 while not connected or connecting
  QHash<quint64, QByteArray> partial_;       // bodies of split messages, by message id
  quint64 dropped_ = 0;                      // the endpoint's count
  quint64 droppedUnparsed_ = 0;              // dropped by parser_ for its backlog
  QTimer retry_;
  QThread parserThread_;
  TelemetryParser* parser_ = nullptr;  // lives in parserThread_; deleted once it has ended
};

}  // namespace tofu::monitor
