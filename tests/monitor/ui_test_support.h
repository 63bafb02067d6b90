// Helpers shared by the monitor's widget tests: synthetic traffic records and finding a
// widget by objectName with a failure message that names it.
#pragma once

#include <QObject>
#include <QTest>

#include <stdexcept>

#include "tofu/qt/models/traffic_record.h"

namespace tofu::monitor::test {

inline tofu::qt::TrafficRecord makeRecord(tofu::OpCode opCode, quint16 channel, quint64 messageId,
                                          const QByteArray& body, tofu::Status status = tofu::Status::success,
                                          const QByteArray& textHeaders = {}) {
  tofu::qt::TrafficRecord record;
  record.atNs = 1'000'000 * static_cast<std::int64_t>(messageId);
  record.engineId = 1;
  record.channelNumber = channel;
  record.incarnation = channel;
  record.direction = tofu::qt::Direction::received;
  record.header.channelNumber = channel;
  record.header.proto.opCode = opCode;
  record.header.status = status;
  record.header.messageId = messageId;
  record.header.textHeadersLen = static_cast<std::uint16_t>(textHeaders.size());
  record.header.bodyLen = static_cast<std::uint16_t>(std::min<qsizetype>(body.size(), 65535));
  record.textHeaders = textHeaders;
  record.body = body;
  record.contentComplete = true;
  return record;
}

// Thrown by child() after recording the failure: QTest ends the run there ("Caught unhandled
// exception") instead of the caller dereferencing null.
struct MissingChild : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// findChild<T>(name), failing the test (not crashing it) when the widget is missing.
template <typename T>
T* child(QObject* parent, const char* name) {
  T* found = parent->findChild<T*>(QString::fromLatin1(name));
  if (!found) {
    const QByteArray message = QByteArray("no child named ") + name;
    QTest::qFail(message.constData(), __FILE__, __LINE__);
    throw MissingChild(message.toStdString());
  }
  return found;
}

}  // namespace tofu::monitor::test
