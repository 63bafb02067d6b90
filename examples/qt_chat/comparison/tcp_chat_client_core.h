// TcpChatClientCore: ChatClientCore written with QTcpSocket and QDataStream, for the comparison
// in docs/qt.md. Owns the socket and a retry timer: reconnects after every failure or drop
// (100 ms doubling to 2 s); keeps the list of users in the room. GUI thread only.
#pragma once

#include <QObject>
#include <QSet>
#include <QStringList>

class QTcpSocket;
class QTimer;

class TcpChatClientCore : public QObject {
  Q_OBJECT

 public:
  explicit TcpChatClientCore(const QString& name, QObject* parent = nullptr);

  void connectTo(const QString& host, quint16 port);
  // Sends one line; false (nothing sent) while not connected.
  bool say(const QString& line);

  // The socket: state(), stateChanged(), connected(), disconnected(), errorOccurred().
  QTcpSocket* socket() const { return socket_; }
  const QString& name() const { return name_; }
  QStringList users() const;  // sorted; empty while not connected

 signals:
  void lineReceived(const QString& from, const QString& text);
  void userJoined(const QString& name);
  void userLeft(const QString& name);
  void usersChanged(const QStringList& users);

 private:
  void read();
  void reconnectLater();

  QTcpSocket* socket_;
  QTimer* retryTimer_;
  QString name_;
  QString host_;
  quint16 port_ = 0;
  int retryDelayMs_ = 100;
  QSet<QString> users_;
};
