#include "models/time_format.h"

#include <QDateTime>

#include "tofu/introspection.h"

namespace tofu::monitor {
namespace {

constexpr std::int64_t kNsPerMs = 1'000'000;
constexpr std::int64_t kNsPerUs = 1'000;

// Floor division, so times before the epoch's millisecond keep a positive remainder.
std::int64_t floorDiv(std::int64_t value, std::int64_t divisor) {
  return value / divisor - (value % divisor < 0 ? 1 : 0);
}

}  // namespace

TimeFormat::TimeFormat(QObject* parent) : QObject(parent) {}

void TimeFormat::setMode(TimeMode mode) {
  if (mode != mode_) {
    mode_ = mode;
    emit changed();
  }
}

void TimeFormat::setTimeZone(const QTimeZone& zone) {
  zone_ = zone;
  emit changed();
}

void TimeFormat::setClockOffset(std::uint64_t engineId, std::int64_t wallMinusMonotonicNs) {
  offsets_.insert(engineId, wallMinusMonotonicNs);
}

std::int64_t TimeFormat::toWallNs(std::uint64_t engineId, std::int64_t monotonicNs) const {
  return monotonicNs + offsets_.value(engineId, defaultOffsetNs_);
}

void TimeFormat::noteEvent(std::int64_t wallNs) {
  if (!firstNs_ || wallNs < *firstNs_) {
    firstNs_ = wallNs;
  }
}

QString TimeFormat::format(std::int64_t wallNs, std::optional<std::int64_t> previousWallNs) const {
  switch (mode_) {
    case TimeMode::absolute: return formatAbsolute(wallNs, zone_);
    case TimeMode::relative: return formatSeconds(wallNs - firstNs_.value_or(wallNs), false);
    case TimeMode::delta: return formatSeconds(wallNs - previousWallNs.value_or(wallNs), true);
  }
  return {};
}

QString TimeFormat::formatFull(std::int64_t wallNs) const {
  const QDateTime at = QDateTime::fromMSecsSinceEpoch(floorDiv(wallNs, kNsPerMs), zone_);
  return at.toString(QStringLiteral("yyyy-MM-dd ")) + formatAbsolute(wallNs, zone_) + QLatin1Char(' ') +
         at.timeZoneAbbreviation();
}

QString TimeFormat::formatAbsolute(std::int64_t wallNs, const QTimeZone& zone) {
  const std::int64_t us = floorDiv(wallNs, kNsPerUs);
  const QDateTime at = QDateTime::fromMSecsSinceEpoch(floorDiv(us, 1000), zone);
  return at.toString(QStringLiteral("HH:mm:ss.")) + QStringLiteral("%1").arg(us - floorDiv(us, 1'000'000) * 1'000'000, 6, 10, QLatin1Char('0'));
}

QString TimeFormat::formatSeconds(std::int64_t ns, bool signedPlus) {
  const QString sign = ns < 0 ? QStringLiteral("-") : (signedPlus ? QStringLiteral("+") : QString());
  const std::uint64_t magnitude = ns < 0 ? 0 - static_cast<std::uint64_t>(ns) : static_cast<std::uint64_t>(ns);
  const std::uint64_t us = magnitude / 1000;
  return QStringLiteral("%1%2.%3 s").arg(sign).arg(us / 1'000'000).arg(us % 1'000'000, 6, 10, QLatin1Char('0'));
}

std::int64_t TimeFormat::hostClockOffsetNs() { return wallClockNowNs() - monotonicNowNs(); }

}  // namespace tofu::monitor
