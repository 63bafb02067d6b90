// TimelineView: the life of one channel painted on a time axis: a band coloured by state
// (opening, connecting, ready, closing, closed) and, on it, the Hello/Welcome/Bye messages
// with their statuses (sent above the band, received below); the heading gives the wall-clock
// time of the first entry, each state change the time elapsed since. Reads the TimelineModel
// and the session's TimeFormat; holds only which channel to show. GUI thread only.
#pragma once

#include <QWidget>

#include "models/time_format.h"
#include "models/timeline_model.h"

namespace tofu::monitor {

class TimelineView : public QWidget {
  Q_OBJECT

 public:
  explicit TimelineView(TimelineModel& model, const TimeFormat& time, QWidget* parent = nullptr);

  void setChannel(const ChannelKey& channel, const QString& title);
  ChannelKey channel() const noexcept { return channel_; }
  // The labels painted for the current channel, oldest first (what a test or a tooltip reads).
  QStringList labels() const;
  // The heading painted above the band: the channel and when its first entry happened.
  QString heading() const;

  QSize sizeHint() const override { return {480, 150}; }
  QSize minimumSizeHint() const override { return {240, 140}; }

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  TimelineModel& model_;
  const TimeFormat& time_;
  ChannelKey channel_;
  QString title_;
};

}  // namespace tofu::monitor
