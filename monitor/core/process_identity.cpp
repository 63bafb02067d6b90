#include "process_identity.h"

#include <QDateTime>

namespace tofu::monitor {

QString processShortLabel(const telemetry::ProcessIdentity& process) {
  return process.programName.empty() ? QStringLiteral("pid %1").arg(process.processId)
                                     : QStringLiteral("%1[%2]")
                                           .arg(QString::fromStdString(process.programName))
                                           .arg(process.processId);
}

QString processLabel(const telemetry::ProcessIdentity& process) {
  QString text = processShortLabel(process);
  if (!process.hostName.empty()) {
    text += QLatin1Char('@') + QString::fromStdString(process.hostName);
  }
  if (process.startedUnixMs > 0) {
    const QDateTime started = QDateTime::fromMSecsSinceEpoch(process.startedUnixMs);
    const bool today = started.date() == QDate::currentDate();
    text += QStringLiteral(", started ") +
            started.toString(today ? QStringLiteral("HH:mm:ss") : QStringLiteral("yyyy-MM-dd HH:mm:ss"));
  }
  return text;
}

}  // namespace tofu::monitor
