// TimeFormat: how every view shows a time. Engines stamp events with their host's
// CLOCK_MONOTONIC; this turns such a stamp into wall-clock time (per engine, from the offset its
// snapshots report, else the monitor host's) and formats it as the user chose: absolute wall
// clock, relative to the first event, or delta to the previous row. One per Session, shared by
// the views. GUI thread only.
#pragma once

#include <QHash>
#include <QObject>
#include <QString>
#include <QTimeZone>

#include <cstdint>
#include <optional>

namespace tofu::monitor {

enum class TimeMode { absolute, relative, delta };

// Models that know a row's wall-clock time (ns since the Unix epoch) give it in this role, past
// the adapter's roles; others are converted from their engine's CLOCK_MONOTONIC stamp.
inline constexpr int kWallNsRole = Qt::UserRole + 64;

class TimeFormat : public QObject {
  Q_OBJECT

 public:
  explicit TimeFormat(QObject* parent = nullptr);

  TimeMode mode() const noexcept { return mode_; }
  void setMode(TimeMode mode);
  // The zone absolute times are shown in (the system's by default).
  void setTimeZone(const QTimeZone& zone);
  QTimeZone timeZone() const { return zone_; }

  // CLOCK_REALTIME minus CLOCK_MONOTONIC of the host `engineId` runs on.
  void setClockOffset(std::uint64_t engineId, std::int64_t wallMinusMonotonicNs);
  void setDefaultClockOffset(std::int64_t wallMinusMonotonicNs) { defaultOffsetNs_ = wallMinusMonotonicNs; }
  std::int64_t toWallNs(std::uint64_t engineId, std::int64_t monotonicNs) const;

  // The first event: the earliest wall-clock time noted (relative times count from it).
  void noteEvent(std::int64_t wallNs);
  std::optional<std::int64_t> firstEventNs() const { return firstNs_; }
  void clearFirstEvent() { firstNs_.reset(); }

  // `wallNs` as the mode asks; delta mode measures from `previousWallNs` (none: the first row).
  QString format(std::int64_t wallNs, std::optional<std::int64_t> previousWallNs) const;
  // Always absolute, with the date and zone: for tooltips and exports.
  QString formatFull(std::int64_t wallNs) const;

  static QString formatAbsolute(std::int64_t wallNs, const QTimeZone& zone);  // "HH:mm:ss.uuuuuu"
  static QString formatSeconds(std::int64_t ns, bool signedPlus);              // "1.234567 s", "+0.000100 s"
  // CLOCK_REALTIME - CLOCK_MONOTONIC on this host, now.
  static std::int64_t hostClockOffsetNs();

 signals:
  void changed();

 private:
  TimeMode mode_ = TimeMode::absolute;
  QTimeZone zone_ = QTimeZone::systemTimeZone();
  QHash<std::uint64_t, std::int64_t> offsets_;
  std::int64_t defaultOffsetNs_ = hostClockOffsetNs();
  std::optional<std::int64_t> firstNs_;
};

}  // namespace tofu::monitor
