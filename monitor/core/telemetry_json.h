// The monitor's edge of the telemetry codec (tofu_telemetry, docs/telemetry.md): Qt byte arrays
// and strings in and out, and the payloads that come with events as content records. The
// codec does the reading. Pure functions, any thread.
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <string_view>

#include "tofu/introspection.h"
#include "tofu/qt/traffic_record.h"
#include "tofu/telemetry/schema.h"

namespace tofu::monitor {

// The bytes of `bytes`, for the codec (valid while `bytes` is).
inline std::string_view bytesView(const QByteArray& bytes) {
  return {bytes.constData(), static_cast<std::size_t>(bytes.size())};
}

// A snapshot document, and who serves it when `source` is given; false with `error` set when
// it is not one.
bool parseSnapshot(const QByteArray& json, tofu::EngineSnapshot& out, QString* error,
                   tofu::telemetry::SnapshotSource* source = nullptr);
// JSON Lines of event objects; unknown kinds are skipped; false on a malformed line. Events
// that carry their message's payload also add a content record to `content`, when given.
bool parseEvents(const QByteArray& jsonLines, QList<tofu::Event>& out, QString* error,
                 QList<tofu::qt::TrafficRecord>* content = nullptr);

// The content record of a message event and its taken payload; false for a channel event or a
// payload not taken. The body is marked cut when the process sent less than bodyLen.
bool recordFromPayload(const tofu::Event& event, const tofu::EventPayload& payload,
                       tofu::qt::TrafficRecord& out);

}  // namespace tofu::monitor
