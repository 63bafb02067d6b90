// TcpChatServerCore: ChatServerCore written with QTcpServer, QTcpSocket and QDataStream, for
// the comparison in docs/qt.md. Owns the QTcpServer and a socket per user; relays every line
// to every user and answers "who". GUI thread only.
#pragma once

#include <QHash>
#include <QObject>
#include <QStringList>

#include "tcp_chat_frame.h"

class QTcpServer;

class TcpChatServerCore : public QObject {
  Q_OBJECT

 public:
  explicit TcpChatServerCore(QObject* parent = nullptr);

  // The server: listen() on it; newConnection() and acceptError() report.
  QTcpServer* server() const { return server_; }
  QStringList users() const;  // sorted

 signals:
  void usersChanged(const QStringList& users);
  void userJoined(const QString& name);
  void userLeft(const QString& name);
  void lineRelayed(const QString& from, const QString& text, int recipients);

 private:
  void admitPending();
  void read(QTcpSocket* socket);
  void drop(QTcpSocket* socket);
  int broadcast(const TcpChatFrame& frame);

  QTcpServer* server_;
  QHash<QTcpSocket*, QString> names_;  // every connected socket; "" until it named its user
};
