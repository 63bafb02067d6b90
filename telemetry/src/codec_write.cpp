// The writing half of codec.h: each object from its field table (codec_fields.h).
#include <type_traits>

#include "tofu/telemetry/codec.h"

#include "codec_fields.h"

namespace tofu::telemetry {
namespace {

using namespace detail;

template <class T>
void writeValue(JsonWriter& json, const T& value) {
  if constexpr (std::is_enum_v<T>) {
    json.value(toString(value));
  } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::string>) {
    json.value(value);
  } else if constexpr (std::is_signed_v<T>) {
    json.value(static_cast<std::int64_t>(value));
  } else {
    json.value(static_cast<std::uint64_t>(value));
  }
}

template <class Owner, class Fields>
void writeFields(JsonWriter& json, const Owner& from, const Fields& fields) {
  std::apply(
      [&](const auto&... field) { ((json.key(field.name), writeValue(json, from.*field.member)), ...); },
      fields);
}

template <class Owner, class Fields>
void writeObject(JsonWriter& json, const Owner& from, const Fields& fields) {
  json.beginObject();
  writeFields(json, from, fields);
  json.endObject();
}

// The preview bytes are raw protocol bytes: they go out as a JSON string (see
// appendJsonString for bytes that are not UTF-8).
std::string_view previewPart(const Event& event, std::size_t offset, std::size_t length) {
  return {reinterpret_cast<const char*>(event.preview.data()) + offset, length};  // NOLINT: byte view
}

}  // namespace

void writeSnapshot(JsonWriter& json, const EngineSnapshot& snapshot, const SnapshotSource* source) {
  json.beginObject().field(kTelemetryVersion, kVersion);
  if (source != nullptr) {
    json.field(kProcessId, source->process.processId)
        .field(kTelemetryAddress, std::string_view(source->telemetryAddress));
  }
  writeFields(json, snapshot, kSnapshotFields);
  json.key(kChannels).beginArray();
  for (const ChannelInfo& channel : snapshot.channels) writeObject(json, channel, kChannelFields);
  json.endArray();
  json.key(kGroups).beginArray();
  for (const GroupInfo& group : snapshot.groups) writeObject(json, group, kGroupFields);
  json.endArray();
  json.key(kPool);
  writeObject(json, snapshot.pool, kPoolFields);
  json.key(kTotals);
  writeObject(json, snapshot.totals, kTotalsFields);
  if (source != nullptr) {
    json.field(kProcessName, std::string_view(source->process.programName))
        .field(kHostName, std::string_view(source->process.hostName))
        .field(kProcessStartedUnixMs, source->process.startedUnixMs)
        .field(kBodyLimit, std::uint64_t{source->bodyLimit});
  }
  json.endObject();
}

void writeEvent(JsonWriter& json, const Event& event, const EventPayload* payload) {
  json.beginObject().field(kKind, toString(event.kind));
  writeFields(json, event, kEventFields);
  if (event.kind == EventKind::channelState) {
    writeFields(json, event, kStateEventFields);
  } else {
    writeFields(json, event, kMessageEventFields);
    if (event.previewHeadersLen + event.previewBodyLen > 0) {
      json.field(kPreviewHeaders, previewPart(event, 0, event.previewHeadersLen))
          .field(kPreviewBody, previewPart(event, event.previewHeadersLen, event.previewBodyLen));
    }
    if (payload != nullptr && payload->taken) {
      json.field(kTextHeaders, std::string_view(payload->textHeaders))
          .field(kBodySentLen, std::uint64_t{payload->body.size()});
      json.key(kBodyBase64).base64(payload->body);
    }
  }
  json.endObject();
}

std::string snapshotToJson(const EngineSnapshot& snapshot, const SnapshotSource* source) {
  JsonWriter json;
  writeSnapshot(json, snapshot, source);
  return json.take();
}

void appendEventJsonLine(std::string& out, const Event& event, const EventPayload* payload) {
  JsonWriter json;
  writeEvent(json, event, payload);
  out += json.text();
  out += '\n';
}

}  // namespace tofu::telemetry
