#include "telemetry_json.h"

#include <string>
#include <vector>

#include "tofu/telemetry/codec.h"

namespace tofu::monitor {

bool parseSnapshot(const QByteArray& json, EngineSnapshot& out, QString* error,
                   telemetry::SnapshotSource* source) {
  std::string why;
  if (telemetry::parseSnapshot(bytesView(json), out, &why, source)) {
    return true;
  }
  if (error != nullptr) {
    *error = QString::fromStdString(why);
  }
  return false;
}

bool parseEvents(const QByteArray& jsonLines, QList<Event>& out, QString* error,
                 QList<tofu::qt::TrafficRecord>* content) {
  std::vector<Event> events;
  std::vector<EventPayload> payloads;
  std::string why;
  if (!telemetry::parseEvents(bytesView(jsonLines), events, &why, content != nullptr ? &payloads : nullptr)) {
    if (error != nullptr) {
      *error = QString::fromStdString(why);
    }
    return false;
  }
  out.reserve(out.size() + static_cast<qsizetype>(events.size()));
  for (std::size_t i = 0; i < events.size(); ++i) {
    out.append(events[i]);
    tofu::qt::TrafficRecord record;
    if (content != nullptr && recordFromPayload(events[i], payloads[i], record)) {
      content->append(std::move(record));
    }
  }
  return true;
}

bool recordFromPayload(const Event& event, const EventPayload& payload, tofu::qt::TrafficRecord& out) {
  if (!payload.taken || !tofu::qt::TrafficRecord::fromEvent(event, out)) {
    return false;
  }
  out.textHeaders = QByteArray::fromStdString(payload.textHeaders);
  out.body = QByteArray::fromStdString(payload.body);
  out.contentComplete = true;
  out.bodyCut = out.body.size() < event.bodyLen;
  return true;
}

}  // namespace tofu::monitor
