// ReplyRegistry: the Replies of one Connection's Requests still waiting for their answer, by
// message id (internal, not part of the API). Owned by the Connection; creates the Replies as
// its children but holds them weakly (the application may delete or reparent them). The
// Connection's thread only.
#pragma once

#include <QHash>
#include <QPointer>
#include <QString>

#include "tofu/qt/message_envelope.h"
#include "tofu/qt/reply.h"

namespace tofu::qt {

class ReplyRegistry {
 public:
  // `owner` (the Connection) parents the Replies and must outlive this registry.
  explicit ReplyRegistry(QObject& owner) : owner_(owner) {}
  ReplyRegistry(const ReplyRegistry&) = delete;
  ReplyRegistry& operator=(const ReplyRegistry&) = delete;

  // A Reply for the Request posted with `messageId`; `timeoutMs` 0 means none.
  Reply* track(quint64 messageId, int timeoutMs);
  // A Reply for a Request that could not be posted: already finished with SendError;
  // finished() is emitted from the event loop.
  Reply* refused(Status status, const QString& errorString);

  // A Response from the peer: a part (more) or the answer. Unknown ids (cancelled, timed out,
  // never ours) are ignored. `owner` may be deleted when this returns.
  void deliver(const MessageEnvelope& response);
  // Finishes the Reply of `messageId` (a Request that came back unsent), if pending.
  void fail(quint64 messageId, Reply::Error error, Status status, const QString& errorString);
  // Finishes every pending Reply, oldest first. `owner` may be deleted when this returns.
  void failAll(Reply::Error error, Status status, const QString& errorString);

 private:
  QObject& owner_;
  QHash<quint64, QPointer<Reply>> pending_;
};

}  // namespace tofu::qt
