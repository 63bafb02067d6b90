#include "chat_client_core.h"

#include "tofu/qt/reply.h"

using tofu::qt::Connection;
using tofu::qt::MessageEnvelope;

ChatClientCore::ChatClientCore(tofu::qt::Engine& engine, const QString& name, QObject* parent)
    : QObject(parent), connection_(new Connection(engine, this)), name_(name) {
  connection_->setAutoReconnect(true, 100, 2000);
  connect(connection_, &Connection::connected, this, &ChatClientCore::askWho);
  connect(connection_, &Connection::disconnected, this, [this] {
    users_.clear();
    emit usersChanged({});
  });
  connect(connection_, &Connection::messageReceived, this, &ChatClientCore::handle);
  connect(connection_, &Connection::messageReturned, this, [this](const MessageEnvelope& message) {
    if (message.opCode() == tofu::OpCode::Signal) emit lineReturned(QString::fromUtf8(message.body));
  });
}

bool ChatClientCore::connectTo(const QString& address) {
  return connection_->connectTo(address, {{"name", name_.toUtf8()}});
}

bool ChatClientCore::say(const QString& line) { return connection_->send(line.toUtf8()); }

QStringList ChatClientCore::users() const {
  QStringList names(users_.begin(), users_.end());
  names.sort();
  return names;
}

void ChatClientCore::askWho() {
  tofu::qt::Reply* reply = connection_->request("who");
  connect(reply, &tofu::qt::Reply::finished, this, [this, reply] {
    reply->deleteLater();
    if (reply->error() != tofu::qt::Reply::Error::NoError) return;  // dropped: asked again on reconnect
    // Merged with the joined/left notices that came first (the answer already reflects them).
    for (const QString& name : QString::fromUtf8(reply->response().body).split('\n', Qt::SkipEmptyParts)) {
      users_.insert(name);
    }
    emit usersChanged(users());
  });
}

void ChatClientCore::handle(const MessageEnvelope& message) {
  if (const QString name = message.headerValue(u"joined"); !name.isNull()) {
    users_.insert(name);
    emit userJoined(name);
    emit usersChanged(users());
  } else if (const QString gone = message.headerValue(u"left"); !gone.isNull()) {
    users_.remove(gone);
    emit userLeft(gone);
    emit usersChanged(users());
  } else {
    emit lineReceived(message.headerValue(u"from"), QString::fromUtf8(message.body));
  }
}
