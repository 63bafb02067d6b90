#include "tofu/qt/reply.h"

#include <QPointer>
#include <QTimerEvent>

namespace tofu::qt {

Reply::Reply(quint64 messageId, int timeoutMs, QObject* parent) : QObject(parent), messageId_(messageId) {
  if (timeoutMs > 0) {
    timeout_.start(timeoutMs, this);
  }
}

Reply::~Reply() = default;

void Reply::abort() {
  if (!finished_) {
    finish(Error::CanceledError, Status::success, QStringLiteral("the request was cancelled"));
  }
}

void Reply::timerEvent(QTimerEvent* event) {
  if (event->timerId() != timeout_.timerId()) {
    QObject::timerEvent(event);
    return;
  }
  timeout_.stop();
  if (!finished_) {
    finish(Error::TimeoutError, Status::success, QStringLiteral("no answer within the request's timeout"));
  }
}

void Reply::finish(Error error, Status status, const QString& errorString) {
  finished_ = true;
  timeout_.stop();
  error_ = error;
  status_ = status;
  errorString_ = errorString;
  emit finished();
}

void Reply::answer(const MessageEnvelope& response) {
  response_ = response;
  finish(Error::NoError, Status::success, {});
}

}  // namespace tofu::qt
