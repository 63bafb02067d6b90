// RateChart: messages/s and bytes/s over the RateSeries' sliding window, in total and for the
// selected channel (Qt Charts), against the time of day (the monitor host's zone). Redrawn at
// most once a second however fast events arrive; the figure for the last second is a label
// over the chart, not its title, and axis ranges are set only when they change (the time axis
// moves in 10-second steps): either would lay the whole chart out again (axes, their labels as
// rich text), a few milliseconds of the GUI thread every second under a flood.
// When short (a 1280x800 window), it drops the legend and axis titles so the axes keep their
// numbers. GUI thread only.
#pragma once

#include <QChartView>

#include "models/timeline_model.h"

class QDateTimeAxis;
class QLabel;
class QLineSeries;
class QValueAxis;

namespace tofu::monitor {

class RateSeries;

class RateChart : public QChartView {
  Q_OBJECT

 public:
  explicit RateChart(RateSeries& rates, QWidget* parent = nullptr);

  void setChannel(const ChannelKey& channel, const QString& title);
  // Redraws now from the series (the timer calls it; tests may too).
  void refresh();
  // The highest total messages/s currently plotted (0 before any traffic).
  double peakMessagesPerSecond() const;
  // The time axis's range, wall-clock ms since the Unix epoch.
  QPair<qint64, qint64> timeRangeMs() const;
  // "last second: N msg/s · M B/s", or "no traffic yet", as shown over the chart.
  QString rateText() const;

 protected:
  void resizeEvent(QResizeEvent* event) override;

 private:
  QLineSeries* addSeries(const QString& name, const QColor& color, bool dashed, QValueAxis* axis);
  static void setRangeIfChanged(QValueAxis* axis, double min, double max);

  RateSeries& rates_;
  QDateTimeAxis* time_ = nullptr;
  QValueAxis* messages_ = nullptr;
  QValueAxis* bytes_ = nullptr;
  QLabel* rate_ = nullptr;
  QLineSeries* totalMessages_ = nullptr;
  QLineSeries* totalBytes_ = nullptr;
  QLineSeries* channelMessages_ = nullptr;
  QLineSeries* channelBytes_ = nullptr;
  ChannelKey channel_;
  bool hasChannel_ = false;
  bool dirty_ = true;
};

}  // namespace tofu::monitor
