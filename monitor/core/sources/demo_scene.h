// DemoScene: the built-in live demo: several in-process engines that listen, connect, exchange
// Requests, Responses, Signals and streamed (`more`) messages with text headers, send progress
// Signals, close gracefully and abruptly, and sometimes fail (refused connect, peer loss), so
// every state and notification appears. Owns its engines and groups; adds a LocalSource per
// engine to the Session. `floodRate` > 0 adds a sender pushing that many messages/s (bench).
// Everything runs on QTimers in the GUI thread (the engines' I/O threads aside).
#pragma once

#include <QObject>
#include <QTemporaryDir>
#include <QTimer>

#include <memory>
#include <vector>

#include "tofu/qt/channel_group.h"

namespace tofu::monitor {

class LocalEngine;
class LocalSource;
class Session;

struct DemoOptions {
  int engines = 3;    // one server ("alpha") and engines-1 clients (at least one)
  int floodRate = 0;  // messages per second on an extra channel; 0: no flood
  int tickMs = 600;   // requests and signals; the life-cycle scenes run every 4 ticks
};

class DemoScene : public QObject {
  Q_OBJECT

 public:
  DemoScene(Session& session, const DemoOptions& options = {}, QObject* parent = nullptr);
  ~DemoScene() override;
  void start();
  quint64 messagesSent() const { return sent_; }

 private:
  struct Client;
  void serve(const tofu::qt::MessageEnvelope& message);
  void connectClient(Client& client);
  void tick();
  void lifeCycleScene();
  void losePeer();
  void flood();
  // Sends and reports the whole message to `source` (null: not reported, for the flood).
  quint64 send(LocalSource* source, tofu::qt::ChannelGroup& group, quint16 channel, tofu::OpCode opCode,
               const QByteArray& body, const tofu::qt::HeaderList& headers, bool more = false, quint64 id = 0);

  DemoOptions options_;
  QTemporaryDir dir_;
  // A TCP socket bound to a loopback port but never listening: a connect there is refused,
  // and no one else can take the port while the scene holds it.
  int refusingSocket_ = -1;
  QString refusedAddress_;
  std::unique_ptr<LocalEngine> server_;
  tofu::qt::ChannelGroup* alpha_ = nullptr;
  std::vector<std::unique_ptr<Client>> clients_;
  tofu::qt::ChannelGroup* doomed_ = nullptr;  // the peer-loss scene's group, on the first client's engine
  std::unique_ptr<Client> flooder_;
  QTimer tick_;
  QTimer floodTimer_;
  double floodCarry_ = 0;
  int ticks_ = 0;
  int scene_ = 0;
  quint64 sent_ = 0;
};

}  // namespace tofu::monitor
