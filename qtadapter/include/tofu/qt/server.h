// tofu::qt::Server: listens and hands out one Connection per accepted peer, in the style of
// QTcpServer. Owns one ChannelGroup (its child) for the listener and every accepted channel, and
// the Connections it accepted until the application reparents them. It answers HelloRequests
// (after the accept hook) and, through its Connections, ByeRequests itself. Lives in and is used
// from one thread with an event loop; no call blocks. Deleting it (also from one of its own
// slots) is always safe; `engine` must outlive it unless it is parented to the engine (or to one
// of its descendants).
#pragma once

#include <QHash>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>

#include <functional>

#include "tofu/qt/channel_group.h"
#include "tofu/qt/message_envelope.h"
#include "tofu/status.h"

namespace tofu::qt {

class Connection;
class Engine;

class Server : public QObject {
  Q_OBJECT

 public:
  // Decides on a HelloRequest (its text headers: authentication); false refuses it: the peer's
  // connect fails with not_allowed and nothing of it reaches the application. Runs on this
  // object's thread before newConnection().
  using AcceptHook = std::function<bool(const MessageEnvelope& helloRequest)>;

  explicit Server(Engine& engine, QObject* parent = nullptr);
  // Stops listening and aborts every connection it still owns (its children); connections the
  // application reparented end too (their channels go with the group): Unconnected,
  // disconnected(), errorOccurred(channel_closed).
  ~Server() override;

  // Starts listening on `address` ("tcp|127.0.0.1|0", "uds|/tmp/chat.sock"); listening() or
  // errorOccurred() follows. false (and errorOccurred) on an immediate failure: a malformed
  // address, already listening.
  bool listen(const QString& address);
  bool isListening() const noexcept { return listening_; }
  // The bound address ("tcp|127.0.0.1|41234") once listening() came; "" otherwise.
  QString serverAddress() const { return serverAddress_; }
  // Stops listening (at once); the accepted connections stay, as with QTcpServer.
  void close();
  void setAcceptHook(AcceptHook hook) { acceptHook_ = std::move(hook); }

  bool hasPendingConnections() const;
  // The oldest accepted connection not yet taken; nullptr if none. It is this Server's child
  // until reparented. What arrives on it before this call is kept and emitted from the event
  // loop after it, so connecting its signals right after taking it misses nothing.
  Connection* nextPendingConnection();
  // Every Connected server-side connection, taken or not.
  QList<Connection*> connections() const;
  // A Signal to every Connected connection; returns how many took it.
  int broadcast(const QByteArray& body, const HeaderList& headers = {});

  Status error() const noexcept { return error_; }
  QString errorString() const { return errorString_; }

 signals:
  void listening(const QString& boundAddress);
  // A HelloRequest was accepted and answered; nextPendingConnection() has it.
  void newConnection();
  // Listening failed (at once or later), or the listener closed unexpectedly.
  void errorOccurred(tofu::Status status, const QString& description);

 private:
  void onPeerMessage(const MessageEnvelope& message);
  void onEngineNotice(const MessageEnvelope& message);
  void onListening(quint16 channel, const QString& boundAddress);
  void accept(const MessageEnvelope& hello);
  void route(const MessageEnvelope& message);
  // Records the failure and emits errorOccurred; false.
  bool fail(Status status, const QString& description);

  QPointer<Engine> engine_;
  QPointer<ChannelGroup> group_;  // a child
  AcceptHook acceptHook_;

  quint16 listenChannel_ = 0;
  bool listening_ = false;
  QString requestedAddress_;
  QString serverAddress_;
  // Every accepted channel until its channel_closed; null once the application deleted it.
  QHash<quint16, QPointer<Connection>> connections_;
  QList<QPointer<Connection>> pending_;

  Status error_ = Status::success;
  QString errorString_;
};

}  // namespace tofu::qt
