#include "client_window.h"

#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMetaEnum>
#include <QVBoxLayout>

#include "chat_client_core.h"

using tofu::qt::Connection;

ClientWindow::ClientWindow(ChatClientCore& core, QWidget* parent)
    : QWidget(parent),
      core_(core),
      status_(new QLabel),
      users_(new QLabel),
      log_(new QListWidget),
      input_(new QLineEdit) {
  setWindowTitle(tr("Chat: %1").arg(core.name()));
  input_->setPlaceholderText(tr("Type a line and press Enter"));
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(status_);
  layout->addWidget(users_);
  layout->addWidget(log_);
  layout->addWidget(input_);
  showState();

  connect(input_, &QLineEdit::returnPressed, this, &ClientWindow::sendTypedLine);
  connect(core.connection(), &Connection::stateChanged, this, &ClientWindow::showState);
  connect(core.connection(), &Connection::errorOccurred, this,
          [this](tofu::Status, const QString& description) { log_->addItem(tr("! %1").arg(description)); });
  connect(&core, &ChatClientCore::usersChanged, this,
          [this](const QStringList& users) { users_->setText(tr("In the room: %1").arg(users.join(", "))); });
  connect(&core, &ChatClientCore::userJoined, this,
          [this](const QString& name) { log_->addItem(tr("* %1 joined").arg(name)); });
  connect(&core, &ChatClientCore::userLeft, this,
          [this](const QString& name) { log_->addItem(tr("* %1 left").arg(name)); });
  connect(&core, &ChatClientCore::lineReturned, this,
          [this](const QString& text) { log_->addItem(tr("! not delivered: %1").arg(text)); });
  connect(&core, &ChatClientCore::lineReceived, this, [this](const QString& from, const QString& text) {
    log_->addItem(tr("%1: %2").arg(from, text));
    log_->scrollToBottom();
  });
}

// A line that cannot go now stays in the input, to be sent again with Enter.
void ClientWindow::sendTypedLine() {
  if (!input_->text().isEmpty() && core_.say(input_->text())) input_->clear();
}

void ClientWindow::showState() {
  const Connection::State state = core_.connection()->state();
  status_->setText(
      QString::fromLatin1(QMetaEnum::fromType<Connection::State>().valueToKey(static_cast<int>(state))));
}
