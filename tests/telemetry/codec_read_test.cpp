// The telemetry JSON as read (docs/telemetry.md, version 1): the documented snapshot with full
// 64-bit counters, its process members, event lines with unknown kinds skipped, payloads,
// malformed input refused with the member or line named, and write/read round trips.
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/telemetry/codec.h"

namespace tofu::telemetry {
namespace {

TEST(TelemetryReadTest, ReadsTheDocumentedSnapshot) {
  const std::string json = R"({"telemetryVersion":1,"processId":4242,"telemetryAddress":"uds|/tmp/t.sock",
    "engineId":1,"takenAtNs":3031386934678,"channels":[{"engineId":1,"channelNumber":32505,
    "incarnation":1,"kind":"listener","state":"ready","groupId":2,
    "localAddress":"tcp|127.0.0.1|44937","peerAddress":"","messagesSent":18446744073709551615,"bytesSent":0,
    "messagesReceived":9007199254740993,"bytesReceived":0,"sendQueueMessages":3,"sendQueueBytes":48,
    "lastSendNs":0,"lastReceiveNs":0,"closeReason":"peer_disconnected","futureField":true}],
    "groups":[{"groupId":2,"receiveQueueDepth":5}],
    "pool":{"idle":16,"inUse":2,"allocated":18,"poolEmptyEpisodes":1},
    "totals":{"framesWritten":7,"bytesWritten":8,"framesRead":9,"bytesRead":10,
    "messagesReturned":11,"poolEmptyEpisodes":12,"channelsOpened":13,"channelsClosed":14},
    "processName":"app","hostName":"box","processStartedUnixMs":1796000000123,"bodyLimit":4096})";
  EngineSnapshot snapshot;
  SnapshotSource source;
  std::string error;
  ASSERT_TRUE(parseSnapshot(json, snapshot, &error, &source)) << error;
  EXPECT_EQ(snapshot.engineId, 1u);
  EXPECT_EQ(snapshot.takenAtNs, 3031386934678);
  ASSERT_EQ(snapshot.channels.size(), 1u);
  const ChannelInfo& channel = snapshot.channels.front();
  EXPECT_EQ(channel.channelNumber, 32505);
  EXPECT_EQ(channel.kind, ChannelKind::listener);
  EXPECT_EQ(channel.state, ChannelState::ready);
  EXPECT_EQ(channel.localAddress, "tcp|127.0.0.1|44937");
  EXPECT_EQ(channel.messagesSent, std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(channel.messagesReceived, 9007199254740993u);  // 2^53 + 1: not a double
  EXPECT_EQ(channel.sendQueueBytes, 48u);
  EXPECT_EQ(channel.closeReason, Status::peer_disconnected);
  ASSERT_EQ(snapshot.groups.size(), 1u);
  EXPECT_EQ(snapshot.groups.front().receiveQueueDepth, 5u);
  EXPECT_EQ(snapshot.pool.inUse, 2u);
  EXPECT_EQ(snapshot.pool.poolEmptyEpisodes, 1u);
  EXPECT_EQ(snapshot.totals.messagesReturned, 11u);
  EXPECT_EQ(snapshot.totals.channelsClosed, 14u);
  EXPECT_EQ(source.process.processId, 4242);
  EXPECT_EQ(source.process.programName, "app");
  EXPECT_EQ(source.process.hostName, "box");
  EXPECT_EQ(source.process.startedUnixMs, 1796000000123);
  EXPECT_EQ(source.telemetryAddress, "uds|/tmp/t.sock");
  EXPECT_EQ(source.bodyLimit, 4096u);
}

TEST(TelemetryReadTest, RefusesWhatIsNotASnapshot) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"{nope", " at byte "},
      {"[]", "not a JSON object"},
      {R"({"engineId":1})", R"("channels")"},
      {R"({"engineId":-1,"channels":[]})", R"("engineId")"},
      {R"({"engineId":1,"channels":[{"channelNumber":1,"incarnation":1,"state":"dancing"}]})",
       R"(channel: missing or invalid member "state")"},
      {R"({"engineId":1,"channels":[{"channelNumber":70000,"incarnation":1,"state":"ready"}]})",
       R"("channelNumber")"},
      {R"({"engineId":1,"channels":[7]})", R"("channelNumber")"},
      {R"({"engineId":1,"channels":[],"groups":[{}]})", R"(group: missing or invalid member "groupId")"},
      {R"({"engineId":1,"channels":[],"pool":{"idle":1.5}})", R"(pool: missing or invalid member "idle")"},
      {R"({"engineId":1,"channels":[],"totals":[]})", R"("totals")"},
  };
  for (const auto& [json, reason] : cases) {
    EngineSnapshot snapshot;
    std::string error;
    EXPECT_FALSE(parseSnapshot(json, snapshot, &error)) << json;
    EXPECT_NE(error.find(reason), std::string::npos) << json << ": " << error;
  }
}

