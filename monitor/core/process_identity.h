// ProcessIdentity: who serves an attached engine (program name, pid, host, start time), read
// from the telemetry snapshot (docs/telemetry.md), and the label the views show for it. A
// restarted process has another pid or start time, so another label. A plain value; any thread.
#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>

namespace tofu::monitor {

struct ProcessIdentity {
  qint64 processId = 0;       // 0: not known (no snapshot yet)
  QString programName;        // empty from engines that do not send it
  QString hostName;
  qint64 startedUnixMs = 0;   // 0: not sent

  bool known() const noexcept { return processId != 0; }
  // "tofu-cli[4242]@host, started 06:31:20" (parts the engine did not send are left out).
  QString label() const;
  // "tofu-cli[4242]" ("pid 4242" without a program name): what fits a table's Engine column
  // and still tells two processes apart.
  QString shortLabel() const;

  // The identity members of a snapshot object (missing ones stay at their defaults).
  static ProcessIdentity fromSnapshotJson(const QJsonObject& object);
};

}  // namespace tofu::monitor

Q_DECLARE_METATYPE(tofu::monitor::ProcessIdentity)
