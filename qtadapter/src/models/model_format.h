// Formatting shared by the adapter's models: how times, sizes and engines read in a cell.
// Free functions on plain values; thread-safe.
#pragma once

#include <QHash>
#include <QString>

#include <cstdint>

namespace tofu::qt {

// "12.345678" seconds of CLOCK_MONOTONIC; "" for 0 (never).
QString formatMonotonic(std::int64_t ns);
// "850 ns", "12.3 us", "4.56 ms"; "" for 0 (unknown).
QString formatDuration(std::int64_t ns);
// The display name set for `engineId`, else its number.
QString engineLabel(const QHash<std::uint64_t, QString>& names, std::uint64_t engineId);

}  // namespace tofu::qt
