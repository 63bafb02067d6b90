#include "telemetry_json.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

#include <algorithm>
#include <cstring>
#include <limits>

namespace tofu::monitor {
namespace {

// Reads named members of one object; remembers the first member that is required but missing
// or of the wrong type, so a caller checks once at the end.
class FieldReader {
 public:
  explicit FieldReader(const QJsonObject& object) : object_(object) {}

  // Counters may use the full 64-bit range: Qt keeps integers up to INT64_MAX exact and
  // hands bigger ones over as doubles, which are converted with their (small) rounding.
  std::uint64_t u64(const char* key, bool required = false) {
    const QJsonValue value = object_.value(QLatin1String(key));
    if (!value.isDouble()) {
      missing(key, required || !value.isUndefined());
      return 0;
    }
    const double asDouble = value.toDouble();
    if (asDouble < 0) {
      missing(key, true);
      return 0;
    }
    if (asDouble >= 9.2e18) {
      return asDouble >= 1.8446744073709552e19 ? std::numeric_limits<std::uint64_t>::max()
                                                : static_cast<std::uint64_t>(asDouble);
    }
    return static_cast<std::uint64_t>(value.toInteger());
  }
  std::int64_t ns(const char* key, bool required = false) {
    return static_cast<std::int64_t>(std::min<std::uint64_t>(u64(key, required), std::numeric_limits<std::int64_t>::max()));
  }
  template <typename T>
  T narrow(const char* key, bool required = false) {
    const std::uint64_t value = u64(key, required);
    if (value > std::numeric_limits<T>::max()) {
      missing(key, true);
      return 0;
    }
    return static_cast<T>(value);
  }
  QString string(const char* key, bool required = false) {
    const QJsonValue value = object_.value(QLatin1String(key));
    if (!value.isString()) {
      missing(key, required || !value.isUndefined());
    }
    return value.toString();
  }
  bool boolean(const char* key) {
    const QJsonValue value = object_.value(QLatin1String(key));
    if (!value.isBool()) {
      missing(key, !value.isUndefined());
    }
    return value.toBool();
  }
  // An enum member spelled as the engine's toString() spells it, values 0..count-1.
  template <typename E>
  E name(const char* key, int count, bool required = false) {
    const QString text = string(key, required);
    for (int i = 0; i < count; ++i) {
      if (text == QLatin1String(toString(static_cast<E>(i)))) {
        return static_cast<E>(i);
      }
    }
    missing(key, required || !text.isEmpty());
    return E{};
  }
  QJsonArray array(const char* key, bool required = false) {
    const QJsonValue value = object_.value(QLatin1String(key));
    if (!value.isArray()) {
      missing(key, required || !value.isUndefined());
    }
    return value.toArray();
  }
  QJsonObject object(const char* key) {
    const QJsonValue value = object_.value(QLatin1String(key));
    if (!value.isObject()) {
      missing(key, !value.isUndefined());
    }
    return value.toObject();
  }

  bool ok(QString* error, const char* what) const {
    if (!bad_.isEmpty() && error != nullptr) {
      *error = QStringLiteral("%1: missing or invalid member \"%2\"").arg(QLatin1String(what), bad_);
    }
    return bad_.isEmpty();
  }

 private:
  void missing(const char* key, bool isError) {
    if (isError && bad_.isEmpty()) {
      bad_ = QLatin1String(key);
    }
  }

