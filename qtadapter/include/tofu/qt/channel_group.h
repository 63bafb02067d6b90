// tofu::qt::ChannelGroup: one tofu ChannelGroup for Qt code. Owns the group and a worker
// QThread that loops on waitReceive() and hands what it receives to this object's thread in
// batches, where it is emitted as signals in waitReceive() order. Sending is a non-blocking
// call. Lives in (and is used from) the Engine's thread, which needs an event loop: usually
// the GUI thread.
//
// Ownership and lifetime:
// - It borrows the Engine and registers with it. Parent it to the Engine to have ~Engine
//   delete it; otherwise it may outlive the Engine: ~Engine then stops its worker and destroys
//   its engine group (channels aborted, undelivered messages dropped, no signal emitted). From
//   then on isValid() is false, error() is Status::shutdown_started, errorString() says "the
//   engine was destroyed", and every call fails that way (0/false plus errorOccurred).
//   Deleting it afterwards is fine.
// - Deleting it, or its Engine, inside one of its own slots (with any context object) is
//   safe: nothing more is emitted for the message being delivered nor for the rest of the
//   batch, which is dropped. deleteLater() works too and lets the batch finish first.
#pragma once

#include <QList>
#include <QObject>
#include <QPair>
#include <QSet>
#include <QString>

#include <memory>

#include "tofu/channel_group.h"
#include "tofu/qt/delivery.h"
#include "tofu/qt/message_envelope.h"
#include "tofu/qt/status.h"

namespace tofu::qt {

class Engine;
class EngineLease;
class DeliveryQueue;
class ReceiveThread;

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

class ChannelGroup : public QObject {
  Q_OBJECT

 public:
  // Creates the group on `engine` and starts receiving at once. If the group cannot be created,
  // isValid() is false and error()/errorString() say why; sends then fail the same way.
  explicit ChannelGroup(Engine& engine, const DeliveryOptions& options = {}, QObject* parent = nullptr);
  // Stops the worker (waking it if it is blocked in waitReceive or on a full queue), destroys
  // the group (its channels are aborted) and drops undelivered messages. Returns promptly;
  // may be called from one of this object's slots.
  ~ChannelGroup() override;

  // False when the group could not be created or the Engine was destroyed; calls then fail.
  bool isValid() const noexcept;
  const DeliveryOptions& deliveryOptions() const noexcept { return options_; }
  // Counters of the receive path; see DeliveryStats. Never blocks (a short lock). After the
  // Engine was destroyed, the counts as they were then.
  DeliveryStats stats() const;

  // ---- Sending: none of these blocks; failures return 0/false and emit errorOccurred ----
  // A full send queue (notification_failed, B6) is reported once per episode: the first
  // refused call on a channel emits errorOccurred, later ones only set error()/errorString(),
  // until readyToSend() or channelClosed() for that channel ends the episode (issue 19).

  // Starts listening on `address` ("tcp|127.0.0.1|0", "uds|/tmp/x.sock"). Returns the new
  // channel number; listening() or listenFailed() follows.
  quint16 listenOn(const QString& address);
  // Connects to `address`, sending `headers` with the HelloRequest. Returns the new channel
  // number; connected() or connectFailed() follows.
  quint16 connectTo(const QString& address, const HeaderList& headers = {});
  // Sends one message on `channel`. A messageId of 0 takes the next process-wide id.
  // Returns the id used.
  quint64 send(quint16 channel, OpCode opCode, const QByteArray& body, const HeaderList& headers = {},
               bool more = false, quint64 messageId = 0);
  // A Response to `request` (same channel and message id).
  quint64 reply(const MessageEnvelope& request, const QByteArray& body, const HeaderList& headers = {},
                bool more = false);
  // Graceful close (ByeRequest); channelClosed() follows.
  bool close(quint16 channel);
  // Abort (ByeSignal): nothing more is sent, the peer sees a reset; channelClosed() follows.
  bool abort(quint16 channel);
  // The general form: hands `message` to enqueueToPeer. On success `message` is cleared and
  // the header has the channel number and id; on failure the caller keeps it.
  Result<BinaryHeader> enqueue(MessagePtr& message);
  // Adds an item to this group's receive queue; receiverUpdated() delivers it in order.
  bool updateReceiver(MessagePtr& message);

