#include "reply_registry.h"

#include <QList>

#include <algorithm>
#include <utility>

namespace tofu::qt {

Reply* ReplyRegistry::track(quint64 messageId, int timeoutMs) {
  auto* reply = new Reply(messageId, timeoutMs, &owner_);
  pending_.insert(messageId, reply);
  // However it ends (timeout, abort, deleted by the application), it is no longer pending.
  // `owner_` as the context: these connections die with the Connection that owns this registry.
  QObject::connect(reply, &Reply::finished, &owner_, [this, messageId] { pending_.remove(messageId); });
  QObject::connect(reply, &QObject::destroyed, &owner_, [this, messageId] { pending_.remove(messageId); });
  return reply;
}

Reply* ReplyRegistry::refused(Status status, const QString& errorString) {
  auto* reply = new Reply(0, 0, &owner_);
  reply->finished_ = true;
  reply->error_ = Reply::Error::SendError;
  reply->status_ = status;
  reply->errorString_ = errorString;
  // Queued, as QNetworkReply does for an immediate error: the caller connects first.
  QMetaObject::invokeMethod(reply, &Reply::finished, Qt::QueuedConnection);
  return reply;
}

void ReplyRegistry::deliver(const MessageEnvelope& response) {
  const QPointer<Reply> reply = pending_.value(response.messageId());
  if (!reply) {
    return;
  }
  if (response.hasMore()) {
    emit reply->partReceived(response);
  } else {
    reply->answer(response);
  }
}

void ReplyRegistry::fail(quint64 messageId, Reply::Error error, Status status, const QString& errorString) {
  if (const QPointer<Reply> reply = pending_.value(messageId); reply) {
    reply->finish(error, status, errorString);
  }
}

void ReplyRegistry::failAll(Reply::Error error, Status status, const QString& errorString) {
  QList<quint64> ids = pending_.keys();
  std::sort(ids.begin(), ids.end());  // in the order the Requests were posted
  // A finished() slot may delete other Replies, or the owner and this registry (whose
  // destructor then finishes the rest): check before each step.
  const QPointer<QObject> owner(&owner_);
  for (const quint64 id : std::as_const(ids)) {
    if (!owner) {
      return;
    }
    if (const QPointer<Reply> reply = pending_.take(id); reply && !reply->isFinished()) {
      reply->finish(error, status, errorString);
    }
  }
}

}  // namespace tofu::qt
