#include "workbench_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QVBoxLayout>

#include "models/time_format.h"
#include "tofu/introspection.h"

namespace tofu::monitor {

namespace {

constexpr int kActivityLines = 500;

QPushButton* makeButton(const QString& name, const QString& text, QWidget* parent) {
  auto* button = new QPushButton(text, parent);
  button->setObjectName(name);
  return button;
}

}  // namespace

WorkbenchPanel::WorkbenchPanel(Workbench& workbench, QWidget* parent) : QWidget(parent), workbench_(workbench) {
  setObjectName(QStringLiteral("workbenchPanel"));
  activity_ = new QPlainTextEdit(this);
  activity_->setObjectName(QStringLiteral("wbActivity"));
  activity_->setReadOnly(true);
  activity_->setMaximumBlockCount(kActivityLines);
  activity_->setPlaceholderText(tr("Channel events and replies appear here."));

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addWidget(buildForm());
  layout->addWidget(activity_, 1);

  connect(&workbench, &Workbench::channelReady, this, &WorkbenchPanel::onChannelReady);
  connect(&workbench, &Workbench::channelClosed, this, &WorkbenchPanel::onChannelClosed);
  connect(&workbench, &Workbench::messageReceived, this, &WorkbenchPanel::onMessage);
  connect(&workbench, &Workbench::errorOccurred, this, [this](const QString& text) { note(tr("error: %1").arg(text)); });
}

QWidget* WorkbenchPanel::buildForm() {
  auto* form = new QWidget(this);
  address_ = new QLineEdit(QStringLiteral("tcp|127.0.0.1|0"), form);
  address_->setObjectName(QStringLiteral("wbAddress"));
  auto* listenButton = makeButton(QStringLiteral("wbListen"), tr("Listen"), form);
  auto* connectButton = makeButton(QStringLiteral("wbConnect"), tr("Connect"), form);
  auto* addressRow = new QHBoxLayout;
  addressRow->addWidget(address_, 1);
  addressRow->addWidget(listenButton);
  addressRow->addWidget(connectButton);

  channel_ = new QComboBox(form);
  channel_->setObjectName(QStringLiteral("wbChannel"));
  auto* closeButton = makeButton(QStringLiteral("wbClose"), tr("Close"), form);
  auto* channelRow = new QHBoxLayout;
  channelRow->addWidget(channel_, 1);
  channelRow->addWidget(closeButton);

  opCode_ = new QComboBox(form);
  opCode_->setObjectName(QStringLiteral("wbOpCode"));
  for (tofu::OpCode op : {tofu::OpCode::Request, tofu::OpCode::Response, tofu::OpCode::Signal})
    opCode_->addItem(QString::fromLatin1(tofu::toString(op)), static_cast<int>(op));
  messageId_ = new QLineEdit(form);
  messageId_->setObjectName(QStringLiteral("wbMessageId"));
  messageId_->setPlaceholderText(tr("next"));
  messageId_->setValidator(new QRegularExpressionValidator(QRegularExpression(QStringLiteral("[0-9]{0,19}")), messageId_));
  more_ = new QCheckBox(tr("more"), form);
  more_->setObjectName(QStringLiteral("wbMore"));
  auto* messageRow = new QHBoxLayout;
  messageRow->addWidget(opCode_);
  messageRow->addWidget(new QLabel(tr("id"), form));
  messageRow->addWidget(messageId_, 1);
  messageRow->addWidget(more_);

  headers_ = new QPlainTextEdit(form);
  headers_->setObjectName(QStringLiteral("wbHeaders"));
  headers_->setPlaceholderText(tr("name:value, one per line"));
  headers_->setFixedHeight(headers_->fontMetrics().height() * 3 + 10);
  body_ = new QPlainTextEdit(form);
  body_->setObjectName(QStringLiteral("wbBody"));
  body_->setPlaceholderText(tr("body"));
  body_->setFixedHeight(body_->fontMetrics().height() * 4 + 10);
  connect(body_, &QPlainTextEdit::textChanged, this, [this] {
    fileBody_.reset();
    bodyFile_->clear();
  });
  bodyFile_ = new QLabel(form);
  bodyFile_->setObjectName(QStringLiteral("wbBodyFile"));
  auto* loadButton = makeButton(QStringLiteral("wbLoadBody"), tr("Load body..."), form);
  send_ = makeButton(QStringLiteral("wbSend"), tr("Send"), form);
  send_->setDefault(true);
  auto* sendRow = new QHBoxLayout;
  sendRow->addWidget(loadButton);
  sendRow->addWidget(bodyFile_, 1);
  sendRow->addWidget(send_);

  connect(listenButton, &QPushButton::clicked, this, &WorkbenchPanel::listen);
  connect(connectButton, &QPushButton::clicked, this, &WorkbenchPanel::connectToPeer);
  connect(closeButton, &QPushButton::clicked, this, &WorkbenchPanel::closeChannel);
  connect(loadButton, &QPushButton::clicked, this, &WorkbenchPanel::chooseBodyFile);
  connect(send_, &QPushButton::clicked, this, &WorkbenchPanel::send);

  auto* layout = new QFormLayout(form);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addRow(tr("Address"), addressRow);
  layout->addRow(tr("Channel"), channelRow);
  layout->addRow(tr("Message"), messageRow);
  layout->addRow(tr("Headers"), headers_);
  layout->addRow(tr("Body"), body_);
  layout->addRow(sendRow);
  return form;
}

void WorkbenchPanel::listen() {
  if (const quint16 channel = workbench_.listenOn(address_->text().trimmed()))
    note(tr("channel %1: listening on %2...").arg(channel).arg(address_->text().trimmed()));
}

void WorkbenchPanel::connectToPeer() {
  if (const quint16 channel = workbench_.connectTo(address_->text().trimmed()))
    note(tr("channel %1: connecting to %2...").arg(channel).arg(address_->text().trimmed()));
}

void WorkbenchPanel::closeChannel() {
  if (channel_->currentIndex() >= 0) workbench_.close(static_cast<quint16>(channel_->currentData().toUInt()));
}

void WorkbenchPanel::send() {
  if (channel_->currentIndex() < 0) {
    note(tr("error: no channel; listen or connect first"));
    return;
  }
  WorkbenchMessage message;
  QString error;
  if (!parseHeaders(headers_->toPlainText(), message.headers, &error)) {
    note(tr("error: %1").arg(error));
    return;
  }
  message.channel = static_cast<quint16>(channel_->currentData().toUInt());
  message.opCode = static_cast<tofu::OpCode>(opCode_->currentData().toInt());
  message.messageId = messageId_->text().toULongLong();
  message.more = more_->isChecked();
  message.body = fileBody_ ? *fileBody_ : body_->toPlainText().toUtf8();
  if (const quint64 id = workbench_.send(message))
    note(tr("channel %1: sent %2 #%3, %4 body bytes")
             .arg(message.channel)
             .arg(opCode_->currentText())
             .arg(id)
             .arg(message.body.size()));
}

bool WorkbenchPanel::parseHeaders(const QString& text, tofu::qt::HeaderList& out, QString* error) {
  out.clear();
  const QStringList lines = text.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
  for (const QString& line : lines) {
    if (line.trimmed().isEmpty()) continue;
    const qsizetype colon = line.indexOf(QLatin1Char(':'));
    if (colon <= 0) {
      if (error) *error = QObject::tr("header line without a name: \"%1\"").arg(line);
      return false;
    }
    out.append({line.left(colon).trimmed().toUtf8(), line.mid(colon + 1).trimmed().toUtf8()});
  }
  return true;
}

bool WorkbenchPanel::loadBodyFile(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) {
    note(tr("error: cannot read %1: %2").arg(path, file.errorString()));
    return false;
  }
  const QByteArray bytes = file.readAll();
  {
    const QSignalBlocker blocker(body_);
    body_->clear();
  }
  fileBody_ = bytes;
  bodyFile_->setText(tr("%1 (%2 bytes)").arg(QFileInfo(path).fileName()).arg(bytes.size()));
  return true;
}

