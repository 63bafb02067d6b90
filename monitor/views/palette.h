// The monitor's colours for channel states and statuses, shared by the state badge, the
// timeline and the gauges so one state looks the same everywhere. Pure functions.
#pragma once

#include <QColor>
#include <QString>

#include "tofu/introspection.h"

namespace tofu::monitor {

QColor stateColor(tofu::ChannelState state);
QColor statusColor(tofu::Status status);  // green for success, amber for receiver_update, red for failures
QString stateText(tofu::ChannelState state);
// The badge of a channel whose engine stopped reporting (tofu::qt::LostRole).
QColor lostColor();
// "12.3 k", "4.5 M": compact counts for labels and axes.
QString compactNumber(double value);
// "1.2 ms", "340 us": durations given in nanoseconds.
QString durationText(std::int64_t ns);

}  // namespace tofu::monitor
