#include "models/capture_log_model.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "tofu/qt/models/model_roles.h"
#include "tofu/qt/models/traffic_model.h"
#include "tofu/telemetry/codec.h"

#include "models/time_format.h"
#include "telemetry_json.h"

namespace tofu::monitor {
namespace {

using tofu::qt::TrafficRecord;

constexpr int kCachedLines = 8;

// The log rows of one `events` line: its message events, in order (both when indexing and
// when paging, so row numbers agree).
QList<TrafficRecord> logRecords(const QList<Event>& events) {
  QList<TrafficRecord> records;
  TrafficRecord record;
  for (const Event& event : events) {
    if (TrafficRecord::fromEvent(event, record)) {
      records.append(record);
    }
  }
  return records;
}

}  // namespace

CaptureLogModel::CaptureLogModel(const QString& path, QObject* parent) : QAbstractTableModel(parent), file_(path) {}

void CaptureLogModel::addLine(qint64 offset, const QList<Event>& events,
                              const QHash<std::uint64_t, std::uint64_t>& recordedToCapture) {
  const QList<TrafficRecord> records = logRecords(events);
  if (records.isEmpty()) {
    return;
  }
  Line line{offset, static_cast<qint64>(rowTimes_.size()), {}};
  for (auto it = recordedToCapture.cbegin(); it != recordedToCapture.cend(); ++it) {
    line.engines.emplace_back(it.key(), it.value());
  }
  lineEngine_.push_back(captureEngineId(line, records.front().engineId));
  lines_.push_back(std::move(line));
  for (const TrafficRecord& record : records) {
    rowTimes_.push_back(record.atNs);
  }
}

void CaptureLogModel::setEngineName(std::uint64_t captureEngineId, const QString& name) {
  names_.insert(captureEngineId, name);
}

void CaptureLogModel::setClockOffset(std::uint64_t captureEngineId, std::int64_t wallMinusMonotonicNs) {
  offsets_.insert(captureEngineId, wallMinusMonotonicNs);
}

void CaptureLogModel::finish() {
  beginResetModel();
  for (std::size_t line = 0; line < lines_.size(); ++line) {
    const auto end = line + 1 < lines_.size() ? lines_[line + 1].firstRow : static_cast<qint64>(rowTimes_.size());
    const std::int64_t offset = offsets_.value(lineEngine_[line], 0);
    for (auto row = lines_[line].firstRow; row < end; ++row) {
      rowTimes_[static_cast<std::size_t>(row)] += offset;
    }
  }
  // Rows beyond what a view can address are not shown (2^31 - 1 rows).
  shownRows_ = static_cast<int>(std::min<std::size_t>(rowTimes_.size(), std::numeric_limits<int>::max()));
  order_.resize(static_cast<std::size_t>(shownRows_));
  for (std::size_t row = 0; row < order_.size(); ++row) {
    order_[row] = static_cast<std::uint32_t>(row);
  }
  std::stable_sort(order_.begin(), order_.end(),
                   [this](std::uint32_t a, std::uint32_t b) { return rowTimes_[a] < rowTimes_[b]; });
  endResetModel();
}

std::uint64_t CaptureLogModel::captureEngineId(const Line& line, std::uint64_t recordedId) const {
  for (const auto& [recorded, capture] : line.engines) {
    if (recorded == recordedId) {
      return capture;
    }
  }
  return recordedId;
}

const QList<TrafficRecord>& CaptureLogModel::decoded(std::size_t line) const {
  for (qsizetype i = 0; i < cache_.size(); ++i) {
    if (cache_[i].line == line) {
      cache_.move(i, 0);
      return cache_.front().records;
    }
  }
  QList<Event> events;
  if ((file_.isOpen() || file_.open(QIODevice::ReadOnly)) && file_.seek(lines_[line].offset)) {
    const QByteArray text = file_.readLine();
    const std::optional<telemetry::JsonValue> object = telemetry::JsonValue::parse(bytesView(text));
    const telemetry::JsonValue* array = object ? object->find("events") : nullptr;
    for (std::size_t i = 0; array != nullptr && i < array->items().size(); ++i) {
      Event event;
      if (telemetry::decodeEvent(array->items()[i], event, nullptr)) {
        events.append(event);
      }
    }
  }
  QList<TrafficRecord> records = logRecords(events);
  for (TrafficRecord& record : records) {
    const std::uint64_t id = captureEngineId(lines_[line], record.engineId);
    record.engineId = engineIdMap_ ? engineIdMap_(id) : id;
    labels_.insert(record.engineId, names_.value(id));
  }
  if (cache_.size() == kCachedLines) {
    cache_.removeLast();
  }
  cache_.prepend({line, std::move(records)});
  return cache_.front().records;
}

TrafficRecord CaptureLogModel::recordAt(int row) const {
  const qint64 fileRow = order_.at(static_cast<std::size_t>(row));
  const auto after = std::upper_bound(lines_.begin(), lines_.end(), fileRow,
                                      [](qint64 value, const Line& line) { return value < line.firstRow; });
  const auto line = static_cast<std::size_t>(std::distance(lines_.begin(), after) - 1);
  const QList<TrafficRecord>& records = decoded(line);
  const qint64 index = fileRow - lines_[line].firstRow;
  // The file changed under us (a line no longer decodes as indexed): an empty row, not a crash.
  return index < records.size() ? records[index] : TrafficRecord{};
}

int CaptureLogModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : shownRows_; }

int CaptureLogModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(tofu::qt::TrafficColumn::count);
}

QVariant CaptureLogModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount() || index.column() >= columnCount()) {
    return {};
  }
  // Time order needs no decoding.
  if (role == kWallNsRole) {
    return QVariant::fromValue(rowTimes_[order_[static_cast<std::size_t>(index.row())]]);
  }
  const TrafficRecord record = recordAt(index.row());
  return tofu::qt::TrafficModel::recordData(record, index.column(), role, labels_.value(record.engineId));
}

QVariant CaptureLogModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
    return QAbstractTableModel::headerData(section, orientation, role);
  }
  return tofu::qt::TrafficModel::columnTitle(section);
}

}  // namespace tofu::monitor
