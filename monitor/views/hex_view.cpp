#include "hex_view.h"

#include <QApplication>
#include <QClipboard>
#include <QFontDatabase>
#include <QKeyEvent>
#include <QPainter>
#include <QScrollBar>

#include <algorithm>
#include <climits>

namespace tofu::monitor {

HexView::HexView(QWidget* parent) : QAbstractScrollArea(parent) {
  setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  setFocusPolicy(Qt::StrongFocus);
  setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
}

void HexView::setData(const QByteArray& data) {
  data_ = data;
  verticalScrollBar()->setValue(0);
  updateScrollBars();
  viewport()->update();
}

qsizetype HexView::lineCount() const noexcept { return (data_.size() + kBytesPerLine - 1) / kBytesPerLine; }

QString HexView::lineText(qsizetype line) const {
  const qsizetype start = line * kBytesPerLine;
  if (line < 0 || start >= data_.size()) return {};
  const qsizetype end = std::min(start + kBytesPerLine, data_.size());
  QString text = QStringLiteral("%1  ").arg(start, 8, 16, QLatin1Char('0'));
  QString ascii;
  for (qsizetype i = start; i < start + kBytesPerLine; ++i) {
    if (i < end) {
      const auto byte = static_cast<unsigned char>(data_[i]);
      text += QStringLiteral("%1 ").arg(static_cast<uint>(byte), 2, 16, QLatin1Char('0'));
      ascii += (byte >= 0x20 && byte < 0x7f) ? QChar(byte) : QChar(u'.');
    } else {
      text += QStringLiteral("   ");
    }
    if (i - start == kBytesPerLine / 2 - 1) text += QLatin1Char(' ');
  }
  return text + QStringLiteral(" |") + ascii + QLatin1Char('|');
}

QString HexView::dumpText() const {
  QString text;
  for (qsizetype line = 0; line < lineCount(); ++line) text += lineText(line) + QLatin1Char('\n');
  return text;
}

int HexView::lineHeight() const { return fontMetrics().height(); }

void HexView::updateScrollBars() {
  const int visible = std::max(1, viewport()->height() / lineHeight());
  const auto lines = static_cast<int>(std::min<qsizetype>(lineCount(), INT_MAX));
  verticalScrollBar()->setRange(0, std::max(0, lines - visible));
  verticalScrollBar()->setPageStep(visible);
  const int width = fontMetrics().horizontalAdvance(lineText(0).isEmpty() ? QStringLiteral("0") : lineText(0)) + 8;
  horizontalScrollBar()->setRange(0, std::max(0, width - viewport()->width()));
  horizontalScrollBar()->setPageStep(viewport()->width());
}

void HexView::paintEvent(QPaintEvent*) {
  QPainter painter(viewport());
  painter.fillRect(viewport()->rect(), palette().base());
  if (data_.isEmpty()) {
    painter.setPen(palette().color(QPalette::PlaceholderText));
    painter.drawText(viewport()->rect(), Qt::AlignCenter, tr("(empty body)"));
    return;
  }
  const int height = lineHeight();
  const int ascent = fontMetrics().ascent();
  const int x = 4 - horizontalScrollBar()->value();
  const qsizetype first = verticalScrollBar()->value();
  const qsizetype last = std::min(lineCount(), first + viewport()->height() / height + 2);
  const int offsetWidth = fontMetrics().horizontalAdvance(QStringLiteral("00000000"));
  for (qsizetype line = first; line < last; ++line) {
    const int y = static_cast<int>(line - first) * height + ascent;
    const QString text = lineText(line);
    painter.setPen(palette().color(QPalette::PlaceholderText));
    painter.drawText(x, y, text.left(8));
    painter.setPen(palette().color(QPalette::Text));
    painter.drawText(x + offsetWidth, y, text.mid(8));
  }
}

void HexView::resizeEvent(QResizeEvent* event) {
  QAbstractScrollArea::resizeEvent(event);
  updateScrollBars();
}

void HexView::keyPressEvent(QKeyEvent* event) {
  if (event->matches(QKeySequence::Copy)) {
    QApplication::clipboard()->setText(dumpText());
    return;
  }
  QAbstractScrollArea::keyPressEvent(event);
}

}  // namespace tofu::monitor
