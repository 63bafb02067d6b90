// ClientWindow: one user's chat window: a status line bound to the connection's state, the
// users in the room, the conversation and a line to type into. Borrows the ChatClientCore,
// which must outlive it. GUI thread only.
#pragma once

#include <QWidget>

class ChatClientCore;
class QLabel;
class QLineEdit;
class QListWidget;

class ClientWindow : public QWidget {
  Q_OBJECT

 public:
  explicit ClientWindow(ChatClientCore& core, QWidget* parent = nullptr);

 private:
  void sendTypedLine();
  void showState();

  ChatClientCore& core_;
  QLabel* status_;
  QLabel* users_;
  QListWidget* log_;
  QLineEdit* input_;
};
