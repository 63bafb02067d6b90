#include "tofu/qt/models/traffic_record.h"

namespace tofu::qt {

QString toQString(Direction direction) {
  switch (direction) {
    case Direction::sent:
      return QStringLiteral("sent");
    case Direction::received:
      return QStringLiteral("received");
    case Direction::returned:
      return QStringLiteral("returned");
  }
  return {};
}

bool TrafficRecord::fromEvent(const Event& event, TrafficRecord& out) {
  TrafficRecord record;
  switch (event.kind) {
    case EventKind::messageSent:
      record.direction = Direction::sent;
      record.latencyNs = event.writtenNs != 0 && event.postedNs != 0 ? event.writtenNs - event.postedNs : 0;
      break;
    case EventKind::messageReceived:
      record.direction = Direction::received;
      record.latencyNs = event.deliveredNs != 0 && event.readNs != 0 ? event.deliveredNs - event.readNs : 0;
      break;
    case EventKind::messageReturned:
      record.direction = Direction::returned;
      record.header.proto.origin = Origin::engine;
      break;
    case EventKind::channelState:
      return false;
  }
  record.atNs = event.atNs;
  record.engineId = event.engineId;
  record.channelNumber = event.channelNumber;
  record.incarnation = event.incarnation;
  record.header.channelNumber = event.channelNumber;
  record.header.proto.opCode = event.opCode;
  record.header.proto.more = event.more;
  record.header.status = event.status;
  record.header.messageId = event.messageId;
  record.header.textHeadersLen = event.headersLen;
  record.header.bodyLen = event.bodyLen;
  const char* preview = reinterpret_cast<const char*>(event.preview.data());  // NOLINT: bytes
  record.textHeaders = QByteArray(preview, event.previewHeadersLen);
  record.body = QByteArray(preview + event.previewHeadersLen, event.previewBodyLen);
  record.contentComplete = event.previewHeadersLen == event.headersLen && event.previewBodyLen == event.bodyLen;
  out = std::move(record);
  return true;
}

TrafficRecord TrafficRecord::fromEnvelope(const MessageEnvelope& message, Direction direction,
                                          std::uint64_t engineId) {
  TrafficRecord record;
  record.atNs = message.receivedNs != 0 ? message.receivedNs : monotonicNowNs();
  record.engineId = engineId;
  record.channelNumber = message.channelNumber();
  record.direction = direction;
  record.header = message.header;
  record.textHeaders = message.textHeaders;
  record.body = message.body;
  record.contentComplete = true;
  return record;
}

}  // namespace tofu::qt
