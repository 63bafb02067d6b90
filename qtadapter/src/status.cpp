#include "tofu/qt/status.h"

#include <QMetaEnum>

namespace tofu::qt {

QString statusName(Status status) { return QString::fromLatin1(toString(status)); }

QString statusDescription(Status status) {
  return QStringLiteral("%1 (%2)").arg(QString::fromUtf8(describe(status)), statusName(status));
}

}  // namespace tofu::qt

namespace tofu {

QDebug operator<<(QDebug debug, Status status) {
  const QDebugStateSaver saver(debug);
  const int value = qToUnderlying(status);
  debug.nospace().noquote() << "tofu::Status(";
  if (const char* key = QMetaEnum::fromType<qt::meta::Status>().valueToKey(value)) {
    debug << key;
  } else {
    debug << value;
  }
  return debug << ')';
}

}  // namespace tofu
