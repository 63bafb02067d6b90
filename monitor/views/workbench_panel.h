// WorkbenchPanel: the form over a Workbench: listen on or connect to an address, pick a
// channel, and send a message with an opcode, message id, `more` flag, text headers and a
// body typed or loaded from a file. Replies and channel events are listed below the form
// (the log and detail views show them in full). GUI thread only; borrows the Workbench.
#pragma once

#include <QWidget>

#include <optional>

#include "sources/workbench.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

namespace tofu::monitor {

class WorkbenchPanel : public QWidget {
  Q_OBJECT

 public:
  explicit WorkbenchPanel(Workbench& workbench, QWidget* parent = nullptr);

  // Uses the file's bytes as the body (binary safe); false with the reason in the activity
  // list when it cannot be read.
  bool loadBodyFile(const QString& path);
  // "name:value" per line; false with `error` set on a line without a name.
  static bool parseHeaders(const QString& text, tofu::qt::HeaderList& out, QString* error);

 private:
  QWidget* buildForm();
  void listen();
  void connectToPeer();
  void closeChannel();
  void send();
  void chooseBodyFile();
  void note(const QString& line);
  void onChannelReady(quint16 channel, const QString& description);
  void onChannelClosed(quint16 channel);
  void onMessage(const tofu::qt::MessageEnvelope& message);

  Workbench& workbench_;
  QLineEdit* address_ = nullptr;
  QComboBox* channel_ = nullptr;
  QComboBox* opCode_ = nullptr;
  QLineEdit* messageId_ = nullptr;
  QCheckBox* more_ = nullptr;
  QPlainTextEdit* headers_ = nullptr;
  QPlainTextEdit* body_ = nullptr;
  QLabel* bodyFile_ = nullptr;
  QPushButton* send_ = nullptr;
  QPlainTextEdit* activity_ = nullptr;
  std::optional<QByteArray> fileBody_;  // a loaded file replaces the typed body until edited
};

}  // namespace tofu::monitor
