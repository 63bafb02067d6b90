#include "palette.h"

namespace tofu::monitor {

QColor stateColor(tofu::ChannelState state) {
  switch (state) {
    case tofu::ChannelState::opening: return QColor(0x8e, 0x9a, 0xaf);
    case tofu::ChannelState::connecting: return QColor(0xe0, 0xa1, 0x1b);
    case tofu::ChannelState::ready: return QColor(0x2e, 0xa0, 0x43);
    case tofu::ChannelState::closing: return QColor(0xe3, 0x6c, 0x1c);
    case tofu::ChannelState::closed: return QColor(0xc0, 0x39, 0x2b);
  }
  return Qt::gray;
}

QColor statusColor(tofu::Status status) {
  if (status == tofu::Status::success) return QColor(0x2e, 0xa0, 0x43);
  if (!tofu::isFailure(status)) return QColor(0xe0, 0xa1, 0x1b);
  return QColor(0xc0, 0x39, 0x2b);
}

QColor lostColor() { return QColor(0x5f, 0x63, 0x68); }

QString stateText(tofu::ChannelState state) { return QString::fromLatin1(tofu::toString(state)); }

QString compactNumber(double value) {
  if (value >= 1e9) return QStringLiteral("%1 G").arg(value / 1e9, 0, 'f', 1);
  if (value >= 1e6) return QStringLiteral("%1 M").arg(value / 1e6, 0, 'f', 1);
  if (value >= 1e4) return QStringLiteral("%1 k").arg(value / 1e3, 0, 'f', 1);
  return QString::number(value, 'f', 0);
}

QString durationText(std::int64_t ns) {
  const double value = static_cast<double>(ns);
  if (ns >= 1'000'000'000) return QStringLiteral("%1 s").arg(value / 1e9, 0, 'f', 2);
  if (ns >= 1'000'000) return QStringLiteral("%1 ms").arg(value / 1e6, 0, 'f', 2);
  if (ns >= 1'000) return QStringLiteral("%1 us").arg(value / 1e3, 0, 'f', 1);
  return QStringLiteral("%1 ns").arg(ns);
}

}  // namespace tofu::monitor
