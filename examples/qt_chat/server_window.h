// ServerWindow: the chat server's window: where it listens, who is connected, what was said.
// Borrows the ChatServerCore, which must outlive it. GUI thread only.
#pragma once

#include <QWidget>

class ChatServerCore;
class QLabel;
class QListWidget;

class ServerWindow : public QWidget {
  Q_OBJECT

 public:
  explicit ServerWindow(ChatServerCore& core, QWidget* parent = nullptr);

 private:
  QLabel* status_;
  QListWidget* users_;
  QListWidget* log_;
};
