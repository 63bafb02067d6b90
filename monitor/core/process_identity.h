// The labels the views show for the process that serves an attached engine (program name,
// pid, host, start time: tofu::telemetry::ProcessIdentity, read from its snapshots). A
// restarted process has another pid or start time, so another label. Pure functions; any thread.
#pragma once

#include <QMetaType>
#include <QString>

#include "tofu/telemetry/schema.h"

namespace tofu::monitor {

// "tofu-cli[4242]@host, started 06:31:20" (parts the engine did not send are left out).
QString processLabel(const tofu::telemetry::ProcessIdentity& process);
// "tofu-cli[4242]" ("pid 4242" without a program name): what fits a table's Engine column
// and still tells two processes apart.
QString processShortLabel(const tofu::telemetry::ProcessIdentity& process);

}  // namespace tofu::monitor

Q_DECLARE_METATYPE(tofu::telemetry::ProcessIdentity)
