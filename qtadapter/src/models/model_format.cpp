#include "model_format.h"

namespace tofu::qt {

QString formatMonotonic(std::int64_t ns) {
  if (ns == 0) {
    return {};
  }
  return QString::number(static_cast<double>(ns) / 1e9, 'f', 6);
}

QString formatDuration(std::int64_t ns) {
  if (ns == 0) {
    return {};
  }
  const double value = static_cast<double>(ns);
  if (ns < 1'000) {
    return QStringLiteral("%1 ns").arg(ns);
  }
  if (ns < 1'000'000) {
    return QStringLiteral("%1 us").arg(value / 1e3, 0, 'f', 1);
  }
  return QStringLiteral("%1 ms").arg(value / 1e6, 0, 'f', 2);
}

QString engineLabel(const QHash<std::uint64_t, QString>& names, std::uint64_t engineId) {
  const auto found = names.constFind(engineId);
  return found != names.cend() ? *found : QString::number(engineId);
}

}  // namespace tofu::qt
