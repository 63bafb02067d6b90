// The telemetry JSON as written (docs/telemetry.md, version 1): the exact text of a snapshot
// and of events, field by field in the documented order, with and without their optional parts.
#include "tofu/telemetry/codec.h"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

namespace tofu::telemetry {
namespace {

EngineSnapshot documentedSnapshot() {
  EngineSnapshot snapshot;
  snapshot.engineId = 7;
  snapshot.takenAtNs = 123456789;
  snapshot.takenAtWallNs = 1796620000123456789;
  ChannelInfo channel;
  channel.engineId = 7;
  channel.channelNumber = 513;
  channel.incarnation = 3;
  channel.kind = ChannelKind::serverIo;
  channel.state = ChannelState::closed;
  channel.groupId = 2;
  channel.localAddress = "tcp|127.0.0.1|7099";
  channel.peerAddress = "tcp|127.0.0.1|40000";
  channel.messagesSent = 4;
  channel.bytesSent = 100;
  channel.messagesReceived = 5;
  channel.bytesReceived = 120;
  channel.sendQueueMessages = 1;
  channel.sendQueueBytes = 30;
  channel.lastSendNs = 11;
  channel.lastReceiveNs = 12;
  channel.closeReason = Status::peer_disconnected;
  snapshot.channels.push_back(channel);
  snapshot.groups.push_back({2, 6});
  snapshot.pool = {10, 3, 13, 1};
  snapshot.totals = {1, 2, 3, 4, 5, 6, 7, 8};
  return snapshot;
}

const std::string kDocumentedEngine =
    R"("engineId":7,"takenAtNs":123456789,"takenAtWallNs":1796620000123456789,"channels":[{"engineId":7,)"
    R"("channelNumber":513,"incarnation":3,"kind":"server","state":"closed","groupId":2,)"
    R"("localAddress":"tcp|127.0.0.1|7099","peerAddress":"tcp|127.0.0.1|40000","messagesSent":4,)"
    R"("bytesSent":100,"messagesReceived":5,"bytesReceived":120,"sendQueueMessages":1,"sendQueueBytes":30,)"
    R"("lastSendNs":11,"lastReceiveNs":12,"closeReason":"peer_disconnected"}],"groups":[{"groupId":2,)"
    R"("receiveQueueDepth":6}],"pool":{"idle":10,"inUse":3,"allocated":13,"poolEmptyEpisodes":1},)"
    R"("totals":{"framesWritten":1,"bytesWritten":2,"framesRead":3,"bytesRead":4,)"
    R"("messagesReturned":5,"poolEmptyEpisodes":6,"channelsOpened":7,"channelsClosed":8})";

TEST(TelemetryCodecTest, SnapshotFieldsInDocumentedOrder) {
  SnapshotSource source;
  source.process = {4242, "app", "box", 1796000000123};
  source.telemetryAddress = "uds|/tmp/t.sock";
  source.bodyLimit = 65536;
  const std::string json = snapshotToJson(documentedSnapshot(), &source);
  EXPECT_EQ(
      json,
      R"({"telemetryVersion":1,"processId":4242,"telemetryAddress":"uds|/tmp/t.sock",)" + kDocumentedEngine +
          R"(,"processName":"app","hostName":"box","processStartedUnixMs":1796000000123,"bodyLimit":65536})");
  EXPECT_TRUE(JsonValue::parse(json));
}

TEST(TelemetryCodecTest, SnapshotWithoutSourceHasNoProcessMembers) {
  EXPECT_EQ(snapshotToJson(documentedSnapshot()), R"({"telemetryVersion":1,)" + kDocumentedEngine + "}");
}

TEST(TelemetryCodecTest, EventLines) {
  Event state;
  state.kind = EventKind::channelState;
  state.engineId = 1;
  state.channelNumber = 2;
  state.incarnation = 3;
  state.state = ChannelState::closing;
  state.status = Status::channel_closed;
  state.atNs = 99;
  Event sent;
  sent.kind = EventKind::messageSent;
  sent.engineId = 1;
  sent.channelNumber = 2;
  sent.incarnation = 3;
  sent.opCode = OpCode::Response;
  sent.more = true;
  sent.messageId = 77;
  sent.headersLen = 10;
  sent.bodyLen = 20;
  sent.postedNs = 5;
  sent.writtenNs = 6;
  sent.atNs = 6;
  sent.previewHeadersLen = 3;
  sent.previewBodyLen = 2;
  const std::string preview = "a:bh\n";
  std::copy(preview.begin(), preview.end(), sent.preview.begin());
  std::string lines;
  appendEventJsonLine(lines, state);
  appendEventJsonLine(lines, sent);
  EXPECT_EQ(lines,
            R"({"kind":"channel_state","engineId":1,"channelNumber":2,"incarnation":3,"atNs":99,)"
            R"("state":"closing","status":"channel_closed"})"
            "\n"
            R"({"kind":"message_sent","engineId":1,"channelNumber":2,"incarnation":3,"atNs":6,)"
            R"("opCode":"Response","status":"success","more":true,"messageId":77,"headersLen":10,)"
            R"("bodyLen":20,"postedNs":5,"writtenNs":6,"readNs":0,"deliveredNs":0,"previewHeaders":"a:b",)"
            R"("previewBody":"h\n"})"
            "\n");
}

TEST(TelemetryCodecTest, EventLineWithPayload) {
  Event received;
  received.kind = EventKind::messageReceived;
  received.engineId = 1;
  received.channelNumber = 2;
  received.incarnation = 3;
  received.opCode = OpCode::Request;
  received.messageId = 9;
  received.headersLen = 12;
  received.bodyLen = 5;
  received.readNs = 4;
  received.deliveredNs = 5;
  received.atNs = 5;
  EventPayload payload;
  payload.taken = true;
  payload.textHeaders = "needle:yes\r\n";
  payload.body = "foo";  // cut at 3 of 5 bytes
  std::string lines;
  appendEventJsonLine(lines, received, &payload);
  EventPayload none;  // not taken: no payload fields
  appendEventJsonLine(lines, received, &none);
  const std::string common =
      R"({"kind":"message_received","engineId":1,"channelNumber":2,"incarnation":3,"atNs":5,)"
      R"("opCode":"Request","status":"success","more":false,"messageId":9,"headersLen":12,)"
      R"("bodyLen":5,"postedNs":0,"writtenNs":0,"readNs":4,"deliveredNs":5)";
  EXPECT_EQ(lines, common + R"(,"textHeaders":"needle:yes\r\n","bodySentLen":3,"bodyBase64":"Zm9v"})" + "\n" +
                       common + "}\n");
}

TEST(TelemetryCodecTest, RecordsEmbedTheSameObjects) {
  JsonWriter json;
  json.beginObject().field("type", "snapshot").key("snapshot");
  writeSnapshot(json, documentedSnapshot());
  json.endObject();
  EXPECT_EQ(json.text(),
            R"({"type":"snapshot","snapshot":{"telemetryVersion":1,)" + kDocumentedEngine + "}}");
}

}  // namespace
}  // namespace tofu::telemetry