  // The last failure of a call on this object, QLocalSocket style.
  Status error() const noexcept { return error_; }
  QString errorString() const { return errorString_; }

 signals:
  // Every message, in waitReceive() order, to exactly one of these three:
  void messageReceived(const tofu::qt::MessageEnvelope& message);       // from a peer
  void notificationReceived(const tofu::qt::MessageEnvelope& message);  // origin engine
  void receiverUpdated(const tofu::qt::MessageEnvelope& message);       // updateReceiver() items

  // Then, derived from the same message and emitted right after it:
  void listening(quint16 channel, const QString& boundAddress);  // WelcomeResponse, success
  void listenFailed(quint16 channel, tofu::Status status);
  void connected(quint16 channel);                   // the peer's HelloResponse
  void connectFailed(quint16 channel, tofu::Status status);
  void channelOpened(quint16 channel);               // a peer's HelloRequest opened a server channel
  void channelReady(quint16 channel);                // after listening, connected or channelOpened
  void channelClosed(quint16 channel);               // Signal(channel_closed): the number is released
  void messageReturned(const tofu::qt::MessageEnvelope& message);  // a posted message came back unsent
  void poolEmpty(quint16 channel);
  // A channel that refused a send with notification_failed can take more: its send queue has
  // drained to half of Options::sendQueueLimitBytes (B16). Exactly once per episode, i.e. after
  // each errorOccurred(notification_failed) unless channelClosed() comes first; never after
  // channelClosed(). Follows the engine's send-ready notice, which reaches
  // notificationReceived (isSendReady(message.header) is true) and never messageReturned.
  void readyToSend(quint16 channel);

  // DropOldest only: `count` more messages were dropped; `total` since the start.
  void messagesDropped(quint64 count, quint64 total);
  // A call failed, or a listen/connect failure arrived.
  void errorOccurred(tofu::Status status, const QString& description);

 protected:
  bool event(QEvent* event) override;  // runs calls posted by the worker thread

 private:
  void deliverPending();  // runs on this object's thread, posted by the worker
  // Stops the worker and destroys the group; for the destructor and ~Engine.
  void release();
  void detachFromEngine();  // ~Engine, through lease_: release(), then unusable for good
  // Records why the group is unusable: later calls fail with `status` and `reason`.
  void setUnusable(Status status, const QString& reason);
  void emitFor(const MessageEnvelope& message);
  // Records the failure for error()/errorString().
  void record(Status status, const QString& what);
  // record(), then emits errorOccurred; always false.
  bool fail(Status status, const QString& what);
  // fail() for a Hello/WelcomeRequest the engine returned: `what`, why its address is
  // invalid, its status, then the engine's TLS reason (`~tls-error`) when it has one.
  void failReturned(const MessageEnvelope& returned, const QString& what);
  // fail() for a refused enqueueToPeer on `channel`, with errorOccurred once per full-queue episode.
  void failSend(quint16 channel, Status status, const QString& what);
  MessagePtr newMessage();
  // enqueueToPeer; on failure the message goes back to the pool and failSend() reports `what`.
  Result<BinaryHeader> post(MessagePtr& message, const QString& what);
  bool appendHeaders(Message& message, const HeaderList& headers, const QString& what);
  quint16 openChannel(const QString& address, bool listen, const HeaderList& headers);

  Engine& engine_;  // used only while group_ is set: ~Engine clears group_ before it goes
  std::unique_ptr<EngineLease> lease_;
  DeliveryOptions options_;
  tofu::ChannelGroup* group_ = nullptr;  // null: unusable, for unusableReason_
  std::unique_ptr<DeliveryQueue> queue_;
  std::unique_ptr<ReceiveThread> thread_;
  Status error_ = Status::success;
  QString errorString_;
  QString unusableReason_;
  QSet<quint16> refusedChannels_;  // notification_failed reported, readyToSend not yet emitted
};

}  // namespace tofu::qt
