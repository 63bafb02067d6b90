#include "message_detail.h"

#include <algorithm>

#include <QFontDatabase>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QStringDecoder>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include "hex_view.h"
#include "models/json_text.h"
#include "palette.h"

namespace tofu::monitor {

namespace {

QTableWidget* makeTable(const QString& name, const QStringList& headers, QWidget* parent) {
  auto* table = new QTableWidget(0, static_cast<int>(headers.size()), parent);
  table->setObjectName(name);
  table->setHorizontalHeaderLabels(headers);
  table->verticalHeader()->hide();
  table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 2);
  table->horizontalHeader()->setStretchLastSection(true);
  table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table->setSelectionBehavior(QAbstractItemView::SelectRows);
  table->setWordWrap(false);
  return table;
}

void setRow(QTableWidget* table, int row, const QString& name, const QString& value) {
  table->setItem(row, 0, new QTableWidgetItem(name));
  table->setItem(row, 1, new QTableWidgetItem(value));
}

QPlainTextEdit* makeText(const QString& name, QWidget* parent) {
  auto* edit = new QPlainTextEdit(parent);
  edit->setObjectName(name);
  edit->setReadOnly(true);
  edit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  return edit;
}

}  // namespace

MessageDetail::MessageDetail(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("messageDetail"));
  summary_ = new QLabel(tr("Select a message in the log."), this);
  summary_->setObjectName(QStringLiteral("detailSummary"));
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  summary_->setWordWrap(true);  // a long summary wraps rather than widening the dock
  previewBanner_ = new QLabel(this);
  previewBanner_->setObjectName(QStringLiteral("detailPreviewBanner"));
  previewBanner_->setStyleSheet(QStringLiteral("QLabel { background: #fff3cd; color: #7a5a00; padding: 2px 6px; "
                                               "border: 1px solid #e0c36a; border-radius: 3px; }"));
  previewBanner_->hide();

  headerFields_ = makeTable(QStringLiteral("detailHeaderFields"), {tr("Field"), tr("Value")}, this);
  headerFields_->setColumnWidth(0, 110);
  textHeaders_ = makeTable(QStringLiteral("detailTextHeaders"), {tr("Header"), tr("Value")}, this);
  textHeaders_->setColumnWidth(0, 110);

  hex_ = new HexView(this);
  hex_->setObjectName(QStringLiteral("detailHex"));
  text_ = makeText(QStringLiteral("detailText"), this);
  json_ = makeText(QStringLiteral("detailJson"), this);
  bodyTabs_ = new QTabWidget(this);
  bodyTabs_->setObjectName(QStringLiteral("detailBodyTabs"));
  bodyTabs_->insertTab(hexTab, hex_, tr("Hex"));
  bodyTabs_->insertTab(textTab, text_, tr("Text"));
  bodyTabs_->insertTab(jsonTab, json_, tr("JSON"));
  connect(bodyTabs_, &QTabWidget::tabBarClicked, this, [this] { userChoseTab_ = true; });

  auto* headers = new QSplitter(Qt::Horizontal, this);
  headers->addWidget(headerFields_);
  headers->addWidget(textHeaders_);
  auto* split = new QSplitter(Qt::Vertical, this);
  split->setObjectName(QStringLiteral("detailSplitter"));
  split->addWidget(headers);
  split->addWidget(bodyTabs_);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(2);
  layout->addWidget(summary_);
  layout->addWidget(previewBanner_);
  layout->addWidget(split, 1);
}

void MessageDetail::showRecord(const tofu::qt::TrafficRecord& record) {
  hasRecord_ = true;
  const auto& header = record.header;
  summary_->setText(QStringLiteral("<b>%1</b> #%2 &middot; channel %3 &middot; %4 &middot; <span style='color:%5'>%6</span>")
                        .arg(QString::fromLatin1(tofu::toString(header.proto.opCode)))
                        .arg(header.messageId)
                        .arg(header.channelNumber)
                        .arg(tofu::qt::toQString(record.direction), statusColor(header.status).name(),
                             QString::fromLatin1(tofu::toString(header.status))));
  fillHeaderFields(record);
  fillTextHeaders(record);
  fillBody(record.body);
  updatePreviewBanner(record);
}

void MessageDetail::clear() {
  hasRecord_ = false;
  summary_->setText(tr("Select a message in the log."));
  headerFields_->setRowCount(0);
  textHeaders_->setRowCount(0);
  fillBody({});
  previewBanner_->hide();
}

