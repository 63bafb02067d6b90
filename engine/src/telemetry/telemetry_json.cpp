#include "telemetry/telemetry_json.h"

#include "telemetry/json_writer.h"

namespace tofu::detail {
namespace {

std::uint64_t u64(std::uint64_t value) { return value; }
std::int64_t i64(std::int64_t value) { return value; }

void writeChannel(JsonWriter& json, const ChannelInfo& channel) {
  json.beginObject()
      .field("engineId", u64(channel.engineId))
      .field("channelNumber", u64(channel.channelNumber))
      .field("incarnation", u64(channel.incarnation))
      .field("kind", toString(channel.kind))
      .field("state", toString(channel.state))
      .field("groupId", u64(channel.groupId))
      .field("localAddress", std::string_view(channel.localAddress))
      .field("peerAddress", std::string_view(channel.peerAddress))
      .field("messagesSent", u64(channel.messagesSent))
      .field("bytesSent", u64(channel.bytesSent))
      .field("messagesReceived", u64(channel.messagesReceived))
      .field("bytesReceived", u64(channel.bytesReceived))
      .field("sendQueueMessages", u64(channel.sendQueueMessages))
      .field("sendQueueBytes", u64(channel.sendQueueBytes))
      .field("lastSendNs", i64(channel.lastSendNs))
      .field("lastReceiveNs", i64(channel.lastReceiveNs))
      .field("closeReason", toString(channel.closeReason))
      .endObject();
}

void writeTotals(JsonWriter& json, const EngineCounters& totals) {
  json.beginObject()
      .field("framesWritten", u64(totals.framesWritten))
      .field("bytesWritten", u64(totals.bytesWritten))
      .field("framesRead", u64(totals.framesRead))
      .field("bytesRead", u64(totals.bytesRead))
      .field("messagesReturned", u64(totals.messagesReturned))
      .field("poolEmptyEpisodes", u64(totals.poolEmptyEpisodes))
      .field("channelsOpened", u64(totals.channelsOpened))
      .field("channelsClosed", u64(totals.channelsClosed))
      .endObject();
}

// The preview bytes are raw protocol bytes: they go out as a JSON string (see
// appendJsonString for bytes that are not UTF-8).
std::string_view previewPart(const Event& event, std::size_t offset, std::size_t length) {
  return {reinterpret_cast<const char*>(event.preview.data()) + offset, length};  // NOLINT: byte view
}

}  // namespace

std::string snapshotToJson(const EngineSnapshot& snapshot, const SnapshotSource& source) {
  JsonWriter json;
  json.beginObject()
      .field("telemetryVersion", kTelemetryVersion)
      .field("processId", i64(source.process.processId))
      .field("telemetryAddress", std::string_view(source.telemetryAddress))
      .field("engineId", u64(snapshot.engineId))
      .field("takenAtNs", i64(snapshot.takenAtNs))
      .field("takenAtWallNs", i64(snapshot.takenAtWallNs));
  json.key("channels").beginArray();
  for (const ChannelInfo& channel : snapshot.channels) writeChannel(json, channel);
  json.endArray();
  json.key("groups").beginArray();
  for (const GroupInfo& group : snapshot.groups) {
    json.beginObject()
        .field("groupId", u64(group.groupId))
        .field("receiveQueueDepth", u64(group.receiveQueueDepth))
        .endObject();
  }
  json.endArray();
  json.key("pool")
      .beginObject()
      .field("idle", u64(snapshot.pool.idle))
      .field("inUse", u64(snapshot.pool.inUse))
      .field("allocated", u64(snapshot.pool.allocated))
      .field("poolEmptyEpisodes", u64(snapshot.pool.poolEmptyEpisodes))
      .endObject();
  json.key("totals");
  writeTotals(json, snapshot.totals);
  json.field("processName", std::string_view(source.process.programName))
      .field("hostName", std::string_view(source.process.hostName))
      .field("processStartedUnixMs", i64(source.process.startedUnixMs))
      .field("bodyLimit", u64(source.bodyLimit));
  json.endObject();
  return json.take();
}

void appendEventJsonLine(std::string& out, const Event& event, const EventPayload* payload) {
  JsonWriter json;
  json.beginObject()
      .field("kind", toString(event.kind))
      .field("engineId", u64(event.engineId))
      .field("channelNumber", u64(event.channelNumber))
      .field("incarnation", u64(event.incarnation))
      .field("atNs", i64(event.atNs));
  if (event.kind == EventKind::channelState) {
    json.field("state", toString(event.state)).field("status", toString(event.status));
  } else {
    json.field("opCode", toString(event.opCode))
        .field("status", toString(event.status))
        .field("more", event.more)
        .field("messageId", u64(event.messageId))
        .field("headersLen", u64(event.headersLen))
        .field("bodyLen", u64(event.bodyLen))
        .field("postedNs", i64(event.postedNs))
        .field("writtenNs", i64(event.writtenNs))
        .field("readNs", i64(event.readNs))
        .field("deliveredNs", i64(event.deliveredNs));
    if (event.previewHeadersLen + event.previewBodyLen > 0) {
      json.field("previewHeaders", previewPart(event, 0, event.previewHeadersLen))
          .field("previewBody", previewPart(event, event.previewHeadersLen, event.previewBodyLen));
    }
    if (payload != nullptr && payload->taken) {
      json.field("textHeaders", std::string_view(payload->textHeaders))
          .field("bodySentLen", u64(payload->body.size()));
      json.key("bodyBase64").base64(payload->body);
    }
  }
  json.endObject();
  out += json.text();
  out += '\n';
}

}  // namespace tofu::detail