void WorkbenchPanel::chooseBodyFile() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Load body from file"));
  if (!path.isEmpty()) loadBodyFile(path);
}

void WorkbenchPanel::note(const QString& line) {
  // The same wall-clock form as the log's absolute times, so lines can be matched to rows.
  activity_->appendPlainText(TimeFormat::formatAbsolute(tofu::wallClockNowNs(), QTimeZone::systemTimeZone()) +
                             QStringLiteral("  ") + line);
}

void WorkbenchPanel::onChannelReady(quint16 channel, const QString& description) {
  channel_->addItem(tr("%1: %2").arg(channel).arg(description), channel);
  channel_->setCurrentIndex(channel_->count() - 1);
  note(tr("channel %1: ready (%2)").arg(channel).arg(description));
}

void WorkbenchPanel::onChannelClosed(quint16 channel) {
  const int index = channel_->findData(channel);
  if (index >= 0) channel_->removeItem(index);
  note(tr("channel %1: closed").arg(channel));
}

void WorkbenchPanel::onMessage(const tofu::qt::MessageEnvelope& message) {
  note(tr("channel %1: %2 #%3 %4, %5 header bytes, %6 body bytes: %7")
           .arg(message.channelNumber())
           .arg(QString::fromLatin1(tofu::toString(message.opCode())))
           .arg(message.messageId())
           .arg(QString::fromLatin1(tofu::toString(message.status())))
           .arg(message.textHeaders.size())
           .arg(message.body.size())
           .arg(QString::fromUtf8(message.body.left(80))));
}

}  // namespace tofu::monitor
