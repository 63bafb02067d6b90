// MessageEnvelope: a copy of one received tofu message, safe to pass between threads and to
// queued signals. The adapter fills it on its worker thread and returns the pooled message at
// once, so nothing Qt code holds can pin the engine's pool. Plain value; copy freely.
#pragma once

#include <QByteArray>
#include <QList>
#include <QMetaType>
#include <QPair>
#include <QString>

#include <cstdint>

#include "tofu/message.h"

namespace tofu::qt {

struct MessageEnvelope {
  BinaryHeader header;              // as received (textHeadersLen/bodyLen are the real sizes)
  QByteArray textHeaders;           // the raw `name:value\r\n` section
  QByteArray body;
  std::int64_t receivedNs = 0;      // CLOCK_MONOTONIC when waitReceive() returned it (0: not received)

  // Copies header, text headers and body out of `message` (which stays with the caller).
  static MessageEnvelope fromMessage(const Message& message, std::int64_t receivedNs = 0);
  // Fills `message` (after reset()) with this envelope's header, text headers and body.
  void copyTo(Message& message) const;

  OpCode opCode() const noexcept { return header.proto.opCode; }
  Status status() const noexcept { return header.status; }
  bool isFromEngine() const noexcept { return header.proto.origin == Origin::engine; }
  bool hasMore() const noexcept { return header.proto.more; }
  quint16 channelNumber() const noexcept { return header.channelNumber; }
  quint64 messageId() const noexcept { return header.messageId; }

  // The text headers as (name, value) pairs in wire order, read as TextHeaders does.
  QList<QPair<QString, QString>> headerList() const;
  // The value of the first header called `name`; a null QString when absent.
  QString headerValue(QStringView name) const;
};

}  // namespace tofu::qt

Q_DECLARE_METATYPE(tofu::qt::MessageEnvelope)
