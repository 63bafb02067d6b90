#include "rate_chart.h"

#include <QDateTimeAxis>
#include <QLabel>
#include <QLegend>
#include <QLineSeries>
#include <QResizeEvent>
#include <QTimer>
#include <QValueAxis>

#include <algorithm>

#include "models/rate_series.h"
#include "palette.h"

namespace tofu::monitor {

namespace {

constexpr int kRefreshMs = 1000;
constexpr int kRoomyHeight = 260;  // below this, legend and axis titles leave their room to the plot
constexpr std::int64_t kNsPerMs = 1'000'000;
constexpr qint64 kTimeStepMs = 10'000;

// The axis top: the data's maximum rounded up to 1, 2 or 5 times a power of ten.
double niceCeiling(double value) {
  double step = 1;
  while (step * 10 <= value) step *= 10;
  for (double factor : {1.0, 2.0, 5.0, 10.0})
    if (value <= step * factor) return step * factor;
  return value;
}

// x: the bucket's wall-clock start in ms since the Unix epoch, as QDateTimeAxis wants.
void plot(QLineSeries* series, const QList<RatePoint>& points, double RatePoint::*field, double& maximum) {
  QList<QPointF> xy;
  xy.reserve(points.size());
  for (const RatePoint& point : points) {
    const double value = point.*field;
    xy.append({static_cast<double>(point.bucketStartNs / kNsPerMs), value});
    maximum = std::max(maximum, value);
  }
  series->replace(xy);
}

}  // namespace

// The chart is passed to the base constructor: QChartView(QWidget*) would make a default
// chart that setChart() then releases without deleting.
RateChart::RateChart(RateSeries& rates, QWidget* parent) : QChartView(new QChart(), parent), rates_(rates) {
  setObjectName(QStringLiteral("rateChart"));
  setRenderHint(QPainter::Antialiasing);
  QChart* chart = this->chart();
  chart->legend()->setAlignment(Qt::AlignBottom);
  QFont small = font();
  small.setPointSizeF(small.pointSizeF() * 0.85);
  chart->legend()->setFont(small);
  rate_ = new QLabel(this);
  rate_->setObjectName(QStringLiteral("rateLabel"));
  rate_->setFont(small);
  rate_->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
  rate_->setAttribute(Qt::WA_TransparentForMouseEvents);
  rate_->setAttribute(Qt::WA_TranslucentBackground);
  chart->setMargins(QMargins(2, 2 + QFontMetrics(small).height(), 2, 2));  // room for rate_

  time_ = new QDateTimeAxis(chart);
  time_->setTitleText(tr("time of day"));
  time_->setFormat(QStringLiteral("HH:mm:ss"));
  time_->setTickCount(4);
  messages_ = new QValueAxis(chart);
  messages_->setLabelFormat(QStringLiteral("%.0f"));
  messages_->setTitleText(tr("msg/s"));
  bytes_ = new QValueAxis(chart);
  bytes_->setLabelFormat(QStringLiteral("%.0f"));
  bytes_->setTitleText(tr("bytes/s"));
  for (QAbstractAxis* axis : std::initializer_list<QAbstractAxis*>{time_, messages_, bytes_}) {
    axis->setLabelsFont(small);
    axis->setTitleFont(small);
  }
  chart->addAxis(time_, Qt::AlignBottom);
  chart->addAxis(messages_, Qt::AlignLeft);
  chart->addAxis(bytes_, Qt::AlignRight);

  const QColor blue(0x1f, 0x77, 0xb4);
  const QColor orange(0xff, 0x7f, 0x0e);
  totalMessages_ = addSeries(tr("msg/s total"), blue, false, messages_);
  totalBytes_ = addSeries(tr("bytes/s total"), orange, false, bytes_);
  channelMessages_ = addSeries(tr("msg/s channel"), blue, true, messages_);
  channelBytes_ = addSeries(tr("bytes/s channel"), orange, true, bytes_);

  connect(&rates, &RateSeries::updated, this, [this] { dirty_ = true; });
  auto* timer = new QTimer(this);
  connect(timer, &QTimer::timeout, this, [this] {
    if (dirty_) refresh();
  });
  timer->start(kRefreshMs);
  refresh();
}

void RateChart::resizeEvent(QResizeEvent* event) {
  const bool roomy = event->size().height() >= kRoomyHeight;
  chart()->legend()->setVisible(roomy);
  for (QAbstractAxis* axis : std::initializer_list<QAbstractAxis*>{time_, messages_, bytes_})
    axis->setTitleVisible(roomy);
  for (QValueAxis* axis : {messages_, bytes_}) axis->setTickCount(roomy ? 5 : 3);
  rate_->setGeometry(0, 2, event->size().width(), rate_->fontMetrics().height());
  QChartView::resizeEvent(event);
}

void RateChart::setRangeIfChanged(QValueAxis* axis, double min, double max) {
  if (axis->min() != min || axis->max() != max) axis->setRange(min, max);
}

QLineSeries* RateChart::addSeries(const QString& name, const QColor& color, bool dashed, QValueAxis* axis) {
  auto* series = new QLineSeries(chart());
  series->setName(name);
  QPen pen(color, dashed ? 1.5 : 2.0);
  if (dashed) pen.setStyle(Qt::DashLine);
  series->setPen(pen);
  chart()->addSeries(series);
  series->attachAxis(time_);
  series->attachAxis(axis);
  return series;
}

void RateChart::setChannel(const ChannelKey& channel, const QString& title) {
  channel_ = channel;
  hasChannel_ = true;
  channelMessages_->setName(tr("msg/s %1").arg(title));
  channelBytes_->setName(tr("bytes/s %1").arg(title));
  refresh();
}

void RateChart::refresh() {
  dirty_ = false;
  const QList<RatePoint> total = rates_.total();
  const QList<RatePoint> channel = hasChannel_ ? rates_.forChannel(channel_) : QList<RatePoint>{};
  double maxMessages = 1;
  double maxBytes = 1;
  plot(totalMessages_, total, &RatePoint::messagesPerSecond, maxMessages);
  plot(totalBytes_, total, &RatePoint::bytesPerSecond, maxBytes);
  plot(channelMessages_, channel, &RatePoint::messagesPerSecond, maxMessages);
  plot(channelBytes_, channel, &RatePoint::bytesPerSecond, maxBytes);
  // The time axis moves in steps of kTimeStepMs, not every second: each new range lays the
  // chart out again. It ends on the first step past the newest second and spans the window
  // plus one step, so the plotted window always fits. Before any traffic: up to now.
  const qint64 newestMs = total.isEmpty() ? wallClockNowNs() / kNsPerMs : total.back().bucketStartNs / kNsPerMs;
  const qint64 windowMs = total.isEmpty() ? 60'000 : (total.back().bucketStartNs - total.front().bucketStartNs) / kNsPerMs;
  const qint64 endMs = ((newestMs + 1000) / kTimeStepMs + 1) * kTimeStepMs;
  const qint64 startMs = endMs - windowMs - 1000 - kTimeStepMs;
  if (time_->min().toMSecsSinceEpoch() != startMs || time_->max().toMSecsSinceEpoch() != endMs)
    time_->setRange(QDateTime::fromMSecsSinceEpoch(startMs), QDateTime::fromMSecsSinceEpoch(endMs));
  setRangeIfChanged(messages_, 0, niceCeiling(maxMessages));
  setRangeIfChanged(bytes_, 0, niceCeiling(maxBytes));
  // The newest bucket is the second still under way; the label reads the last complete one,
  // the same value the plot shows one step left of its end.
  const RatePoint* lastFull = total.size() >= 2 ? &total[total.size() - 2] : nullptr;
  rate_->setText(!lastFull ? tr("no traffic yet")
                           : tr("last second: %1 msg/s · %2 B/s").arg(compactNumber(lastFull->messagesPerSecond),
                                                                      compactNumber(lastFull->bytesPerSecond)));
}

QPair<qint64, qint64> RateChart::timeRangeMs() const {
  return {time_->min().toMSecsSinceEpoch(), time_->max().toMSecsSinceEpoch()};
}

QString RateChart::rateText() const { return rate_->text(); }

double RateChart::peakMessagesPerSecond() const {
  double peak = 0;
  for (const QPointF& point : totalMessages_->points()) peak = std::max(peak, point.y());
  return peak;
}

}  // namespace tofu::monitor