TEST(TelemetryReadTest, ReadsEventLinesAndSkipsUnknownKinds) {
  const std::string lines =
      R"({"kind":"channel_state","engineId":1,"channelNumber":20020,"incarnation":2,"atNs":3030884120011,"state":"closed","status":"connect_failed"})"
      "\n"
      R"({"kind":"teleported","engineId":1,"channelNumber":1,"incarnation":1,"atNs":5})"
      "\n\n"
      R"({"kind":"message_received","engineId":1,"channelNumber":20020,"incarnation":2,"atNs":3030884589108,"opCode":"HelloRequest","status":"success","more":true,"messageId":77,"headersLen":36,"bodyLen":4,"postedNs":0,"writtenNs":0,"readNs":3030884589108,"deliveredNs":3030884589400,"previewHeaders":"a:b\r\n","previewBody":"body"})"
      "\n";
  std::vector<Event> events;
  std::vector<EventPayload> payloads;
  std::string error;
  ASSERT_TRUE(parseEvents(lines, events, &error, &payloads)) << error;
  ASSERT_EQ(events.size(), 2u);
  ASSERT_EQ(payloads.size(), 2u);
  EXPECT_EQ(events[0].kind, EventKind::channelState);
  EXPECT_EQ(events[0].state, ChannelState::closed);
  EXPECT_EQ(events[0].status, Status::connect_failed);
  EXPECT_EQ(events[0].incarnation, 2u);
  const Event& message = events[1];
  EXPECT_EQ(message.kind, EventKind::messageReceived);
  EXPECT_EQ(message.opCode, OpCode::HelloRequest);
  EXPECT_TRUE(message.more);
  EXPECT_EQ(message.messageId, 77u);
  EXPECT_EQ(message.headersLen, 36);
  EXPECT_EQ(message.bodyLen, 4);
  EXPECT_EQ(message.deliveredNs, 3030884589400);
  EXPECT_EQ(message.previewHeadersLen, 5);
  EXPECT_EQ(message.previewBodyLen, 4);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(message.preview.data()), 9), "a:b\r\nbody");
  EXPECT_FALSE(payloads[1].taken);
}

TEST(TelemetryReadTest, RefusesAMalformedEventLine) {
  std::vector<Event> events;
  std::string error;
  EXPECT_FALSE(
      parseEvents("\n"
                  R"({"kind":"message_sent","channelNumber":1,"incarnation":1,"atNs":1,"opCode":"Bogus"})"
                  "\n",
                  events, &error));
  EXPECT_EQ(error, R"(event line 2: event: missing or invalid member "opCode")");
  EXPECT_FALSE(parseEvents("garbage\n", events, &error));
  EXPECT_EQ(error, "event line 1: invalid value at byte 0");
  EXPECT_FALSE(parseEvents("[]\n", events, &error));
  EXPECT_EQ(error, "event line 1: not a JSON object");
  // A kind added after version 1 is skipped, but only when what every event has is valid.
  EXPECT_FALSE(parseEvents(R"({"kind":"teleported","channelNumber":1,"atNs":5})", events, &error));
  EXPECT_EQ(error, R"(event line 1: event: missing or invalid member "incarnation")");
  EXPECT_TRUE(events.empty());
}

