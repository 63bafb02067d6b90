// tofu::qt::Connection: one tofu channel as a QObject, in the style of QTcpSocket. Either made
// by the application to connect (it then owns its own ChannelGroup) or handed out by a Server
// (it then borrows the Server's group and is the Server's child until reparented). It answers
// the peer's ByeRequest itself and keeps the Replies of its Requests. Lives in and is used from
// one thread with an event loop (usually the GUI thread); no call blocks. Deleting it (also from
// one of its own slots) is always safe. Should its Engine (or, server side, its Server) go
// first, it ends (errorOccurred: shutdown_started, channel_closed) and later calls fail.
#pragma once

#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>

#include <memory>

#include "tofu/qt/channel_group.h"
#include "tofu/qt/message_envelope.h"
#include "tofu/status.h"

namespace tofu::qt {

class Engine;
class Reply;
class ReplyRegistry;
class Server;

class Connection : public QObject {
  Q_OBJECT
  Q_PROPERTY(State state READ state NOTIFY stateChanged)

 public:
  // NOLINTBEGIN(readability-identifier-naming): Qt's style, as QAbstractSocket::SocketState
  enum class State { Unconnected, Connecting, Connected, Closing };
  // NOLINTEND(readability-identifier-naming)
  Q_ENUM(State)

  // A client connection; connectTo() opens it. Owns its own ChannelGroup on `engine`, which
  // must outlive it unless this is parented to the engine (or to one of its descendants).
  explicit Connection(Engine& engine, QObject* parent = nullptr);
  // An open channel is aborted (ByeSignal); pending Replies finish with ClosedError (their
  // finished() is emitted from here: do not touch this Connection in those slots).
  ~Connection() override;

  // ---- Opening (client side) and closing (either side); none of these blocks ----

  // Unconnected -> Connecting, then connected(), or errorOccurred() and Unconnected (or, with
  // auto-reconnect, another attempt later; the state stays Connecting meanwhile). Returns false
  // with errorOccurred() on an immediate failure (malformed address, already connected, a
  // server-side connection). While waiting to reconnect, connectTo() starts again at once.
  // A server that refuses (its accept hook) fails the connect with not_allowed; that is not
  // retried.
  bool connectTo(const QString& address, const HeaderList& helloHeaders = {});
  // Graceful: sends ByeRequest (behind what is already queued), Closing, then Unconnected and
  // disconnected() when the peer answers, or abort() after closeTimeout(). While connecting it
  // aborts; while waiting to reconnect it stops waiting.
  void close();
  // ByeSignal: nothing more is sent (messages still queued are discarded, not returned), the
  // peer sees a reset. Unconnected at once; disconnected() if it was Connected or Closing.
  void abort();

  State state() const noexcept { return state_; }
  quint16 channelNumber() const noexcept { return channel_; }
  // Client: the address given to connectTo(). Server side: the peer's address as the engine
  // reports it (a snapshot of the engine, taken on the first call: well under a millisecond),
  // "" when unknown.
  QString peerAddress() const;
  // Server side: the text headers of the peer's HelloRequest, without the engine's own `~`
  // headers except the verified TLS client identity (`~tls-peer-subject`, `~tls-peer-san`, on a
  // tls listener with Options::tlsRequireClientCertificate; docs/qt.md, "TLS"). Client: the
  // headers given to connectTo().
  HeaderList helloHeaders() const { return helloHeaders_; }
  bool isServerSide() const noexcept { return serverSide_; }
  // The last failure, QLocalSocket style.
  Status error() const noexcept { return error_; }
  QString errorString() const { return errorString_; }

  void setConnectTimeout(int ms) { connectTimeoutMs_ = ms; }  // default 10000; 0 = none
  int connectTimeout() const noexcept { return connectTimeoutMs_; }
  void setCloseTimeout(int ms) { closeTimeoutMs_ = ms; }      // default 3000
  int closeTimeout() const noexcept { return closeTimeoutMs_; }
  // Reconnect (client side) after a failed or refused-by-the-network connect or a dropped link,
  // not after close(), abort() or a graceful close by the peer: the first retry after
  // initialDelayMs, doubling up to maxDelayMs; reset by a successful connect. Default off.
  void setAutoReconnect(bool enabled, int initialDelayMs = 100, int maxDelayMs = 5000);
  bool autoReconnect() const noexcept { return autoReconnect_; }

  // ---- Messages; none of these blocks ----

  // One-way message (OpCode::Signal). false when not Connected or the send queue is full;
  // errorOccurred() is emitted once per episode of refusals (until a send succeeds again);
  // after a full-queue refusal, readyToSend() says when to try again.
  bool send(const QByteArray& body, const HeaderList& headers = {});
  // A Request. The returned Reply (this Connection's child) finishes with the matching final
  // Response, on timeout, on Reply::abort() or when the channel closes. timeoutMs 0 = none.
  // Never nullptr: a refused send gives a Reply already finished with SendError (its
  // finished() is emitted from the event loop). Request ids are assigned by the engine: the
  // application does not choose them (Reply::messageId() tells the one used).
  Reply* request(const QByteArray& body, const HeaderList& headers = {}, int timeoutMs = 30000);
  // Answers `request` (a Request received on this connection): OpCode::Response, same id.
  bool reply(const MessageEnvelope& request, const QByteArray& body, const HeaderList& headers = {});
  // A part of a streamed answer (a Response with `more` set; the requester's Reply emits
  // partReceived()); finish with reply().
  bool replyPart(const MessageEnvelope& request, const QByteArray& body, const HeaderList& headers = {});

