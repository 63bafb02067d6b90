#include "sources/log_export.h"

#include <QFile>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>

#include <array>

#include "tofu/qt/models/model_roles.h"
#include "tofu/qt/models/traffic_model.h"
#include "tofu/wire_format.h"

#include "models/content_store.h"
#include "models/time_format.h"
#include "sources/capture.h"
#include "sources/pcapng_writer.h"

namespace tofu::monitor {
namespace {

using tofu::qt::TrafficColumn;
using tofu::qt::TrafficRecord;

constexpr int kFirstShownColumn = static_cast<int>(TrafficColumn::engine);  // time is written as wall clock

struct Row {
  TrafficRecord record;  // whole when the store has it
  std::int64_t wallNs = 0;
};

Row rowAt(const QAbstractItemModel& model, int row, const ExportContext& context) {
  Row out{model.index(row, 0).data(tofu::qt::RecordRole).value<TrafficRecord>(), 0};
  if (!out.record.contentComplete && context.content != nullptr) {
    if (auto whole = context.content->find(out.record)) out.record = *whole;
  }
  out.wallNs = context.time->toWallNs(out.record.engineId, out.record.atNs);
  return out;
}

// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
QString csvField(const QString& text) {
  if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"')) && !text.contains(QLatin1Char('\n')) &&
      !text.contains(QLatin1Char('\r'))) {
    return text;
  }
  return QLatin1Char('"') + QString(text).replace(QLatin1String("\""), QLatin1String("\"\"")) + QLatin1Char('"');
}

void writeCsv(const QAbstractItemModel& model, QFile& file, const ExportContext& context) {
  QStringList fields{QStringLiteral("time"), QStringLiteral("wallNs")};
  for (int column = kFirstShownColumn; column < static_cast<int>(TrafficColumn::count); ++column) {
    fields << tofu::qt::TrafficModel::columnTitle(column);
  }
  file.write(fields.join(QLatin1Char(',')).toUtf8() + "\r\n");
  for (int row = 0; row < model.rowCount(); ++row) {
    const Row each = rowAt(model, row, context);
    fields = {context.time->formatFull(each.wallNs), QString::number(each.wallNs)};
    for (int column = kFirstShownColumn; column < static_cast<int>(TrafficColumn::count); ++column) {
      fields << csvField(model.index(row, column).data().toString());
    }
    file.write(fields.join(QLatin1Char(',')).toUtf8() + "\r\n");
  }
}

// A JSON array, one message a line: the capture's content record (docs/capture-format.md)
// plus the wall-clock time and the engine's name.
void writeJson(const QAbstractItemModel& model, QFile& file, const ExportContext& context) {
  file.write("[");
  for (int row = 0; row < model.rowCount(); ++row) {
    const Row each = rowAt(model, row, context);
    QJsonObject object = recordToJson(each.record);
    object.insert(QStringLiteral("wallNs"), static_cast<qint64>(each.wallNs));
    object.insert(QStringLiteral("time"), context.time->formatFull(each.wallNs));
    object.insert(QStringLiteral("engine"), model.index(row, static_cast<int>(TrafficColumn::engine)).data().toString());
    file.write(row == 0 ? "\n" : ",\n");
    file.write(QJsonDocument(object).toJson(QJsonDocument::Compact));
  }
  file.write("\n]\n");
}

// The frame as it travelled: binary header, then as much of the text headers and body as the
// row holds (a preview-only row is a packet cut short, as a snapshot length would cut it).
QByteArray wireFrame(const TrafficRecord& record) {
  BinaryHeader header = record.header;
  header.channelNumber = record.channelNumber;
  std::array<std::uint8_t, kBinaryHeaderSize> bytes{};
  encodeBinaryHeader(header, bytes);
  QByteArray frame(reinterpret_cast<const char*>(bytes.data()), static_cast<qsizetype>(bytes.size()));
  frame.append(record.textHeaders);
  if (record.textHeaders.size() == header.textHeadersLen) frame.append(record.body);
  return frame;
}

void writePcapng(const QAbstractItemModel& model, PcapngWriter& writer, const ExportContext& context) {
  QHash<QString, std::uint32_t> interfaces;  // one per engine, named after it
  for (int row = 0; row < model.rowCount(); ++row) {
    const Row each = rowAt(model, row, context);
    const QString engine = model.index(row, static_cast<int>(TrafficColumn::engine)).data().toString();
    auto it = interfaces.find(engine);
    if (it == interfaces.end()) it = interfaces.insert(engine, writer.addInterface(PcapngWriter::kLinkTypeUser0, engine));
    const TrafficRecord& record = each.record;
    const auto length = static_cast<std::uint32_t>(kBinaryHeaderSize + record.header.textHeadersLen + record.header.bodyLen);
    const auto direction = record.direction == tofu::qt::Direction::received ? PcapngWriter::Direction::inbound
                                                                              : PcapngWriter::Direction::outbound;
    writer.addPacket(*it, each.wallNs, wireFrame(record), length, direction,
                     QStringLiteral("%1, incarnation %2").arg(tofu::qt::toQString(record.direction)).arg(record.incarnation));
  }
}

}  // namespace

bool exportLog(const QAbstractItemModel& model, ExportFormat format, const QString& path, const ExportContext& context,
               QString* error) {
  if (format == ExportFormat::pcapng) {
    PcapngWriter writer;
    if (!writer.open(path, error)) return false;
    writePcapng(model, writer, context);
    return writer.close(error);
  }
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
    if (error != nullptr) *error = QStringLiteral("cannot create %1: %2").arg(path, file.errorString());
    return false;
  }
  if (format == ExportFormat::csv) {
    writeCsv(model, file, context);
  } else {
    writeJson(model, file, context);
  }
  const bool ok = file.error() == QFileDevice::NoError;
  if (!ok && error != nullptr) *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
  return ok;
}

}  // namespace tofu::monitor
