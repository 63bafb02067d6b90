// ChatServerCore: a chat room served over tofu, without widgets. Owns a tofu::qt::Server and,
// through it, one Connection per user; relays every line to every user and answers "who".
// GUI thread (the thread it lives in) only; the Engine must outlive it.
//
// The conventions (ChatClientCore follows them): a client names itself in its HelloRequest's
// `name` header; a line is a Signal whose body is the text, relayed to everyone with a `from`
// header; the server announces users with a Signal carrying a `joined` or `left` header; the
// one Request, "who", is answered with the users' names, one per line.
#pragma once

#include <QHash>
#include <QObject>
#include <QStringList>

#include "tofu/qt/engine.h"
#include "tofu/qt/server.h"

class ChatServerCore : public QObject {
  Q_OBJECT

 public:
  explicit ChatServerCore(tofu::qt::Engine& engine, QObject* parent = nullptr);

  // The server: listen() on it (never blocks); its listening() and errorOccurred() report.
  tofu::qt::Server* server() const { return server_; }
  QStringList users() const;  // sorted

 signals:
  void usersChanged(const QStringList& users);
  void userJoined(const QString& name);
  void userLeft(const QString& name);
  // `from` said `text`; `recipients` connections took it (the sender is one of them).
  void lineRelayed(const QString& from, const QString& text, int recipients);

 private:
  void admitPending();
  void handle(tofu::qt::Connection* connection, const tofu::qt::MessageEnvelope& message);
  void drop(tofu::qt::Connection* connection);

  tofu::qt::Server* server_;
  QHash<tofu::qt::Connection*, QString> names_;  // every admitted user still connected
};
