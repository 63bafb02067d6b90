#include "timeline_view.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>

#include "palette.h"

namespace tofu::monitor {

namespace {
constexpr int kMargin = 10;
constexpr int kBandHeight = 16;
constexpr int kTitleHeight = 18;
}  // namespace

TimelineView::TimelineView(TimelineModel& model, const TimeFormat& time, QWidget* parent)
    : QWidget(parent), model_(model), time_(time) {
  setObjectName(QStringLiteral("timelineView"));
  setAutoFillBackground(true);
  setBackgroundRole(QPalette::Base);
  connect(&model, &TimelineModel::channelChanged, this, [this](const ChannelKey& key) {
    if (key == channel_) update();
  });
  connect(&time, &TimeFormat::changed, this, qOverload<>(&QWidget::update));
}

void TimelineView::setChannel(const ChannelKey& channel, const QString& title) {
  channel_ = channel;
  title_ = title;
  update();
}

QString TimelineView::heading() const {
  if (title_.isEmpty()) return tr("Channel life cycle: select a channel");
  const QList<TimelineEntry> entries = model_.entries(channel_);
  if (entries.isEmpty()) return tr("Life cycle of %1").arg(title_);
  return tr("Life cycle of %1 · from %2")
      .arg(title_, TimeFormat::formatAbsolute(time_.toWallNs(channel_.engineId, entries.front().atNs), time_.timeZone()));
}

QStringList TimelineView::labels() const {
  QStringList out;
  for (const TimelineEntry& entry : model_.entries(channel_)) out << entry.label();
  return out;
}

void TimelineView::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.setRenderHint(QPainter::Antialiasing);
  const QList<TimelineEntry> entries = model_.entries(channel_);
  painter.setPen(palette().color(QPalette::Text));
  QFont bold = font();
  bold.setBold(true);
  painter.setFont(bold);
  painter.drawText(QRect(kMargin, 2, width() - 2 * kMargin, kTitleHeight), Qt::AlignLeft | Qt::AlignVCenter, heading());
  painter.setFont(font());
  if (entries.isEmpty()) return;

  // Entries get equal slots rather than proportional times: a handshake takes microseconds
  // and a channel may then live for hours, so a time scale would pile every label on one spot.
  // The elapsed time since the first entry is written under each state change instead.
  const std::int64_t first = entries.front().atNs;
  const int left = kMargin + 4;
  const double slot = static_cast<double>(width() - left - kMargin) / static_cast<double>(entries.size() + 1);
  const auto xOf = [&](qsizetype i) { return left + static_cast<int>(slot * static_cast<double>(i)); };
  const QFontMetrics metrics(font());
  const int rowHeight = metrics.height();
  const int bandTop = kTitleHeight + 2 * rowHeight + 6;

  for (qsizetype i = 0; i < entries.size(); ++i) {
    const TimelineEntry& entry = entries[i];
    if (!entry.isStateChange) continue;
    qsizetype next = i + 1;
    while (next < entries.size() && !entries[next].isStateChange) ++next;
    const bool open = next == entries.size() && entry.state != tofu::ChannelState::closed;
    const int x0 = xOf(i);
    const int x1 = next < entries.size() ? xOf(next) : (open ? width() - kMargin : x0 + static_cast<int>(slot));
    const QRect band(x0, bandTop, std::max(x1 - x0 - 1, 3), kBandHeight);
    painter.fillRect(band, stateColor(entry.state));
    painter.setPen(Qt::white);
    painter.drawText(band.adjusted(3, 0, 0, 0), Qt::AlignLeft | Qt::AlignVCenter, stateText(entry.state));
    painter.setPen(palette().color(QPalette::PlaceholderText));
    painter.drawText(x0, bandTop + kBandHeight + rowHeight, QStringLiteral("+") + durationText(entry.atNs - first));
  }

  // Messages: sent above the band, received below; labels alternate rows so neighbours stay legible.
  int sentRow = 0;
  int receivedRow = 0;
  for (qsizetype i = 0; i < entries.size(); ++i) {
    const TimelineEntry& entry = entries[i];
    if (entry.isStateChange) continue;
    const int x = xOf(i) + static_cast<int>(slot / 2);
    const int row = (entry.sent ? sentRow++ : receivedRow++) % 2;
    const int baseline = entry.sent ? kTitleHeight + rowHeight * (row + 1)
                                    : bandTop + kBandHeight + rowHeight * (row + 2) + 4;
    const QColor color = statusColor(entry.status);
    const int tip = entry.sent ? bandTop : bandTop + kBandHeight;
    const int dir = entry.sent ? -1 : 1;
    painter.setPen(QPen(color, 1.5));
    painter.drawLine(x, tip, x, entry.sent ? baseline + 2 : baseline - metrics.ascent());
    QPainterPath marker;
    marker.moveTo(x, tip);
    marker.lineTo(x - 4, tip + dir * 6);
    marker.lineTo(x + 4, tip + dir * 6);
    marker.closeSubpath();
    painter.fillPath(marker, color);
    const QString label = entry.label();
    const int textWidth = metrics.horizontalAdvance(label);
    painter.setPen(palette().color(QPalette::Text));
    painter.drawText(std::clamp(x - textWidth / 2, 2, std::max(2, width() - textWidth - 2)), baseline, label);
  }
}

}  // namespace tofu::monitor