  const QJsonObject object_;  // a copy (shared data): callers pass temporaries
  QString bad_;
};

constexpr int kOpCodes = kMaxValidOpCode + 1;
constexpr int kChannelStates = static_cast<int>(ChannelState::closed) + 1;
constexpr int kChannelKinds = static_cast<int>(ChannelKind::serverIo) + 1;
constexpr int kEventKinds = static_cast<int>(EventKind::messageReceived) + 1;

bool channelFromJson(const QJsonObject& object, ChannelInfo& out, QString* error) {
  FieldReader in(object);
  out.engineId = in.u64("engineId");
  out.channelNumber = in.narrow<std::uint16_t>("channelNumber", true);
  out.incarnation = in.u64("incarnation", true);
  out.kind = in.name<ChannelKind>("kind", kChannelKinds);
  out.state = in.name<ChannelState>("state", kChannelStates, true);
  out.groupId = in.u64("groupId");
  out.localAddress = in.string("localAddress").toStdString();
  out.peerAddress = in.string("peerAddress").toStdString();
  out.messagesSent = in.u64("messagesSent");
  out.bytesSent = in.u64("bytesSent");
  out.messagesReceived = in.u64("messagesReceived");
  out.bytesReceived = in.u64("bytesReceived");
  out.sendQueueMessages = in.u64("sendQueueMessages");
  out.sendQueueBytes = in.u64("sendQueueBytes");
  out.lastSendNs = in.ns("lastSendNs");
  out.lastReceiveNs = in.ns("lastReceiveNs");
  out.closeReason = in.name<Status>("closeReason", kStatusCount);
  return in.ok(error, "channel");
}

// Previews may hold any bytes: valid UTF-8 travels as text, anything else byte by byte as
// U+0000..U+00FF (the telemetry rule for bytes that are not UTF-8).
QString previewText(const std::uint8_t* bytes, std::size_t length) {
  const QByteArray raw(reinterpret_cast<const char*>(bytes), static_cast<qsizetype>(length));
  const QString utf8 = QString::fromUtf8(raw);
  return utf8.toUtf8() == raw ? utf8 : QString::fromLatin1(raw);
}

// The reader's side: text back to UTF-8 bytes. Bytes that were not UTF-8 do not come back
// exactly (U+0080..U+00FF are ambiguous); previews are for display only.
std::uint8_t takePreview(const QString& text, std::uint8_t* into, std::size_t room) {
  const QByteArray raw = text.toUtf8();
  const std::size_t length = std::min<std::size_t>(static_cast<std::size_t>(raw.size()), room);
  std::memcpy(into, raw.constData(), length);
  return static_cast<std::uint8_t>(length);
}

}  // namespace

bool snapshotFromJson(const QJsonObject& object, EngineSnapshot& out, QString* error) {
  FieldReader in(object);
  out = EngineSnapshot{};
  out.engineId = in.u64("engineId", true);
  out.takenAtNs = in.ns("takenAtNs");
  out.takenAtWallNs = in.ns("takenAtWallNs");
  const QJsonArray channels = in.array("channels", true);
  const QJsonArray groups = in.array("groups");
  const QJsonObject pool = in.object("pool");
  const QJsonObject totals = in.object("totals");
  if (!in.ok(error, "snapshot")) {
    return false;
  }
  for (const QJsonValue& value : channels) {
    ChannelInfo channel;
    if (!channelFromJson(value.toObject(), channel, error)) {
      return false;
    }
    out.channels.push_back(std::move(channel));
  }
  for (const QJsonValue& value : groups) {
    FieldReader group(value.toObject());
    out.groups.push_back({group.u64("groupId", true), static_cast<std::size_t>(group.u64("receiveQueueDepth"))});
    if (!group.ok(error, "group")) {
      return false;
    }
  }
  FieldReader poolIn(pool);
  out.pool.idle = static_cast<std::size_t>(poolIn.u64("idle"));
  out.pool.inUse = static_cast<std::size_t>(poolIn.u64("inUse"));
  out.pool.allocated = static_cast<std::size_t>(poolIn.u64("allocated"));
  out.pool.poolEmptyEpisodes = poolIn.u64("poolEmptyEpisodes");
  FieldReader totalsIn(totals);
  out.totals = {totalsIn.u64("framesWritten"),     totalsIn.u64("bytesWritten"),      totalsIn.u64("framesRead"),
                totalsIn.u64("bytesRead"),         totalsIn.u64("messagesReturned"),  totalsIn.u64("poolEmptyEpisodes"),
                totalsIn.u64("channelsOpened"),    totalsIn.u64("channelsClosed")};
  return poolIn.ok(error, "pool") && totalsIn.ok(error, "totals");
}

bool eventFromJson(const QJsonObject& object, Event& out, QString* error) {
  FieldReader in(object);
  const QString kind = in.string("kind", true);
  int kindIndex = 0;
  while (kindIndex < kEventKinds && kind != QLatin1String(toString(static_cast<EventKind>(kindIndex)))) {
    ++kindIndex;
  }
  out = Event{};
  out.kind = static_cast<EventKind>(kindIndex);
  out.engineId = in.u64("engineId");
  out.channelNumber = in.narrow<std::uint16_t>("channelNumber", true);
  out.incarnation = in.u64("incarnation", true);
  out.atNs = in.ns("atNs", true);
  if (kindIndex == kEventKinds) {  // a kind added after version 1: skipped, not an error
    (void)in.ok(error, "event");
    return false;
  }
  out.status = in.name<Status>("status", kStatusCount);
  if (out.kind == EventKind::channelState) {
    out.state = in.name<ChannelState>("state", kChannelStates, true);
    return in.ok(error, "event");
  }
  out.opCode = in.name<OpCode>("opCode", kOpCodes, true);
  out.more = in.boolean("more");
  out.messageId = in.u64("messageId");
  out.headersLen = in.narrow<std::uint16_t>("headersLen");
  out.bodyLen = in.narrow<std::uint16_t>("bodyLen");
  out.postedNs = in.ns("postedNs");
  out.writtenNs = in.ns("writtenNs");
  out.readNs = in.ns("readNs");
  out.deliveredNs = in.ns("deliveredNs");
  if (object.contains(QLatin1String("previewHeaders"))) {
    out.previewHeadersLen = takePreview(in.string("previewHeaders"), out.preview.data(), Event::kMaxPreview);
    out.previewBodyLen = takePreview(in.string("previewBody"), out.preview.data() + out.previewHeadersLen,
                                     Event::kMaxPreview - out.previewHeadersLen);
  }
  return in.ok(error, "event");
}

bool parseSnapshot(const QByteArray& json, EngineSnapshot& out, QString* error) {
  QJsonParseError parseError{};
  const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
  if (!document.isObject()) {
    if (error != nullptr) {
      *error = parseError.error != QJsonParseError::NoError ? parseError.errorString()
                                                            : QStringLiteral("snapshot: not a JSON object");
    }
    return false;
  }
  return snapshotFromJson(document.object(), out, error);
}

bool payloadFromJson(const QJsonObject& object, const Event& event, tofu::qt::TrafficRecord& out) {
  const QJsonValue headers = object.value(QLatin1String("textHeaders"));
  if (!headers.isString() || !tofu::qt::TrafficRecord::fromEvent(event, out)) {
    return false;
  }
  out.textHeaders = headers.toString().toUtf8();
  const auto decoded = QByteArray::fromBase64Encoding(object.value(QLatin1String("bodyBase64")).toString().toLatin1(),
                                                      QByteArray::AbortOnBase64DecodingErrors);
  out.body = decoded ? *decoded : QByteArray();
  out.contentComplete = true;
  out.bodyCut = out.body.size() < event.bodyLen;
  return true;
}

bool parseEvents(const QByteArray& jsonLines, QList<Event>& out, QString* error,
                 QList<tofu::qt::TrafficRecord>* content) {
  int lineNumber = 0;
  for (const QByteArray& line : jsonLines.split('\n')) {
    ++lineNumber;
    if (line.trimmed().isEmpty()) {
      continue;
    }
    QJsonParseError parseError{};
    const QJsonDocument document = QJsonDocument::fromJson(line, &parseError);
    QString why;
    Event event;
    if (document.isObject() && eventFromJson(document.object(), event, &why)) {
      out.append(event);
      tofu::qt::TrafficRecord record;
      if (content != nullptr && payloadFromJson(document.object(), event, record)) {
        content->append(std::move(record));
      }
    } else if (!document.isObject() || !why.isEmpty()) {
      if (error != nullptr) {
        *error = QStringLiteral("event line %1: %2")
                     .arg(lineNumber)
                     .arg(why.isEmpty() ? (parseError.error != QJsonParseError::NoError ? parseError.errorString()
                                                                                        : QStringLiteral("not a JSON object"))
                                        : why);
      }
      return false;
    }
  }
  return true;
}

QJsonObject snapshotToJson(const EngineSnapshot& snapshot) {
  QJsonArray channels;
  for (const ChannelInfo& c : snapshot.channels) {
    channels.append(QJsonObject{
        {"engineId", static_cast<qint64>(c.engineId)},
        {"channelNumber", c.channelNumber},
        {"incarnation", static_cast<qint64>(c.incarnation)},
        {"kind", QLatin1String(toString(c.kind))},
        {"state", QLatin1String(toString(c.state))},
        {"groupId", static_cast<qint64>(c.groupId)},
        {"localAddress", QString::fromStdString(c.localAddress)},
        {"peerAddress", QString::fromStdString(c.peerAddress)},
        {"messagesSent", static_cast<qint64>(c.messagesSent)},
        {"bytesSent", static_cast<qint64>(c.bytesSent)},
        {"messagesReceived", static_cast<qint64>(c.messagesReceived)},
        {"bytesReceived", static_cast<qint64>(c.bytesReceived)},
        {"sendQueueMessages", static_cast<qint64>(c.sendQueueMessages)},
        {"sendQueueBytes", static_cast<qint64>(c.sendQueueBytes)},
        {"lastSendNs", static_cast<qint64>(c.lastSendNs)},
        {"lastReceiveNs", static_cast<qint64>(c.lastReceiveNs)},
        {"closeReason", QLatin1String(toString(c.closeReason))},
    });
  }
  QJsonArray groups;
  for (const GroupInfo& g : snapshot.groups) {
    groups.append(QJsonObject{{"groupId", static_cast<qint64>(g.groupId)},
                              {"receiveQueueDepth", static_cast<qint64>(g.receiveQueueDepth)}});
  }
  const PoolInfo& p = snapshot.pool;
  const EngineCounters& t = snapshot.totals;
  return QJsonObject{
      {"telemetryVersion", 1},
      {"engineId", static_cast<qint64>(snapshot.engineId)},
      {"takenAtNs", static_cast<qint64>(snapshot.takenAtNs)},
      {"takenAtWallNs", static_cast<qint64>(snapshot.takenAtWallNs)},
      {"channels", channels},
      {"groups", groups},
      {"pool", QJsonObject{{"idle", static_cast<qint64>(p.idle)},
                           {"inUse", static_cast<qint64>(p.inUse)},
                           {"allocated", static_cast<qint64>(p.allocated)},
                           {"poolEmptyEpisodes", static_cast<qint64>(p.poolEmptyEpisodes)}}},
      {"totals", QJsonObject{{"framesWritten", static_cast<qint64>(t.framesWritten)},
                             {"bytesWritten", static_cast<qint64>(t.bytesWritten)},
                             {"framesRead", static_cast<qint64>(t.framesRead)},
                             {"bytesRead", static_cast<qint64>(t.bytesRead)},
                             {"messagesReturned", static_cast<qint64>(t.messagesReturned)},
                             {"poolEmptyEpisodes", static_cast<qint64>(t.poolEmptyEpisodes)},
                             {"channelsOpened", static_cast<qint64>(t.channelsOpened)},
                             {"channelsClosed", static_cast<qint64>(t.channelsClosed)}}},
  };
}

QJsonObject eventToJson(const Event& event) {
  QJsonObject object{
      {"kind", QLatin1String(toString(event.kind))},
      {"engineId", static_cast<qint64>(event.engineId)},
      {"channelNumber", event.channelNumber},
      {"incarnation", static_cast<qint64>(event.incarnation)},
      {"atNs", static_cast<qint64>(event.atNs)},
      {"status", QLatin1String(toString(event.status))},
  };
  if (event.kind == EventKind::channelState) {
    object.insert(QStringLiteral("state"), QLatin1String(toString(event.state)));
    return object;
  }
  object.insert(QStringLiteral("opCode"), QLatin1String(toString(event.opCode)));
  object.insert(QStringLiteral("more"), event.more);
  object.insert(QStringLiteral("messageId"), static_cast<qint64>(event.messageId));
  object.insert(QStringLiteral("headersLen"), event.headersLen);
  object.insert(QStringLiteral("bodyLen"), event.bodyLen);
  object.insert(QStringLiteral("postedNs"), static_cast<qint64>(event.postedNs));
  object.insert(QStringLiteral("writtenNs"), static_cast<qint64>(event.writtenNs));
  object.insert(QStringLiteral("readNs"), static_cast<qint64>(event.readNs));
  object.insert(QStringLiteral("deliveredNs"), static_cast<qint64>(event.deliveredNs));
  if (event.previewHeadersLen + event.previewBodyLen > 0) {
    object.insert(QStringLiteral("previewHeaders"), previewText(event.preview.data(), event.previewHeadersLen));
    object.insert(QStringLiteral("previewBody"),
                  previewText(event.preview.data() + event.previewHeadersLen, event.previewBodyLen));
  }
  return object;
}

}  // namespace tofu::monitor