TEST(TelemetryReadTest, PayloadsComeBackAsSent) {
  Event received;
  received.kind = EventKind::messageReceived;
  received.channelNumber = 2;
  received.incarnation = 3;
  received.bodyLen = 9;
  std::string lines;
  for (const std::string& body :
       {std::string("\x00\xff\xfe", 3), std::string("fo"), std::string("foobarbaz")}) {
    EventPayload payload{true, "k:v\r\n", body};
    appendEventJsonLine(lines, received, &payload);
  }
  appendEventJsonLine(lines, received);
  std::vector<Event> events;
  std::vector<EventPayload> payloads;
  std::string error;
  ASSERT_TRUE(parseEvents(lines, events, &error, &payloads)) << error;
  ASSERT_EQ(payloads.size(), 4u);
  EXPECT_TRUE(payloads[0].taken);
  EXPECT_EQ(payloads[0].textHeaders, "k:v\r\n");
  EXPECT_EQ(payloads[0].body, std::string("\x00\xff\xfe", 3));
  EXPECT_EQ(payloads[1].body, "fo");
  EXPECT_EQ(payloads[2].body, "foobarbaz");
  EXPECT_FALSE(payloads[3].taken);
  // A body that is not base64 reads as empty; the headers still count.
  const std::optional<JsonValue> bad = JsonValue::parse(R"({"textHeaders":"","bodyBase64":"Zm9v!"})");
  EventPayload payload;
  ASSERT_TRUE(decodePayload(*bad, payload));
  EXPECT_TRUE(payload.taken);
  EXPECT_EQ(payload.body, "");
}

TEST(TelemetryReadTest, ReadsWhatItWrites) {
  EngineSnapshot snapshot;
  snapshot.engineId = 3;
  snapshot.takenAtNs = 99;
  ChannelInfo channel;
  channel.engineId = 3;
  channel.channelNumber = 7;
  channel.incarnation = 12;
  channel.kind = ChannelKind::serverIo;
  channel.state = ChannelState::closing;
  channel.peerAddress = "uds|/tmp/x";
  channel.bytesReceived = std::numeric_limits<std::uint64_t>::max() - 1;
  channel.lastSendNs = std::numeric_limits<std::int64_t>::min();
  channel.closeReason = Status::channel_closed;
  snapshot.channels.push_back(channel);
  snapshot.groups.push_back({5, 6});
  snapshot.pool.allocated = 40;
  snapshot.totals.framesRead = 17;
  EngineSnapshot back;
  std::string error;
  ASSERT_TRUE(parseSnapshot(snapshotToJson(snapshot), back, &error)) << error;
  ASSERT_EQ(back.channels.size(), 1u);
  EXPECT_EQ(back.channels[0].kind, ChannelKind::serverIo);
  EXPECT_EQ(back.channels[0].state, ChannelState::closing);
  EXPECT_EQ(back.channels[0].peerAddress, channel.peerAddress);
  EXPECT_EQ(back.channels[0].bytesReceived, channel.bytesReceived);
  EXPECT_EQ(back.channels[0].lastSendNs, channel.lastSendNs);
  EXPECT_EQ(back.channels[0].closeReason, Status::channel_closed);
  ASSERT_EQ(back.groups.size(), 1u);
  EXPECT_EQ(back.groups[0].receiveQueueDepth, 6u);
  EXPECT_EQ(back.pool.allocated, 40u);
  EXPECT_EQ(back.totals.framesRead, 17u);

  Event sent;
  sent.kind = EventKind::messageSent;
  sent.engineId = 3;
  sent.channelNumber = 7;
  sent.opCode = OpCode::Response;
  sent.messageId = std::numeric_limits<std::uint64_t>::max();
  sent.writtenNs = 1000;
  sent.more = true;
  sent.previewHeadersLen = 5;
  sent.previewBodyLen = 2;
  const std::string preview = "k:v\r\n{}";
  std::copy(preview.begin(), preview.end(), sent.preview.begin());
  std::string line;
  appendEventJsonLine(line, sent);
  std::vector<Event> events;
  ASSERT_TRUE(parseEvents(line, events, &error)) << error;
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].opCode, OpCode::Response);
  EXPECT_EQ(events[0].messageId, sent.messageId);
  EXPECT_EQ(events[0].writtenNs, 1000);
  EXPECT_TRUE(events[0].more);
  EXPECT_EQ(events[0].previewHeadersLen, 5);
  EXPECT_EQ(events[0].previewBodyLen, 2);
  EXPECT_EQ(events[0].preview, sent.preview);
}

}  // namespace
}  // namespace tofu::telemetry
