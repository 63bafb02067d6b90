// Reading telemetry JSON (docs/telemetry.md) into engine values, and writing the same objects
// (for capture files). Pure functions, any thread.
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>

#include "tofu/introspection.h"
#include "tofu/qt/traffic_record.h"

namespace tofu::monitor {

// A snapshot object; false with `error` set when it is not one.
bool parseSnapshot(const QByteArray& json, tofu::EngineSnapshot& out, QString* error);
// JSON Lines of event objects; unknown kinds are skipped; false on a malformed line. Events
// that carry their message's payload also add a content record to `content`, when given.
bool parseEvents(const QByteArray& jsonLines, QList<tofu::Event>& out, QString* error,
                 QList<tofu::qt::TrafficRecord>* content = nullptr);

// The object forms used by parseSnapshot/parseEvents, for embedding in other documents.
bool snapshotFromJson(const QJsonObject& object, tofu::EngineSnapshot& out, QString* error);
// False when `object` is not an event of a known kind (`error` set only when malformed).
bool eventFromJson(const QJsonObject& object, tofu::Event& out, QString* error);
// The payload of `event`'s object (textHeaders, bodyBase64) as a content record; false when
// the object carries none. The body is marked cut when the process sent less than bodyLen.
bool payloadFromJson(const QJsonObject& object, const tofu::Event& event, tofu::qt::TrafficRecord& out);

// The telemetry objects for `snapshot` and `event` (previews included when taken).
QJsonObject snapshotToJson(const tofu::EngineSnapshot& snapshot);
QJsonObject eventToJson(const tofu::Event& event);

}  // namespace tofu::monitor
