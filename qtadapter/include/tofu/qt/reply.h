// tofu::qt::Reply: one pending Request made by Connection::request(), in the style of
// QNetworkReply. A child of its Connection, which finishes it; the application may delete it
// (deleteLater() or delete, also from its own finished() slot) at any time, and may reparent
// it. Lives in and is used from its Connection's thread; no call blocks.
#pragma once

#include <QBasicTimer>
#include <QObject>
#include <QString>

#include "tofu/qt/message_envelope.h"
#include "tofu/status.h"

namespace tofu::qt {

class Connection;

class Reply : public QObject {
  Q_OBJECT

 public:
  // NOLINTBEGIN(readability-identifier-naming): Qt's style, as QNetworkReply::NetworkError
  enum class Error {
    NoError,        // answered: response() is the final Response
    TimeoutError,   // no final Response within the request's timeout
    CanceledError,  // abort() was called
    ClosedError,    // the channel closed (or the Request came back unsent) before the answer
    SendError,      // request() could not post the Request (not connected, queue full...)
  };
  // NOLINTEND(readability-identifier-naming)
  Q_ENUM(Error)

  ~Reply() override;

  bool isFinished() const noexcept { return finished_; }
  Error error() const noexcept { return error_; }
  // The engine status behind SendError and ClosedError; success otherwise.
  Status status() const noexcept { return status_; }
  QString errorString() const { return errorString_; }
  // The final Response; valid when finished with NoError.
  MessageEnvelope response() const { return response_; }
  // The Request's id, assigned by the engine (0 when it was never posted).
  quint64 messageId() const noexcept { return messageId_; }

  // Cancels: finishes with CanceledError at once (finished() is emitted before this returns)
  // and a Response arriving later is ignored. Nothing is sent to the peer (the protocol has no
  // cancel). Does nothing once finished.
  void abort();

 signals:
  // A Response with `more` set: a part of a streamed answer. The final one finishes the reply.
  void partReceived(const tofu::qt::MessageEnvelope& part);
  // Emitted exactly once, whatever ended the reply.
  void finished();

 protected:
  void timerEvent(QTimerEvent* event) override;

 private:
  friend class ReplyRegistry;

  Reply(quint64 messageId, int timeoutMs, QObject* parent);
  // Sets the outcome and emits finished(); `this` may be deleted when it returns.
  void finish(Error error, Status status, const QString& errorString);
  void answer(const MessageEnvelope& response);

  quint64 messageId_ = 0;
  bool finished_ = false;
  Error error_ = Error::NoError;
  Status status_ = Status::success;
  QString errorString_;
  MessageEnvelope response_;
  QBasicTimer timeout_;
};

}  // namespace tofu::qt
