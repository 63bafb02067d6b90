#include "tofu/qt/models/traffic_model.h"

#include <algorithm>

#include "tofu/qt/status.h"

#include "model_format.h"

namespace tofu::qt {
namespace {

constexpr int kDefaultIntervalMs = 100;

QVariant sortValue(const TrafficRecord& record, TrafficColumn column) {
  switch (column) {
    case TrafficColumn::time: return QVariant::fromValue(record.atNs);
    case TrafficColumn::engine: return QVariant::fromValue(record.engineId);
    case TrafficColumn::channel: return record.channelNumber;
    case TrafficColumn::direction: return static_cast<int>(record.direction);
    case TrafficColumn::opCode: return static_cast<int>(record.header.proto.opCode);
    case TrafficColumn::messageId: return QVariant::fromValue(record.header.messageId);
    case TrafficColumn::status: return static_cast<int>(record.header.status);
    case TrafficColumn::more: return record.header.proto.more;
    case TrafficColumn::headersSize: return record.header.textHeadersLen;
    case TrafficColumn::bodySize: return record.header.bodyLen;
    case TrafficColumn::latency: return QVariant::fromValue(record.latencyNs);
    case TrafficColumn::count: break;
  }
  return {};
}

}  // namespace

TrafficModel::TrafficModel(QObject* parent) : QAbstractTableModel(parent) {
  qRegisterMetaType<TrafficRecord>();
  tick_.setSingleShot(true);
  tick_.setInterval(kDefaultIntervalMs);
  connect(&tick_, &QTimer::timeout, this, &TrafficModel::flush);
}

void TrafficModel::setMaxRows(int rows) {
  maxRows_ = std::max(rows, 1);
  trimPending();
  evictRows(rowCount() - maxRows_);
}

void TrafficModel::setUpdateIntervalMs(int ms) { tick_.setInterval(std::max(ms, 0)); }

// Only the rows of that engine change, and usually there are none yet (a monitor names an
// engine when it first sees it): a dataChanged over every row would have the proxies above
// look at all of them (100,000) for a name no row shows.
void TrafficModel::setEngineName(std::uint64_t engineId, const QString& name) {
  engineNames_.insert(engineId, name);
  const auto ofEngine = [engineId](const TrafficRecord& record) { return record.engineId == engineId; };
  const auto first = std::find_if(rows_.begin(), rows_.end(), ofEngine);
  if (first == rows_.end()) {
    return;
  }
  const auto last = std::find_if(rows_.rbegin(), rows_.rend(), ofEngine);
  const int column = static_cast<int>(TrafficColumn::engine);
  emit dataChanged(index(static_cast<int>(first - rows_.begin()), column),
                   index(static_cast<int>(rows_.rend() - last) - 1, column), {Qt::DisplayRole});
}

void TrafficModel::setPaused(bool paused) {
  paused_ = paused;
  if (!paused_ && !pending_.empty() && !tick_.isActive()) {
    tick_.start();
  }
}

void TrafficModel::append(const TrafficRecord& record) {
  pending_.push_back(record);
  trimPending();
  if (!paused_ && !tick_.isActive()) {
    tick_.start();
  }
}

void TrafficModel::appendEvents(const QList<tofu::Event>& events) {
  TrafficRecord record;
  for (const Event& event : events) {
    if (TrafficRecord::fromEvent(event, record)) {
      append(record);
    }
  }
}

void TrafficModel::clear() {
  beginResetModel();
  rows_.clear();
  pending_.clear();
  endResetModel();
}

void TrafficModel::flush() {
  tick_.stop();
  if (paused_ || pending_.empty()) {
    return;
  }
  // pending_ never holds more than maxRows_; make room for all of it in one removal.
  evictRows(rowCount() + static_cast<int>(pending_.size()) - maxRows_);
  const int first = rowCount();
  beginInsertRows({}, first, first + static_cast<int>(pending_.size()) - 1);
  std::move(pending_.begin(), pending_.end(), std::back_inserter(rows_));
  pending_.clear();
  endInsertRows();
}

// Pending records past maxRows could never all be shown: the oldest are evicted before insertion.
void TrafficModel::trimPending() {
  const auto excess = static_cast<qsizetype>(pending_.size()) - maxRows_;
  if (excess <= 0) {
    return;
  }
  pending_.erase(pending_.begin(), pending_.begin() + excess);
  evicted_ += static_cast<quint64>(excess);
  emit evictedRowsChanged(evicted_);
}

void TrafficModel::evictRows(int count) {
  count = std::min(count, rowCount());
  if (count <= 0) {
    return;
  }
  beginRemoveRows({}, 0, count - 1);
  rows_.erase(rows_.begin(), rows_.begin() + count);
  endRemoveRows();
  evicted_ += static_cast<quint64>(count);
  emit evictedRowsChanged(evicted_);
}

const TrafficRecord& TrafficModel::recordAt(int row) const { return rows_.at(static_cast<std::size_t>(row)); }

int TrafficModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int TrafficModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(TrafficColumn::count);
}

QVariant TrafficModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount() || index.column() >= columnCount()) {
    return {};
  }
  const TrafficRecord& record = recordAt(index.row());
  return recordData(record, index.column(), role,
                    role == Qt::DisplayRole ? engineLabel(engineNames_, record.engineId) : QString());
}

QVariant TrafficModel::recordData(const TrafficRecord& record, int columnIndex, int role, const QString& engineName) {
  const auto column = static_cast<TrafficColumn>(columnIndex);
  switch (role) {
    case Qt::DisplayRole:
      break;
    case SortRole: return sortValue(record, column);
    case EngineIdRole: return QVariant::fromValue(record.engineId);
    case ChannelNumberRole: return record.channelNumber;
    case IncarnationRole: return QVariant::fromValue(record.incarnation);
    case StatusRole: return static_cast<int>(record.header.status);
    case OpCodeRole: return static_cast<int>(record.header.proto.opCode);
    case DirectionRole: return static_cast<int>(record.direction);
    case RecordRole: return QVariant::fromValue(record);
    default: return {};
  }
  switch (column) {
    case TrafficColumn::time: return formatMonotonic(record.atNs);
    case TrafficColumn::engine: return engineName;
    case TrafficColumn::direction: return toQString(record.direction);
    case TrafficColumn::opCode: return QString::fromLatin1(toString(record.header.proto.opCode));
    case TrafficColumn::status: return statusName(record.header.status);
    case TrafficColumn::more: return record.header.proto.more ? QStringLiteral("more") : QString();
    case TrafficColumn::latency: return formatDuration(record.latencyNs);
    default: return sortValue(record, column);
  }
}

QString TrafficModel::columnTitle(int column) {
  static const char* const kTitles[] = {"Time",   "Engine", "Channel", "Direction", "Opcode",  "Id",
                                        "Status", "More",   "Headers", "Body",      "Latency"};
  static_assert(std::size(kTitles) == static_cast<std::size_t>(TrafficColumn::count));
  return column >= 0 && column < static_cast<int>(TrafficColumn::count) ? QString::fromLatin1(kTitles[column]) : QString();
}

QVariant TrafficModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 || section >= columnCount()) {
    return QAbstractTableModel::headerData(section, orientation, role);
  }
  return columnTitle(section);
}

}  // namespace tofu::qt
