#include "models/rate_series.h"

namespace tofu::monitor {
namespace {

constexpr std::int64_t kNsPerSecond = 1'000'000'000;
constexpr std::uint64_t kFrameHeaderBytes = 16;

}  // namespace

RateSeries::RateSeries(const TimeFormat& time, int windowSeconds, QObject* parent)
    : QObject(parent), time_(time), windowSeconds_(qMax(1, windowSeconds)) {
  clock_.setInterval(1000);
  connect(&clock_, &QTimer::timeout, this, [this] { advanceTo(wallClockNowNs()); });
  clock_.start();
}

void RateSeries::setLive(bool live) {
  if (live) {
    clock_.start();
  } else {
    clock_.stop();
  }
}

void RateSeries::addEvents(const QList<Event>& events) {
  bool any = false;
  for (const Event& event : events) {
    if (event.kind != EventKind::messageSent && event.kind != EventKind::messageReceived) {
      continue;
    }
    const std::int64_t second = time_.toWallNs(event.engineId, event.atNs) / kNsPerSecond;
    const quint64 bytes = kFrameHeaderBytes + event.headersLen + event.bodyLen;
    for (Buckets* buckets : {&total_, &perChannel_[ChannelKey{event.engineId, event.incarnation}]}) {
      Bucket& bucket = (*buckets)[second];
      ++bucket.messages;
      bucket.bytes += bytes;
    }
    endSecond_ = qMax(endSecond_, second);
    any = true;
  }
  if (any) {
    prune();
    emit updated();
  }
}

void RateSeries::advanceTo(std::int64_t nowWallNs) {
  const std::int64_t second = nowWallNs / kNsPerSecond;
  if (second > endSecond_) {
    endSecond_ = second;
    prune();
    emit updated();
  }
}

void RateSeries::prune() {
  const std::int64_t first = endSecond_ - windowSeconds_ + 1;
  total_.erase(total_.begin(), total_.lower_bound(first));
  for (auto it = perChannel_.begin(); it != perChannel_.end();) {
    it->erase(it->begin(), it->lower_bound(first));
    it = it->empty() ? perChannel_.erase(it) : std::next(it);
  }
}

QList<RatePoint> RateSeries::points(const Buckets& buckets) const {
  QList<RatePoint> out;
  out.reserve(windowSeconds_);
  for (std::int64_t second = endSecond_ - windowSeconds_ + 1; second <= endSecond_; ++second) {
    const auto it = buckets.find(second);
    const Bucket bucket = it == buckets.end() ? Bucket{} : it->second;
    out.append({second * kNsPerSecond, static_cast<double>(bucket.messages), static_cast<double>(bucket.bytes)});
  }
  return out;
}

QList<RatePoint> RateSeries::total() const { return points(total_); }

QList<RatePoint> RateSeries::forChannel(const ChannelKey& channel) const {
  const auto it = perChannel_.constFind(channel);
  return points(it == perChannel_.cend() ? Buckets{} : *it);
}

void RateSeries::clear() {
  total_.clear();
  perChannel_.clear();
  endSecond_ = 0;
  emit updated();
}

}  // namespace tofu::monitor
