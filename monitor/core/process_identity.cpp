#include "process_identity.h"

#include <QDateTime>

namespace tofu::monitor {

QString ProcessIdentity::shortLabel() const {
  return programName.isEmpty() ? QStringLiteral("pid %1").arg(processId)
                               : QStringLiteral("%1[%2]").arg(programName).arg(processId);
}

QString ProcessIdentity::label() const {
  QString text = shortLabel();
  if (!hostName.isEmpty()) {
    text += QLatin1Char('@') + hostName;
  }
  if (startedUnixMs > 0) {
    const QDateTime started = QDateTime::fromMSecsSinceEpoch(startedUnixMs);
    const bool today = started.date() == QDate::currentDate();
    text += QStringLiteral(", started ") +
            started.toString(today ? QStringLiteral("HH:mm:ss") : QStringLiteral("yyyy-MM-dd HH:mm:ss"));
  }
  return text;
}

ProcessIdentity ProcessIdentity::fromSnapshotJson(const QJsonObject& object) {
  ProcessIdentity identity;
  identity.processId = object.value(QLatin1String("processId")).toInteger();
  identity.programName = object.value(QLatin1String("processName")).toString();
  identity.hostName = object.value(QLatin1String("hostName")).toString();
  identity.startedUnixMs = object.value(QLatin1String("processStartedUnixMs")).toInteger();
  return identity;
}

}  // namespace tofu::monitor
