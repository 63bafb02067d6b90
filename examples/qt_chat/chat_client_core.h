// ChatClientCore: one user's side of the chat (see ChatServerCore for the conventions), without
// widgets. Owns a tofu::qt::Connection that reconnects by itself whenever the link drops, and
// keeps the list of users in the room. GUI thread only; the Engine must outlive it.
#pragma once

#include <QObject>
#include <QSet>
#include <QStringList>

#include "tofu/qt/connection.h"
#include "tofu/qt/engine.h"

class ChatClientCore : public QObject {
  Q_OBJECT

 public:
  ChatClientCore(tofu::qt::Engine& engine, const QString& name, QObject* parent = nullptr);

  // Connects to `address` and reconnects after every failure or drop (100 ms doubling to 2 s),
  // except when the server refuses the name (missing or taken; errorOccurred says not_allowed).
  // False on an immediate failure such as a malformed address (see connection()->errorString()).
  // Never blocks.
  bool connectTo(const QString& address);
  // Sends one line. False (nothing sent; the caller keeps the line) while not connected or
  // while the send queue is full. Never blocks.
  bool say(const QString& line);

  // The connection: state(), stateChanged(), connected(), disconnected(), errorOccurred().
  tofu::qt::Connection* connection() const { return connection_; }
  const QString& name() const { return name_; }
  QStringList users() const;  // sorted; empty while not connected

 signals:
  void lineReceived(const QString& from, const QString& text);
  // A line said earlier came back unsent (the link dropped before it left): not delivered.
  void lineReturned(const QString& text);
  void userJoined(const QString& name);
  void userLeft(const QString& name);
  void usersChanged(const QStringList& users);

 private:
  void askWho();
  void handle(const tofu::qt::MessageEnvelope& message);

  tofu::qt::Connection* connection_;
  QString name_;
  QSet<QString> users_;
};
