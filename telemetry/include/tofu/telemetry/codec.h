// The telemetry JSON (docs/telemetry.md, version 1) to and from the engine's introspection
// values: a snapshot object, event objects (one per line of a JSON Lines batch) with their
// optional payload. The writers give the documented member order; the readers accept members
// in any order, ignore unknown ones, skip events of unknown kinds and keep 64-bit counters
// exact. Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tofu/introspection.h"
#include "tofu/telemetry/json_value.h"
#include "tofu/telemetry/json_writer.h"
#include "tofu/telemetry/schema.h"

namespace tofu::telemetry {

// Writing. Without a `source` the snapshot object carries no process members (what capture
// files embed). With a taken `payload`, an event carries its message's text headers and body.
void writeSnapshot(JsonWriter& json, const EngineSnapshot& snapshot, const SnapshotSource* source = nullptr);
void writeEvent(JsonWriter& json, const Event& event, const EventPayload* payload = nullptr);
// One JSON object on one line, without a trailing newline.
std::string snapshotToJson(const EngineSnapshot& snapshot, const SnapshotSource* source = nullptr);
// Appends one event object and a '\n' (one line of a JSON Lines batch).
void appendEventJsonLine(std::string& out, const Event& event, const EventPayload* payload = nullptr);

// Reading parsed objects. False with `error` naming the first missing or invalid member.
bool decodeSnapshot(const JsonValue& object, EngineSnapshot& out, std::string* error);
// The process members of a snapshot object; missing ones stay at their defaults.
SnapshotSource decodeSource(const JsonValue& object);
// False when `object` is not an event of a known kind; `error` is set only when it is
// malformed (a kind added after version 1 is skipped, not an error).
bool decodeEvent(const JsonValue& object, Event& out, std::string* error);
// The payload members of an event object (textHeaders, bodyBase64); false, and `out` not
// taken, when it carries none. A body that is not valid base64 reads as empty.
bool decodePayload(const JsonValue& object, EventPayload& out);

// Reading text. A snapshot document (and its source, when asked); false with `error` set
// when it is not one.
bool parseSnapshot(std::string_view json, EngineSnapshot& out, std::string* error,
                   SnapshotSource* source = nullptr);
// JSON Lines of events, appended to `out`; blank lines and unknown kinds are skipped; false
// with "event line N: ..." in `error` on a malformed line. With `payloads`, one entry is
// appended per event appended (not taken when the line carries none).
bool parseEvents(std::string_view jsonLines, std::vector<Event>& out, std::string* error,
                 std::vector<EventPayload>* payloads = nullptr);

}  // namespace tofu::telemetry
