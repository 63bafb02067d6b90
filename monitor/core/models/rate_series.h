// RateSeries: messages/s and bytes/s over a sliding window (default 60 one-second buckets),
// in total and per channel, from message events (sent and received frames; bytes count the
// 16-byte header too). Buckets are wall-clock seconds: each engine's CLOCK_MONOTONIC stamp is
// converted by the session's TimeFormat, so engines on other hosts line up and the chart can
// show the time of day. The window ends at the newest event, or at the wall clock while live.
// GUI thread only.
#pragma once

#include <QHash>
#include <QList>
#include <QObject>
#include <QTimer>

#include <map>

#include "tofu/introspection.h"
#include "models/time_format.h"
#include "models/timeline_model.h"

namespace tofu::monitor {

struct RatePoint {
  std::int64_t bucketStartNs = 0;
  double messagesPerSecond = 0;
  double bytesPerSecond = 0;
};

class RateSeries : public QObject {
  Q_OBJECT

 public:
  // `time` converts the events' stamps to wall-clock time; it must outlive the series.
  explicit RateSeries(const TimeFormat& time, int windowSeconds = 60, QObject* parent = nullptr);

  void addEvents(const QList<tofu::Event>& events);
  // windowSeconds points, oldest first, the last one the bucket of the window's end.
  QList<RatePoint> total() const;
  QList<RatePoint> forChannel(const ChannelKey& channel) const;
  // Forgets every bucket and the window's end (the next events place it anew).
  void clear();

  // Live (the default): once a second the window moves on to the wall clock's now, so rates
  // fall to zero when traffic stops. Offline data (a capture) keeps the window at its end.
  void setLive(bool live);
  bool isLive() const { return clock_.isActive(); }
  // Moves the window's end to `nowWallNs` (never back).
  void advanceTo(std::int64_t nowWallNs);

 signals:
  void updated();

 private:
  struct Bucket {
    quint64 messages = 0;
    quint64 bytes = 0;
  };
  using Buckets = std::map<std::int64_t, Bucket>;  // by second since the Unix epoch

  QList<RatePoint> points(const Buckets& buckets) const;
  void prune();

  const TimeFormat& time_;
  int windowSeconds_;
  std::int64_t endSecond_ = 0;
  Buckets total_;
  QHash<ChannelKey, Buckets> perChannel_;
  QTimer clock_;
};

}  // namespace tofu::monitor
