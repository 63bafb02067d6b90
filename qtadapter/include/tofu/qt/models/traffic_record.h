// TrafficRecord: one line of a message log, built from an engine Event (preview only) or from
// a MessageEnvelope the application saw (whole content). Plain value; copy freely.
#pragma once

#include <QByteArray>
#include <QMetaType>
#include <QString>

#include <cstdint>

#include "tofu/introspection.h"
#include "tofu/qt/message_envelope.h"

namespace tofu::qt {

enum class Direction : std::uint8_t {
  sent,      // written to the socket (Event messageSent) or posted by the application
  received,  // read from a peer and delivered
  returned,  // a posted message came back unsent with a status
};
QString toQString(Direction direction);

struct TrafficRecord {
  std::int64_t atNs = 0;          // CLOCK_MONOTONIC
  std::uint64_t engineId = 0;
  std::uint16_t channelNumber = 0;
  std::uint64_t incarnation = 0;  // 0 when unknown (envelopes)
  Direction direction = Direction::received;
  BinaryHeader header;            // textHeadersLen and bodyLen are the full sizes
  QByteArray textHeaders;         // all of them when contentComplete, else a preview prefix
  QByteArray body;                // idem
  bool contentComplete = false;
  // With contentComplete: the text headers are whole but the body is only its first
  // body.size() bytes, because the sender limits what it sends (a telemetry body limit).
  bool bodyCut = false;
  std::int64_t latencyNs = 0;     // posted->written (sent) or read->delivered (received); 0 unknown

  // Events of kind messageSent/messageReceived/messageReturned; channelState events give none
  // (false).
  static bool fromEvent(const Event& event, TrafficRecord& out);
  static TrafficRecord fromEnvelope(const MessageEnvelope& message, Direction direction, std::uint64_t engineId);
};

}  // namespace tofu::qt

Q_DECLARE_METATYPE(tofu::qt::TrafficRecord)
