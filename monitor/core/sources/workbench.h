// Workbench: listen on, connect to and send from the GUI. Owns one engine and group, shown in
// the Session as the source "workbench" with every message's whole content, from the moment
// the user opens the workbench (show()) or it opens a channel: before, an idle engine would be
// listed with nothing in it. Answers peers'
// HelloRequests and ByeRequests itself; everything else is the user's. GUI thread only.
#pragma once

#include <QHash>
#include <QObject>

#include <memory>

#include "tofu/qt/channel_group.h"

namespace tofu::monitor {

class LocalEngine;
class Session;

struct WorkbenchMessage {
  quint16 channel = 0;
  tofu::OpCode opCode = tofu::OpCode::Request;
  quint64 messageId = 0;  // 0: the next id
  bool more = false;
  tofu::qt::HeaderList headers;
  QByteArray body;
};

class Workbench : public QObject {
  Q_OBJECT

 public:
  explicit Workbench(Session& session, QObject* parent = nullptr);
  ~Workbench() override;

  // Lists the workbench's engine in the Session (once).
  void show();
  quint16 listenOn(const QString& address);   // 0 on failure: see errorOccurred
  quint16 connectTo(const QString& address);
  quint64 send(const WorkbenchMessage& message);  // the id used, 0 on failure
  bool close(quint16 channel);
  tofu::qt::ChannelGroup& group();

 signals:
  void channelReady(quint16 channel, const QString& description);
  void channelClosed(quint16 channel);
  void messageReceived(const tofu::qt::MessageEnvelope& message);
  void errorOccurred(const QString& description);

 private:
  void describeReady(quint16 channel, const QString& description);

  std::unique_ptr<LocalEngine> local_;
  tofu::qt::ChannelGroup* group_ = nullptr;  // a child of the engine
  QHash<quint16, QString> peers_;            // what each channel was opened for
};

}  // namespace tofu::monitor
