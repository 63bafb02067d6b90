#include "sources/capture.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <cstring>
#include <optional>
#include <string>

#include "tofu/telemetry/codec.h"

#include "telemetry_json.h"

namespace tofu::monitor {
namespace {

using tofu::qt::Direction;
using tofu::qt::TrafficRecord;
using tofu::telemetry::JsonValue;

constexpr const char* kDirections[] = {"sent", "received", "returned"};

// Telemetry objects are written by the codec, in a record begun here and ended by the caller.
telemetry::JsonWriter beginRecord(const char* type, const QString& sourceName) {
  const std::string source = sourceName.toStdString();
  telemetry::JsonWriter json;
  json.beginObject().field("type", type).field("source", std::string_view(source));
  return json;
}

template <typename E>
bool enumFromName(std::string_view text, int count, E& out) {
  for (int i = 0; i < count; ++i) {
    if (text == toString(static_cast<E>(i))) {
      out = static_cast<E>(i);
      return true;
    }
  }
  return false;
}

}  // namespace

QJsonObject recordToJson(const TrafficRecord& record) {
  const BinaryHeader& header = record.header;
  return QJsonObject{
      {"atNs", static_cast<qint64>(record.atNs)},
      {"engineId", static_cast<qint64>(record.engineId)},
      {"channelNumber", record.channelNumber},
      {"incarnation", static_cast<qint64>(record.incarnation)},
      {"direction", QLatin1String(kDirections[static_cast<int>(record.direction)])},
      {"opCode", QLatin1String(toString(header.proto.opCode))},
      {"origin", QLatin1String(toString(header.proto.origin))},
      {"status", QLatin1String(toString(header.status))},
      {"more", header.proto.more},
      {"messageId", static_cast<qint64>(header.messageId)},
      {"headersLen", header.textHeadersLen},
      {"bodyLen", header.bodyLen},
      {"complete", record.contentComplete},
      {"latencyNs", static_cast<qint64>(record.latencyNs)},
      {"textHeaders", QString::fromLatin1(record.textHeaders.toBase64())},
      {"body", QString::fromLatin1(record.body.toBase64())},
  };
}

bool recordFromJson(const JsonValue& object, TrafficRecord& out, QString* error) {
  out = TrafficRecord{};
  const std::string direction = object.stringAt("direction");
  int directionIndex = 0;
  while (directionIndex < 3 && direction != kDirections[directionIndex]) {
    ++directionIndex;
  }
  BinaryHeader& header = out.header;
  const JsonValue* messageId = object.find("messageId");
  const bool known = directionIndex < 3 &&
                     enumFromName(object.stringAt("opCode"), kMaxValidOpCode + 1, header.proto.opCode) &&
                     enumFromName(object.stringAt("origin"), 2, header.proto.origin) &&
                     enumFromName(object.stringAt("status"), kStatusCount, header.status);
  if (!known || messageId == nullptr || messageId->type() != JsonValue::Type::number) {
    if (error != nullptr) {
      *error = QStringLiteral("content record: missing or invalid direction, opCode, origin, status or messageId");
    }
    return false;
  }
  const JsonValue* more = object.find("more");
  const JsonValue* complete = object.find("complete");
  out.atNs = object.intAt("atNs");
  out.engineId = object.uintAt("engineId");
  out.channelNumber = static_cast<std::uint16_t>(object.uintAt("channelNumber"));
  out.incarnation = object.uintAt("incarnation");
  out.direction = static_cast<Direction>(directionIndex);
  header.channelNumber = out.channelNumber;
  header.proto.more = more != nullptr && more->boolean();
  header.messageId = object.uintAt("messageId");
  header.textHeadersLen = static_cast<std::uint16_t>(object.uintAt("headersLen"));
  header.bodyLen = static_cast<std::uint16_t>(object.uintAt("bodyLen"));
  out.contentComplete = complete != nullptr && complete->boolean();
  out.latencyNs = object.intAt("latencyNs");
  out.textHeaders = QByteArray::fromBase64(QByteArray::fromStdString(object.stringAt("textHeaders")));
  out.body = QByteArray::fromBase64(QByteArray::fromStdString(object.stringAt("body")));
  out.bodyCut = out.contentComplete && out.body.size() < header.bodyLen;  // a telemetry body limit
  return true;
}

bool CaptureWriter::open(const QString& path, QString* error) {
  close();
  file_.setFileName(path);
  if (!file_.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
    if (error != nullptr) {
      *error = QStringLiteral("cannot create %1: %2").arg(path, file_.errorString());
    }
    return false;
  }
  write(QJsonObject{{"format", QLatin1String(kCaptureFormat)},
                    {"version", kCaptureVersion},
                    {"startedAtNs", static_cast<qint64>(monotonicNowNs())},
                    {"startedAtWallNs", static_cast<qint64>(wallClockNowNs())}});
  return true;
}

void CaptureWriter::write(const QJsonObject& line) { write(QJsonDocument(line).toJson(QJsonDocument::Compact)); }

void CaptureWriter::write(const QByteArray& line) {
  if (!file_.isOpen()) {
    return;
  }
  file_.write(line);
  file_.write("\n", 1);
}

void CaptureWriter::writeSnapshot(const QString& sourceName, const EngineSnapshot& snapshot) {
  telemetry::JsonWriter json = beginRecord("snapshot", sourceName);
  json.key("snapshot");
  telemetry::writeSnapshot(json, snapshot);
  write(QByteArray::fromStdString(json.endObject().take()));
}

void CaptureWriter::writeEvents(const QString& sourceName, const QList<Event>& events) {
  telemetry::JsonWriter json = beginRecord("events", sourceName);
  json.key("events").beginArray();
  for (const Event& event : events) {
    telemetry::writeEvent(json, event);
  }
  write(QByteArray::fromStdString(json.endArray().endObject().take()));
}

void CaptureWriter::writeContent(const QString& sourceName, const QList<TrafficRecord>& records) {
  QJsonArray array;
  for (const TrafficRecord& record : records) {
    array.append(recordToJson(record));
  }
  write(QJsonObject{{"type", QLatin1String("content")}, {"source", sourceName}, {"records", array}});
}

void CaptureWriter::writeConnected(const QString& sourceName) {
  write(QJsonObject{{"type", QLatin1String("connected")}, {"source", sourceName}});
}

void CaptureWriter::close() {
  if (file_.isOpen()) {
    file_.close();
  }
}

CaptureSource::CaptureSource(const QString& path, QObject* parent) : Source(parent), path_(path), log_(path) {}

QString CaptureSource::name() const { return QFileInfo(path_).fileName(); }

QString CaptureSource::kindName() const { return QStringLiteral("capture"); }

QString CaptureSource::engineName(std::uint64_t engineId) const { return engineNames_.value(engineId, name()); }

std::uint64_t CaptureSource::engineIdFor(const QString& sourceName, std::uint64_t recordedId) {
  const QPair<QString, std::uint64_t> key{sourceName, recordedId};
  auto it = engineIds_.find(key);
  if (it == engineIds_.end()) {
    it = engineIds_.insert(key, static_cast<std::uint64_t>(engineNames_.size()) + 1);
    engineNames_.insert(*it, sourceName);
    log_.setEngineName(*it, sourceName);
  }
  return *it;
}

bool CaptureSource::load(QString* error) {
  QFile file(path_);
  QString why;
  int lineNumber = 0;
  bool cut = false;
  if (!file.open(QIODevice::ReadOnly)) {
    why = file.errorString();
  } else {
    // Mapped rather than read line by line: a million-event capture is a few hundred MB.
    const uchar* mapped = file.size() > 0 ? file.map(0, file.size()) : nullptr;
    const QByteArray copy = mapped == nullptr ? file.readAll() : QByteArray();
    const char* contents = mapped != nullptr ? reinterpret_cast<const char*>(mapped) : copy.constData();
    const qint64 size = mapped != nullptr ? file.size() : copy.size();
    for (qint64 offset = 0, end = 0; why.isEmpty() && offset < size; offset = end) {
      const void* newline = std::memchr(contents + offset, '\n', static_cast<std::size_t>(size - offset));
      if (newline == nullptr) {
        cut = lineNumber > 0;  // the recording stopped mid-line: what came before stands
        break;
      }
      end = static_cast<const char*>(newline) - contents + 1;
      const QByteArray line = QByteArray::fromRawData(contents + offset, end - offset);
      ++lineNumber;
      if (lineNumber == 1) {
        const JsonValue header = JsonValue::parse(bytesView(line)).value_or(JsonValue());
        if (header.stringAt("format") != kCaptureFormat) {
          why = QStringLiteral("not a tofu-monitor capture");
        } else if (header.intAt("version") != kCaptureVersion) {
          why = QStringLiteral("unsupported capture version %1").arg(header.intAt("version"));
        }
        if (const std::int64_t wall = header.intAt("startedAtWallNs"); wall != 0) {
          headerClockOffsetNs_ = wall - header.intAt("startedAtNs");
        }
      } else if (!line.trimmed().isEmpty()) {
        (void)readLine(line, offset, &why);
      }
    }
    if (lineNumber == 0) {
      why = QStringLiteral("empty file");
    }
  }
  linesRead_ = lineNumber;
  log_.finish();
  if (!why.isEmpty()) {
    const QString message = lineNumber > 0 ? QStringLiteral("%1:%2: %3").arg(path_).arg(lineNumber).arg(why)
                                           : QStringLiteral("%1: %2").arg(path_, why);
    if (error != nullptr) {
      *error = message;
    }
    setState(State::disconnected, message);
    return false;
  }
  setState(State::offline, cut ? QStringLiteral("%1 lines; the last line was cut and is ignored").arg(lineNumber)
                               : QStringLiteral("%1 lines").arg(lineNumber));
  return true;
}

bool CaptureSource::readLine(const QByteArray& line, qint64 offset, QString* error) {
  std::string why;
  const std::optional<JsonValue> object = JsonValue::parse(bytesView(line), &why);
  if (!object) {
    *error = QString::fromStdString(why);
    return false;
  }
  const std::string type = object->stringAt("type");
  const QString source = QString::fromStdString(object->stringAt("source"));
  const JsonValue none;
  const auto member = [&](const char* name) -> const JsonValue& {
    const JsonValue* value = object->find(name);
    return value != nullptr ? *value : none;
  };
  if (type == "snapshot") {
    EngineSnapshot snapshot;
    if (!telemetry::decodeSnapshot(member("snapshot"), snapshot, &why)) {
      *error = QString::fromStdString(why);
      return false;
    }
    snapshot.engineId = engineIdFor(source, snapshot.engineId);
    if (snapshot.takenAtWallNs == 0 && headerClockOffsetNs_ != 0) {
      snapshot.takenAtWallNs = snapshot.takenAtNs + headerClockOffsetNs_;  // written before engines reported it
    }
    if (snapshot.takenAtWallNs != 0) {
      log_.setClockOffset(snapshot.engineId, snapshot.takenAtWallNs - snapshot.takenAtNs);
    }
    for (ChannelInfo& channel : snapshot.channels) {
      channel.engineId = snapshot.engineId;
    }
    emit snapshotReady(snapshot);
  } else if (type == "events") {
    QList<Event> events;
    QHash<std::uint64_t, std::uint64_t> engines;  // recorded id -> capture id, for the log's index
    for (const JsonValue& value : member("events").items()) {
      Event event;
      if (telemetry::decodeEvent(value, event, &why)) {
        events.append(event);
      } else if (!why.empty()) {
        *error = QString::fromStdString(why);
        return false;
      }
    }
    for (const Event& event : std::as_const(events)) {
      engines.insert(event.engineId, engineIdFor(source, event.engineId));
    }
    log_.addLine(offset, events, engines);
    for (Event& event : events) {
      event.engineId = engines.value(event.engineId);
    }
    emit eventsReady(events);
  } else if (type == "content") {
    QList<TrafficRecord> records;
    for (const JsonValue& value : member("records").items()) {
      TrafficRecord record;
      if (!recordFromJson(value, record, error)) {
        return false;
      }
      record.engineId = engineIdFor(source, record.engineId);
      records.append(record);
    }
    emit contentReady(records);
  } else if (type == "connected") {
    // A new connection may serve a restarted process: its engines get new ids (incarnations).
    for (auto it = engineIds_.begin(); it != engineIds_.end();) {
      it = it.key().first == source ? engineIds_.erase(it) : std::next(it);
    }
  }  // other types: added after version 1, skipped
  return true;
}

}  // namespace tofu::monitor
