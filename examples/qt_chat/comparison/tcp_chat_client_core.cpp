#include "tcp_chat_client_core.h"

#include <QTcpSocket>
#include <QTimer>

#include "tcp_chat_frame.h"

TcpChatClientCore::TcpChatClientCore(const QString& name, QObject* parent)
    : QObject(parent), socket_(new QTcpSocket(this)), retryTimer_(new QTimer(this)), name_(name) {
  retryTimer_->setSingleShot(true);
  connect(retryTimer_, &QTimer::timeout, this, [this] { socket_->connectToHost(host_, port_); });
  connect(socket_, &QTcpSocket::connected, this, [this] {
    writeFrame(socket_, {"hello", name_, {}});
    writeFrame(socket_, {"who", {}, {}});
  });
  connect(socket_, &QTcpSocket::disconnected, this, [this] {
    users_.clear();
    emit usersChanged({});
    reconnectLater();
  });
  // A failed connect emits only errorOccurred; a dropped link emits it and disconnected.
  connect(socket_, &QTcpSocket::errorOccurred, this, &TcpChatClientCore::reconnectLater);
  connect(socket_, &QTcpSocket::readyRead, this, &TcpChatClientCore::read);
}

void TcpChatClientCore::connectTo(const QString& host, quint16 port) {
  host_ = host;
  port_ = port;
  socket_->connectToHost(host, port);
}

bool TcpChatClientCore::say(const QString& line) {
  if (socket_->state() != QAbstractSocket::ConnectedState) return false;
  writeFrame(socket_, {"line", {}, line});
  return true;
}

QStringList TcpChatClientCore::users() const {
  QStringList names(users_.begin(), users_.end());
  names.sort();
  return names;
}

void TcpChatClientCore::read() {
  TcpChatFrame frame;
  while (readFrame(socket_, frame)) {
    if (frame.kind == "users") {  // the answer to "who": the server took our name
      retryDelayMs_ = 100;
      for (const QString& user : frame.text.split('\n', Qt::SkipEmptyParts)) users_.insert(user);
      emit usersChanged(users());
    } else if (frame.kind == "joined") {
      users_.insert(frame.name);
      emit userJoined(frame.name);
      emit usersChanged(users());
    } else if (frame.kind == "left") {
      users_.remove(frame.name);
      emit userLeft(frame.name);
      emit usersChanged(users());
    } else if (frame.kind == "line") {
      emit lineReceived(frame.name, frame.text);
    }
  }
}

void TcpChatClientCore::reconnectLater() {
  if (retryTimer_->isActive()) return;  // a dropped link asks twice
  retryTimer_->start(retryDelayMs_);
  retryDelayMs_ = qMin(2 * retryDelayMs_, 2000);
}
