#include "tcp_chat_server_core.h"

#include <QTcpServer>
#include <QTcpSocket>

TcpChatServerCore::TcpChatServerCore(QObject* parent) : QObject(parent), server_(new QTcpServer(this)) {
  connect(server_, &QTcpServer::newConnection, this, &TcpChatServerCore::admitPending);
}

QStringList TcpChatServerCore::users() const {
  QStringList names = names_.values();
  names.removeAll(QString());
  names.sort();
  return names;
}

void TcpChatServerCore::admitPending() {
  while (QTcpSocket* socket = server_->nextPendingConnection()) {
    names_.insert(socket, {});
    connect(socket, &QTcpSocket::readyRead, this, [this, socket] { read(socket); });
    connect(socket, &QTcpSocket::disconnected, this, [this, socket] { drop(socket); });
  }
}

void TcpChatServerCore::read(QTcpSocket* socket) {
  TcpChatFrame frame;
  while (readFrame(socket, frame)) {
    const QString name = names_.value(socket);
    if (name.isEmpty()) {  // the first frame names a user who is not in the room yet
      if (frame.kind != "hello" || frame.name.isEmpty() || users().contains(frame.name)) {
        socket->abort();  // refused: the client retries later
        return;
      }
      names_[socket] = frame.name;
      broadcast({"joined", frame.name, {}});
      emit userJoined(frame.name);
      emit usersChanged(users());
    } else if (frame.kind == "who") {
      writeFrame(socket, {"users", {}, users().join('\n')});
    } else if (frame.kind == "line") {
      emit lineRelayed(name, frame.text, broadcast({"line", name, frame.text}));
    }
  }
}

void TcpChatServerCore::drop(QTcpSocket* socket) {
  const QString name = names_.take(socket);
  socket->deleteLater();
  if (name.isEmpty()) return;  // it never joined
  broadcast({"left", name, {}});
  emit userLeft(name);
  emit usersChanged(users());
}

int TcpChatServerCore::broadcast(const TcpChatFrame& frame) {
  int recipients = 0;
  for (auto it = names_.cbegin(); it != names_.cend(); ++it) {
    if (it.value().isEmpty()) continue;
    writeFrame(it.key(), frame);
    ++recipients;
  }
  return recipients;
}
