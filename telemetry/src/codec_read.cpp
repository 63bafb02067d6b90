// The reading half of codec.h: each object from its field table (codec_fields.h), over a
// parsed JsonValue, so numbers keep their text and 64-bit counters come back exact.
#include <algorithm>
#include <limits>
#include <optional>
#include <type_traits>

#include "tofu/telemetry/codec.h"

#include "codec_fields.h"

namespace tofu::telemetry {
namespace {

using namespace detail;

// How many values each enum the schema spells has (0..count-1, named by toString).
template <class E>
inline constexpr int kNameCount = 0;
template <>
inline constexpr int kNameCount<ChannelKind> = static_cast<int>(ChannelKind::serverIo) + 1;
template <>
inline constexpr int kNameCount<ChannelState> = static_cast<int>(ChannelState::closed) + 1;
template <>
inline constexpr int kNameCount<EventKind> = static_cast<int>(EventKind::messageReceived) + 1;
template <>
inline constexpr int kNameCount<Status> = kStatusCount;
template <>
inline constexpr int kNameCount<OpCode> = kMaxValidOpCode + 1;

template <class E>
std::optional<E> fromName(std::string_view text) {
  for (int i = 0; i < kNameCount<E>; ++i) {
    if (text == toString(static_cast<E>(i))) return static_cast<E>(i);
  }
  return std::nullopt;
}

// Reads the members of one object; remembers the first one that is required but missing, or
// present with the wrong type or an invalid value, so a caller checks once at the end.
class ObjectReader {
 public:
  explicit ObjectReader(const JsonValue& object) : object_(object) {}

  template <class Owner, class Fields>
  void readAll(Owner& out, const Fields& fields) {
    std::apply([&](const auto&... field) { (read(field.name, out.*field.member, field.required), ...); },
               fields);
  }

  // The member `name` if it has `type`; null otherwise (an error unless absent and optional).
  const JsonValue* member(std::string_view name, JsonValue::Type type, bool required) {
    const JsonValue* value = object_.find(name);
    if (value != nullptr && value->type() == type) return value;
    if (value != nullptr || required) invalid(name);
    return nullptr;
  }

  void read(std::string_view name, std::string& out, bool required) {
    if (const JsonValue* value = member(name, JsonValue::Type::string, required)) out = value->text();
  }
  void read(std::string_view name, bool& out, bool required) {
    if (const JsonValue* value = member(name, JsonValue::Type::boolean, required)) out = value->boolean();
  }
  void read(std::string_view name, std::int64_t& out, bool required) {
    if (const JsonValue* value = member(name, JsonValue::Type::number, required)) {
      if (const std::optional<std::int64_t> number = value->asInt64()) {
        out = *number;
      } else {
        invalid(name);
      }
    }
  }
  template <class T>
  requires std::is_unsigned_v<T>
  void read(std::string_view name, T& out, bool required) {
    if (const JsonValue* value = member(name, JsonValue::Type::number, required)) {
      const std::optional<std::uint64_t> number = value->asUint64();
      if (number && *number <= std::numeric_limits<T>::max()) {
        out = static_cast<T>(*number);
      } else {
        invalid(name);
      }
    }
  }
  template <class E>
  requires std::is_enum_v<E>
  void read(std::string_view name, E& out, bool required) {
    if (const JsonValue* value = member(name, JsonValue::Type::string, required)) {
      if (const std::optional<E> named = fromName<E>(value->text())) {
        out = *named;
      } else {
        invalid(name);
      }
    }
  }

  bool ok(std::string* error, std::string_view what) const {
    if (!bad_.empty() && error != nullptr) {
      *error = std::string(what) + ": missing or invalid member \"" + bad_ + '"';
    }
    return bad_.empty();
  }

 private:
  void invalid(std::string_view name) {
    if (bad_.empty()) bad_ = name;
  }