void MessageDetail::fillHeaderFields(const tofu::qt::TrafficRecord& record) {
  const auto& header = record.header;
  const auto status = static_cast<unsigned>(header.status);
  const auto opCode = static_cast<unsigned>(header.proto.opCode);
  headerFields_->setRowCount(12);
  int row = 0;
  setRow(headerFields_, row++, tr("channel"), QString::number(header.channelNumber));
  setRow(headerFields_, row++, tr("opcode"), QStringLiteral("%1 (%2)").arg(QString::fromLatin1(tofu::toString(header.proto.opCode))).arg(opCode));
  setRow(headerFields_, row++, tr("origin"), QString::fromLatin1(tofu::toString(header.proto.origin)));
  setRow(headerFields_, row++, tr("more"), header.proto.more ? tr("1 (more follow)") : tr("0 (last)"));
  setRow(headerFields_, row++, tr("proto byte"), QStringLiteral("0x%1").arg(static_cast<uint>(header.proto.toByte()), 2, 16, QLatin1Char('0')));
  setRow(headerFields_, row++, tr("status"), QStringLiteral("%1 (%2)").arg(QString::fromLatin1(tofu::toString(header.status))).arg(status));
  setRow(headerFields_, row++, tr("message id"), QString::number(header.messageId));
  setRow(headerFields_, row++, tr("text headers len"), QString::number(header.textHeadersLen));
  setRow(headerFields_, row++, tr("body len"), QString::number(std::max<qsizetype>(header.bodyLen, record.body.size())));
  setRow(headerFields_, row++, tr("direction"), tofu::qt::toQString(record.direction));
  setRow(headerFields_, row++, tr("engine / incarnation"), QStringLiteral("%1 / %2").arg(record.engineId).arg(record.incarnation));
  setRow(headerFields_, row++, tr("latency"), record.latencyNs > 0 ? durationText(record.latencyNs) : tr("unknown"));
}

void MessageDetail::fillTextHeaders(const tofu::qt::TrafficRecord& record) {
  // The adapter's reader, so the table shows exactly what an application would read.
  tofu::qt::MessageEnvelope envelope;
  envelope.textHeaders = record.textHeaders;
  const auto headers = envelope.headerList();
  textHeaders_->setRowCount(static_cast<int>(headers.size()));
  for (int row = 0; row < headers.size(); ++row) setRow(textHeaders_, row, headers[row].first, headers[row].second);
}

void MessageDetail::fillBody(const QByteArray& body) {
  hex_->setData(body);
  QStringDecoder decoder(QStringDecoder::Utf8);
  const QString text = decoder(body);
  text_->setPlainText(decoder.hasError() ? tr("(not valid UTF-8; see Hex)\n\n") + text : text);
  // Not through QJsonDocument: it turns big integers into doubles and sorts the keys.
  QByteArray pretty;
  QString error;
  const bool isJson = prettyJson(body, &pretty, &error);
  json_->setPlainText(isJson ? QString::fromUtf8(pretty) : tr("(not JSON: %1)").arg(error));
  bodyTabs_->setTabEnabled(jsonTab, isJson);
  if (!userChoseTab_ || !bodyTabs_->isTabEnabled(bodyTabs_->currentIndex()))
    bodyTabs_->setCurrentIndex(isJson ? jsonTab : (decoder.hasError() || body.isEmpty() ? hexTab : textTab));
}

void MessageDetail::updatePreviewBanner(const tofu::qt::TrafficRecord& record) {
  if (record.contentComplete && record.bodyCut) {
    previewBanner_->setText(tr("body: first %1 of %2 bytes sent by the process; limit TOFU_TELEMETRY_BODY_LIMIT")
                                .arg(record.body.size())
                                .arg(record.header.bodyLen));
    previewBanner_->show();
    return;
  }
  if (record.contentComplete) {
    previewBanner_->hide();
    return;
  }
  // Said visibly: a preview must never pass for the whole message.
  previewBanner_->setText(tr("preview: first %1 of %2 bytes (text headers: %3 of %4); the engine's event preview")
                              .arg(record.body.size())
                              .arg(record.header.bodyLen)
                              .arg(record.textHeaders.size())
                              .arg(record.header.textHeadersLen));
  previewBanner_->show();
}

}  // namespace tofu::monitor
