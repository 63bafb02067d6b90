#include "chat_server_core.h"

#include "tofu/qt/connection.h"

using tofu::qt::Connection;
using tofu::qt::MessageEnvelope;

ChatServerCore::ChatServerCore(tofu::qt::Engine& engine, QObject* parent)
    : QObject(parent), server_(new tofu::qt::Server(engine, this)) {
  // Refused: no name, or a name in use. The client's connect fails and it retries later.
  server_->setAcceptHook([this](const MessageEnvelope& hello) {
    const QString name = hello.headerValue(u"name");
    return !name.isEmpty() && !names_.values().contains(name);
  });
  connect(server_, &tofu::qt::Server::newConnection, this, &ChatServerCore::admitPending);
}

QStringList ChatServerCore::users() const {
  QStringList names = names_.values();
  names.sort();
  return names;
}

void ChatServerCore::admitPending() {
  while (Connection* connection = server_->nextPendingConnection()) {
    QString name;
    for (const auto& [header, value] : connection->helloHeaders()) {
      if (header == "name") name = QString::fromUtf8(value);
    }
    names_.insert(connection, name);
    connect(connection, &Connection::messageReceived, this,
            [this, connection](const MessageEnvelope& message) { handle(connection, message); });
    connect(connection, &Connection::disconnected, this, [this, connection] { drop(connection); });
    server_->broadcast({}, {{"joined", name.toUtf8()}});
    emit userJoined(name);
    emit usersChanged(users());
  }
}

void ChatServerCore::handle(Connection* connection, const MessageEnvelope& message) {
  if (message.opCode() == tofu::OpCode::Request) {  // "who"
    connection->reply(message, users().join('\n').toUtf8());
    return;
  }
  const QString from = names_.value(connection);
  const int recipients = server_->broadcast(message.body, {{"from", from.toUtf8()}});
  emit lineRelayed(from, QString::fromUtf8(message.body), recipients);
}

void ChatServerCore::drop(Connection* connection) {
  const QString name = names_.take(connection);
  connection->deleteLater();
  server_->broadcast({}, {{"left", name.toUtf8()}});
  emit userLeft(name);
  emit usersChanged(users());
}
