#include "chat_autopilot.h"

#include <QCoreApplication>
#include <QMetaEnum>

#include <cstdio>

#include "chat_client_core.h"

using tofu::qt::Connection;

ChatAutopilot::ChatAutopilot(ChatClientCore& core, const AutopilotPlan& plan, QObject* parent)
    : QObject(parent), core_(core), plan_(plan), out_(stdout) {
  connect(core.connection(), &Connection::stateChanged, this, [this](Connection::State state) {
    out_ << "state " << QMetaEnum::fromType<Connection::State>().valueToKey(static_cast<int>(state))
         << Qt::endl;
  });
  connect(core.connection(), &Connection::connected, this, [this] { batchSent_ = false; });
  connect(core.connection(), &Connection::disconnected, this, &ChatAutopilot::tryWhileDisconnected);
  connect(&core, &ChatClientCore::usersChanged, this, &ChatAutopilot::sendBatchIfRoomIsFull);
  connect(&core, &ChatClientCore::lineReceived, this, &ChatAutopilot::count);
  connect(&core, &ChatClientCore::lineReturned, this,
          [this](const QString& text) { out_ << "returned " << text << Qt::endl; });
}

QString ChatAutopilot::line(int number) const {
  return QStringLiteral("%1 line %2").arg(core_.name()).arg(number);
}

void ChatAutopilot::sendBatchIfRoomIsFull(const QStringList& users) {
  out_ << "room " << users.size() << Qt::endl;
  if (batchSent_ || users.size() < plan_.roomSize) return;
  batchSent_ = true;
  const int last = plan_.batch > 0 ? qMin(plan_.lines, nextLine_ + plan_.batch - 1) : plan_.lines;
  while (nextLine_ <= last && sendNext()) {
  }
}

// The connection is down, so the line must be refused: run_chat_test.sh counts the refusals.
void ChatAutopilot::tryWhileDisconnected() {
  if (nextLine_ <= plan_.lines) sendNext();
}

bool ChatAutopilot::sendNext() {
  const QString text = line(nextLine_);
  if (!core_.say(text)) {
    out_ << "refused " << text << Qt::endl;
    return false;
  }
  out_ << "sent " << text << Qt::endl;
  ++nextLine_;
  return true;
}

void ChatAutopilot::count(const QString& from, const QString& text) {
  out_ << "received " << from << ": " << text << Qt::endl;
  if (++received_ != plan_.expectLines) return;
  out_ << "done " << received_ << Qt::endl;
  if (plan_.quitWhenDone) QCoreApplication::exit(0);
}
