#include "sources/capture.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <cstring>

#include "telemetry_json.h"

namespace tofu::monitor {
namespace {

using tofu::qt::Direction;
using tofu::qt::TrafficRecord;

constexpr const char* kDirections[] = {"sent", "received", "returned"};

template <typename E>
bool enumFromName(const QString& text, int count, E& out) {
  for (int i = 0; i < count; ++i) {
    if (text == QLatin1String(toString(static_cast<E>(i)))) {
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

bool recordFromJson(const QJsonObject& object, TrafficRecord& out, QString* error) {
  out = TrafficRecord{};
  const QString direction = object.value(QLatin1String("direction")).toString();
  int directionIndex = 0;
  while (directionIndex < 3 && direction != QLatin1String(kDirections[directionIndex])) {
    ++directionIndex;
  }
  BinaryHeader& header = out.header;
  const bool known = directionIndex < 3 &&
                     enumFromName(object.value(QLatin1String("opCode")).toString(), kMaxValidOpCode + 1, header.proto.opCode) &&
                     enumFromName(object.value(QLatin1String("origin")).toString(), 2, header.proto.origin) &&
                     enumFromName(object.value(QLatin1String("status")).toString(), kStatusCount, header.status);
  const auto integer = [&object](const char* key) { return object.value(QLatin1String(key)).toInteger(); };
  if (!known || !object.value(QLatin1String("messageId")).isDouble()) {
    if (error != nullptr) {
      *error = QStringLiteral("content record: missing or invalid direction, opCode, origin, status or messageId");
    }
    return false;
  }
  out.atNs = integer("atNs");
  out.engineId = static_cast<std::uint64_t>(integer("engineId"));
  out.channelNumber = static_cast<std::uint16_t>(integer("channelNumber"));
  out.incarnation = static_cast<std::uint64_t>(integer("incarnation"));
  out.direction = static_cast<Direction>(directionIndex);
  header.channelNumber = out.channelNumber;
  header.proto.more = object.value(QLatin1String("more")).toBool();
  header.messageId = static_cast<std::uint64_t>(integer("messageId"));
  header.textHeadersLen = static_cast<std::uint16_t>(integer("headersLen"));
  header.bodyLen = static_cast<std::uint16_t>(integer("bodyLen"));
  out.contentComplete = object.value(QLatin1String("complete")).toBool();
  out.latencyNs = integer("latencyNs");
  out.textHeaders = QByteArray::fromBase64(object.value(QLatin1String("textHeaders")).toString().toLatin1());
  out.body = QByteArray::fromBase64(object.value(QLatin1String("body")).toString().toLatin1());
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

void CaptureWriter::write(const QJsonObject& line) {
  if (!file_.isOpen()) {
    return;
  }
  file_.write(QJsonDocument(line).toJson(QJsonDocument::Compact));
  file_.write("\n", 1);
}

void CaptureWriter::writeSnapshot(const QString& sourceName, const EngineSnapshot& snapshot) {
  write(QJsonObject{{"type", QLatin1String("snapshot")}, {"source", sourceName}, {"snapshot", snapshotToJson(snapshot)}});
}

void CaptureWriter::writeEvents(const QString& sourceName, const QList<Event>& events) {
  QJsonArray array;
  for (const Event& event : events) {
    array.append(eventToJson(event));
  }
  write(QJsonObject{{"type", QLatin1String("events")}, {"source", sourceName}, {"events", array}});
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
        const QJsonObject header = QJsonDocument::fromJson(line).object();
        if (header.value(QLatin1String("format")).toString() != QLatin1String(kCaptureFormat)) {
          why = QStringLiteral("not a tofu-monitor capture");
        } else if (header.value(QLatin1String("version")).toInt() != kCaptureVersion) {
          why = QStringLiteral("unsupported capture version %1").arg(header.value(QLatin1String("version")).toInt());
        }
        if (const qint64 wall = header.value(QLatin1String("startedAtWallNs")).toInteger(); wall != 0) {
          headerClockOffsetNs_ = wall - header.value(QLatin1String("startedAtNs")).toInteger();
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
  QJsonParseError parseError{};
  const QJsonObject object = QJsonDocument::fromJson(line, &parseError).object();
  if (parseError.error != QJsonParseError::NoError) {
    *error = parseError.errorString();
    return false;
  }
  const QString type = object.value(QLatin1String("type")).toString();
  const QString source = object.value(QLatin1String("source")).toString();
  if (type == QLatin1String("snapshot")) {
    EngineSnapshot snapshot;
    if (!snapshotFromJson(object.value(QLatin1String("snapshot")).toObject(), snapshot, error)) {
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
  } else if (type == QLatin1String("events")) {
    QList<Event> events;
    QHash<std::uint64_t, std::uint64_t> engines;  // recorded id -> capture id, for the log's index
    for (const QJsonValue& value : object.value(QLatin1String("events")).toArray()) {
      Event event;
      if (eventFromJson(value.toObject(), event, error)) {
        events.append(event);
      } else if (!error->isEmpty()) {
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
  } else if (type == QLatin1String("content")) {
    QList<TrafficRecord> records;
    for (const QJsonValue& value : object.value(QLatin1String("records")).toArray()) {
      TrafficRecord record;
      if (!recordFromJson(value.toObject(), record, error)) {
        return false;
      }
      record.engineId = engineIdFor(source, record.engineId);
      records.append(record);
    }
    emit contentReady(records);
  } else if (type == QLatin1String("connected")) {
    // A new connection may serve a restarted process: its engines get new ids (incarnations).
    for (auto it = engineIds_.begin(); it != engineIds_.end();) {
      it = it.key().first == source ? engineIds_.erase(it) : std::next(it);
    }
  }  // other types: added after version 1, skipped
  return true;
}

}  // namespace tofu::monitor
