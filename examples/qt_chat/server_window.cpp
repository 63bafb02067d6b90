#include "server_window.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QVBoxLayout>

#include "chat_server_core.h"

ServerWindow::ServerWindow(ChatServerCore& core, QWidget* parent)
    : QWidget(parent),
      status_(new QLabel(tr("Not listening"))),
      users_(new QListWidget),
      log_(new QListWidget) {
  setWindowTitle(tr("Chat server"));
  auto* lists = new QHBoxLayout;
  lists->addWidget(users_, 1);
  lists->addWidget(log_, 3);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(status_);
  layout->addLayout(lists);

  tofu::qt::Server* server = core.server();
  connect(server, &tofu::qt::Server::listening, this,
          [this](const QString& address) { status_->setText(tr("Listening on %1").arg(address)); });
  connect(server, &tofu::qt::Server::errorOccurred, this,
          [this](tofu::Status, const QString& description) { status_->setText(description); });
  connect(&core, &ChatServerCore::usersChanged, this, [this](const QStringList& users) {
    users_->clear();
    users_->addItems(users);
  });
  connect(&core, &ChatServerCore::userJoined, this,
          [this](const QString& name) { log_->addItem(tr("* %1 joined").arg(name)); });
  connect(&core, &ChatServerCore::userLeft, this,
          [this](const QString& name) { log_->addItem(tr("* %1 left").arg(name)); });
  connect(&core, &ChatServerCore::lineRelayed, this,
          [this](const QString& from, const QString& text, int recipients) {
            log_->addItem(tr("%1: %2 (to %n user(s))", nullptr, recipients).arg(from, text));
          });
}
