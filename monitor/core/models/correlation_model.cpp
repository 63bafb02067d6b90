#include "models/correlation_model.h"

#include "tofu/qt/models/model_roles.h"

namespace tofu::monitor {
namespace {

using tofu::qt::Direction;
using tofu::qt::TrafficRecord;

constexpr int kFlushIntervalMs = 100;
constexpr int kAgeIntervalMs = 1000;
constexpr quint64 kFrameHeaderBytes = 16;
constexpr qsizetype kMaxLatencies = 100000;  // the newest answered requests kept for latencies()

QString milliseconds(std::int64_t ns) { return QStringLiteral("%1 ms").arg(static_cast<double>(ns) / 1e6, 0, 'f', 3); }

QString stateName(CorrelationModel::State state) {
  switch (state) {
    case CorrelationModel::State::outstanding:
      return QStringLiteral("outstanding");
    case CorrelationModel::State::answered:
      return QStringLiteral("answered");
    case CorrelationModel::State::failed:
      return QStringLiteral("failed");
    case CorrelationModel::State::unobserved:
      return QStringLiteral("unobserved (source gone)");
  }
  return {};
}

}  // namespace

CorrelationModel::CorrelationModel(QObject* parent) : QAbstractTableModel(parent) {
  flushTimer_.setSingleShot(true);
  flushTimer_.setInterval(kFlushIntervalMs);
  connect(&flushTimer_, &QTimer::timeout, this, &CorrelationModel::flush);
  ageTimer_.setInterval(kAgeIntervalMs);
  connect(&ageTimer_, &QTimer::timeout, this, [this] {
    if (shown_ > 0) {
      emit dataChanged(index(0, latency), index(shown_ - 1, latency), {Qt::DisplayRole, tofu::qt::SortRole});
    }
  });
  ageTimer_.start();
}

void CorrelationModel::setMaxRows(int rows) {
  maxRows_ = qMax(1, rows);
  scheduleFlush();
}

void CorrelationModel::setEngineName(std::uint64_t engineId, const QString& name) { engineNames_.insert(engineId, name); }

void CorrelationModel::addEvents(const QList<Event>& events) {
  for (const Event& event : events) {
    TrafficRecord record;
    if (TrafficRecord::fromEvent(event, record)) {
      addRecord(record);
    } else if (event.state == ChannelState::closed) {
      failChannel(event.engineId, event.channelNumber, event.status, event.atNs);
    }
  }
}

void CorrelationModel::addRecords(const QList<TrafficRecord>& records) {
  for (const TrafficRecord& record : records) {
    addRecord(record);
  }
}

void CorrelationModel::addRecord(const TrafficRecord& record) {
  const OpCode op = record.header.proto.opCode;
  if (typeOf(op) != MessageType::regular) {
    return;
  }
  const bool more = record.header.proto.more;
  const Key request{record.engineId, record.channelNumber, record.header.messageId, false};
  const Key stream{record.engineId, record.channelNumber, record.header.messageId, true};
  if (record.direction == Direction::returned) {
    for (const Key& key : {request, stream}) {
      if (const int row = openRow(key); row >= 0) {
        finish(row, State::failed, record.header.status, record.atNs);
      }
    }
    return;
  }
  if (op == OpCode::Request) {
    const int row = openRow(request);
    if (row < 0) {
      start(request, record);
    } else if (rows_[static_cast<std::size_t>(row)].direction == record.direction) {
      update(row, record);  // a streamed Request
    }
    return;
  }
  if (op == OpCode::Response) {
    const int row = openRow(request);
    if (row >= 0 && rows_[static_cast<std::size_t>(row)].direction != record.direction) {
      update(row, record);
      if (!more) {
        finish(row, State::answered, Status::success, record.atNs);
      }
      return;
    }
  }
  // A Signal, or a Response to no Request seen: a stream job when it comes in frames.
  if (const int row = openRow(stream); row >= 0) {
    update(row, record);
    if (!more) {
      finish(row, State::answered, Status::success, record.atNs);
    }
  } else if (more) {
    start(stream, record);
  }
}

int CorrelationModel::openRow(const Key& key) const {
  const auto it = open_.constFind(key);
  return it == open_.cend() ? -1 : static_cast<int>(*it - firstSerial_);
}

void CorrelationModel::start(const Key& key, const TrafficRecord& record) {
  Row row;
  row.engineId = key.engineId;
  row.channel = key.channel;
  row.messageId = key.messageId;
  row.isStream = key.isStream;
  row.direction = record.direction;
  row.startedNs = record.atNs;
  open_.insert(key, firstSerial_ + rows_.size());
  rows_.push_back(row);
  update(static_cast<int>(rows_.size()) - 1, record);
}

void CorrelationModel::update(int row, const TrafficRecord& record) {
  Row& r = rows_[static_cast<std::size_t>(row)];
  ++r.frames;
  r.bytes += kFrameHeaderBytes + record.header.textHeadersLen + record.header.bodyLen;
  changed(row);
}

void CorrelationModel::finish(int row, State outcome, Status status, std::int64_t atNs) {
  Row& r = rows_[static_cast<std::size_t>(row)];
  r.state = outcome;
  r.status = status;
  r.endedNs = atNs;
  open_.remove(Key{r.engineId, r.channel, r.messageId, r.isStream});
  if (outcome == State::answered) ++answered_;
  if (outcome == State::failed) ++failed_;
  if (outcome == State::answered && !r.isStream) {
    latencies_.append(atNs - r.startedNs);
    if (latencies_.size() > kMaxLatencies) {
      latencies_.removeFirst();
    }
  }
  changed(row);
}

void CorrelationModel::failChannel(std::uint64_t engineId, quint16 channelNumber, Status status, std::int64_t atNs) {
  finishOpen([&](const Key& key) { return key.engineId == engineId && key.channel == channelNumber; }, State::failed,
             status, atNs);
}

void CorrelationModel::forgetEngine(std::uint64_t engineId, std::int64_t atNs) {
  finishOpen([&](const Key& key) { return key.engineId == engineId; }, State::unobserved, Status::success, atNs);
}

void CorrelationModel::finishOpen(const std::function<bool(const Key&)>& matches, State outcome, Status status,
                                  std::int64_t atNs) {
  QList<int> finishing;
  for (auto it = open_.cbegin(); it != open_.cend(); ++it) {
    if (matches(it.key())) {
      finishing.append(static_cast<int>(*it - firstSerial_));
    }
  }
  for (const int row : finishing) {
    finish(row, outcome, status, atNs);
  }
}

int CorrelationModel::rowOf(std::uint64_t engineId, quint16 channelNumber, quint64 id) const {
  for (int row = shown_ - 1; row >= 0; --row) {
    const Row& r = rowAt(row);
    if (r.messageId == id && r.channel == channelNumber && r.engineId == engineId) {
      return row;
    }
  }
  return -1;
}

void CorrelationModel::changed(int row) {
  if (row < shown_) {
    minChanged_ = minChanged_ < 0 ? row : qMin(minChanged_, row);
    maxChanged_ = qMax(maxChanged_, row);
  }
  scheduleFlush();
}

void CorrelationModel::scheduleFlush() {
  if (!flushTimer_.isActive()) {
    flushTimer_.start();
  }
}

void CorrelationModel::flush() {
  flushTimer_.stop();
  if (minChanged_ >= 0) {
    emit dataChanged(index(minChanged_, 0), index(maxChanged_, columnTotal - 1), {Qt::DisplayRole, tofu::qt::SortRole});
    minChanged_ = maxChanged_ = -1;
  }
  const int total = static_cast<int>(rows_.size());
  if (total > shown_) {
    beginInsertRows({}, shown_, total - 1);
    shown_ = total;
    endInsertRows();
  }
  if (total > maxRows_) {
    const int excess = total - maxRows_;
    beginRemoveRows({}, 0, excess - 1);
    for (int i = 0; i < excess; ++i) {
      const Row& row = rows_.front();
      const Key key{row.engineId, row.channel, row.messageId, row.isStream};
      if (open_.value(key, ~quint64{0}) == firstSerial_) {
        open_.remove(key);
      }
      rows_.pop_front();
      ++firstSerial_;
    }
    shown_ -= excess;
    evicted_ += static_cast<quint64>(excess);
    endRemoveRows();
  }
}

void CorrelationModel::clear() {
  beginResetModel();
  rows_.clear();
  open_.clear();
  latencies_.clear();
  answered_ = failed_ = 0;
  firstSerial_ = 0;
  shown_ = 0;
  minChanged_ = maxChanged_ = -1;
  endResetModel();
}

int CorrelationModel::outstandingCount() const { return static_cast<int>(open_.size()); }

QList<std::int64_t> CorrelationModel::latencies() const { return latencies_; }

const CorrelationModel::Row& CorrelationModel::rowAt(int row) const { return rows_[static_cast<std::size_t>(row)]; }

int CorrelationModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : shown_; }

int CorrelationModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : columnTotal; }

QVariant CorrelationModel::display(const Row& row, int column) const {
  switch (column) {
    case engine:
      return engineNames_.value(row.engineId, QString::number(row.engineId));
    case channel:
      return row.channel;
    case messageId:
      return row.messageId;
    case kind:
      return row.isStream ? QStringLiteral("stream") : QStringLiteral("request");
    case state:
      return row.state == State::failed ? QStringLiteral("failed: %1").arg(QLatin1String(toString(row.status)))
                                         : stateName(row.state);
    case frames:
      return row.frames;
    case bytes:
      return row.bytes;
    case startedAt:
      return QString::number(static_cast<double>(row.startedNs) / 1e9, 'f', 3);
    case latency:
      if (row.state == State::unobserved) return QString();
      return row.state == State::outstanding
                 ? QStringLiteral("age %1").arg(milliseconds(monotonicNowNs() - row.startedNs))
                 : milliseconds(row.endedNs - row.startedNs);
    default:
      return {};
  }
}

QVariant CorrelationModel::sortValue(const Row& row, int column) const {
  switch (column) {
    case state:
      return static_cast<int>(row.state);
    case startedAt:
      return static_cast<qint64>(row.startedNs);
    case latency:
      return static_cast<qint64>((row.state == State::outstanding ? monotonicNowNs() : row.endedNs) - row.startedNs);
    default:
      return display(row, column);
  }
}

QVariant CorrelationModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
    return {};
  }
  const Row& row = rowAt(index.row());
  switch (role) {
    case Qt::DisplayRole:
      return display(row, index.column());
    case tofu::qt::SortRole:
      return sortValue(row, index.column());
    case tofu::qt::EngineIdRole:
      return static_cast<qulonglong>(row.engineId);
    case tofu::qt::ChannelNumberRole:
      return row.channel;
    case tofu::qt::StatusRole:
      return static_cast<int>(row.status);
    case tofu::qt::DirectionRole:
      return static_cast<int>(row.direction);
    default:
      return {};
  }
}

QVariant CorrelationModel::headerData(int section, Qt::Orientation orientation, int role) const {
  static const char* const kTitles[] = {"Engine", "Channel", "Id", "Kind", "State", "Frames", "Bytes", "Started", "Latency / age"};
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 || section >= columnTotal) {
    return {};
  }
  return QLatin1String(kTitles[section]);
}

}  // namespace tofu::monitor