  const JsonValue& object_;
  std::string bad_;
};

// Reads `object` into `out` by `fields`; false with `error` naming `what` and the member.
template <class Owner, class Fields>
bool readObject(const JsonValue& object, Owner& out, const Fields& fields, std::string* error,
                std::string_view what) {
  ObjectReader in(object);
  in.readAll(out, fields);
  return in.ok(error, what);
}

// Previews come back as the UTF-8 of their text: bytes that were not UTF-8 do not come back
// exactly (they were written as U+0080..U+00FF); previews are for display only.
std::uint8_t takePreview(const std::string& text, std::uint8_t* into, std::size_t room) {
  const std::size_t length = std::min(text.size(), room);
  std::copy_n(text.data(), length, into);
  return static_cast<std::uint8_t>(length);
}

// Standard base64 (RFC 4648) with optional padding; nullopt on any other character.
std::optional<std::string> fromBase64(std::string_view text) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string_view data = text.substr(0, text.find_last_not_of('=') + 1);
  if (text.size() - data.size() > 2 || data.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(data.size() / 4 * 3 + 2);
  std::uint32_t bits = 0;
  int pending = 0;
  for (const char c : data) {
    const std::size_t digit = kAlphabet.find(c);
    if (digit == std::string_view::npos) return std::nullopt;
    bits = bits << 6 | static_cast<std::uint32_t>(digit);
    pending += 6;
    if (pending >= 8) {
      pending -= 8;
      out += static_cast<char>((bits >> pending) & 0xFF);
    }
  }
  return out;
}

}  // namespace

bool decodeSnapshot(const JsonValue& object, EngineSnapshot& out, std::string* error) {
  ObjectReader in(object);
  out = EngineSnapshot{};
  in.readAll(out, kSnapshotFields);
  const JsonValue* channels = in.member(kChannels, JsonValue::Type::array, kRequired);
  const JsonValue* groups = in.member(kGroups, JsonValue::Type::array, false);
  const JsonValue none;
  const JsonValue* pool = in.member(kPool, JsonValue::Type::object, false);
  const JsonValue* totals = in.member(kTotals, JsonValue::Type::object, false);
  if (!in.ok(error, "snapshot")) return false;
  for (const JsonValue& value : channels->items()) {
    if (!readObject(value, out.channels.emplace_back(), kChannelFields, error, "channel")) return false;
  }
  for (const JsonValue& value : groups != nullptr ? groups->items() : none.items()) {
    if (!readObject(value, out.groups.emplace_back(), kGroupFields, error, "group")) return false;
  }
  return readObject(pool != nullptr ? *pool : none, out.pool, kPoolFields, error, "pool") &&
         readObject(totals != nullptr ? *totals : none, out.totals, kTotalsFields, error, "totals");
}

SnapshotSource decodeSource(const JsonValue& object) {
  SnapshotSource source;
  source.process.processId = object.intAt(kProcessId);
  source.process.programName = object.stringAt(kProcessName);
  source.process.hostName = object.stringAt(kHostName);
  source.process.startedUnixMs = object.intAt(kProcessStartedUnixMs);
  source.telemetryAddress = object.stringAt(kTelemetryAddress);
  source.bodyLimit = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(object.uintAt(kBodyLimit), std::numeric_limits<std::uint32_t>::max()));
  return source;
}

bool decodeEvent(const JsonValue& object, Event& out, std::string* error) {
  ObjectReader in(object);
  std::string kindName;
  in.read(kKind, kindName, kRequired);
  out = Event{};
  in.readAll(out, kEventFields);
  const std::optional<EventKind> kind = fromName<EventKind>(kindName);
  if (!kind) {  // a kind added after version 1: skipped, not an error
    (void)in.ok(error, "event");
    return false;
  }
  out.kind = *kind;
  if (out.kind == EventKind::channelState) {
    in.readAll(out, kStateEventFields);
    return in.ok(error, "event");
  }
  in.readAll(out, kMessageEventFields);
  if (object.find(kPreviewHeaders) != nullptr) {
    std::string headers;
    std::string body;
    in.read(kPreviewHeaders, headers, false);
    in.read(kPreviewBody, body, false);
    out.previewHeadersLen = takePreview(headers, out.preview.data(), Event::kMaxPreview);
    out.previewBodyLen = takePreview(body, out.preview.data() + out.previewHeadersLen,
                                     Event::kMaxPreview - out.previewHeadersLen);
  }
  return in.ok(error, "event");
}

bool decodePayload(const JsonValue& object, EventPayload& out) {
  const JsonValue* headers = object.find(kTextHeaders);
  out = EventPayload{};
  if (headers == nullptr || headers->type() != JsonValue::Type::string) return false;
  out.taken = true;
  out.textHeaders = headers->text();
  out.body = fromBase64(object.stringAt(kBodyBase64)).value_or(std::string());
  return true;
}

bool parseSnapshot(std::string_view json, EngineSnapshot& out, std::string* error, SnapshotSource* source) {
  const std::optional<JsonValue> document = JsonValue::parse(json, error);
  if (!document) return false;
  if (!document->isObject()) {
    if (error != nullptr) *error = "snapshot: not a JSON object";
    return false;
  }
  if (source != nullptr) *source = decodeSource(*document);
  return decodeSnapshot(*document, out, error);
}

bool parseEvents(std::string_view jsonLines, std::vector<Event>& out, std::string* error,
                 std::vector<EventPayload>* payloads) {
  int lineNumber = 0;
  for (std::size_t start = 0; start < jsonLines.size();) {
    const std::size_t end = std::min(jsonLines.find('\n', start), jsonLines.size());
    const std::string_view line = jsonLines.substr(start, end - start);
    start = end + 1;
    ++lineNumber;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    std::string why;
    const std::optional<JsonValue> document = JsonValue::parse(line, &why);
    Event event;
    if (document && document->isObject() && decodeEvent(*document, event, &why)) {
      out.push_back(event);
      if (payloads != nullptr) decodePayload(*document, payloads->emplace_back());
    } else if (!document || !document->isObject() || !why.empty()) {
      if (error != nullptr) {
        *error =
            "event line " + std::to_string(lineNumber) + ": " + (why.empty() ? "not a JSON object" : why);
      }
      return false;
    }
  }
  return true;
}

}  // namespace tofu::telemetry
