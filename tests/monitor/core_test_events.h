// Builders of engine events and records with known fields, shared by the monitor core tests.
#pragma once

#include <QList>
#include <QString>

#include "tofu/introspection.h"
#include "tofu/qt/models/traffic_record.h"

// QCOMPARE on the engine's enums by name: QTest would find tofu::toString() by ADL and free
// the static string it returns.
#define QCOMPARE_NAME(actual, expected) \
  QCOMPARE(QString::fromLatin1(toString(actual)), QString::fromLatin1(toString(expected)))

namespace tofu::monitor::test {

inline Event stateEvent(std::uint64_t engineId, std::uint16_t channel, std::uint64_t incarnation, ChannelState state,
                        std::int64_t atNs, Status status = Status::success) {
  Event event;
  event.kind = EventKind::channelState;
  event.engineId = engineId;
  event.channelNumber = channel;
  event.incarnation = incarnation;
  event.state = state;
  event.status = status;
  event.atNs = atNs;
  return event;
}

// A message event; the preview holds `headers` then `body` (cut to Event::kMaxPreview).
inline Event messageEvent(EventKind kind, std::uint64_t engineId, std::uint16_t channel, OpCode op, std::uint64_t id,
                          std::int64_t atNs, bool more = false, const QByteArray& headers = {},
                          const QByteArray& body = {}, Status status = Status::success) {
  Event event;
  event.kind = kind;
  event.engineId = engineId;
  event.channelNumber = channel;
  event.incarnation = channel;  // one incarnation per channel number in these tests
  event.opCode = op;
  event.messageId = id;
  event.more = more;
  event.status = status;
  event.atNs = atNs;
  event.headersLen = static_cast<std::uint16_t>(headers.size());
  event.bodyLen = static_cast<std::uint16_t>(body.size());
  (kind == EventKind::messageReceived ? event.readNs : event.postedNs) = atNs;
  (kind == EventKind::messageReceived ? event.deliveredNs : event.writtenNs) = atNs;
  const QByteArray preview = (headers + body).left(static_cast<qsizetype>(Event::kMaxPreview));
  event.previewHeadersLen = static_cast<std::uint8_t>(qMin(headers.size(), preview.size()));
  event.previewBodyLen = static_cast<std::uint8_t>(preview.size() - event.previewHeadersLen);
  std::copy(preview.begin(), preview.end(), event.preview.begin());
  return event;
}

// The whole-content record an application would report for the same message.
inline tofu::qt::TrafficRecord contentRecord(std::uint64_t engineId, std::uint16_t channel, OpCode op,
                                             std::uint64_t id, tofu::qt::Direction direction, std::int64_t atNs,
                                             const QByteArray& headers, const QByteArray& body, bool more = false) {
  tofu::qt::TrafficRecord record;
  record.atNs = atNs;
  record.engineId = engineId;
  record.channelNumber = channel;
  record.direction = direction;
  record.header.channelNumber = channel;
  record.header.proto.opCode = op;
  record.header.proto.more = more;
  record.header.messageId = id;
  record.header.textHeadersLen = static_cast<std::uint16_t>(headers.size());
  record.header.bodyLen = static_cast<std::uint16_t>(body.size());
  record.textHeaders = headers;
  record.body = body;
  record.contentComplete = true;
  return record;
}

}  // namespace tofu::monitor::test