 signals:
  void stateChanged(tofu::qt::Connection::State state);
  void connected();
  // Left Connected or Closing: the peer's Bye, a dropped link, close() or abort().
  void disconnected();
  // Signals and Requests from the peer (answer Requests with reply()).
  void messageReceived(const tofu::qt::MessageEnvelope& message);
  // A Signal, Request or Response of ours came back unsent (its status says why). Emitted
  // before the state change that explains it; a returned Request also finishes its Reply.
  void messageReturned(const tofu::qt::MessageEnvelope& message);
  // After a full-queue refusal: the send queue can take more.
  void readyToSend();
  // A connect failed or timed out (connect_failed, not_allowed when refused...), the link
  // dropped, or a call was refused. When the channel ends, the order is: returned messages,
  // Replies finished with ClosedError, stateChanged(), disconnected(), errorOccurred().
  void errorOccurred(tofu::Status status, const QString& description);

 private:
  friend class Server;
  struct ServerSide {};

  // Server side: the channel `hello` opened on `server`'s group, already answered. Held: what
  // arrives is kept until release().
  Connection(ServerSide, Engine* engine, ChannelGroup& group, const MessageEnvelope& hello, QObject* parent);
  void release();  // the application took this connection: emit what was kept, from the event loop
  void setUp();    // timers, and the ends of the group and the engine, for both constructions

  // Everything for this object's channel from its group, from a peer or from the engine:
  // kept while held, else dispatched (to the handlers, when it is for the current channel).
  void deliver(const MessageEnvelope& message);
  void dispatch(const MessageEnvelope& message);
  void handlePeerMessage(const MessageEnvelope& message);
  void handleEngineNotice(const MessageEnvelope& message);
  // The group or the engine went away under this object: the channel ends for good.
  void endForGood(Status status, const QString& reason);
  void answerBye(const MessageEnvelope& byeRequest);
  void sendQueueReady();  // the group's readyToSend() for this channel

  // Opens a channel to address_ (no signal); false, with error_ set, when that failed at once.
  bool openChannel();
  void reconnectNow();
  void scheduleReconnect();  // starts the back-off timer and doubles the next delay
  void connectTimedOut();
  void abortChannel();  // ByeSignal on channel_, then forgets it
  // The channel ended (its channel_closed, an abort, a timeout): Replies, state, disconnected(),
  // errorOccurred(), as documented; `this` may be deleted when it returns.
  void channelEnded();
  // Why the channel is ending, if nothing said so before.
  void noteEnd(Status status, const QString& reason);
  QString peerName() const;  // for error descriptions
  void setState(State state);  // emits stateChanged() when it changes; `this` may be deleted
  void setError(Status status, const QString& description);
  // Records a refused call and emits errorOccurred() once per episode; always false.
  bool refuse(Status status, const QString& description);
  // Whether the state allows sending; if not, error_ says why.
  bool canSend();
  // canSend(), and a refusal (errorOccurred() once per episode) when not.
  bool checkConnected();
  quint64 post(OpCode opCode, const QByteArray& body, const HeaderList& headers, bool more, quint64 messageId);
  bool answer(const MessageEnvelope& request, const QByteArray& body, const HeaderList& headers, bool more);

  // Constant after construction
  const bool serverSide_ = false;
  const QPointer<Engine> engine_;
  const QPointer<ChannelGroup> group_;  // a child (client) or the Server's (server side)

  // The current channel
  State state_ = State::Unconnected;
  quint16 channel_ = 0;
  quint16 lastChannel_ = 0;          // for peerAddress() after the end
  quint64 attempt_ = 0;              // counts channels opened, to notice a restart from a slot
  bool wasConnected_ = false;        // it reached Connected
  bool mayReconnect_ = false;        // its failure may be retried
  bool byeAnswered_ = false;         // the peer's ByeRequest got its ByeResponse
  Status endStatus_ = Status::success;  // why it is ending unexpectedly; success: as asked
  QString endReason_;
  QString address_;
  HeaderList helloHeaders_;
  mutable QString peerAddress_;

  // Errors
  Status error_ = Status::success;
  QString errorString_;
  bool refusing_ = false;  // in a refusal episode: errorOccurred() already emitted

  // Server side, until the application takes it
  bool held_ = false;
  QList<MessageEnvelope> heldMessages_;

  // Timers and policies
  int connectTimeoutMs_ = 10000;
  int closeTimeoutMs_ = 3000;
  bool autoReconnect_ = false;
  int reconnectInitialMs_ = 100;
  int reconnectMaxMs_ = 5000;
  int reconnectDelayMs_ = 100;
  QTimer connectTimer_;
  QTimer closeTimer_;
  QTimer reconnectTimer_;
  std::unique_ptr<ReplyRegistry> replies_;
};

}  // namespace tofu::qt
