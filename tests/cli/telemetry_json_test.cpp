// The telemetry JSON (docs/telemetry.md, version 1): the writer's escaping, and the exact
// text of a snapshot and of events, field by field in the documented order.
#include "telemetry/telemetry_json.h"

#include <string>

#include <gtest/gtest.h>

#include "json_reader.h"
#include "telemetry/json_writer.h"

namespace tofu::cli::testing {
namespace {

std::string jsonQuoted(std::string_view text) {
  std::string out;
  detail::appendJsonString(out, text);
  return out;
}

TEST(TelemetryJsonTest, StringsAreEscapedPerRfc8259) {
  EXPECT_EQ(jsonQuoted("plain"), R"("plain")");
  EXPECT_EQ(jsonQuoted("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(jsonQuoted("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(jsonQuoted(std::string("\x01\x1f\x7f", 3)), R"("\u0001\u001f\u007f")");
  EXPECT_EQ(jsonQuoted(std::string("nul\0", 4)), R"("nul\u0000")");
  EXPECT_EQ(jsonQuoted("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8d\xa3"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8d\xa3\"");
  // Bytes that are not UTF-8 (a stray continuation, a truncated sequence, an overlong form)
  // become the code point of the same value.
  EXPECT_EQ(jsonQuoted("\x80"), R"("\u0080")");
  EXPECT_EQ(jsonQuoted("\xc3"), R"("\u00c3")");
  EXPECT_EQ(jsonQuoted("\xc0\xaf"), R"("\u00c0\u00af")");
  EXPECT_EQ(jsonQuoted("\xed\xa0\x80"), R"("\u00ed\u00a0\u0080")");  // a UTF-16 surrogate
}

TEST(TelemetryJsonTest, WrittenStringsReadBack) {
  for (const std::string& text : {std::string("a\"\\\n\x01 caf\xc3\xa9"), std::string("\xf0\x9f\x8d\xa3/")}) {
    const std::optional<JsonValue> value = JsonValue::parse(jsonQuoted(text));
    ASSERT_TRUE(value);
    EXPECT_EQ(value->text(), text);
  }
}

TEST(TelemetryJsonTest, WriterPlacesCommas) {
  detail::JsonWriter json;
  json.beginObject().key("a").beginArray().value(std::uint64_t{1}).value(std::int64_t{-2}).value(true).null();
  json.beginObject().endObject().endArray().field("b", "x").endObject();
  EXPECT_EQ(json.text(), R"({"a":[1,-2,true,null,{}],"b":"x"})");
}

TEST(TelemetryJsonTest, SnapshotFieldsInDocumentedOrder) {
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
  detail::SnapshotSource source;
  source.process = {4242, "app", "box", 1796000000123};
  source.telemetryAddress = "uds|/tmp/t.sock";
  source.bodyLimit = 65536;
  const std::string json = detail::snapshotToJson(snapshot, source);
  EXPECT_EQ(json,
            R"({"telemetryVersion":1,"processId":4242,"telemetryAddress":"uds|/tmp/t.sock","engineId":7,)"
            R"("takenAtNs":123456789,"takenAtWallNs":1796620000123456789,"channels":[{"engineId":7,"channelNumber":513,"incarnation":3,)"
            R"("kind":"server","state":"closed","groupId":2,"localAddress":"tcp|127.0.0.1|7099",)"
            R"("peerAddress":"tcp|127.0.0.1|40000","messagesSent":4,"bytesSent":100,"messagesReceived":5,)"
            R"("bytesReceived":120,"sendQueueMessages":1,"sendQueueBytes":30,"lastSendNs":11,)"
            R"("lastReceiveNs":12,"closeReason":"peer_disconnected"}],"groups":[{"groupId":2,)"
            R"("receiveQueueDepth":6}],"pool":{"idle":10,"inUse":3,"allocated":13,"poolEmptyEpisodes":1},)"
            R"("totals":{"framesWritten":1,"bytesWritten":2,"framesRead":3,"bytesRead":4,)"
            R"("messagesReturned":5,"poolEmptyEpisodes":6,"channelsOpened":7,"channelsClosed":8},)"
            R"("processName":"app","hostName":"box","processStartedUnixMs":1796000000123,"bodyLimit":65536})");
  EXPECT_TRUE(JsonValue::parse(json));
}

TEST(TelemetryJsonTest, EventLines) {
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
  detail::appendEventJsonLine(lines, state);
  detail::appendEventJsonLine(lines, sent);
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

TEST(TelemetryJsonTest, Base64PerRfc4648) {
  const auto encoded = [](std::string_view bytes) {
    detail::JsonWriter json;
    json.base64(bytes);
    return json.take();
  };
  EXPECT_EQ(encoded(""), R"("")");
  EXPECT_EQ(encoded("f"), R"("Zg==")");
  EXPECT_EQ(encoded("fo"), R"("Zm8=")");
  EXPECT_EQ(encoded("foo"), R"("Zm9v")");
  EXPECT_EQ(encoded("foob"), R"("Zm9vYg==")");
  EXPECT_EQ(encoded("fooba"), R"("Zm9vYmE=")");
  EXPECT_EQ(encoded("foobar"), R"("Zm9vYmFy")");
  EXPECT_EQ(encoded(std::string("\x00\xff\xfe", 3)), R"("AP/+")");
}

TEST(TelemetryJsonTest, EventLineWithPayload) {
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
  detail::appendEventJsonLine(lines, received, &payload);
  EventPayload none;  // not taken: no payload fields
  detail::appendEventJsonLine(lines, received, &none);
  const std::string common =
      R"({"kind":"message_received","engineId":1,"channelNumber":2,"incarnation":3,"atNs":5,)"
      R"("opCode":"Request","status":"success","more":false,"messageId":9,"headersLen":12,)"
      R"("bodyLen":5,"postedNs":0,"writtenNs":0,"readNs":4,"deliveredNs":5)";
  EXPECT_EQ(lines, common + R"(,"textHeaders":"needle:yes\r\n","bodySentLen":3,"bodyBase64":"Zm9v"})" + "\n" +
                       common + "}\n");
}

}  // namespace
}  // namespace tofu::cli::testing
