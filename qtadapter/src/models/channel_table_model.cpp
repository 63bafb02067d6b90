#include "tofu/qt/models/channel_table_model.h"

#include <QSet>

#include <algorithm>

#include "tofu/qt/status.h"

#include "model_format.h"

namespace tofu::qt {
namespace {

constexpr int kDefaultIntervalMs = 100;

using RowKey = QPair<std::uint64_t, std::uint64_t>;  // engine id, incarnation (unique per engine)

RowKey keyOf(const ChannelInfo& info) { return {info.engineId, info.incarnation}; }

QVariant sortValue(const ChannelInfo& info, ChannelColumn column) {
  switch (column) {
    case ChannelColumn::engine: return QVariant::fromValue(info.engineId);
    case ChannelColumn::channel: return info.channelNumber;
    case ChannelColumn::incarnation: return QVariant::fromValue(info.incarnation);
    case ChannelColumn::kind: return static_cast<int>(info.kind);
    case ChannelColumn::state: return static_cast<int>(info.state);
    case ChannelColumn::group: return QVariant::fromValue(info.groupId);
    case ChannelColumn::localAddress: return QString::fromStdString(info.localAddress);
    case ChannelColumn::peerAddress: return QString::fromStdString(info.peerAddress);
    case ChannelColumn::messagesIn: return QVariant::fromValue(info.messagesReceived);
    case ChannelColumn::bytesIn: return QVariant::fromValue(info.bytesReceived);
    case ChannelColumn::messagesOut: return QVariant::fromValue(info.messagesSent);
    case ChannelColumn::bytesOut: return QVariant::fromValue(info.bytesSent);
    case ChannelColumn::sendQueue: return QVariant::fromValue(info.sendQueueMessages);
    case ChannelColumn::lastActivity: return QVariant::fromValue(std::max(info.lastSendNs, info.lastReceiveNs));
    case ChannelColumn::closeReason: return static_cast<int>(info.closeReason);
    case ChannelColumn::count: break;
  }
  return {};
}

bool isTextColumn(ChannelColumn column) {
  switch (column) {
    case ChannelColumn::engine:
    case ChannelColumn::kind:
    case ChannelColumn::state:
    case ChannelColumn::localAddress:
    case ChannelColumn::peerAddress:
    case ChannelColumn::closeReason:
      return true;
    default:
      return false;
  }
}

}  // namespace

ChannelTableModel::ChannelTableModel(QObject* parent) : QAbstractTableModel(parent) {
  qRegisterMetaType<ChannelInfo>();
  tick_.setSingleShot(true);
  tick_.setInterval(kDefaultIntervalMs);
  connect(&tick_, &QTimer::timeout, this, &ChannelTableModel::flush);
}

void ChannelTableModel::setMaxRows(int rows) {
  maxRows_ = std::max(rows, 1);
  scheduleTick();
}

void ChannelTableModel::setUpdateIntervalMs(int ms) { tick_.setInterval(std::max(ms, 0)); }

void ChannelTableModel::setEngineName(std::uint64_t engineId, const QString& name) {
  engineNames_.insert(engineId, name);
  if (!rows_.empty()) {
    emit dataChanged(index(0, static_cast<int>(ChannelColumn::engine)),
                     index(rowCount() - 1, static_cast<int>(ChannelColumn::engine)), {Qt::DisplayRole});
  }
}

void ChannelTableModel::applySnapshot(const EngineSnapshot& snapshot) {
  pendingRemovals_.removeAll(snapshot.engineId);
  pendingSnapshots_.insert(snapshot.engineId, snapshot);
  scheduleTick();
}

void ChannelTableModel::removeEngine(std::uint64_t engineId) {
  pendingSnapshots_.remove(engineId);
  if (!pendingRemovals_.contains(engineId)) {
    pendingRemovals_.append(engineId);
  }
  scheduleTick();
}

void ChannelTableModel::markEngineLost(std::uint64_t engineId) {
  if (lostEngines_.contains(engineId)) {
    return;
  }
  lostEngines_.insert(engineId);
  for (int row = 0; row < rowCount(); ++row) {
    if (rows_[static_cast<std::size_t>(row)].engineId == engineId) {
      emit dataChanged(index(row, 0), index(row, columnCount() - 1));
    }
  }
}

bool ChannelTableModel::isLost(const ChannelInfo& info) const {
  return info.state != ChannelState::closed && lostEngines_.contains(info.engineId);
}

void ChannelTableModel::scheduleTick() {
  if (!tick_.isActive()) {
    tick_.start();
  }
}

void ChannelTableModel::flush() {
  tick_.stop();
  // Rows whose engine went away or whose channel the engine no longer lists.
  QSet<RowKey> listed;
  for (const EngineSnapshot& snapshot : std::as_const(pendingSnapshots_)) {
    for (const ChannelInfo& info : snapshot.channels) {
      listed.insert({snapshot.engineId, info.incarnation});
    }
  }
  std::vector<int> doomed;
  for (int row = 0; row < rowCount(); ++row) {
    const ChannelInfo& info = rows_[static_cast<std::size_t>(row)];
    if (pendingRemovals_.contains(info.engineId) ||
        (pendingSnapshots_.contains(info.engineId) && !listed.contains(keyOf(info)))) {
      doomed.push_back(row);
    }
  }
  removeRowsAt(doomed);

  // Updates in place (one ranged dataChanged), new channels appended (one insert).
  QHash<RowKey, int> rowOf;
  for (int row = 0; row < rowCount(); ++row) {
    rowOf.insert(keyOf(rows_[static_cast<std::size_t>(row)]), row);
  }
  int firstChanged = rowCount();
  int lastChanged = -1;
  std::vector<ChannelInfo> added;
  for (const EngineSnapshot& snapshot : std::as_const(pendingSnapshots_)) {
    for (const ChannelInfo& info : snapshot.channels) {
      const auto found = rowOf.constFind({snapshot.engineId, info.incarnation});
      if (found == rowOf.cend()) {
        added.push_back(info);
        added.back().engineId = snapshot.engineId;
        continue;
      }
      rows_[static_cast<std::size_t>(*found)] = info;
      rows_[static_cast<std::size_t>(*found)].engineId = snapshot.engineId;
      firstChanged = std::min(firstChanged, *found);
      lastChanged = std::max(lastChanged, *found);
    }
  }
  for (const std::uint64_t engineId : pendingSnapshots_.keys() + pendingRemovals_) {
    lostEngines_.remove(engineId);  // it reports again, or is gone
  }
  pendingSnapshots_.clear();
  pendingRemovals_.clear();
  if (lastChanged >= 0) {
    emit dataChanged(index(firstChanged, 0), index(lastChanged, columnCount() - 1));
  }
  if (!added.empty()) {
    const int first = rowCount();
    beginInsertRows({}, first, first + static_cast<int>(added.size()) - 1);
    rows_.insert(rows_.end(), std::make_move_iterator(added.begin()), std::make_move_iterator(added.end()));
    endInsertRows();
  }
  enforceMaxRows();
}

// Past maxRows, the oldest closed rows go first, then the oldest rows of any state.
void ChannelTableModel::enforceMaxRows() {
  int excess = rowCount() - maxRows_;
  if (excess <= 0) {
    return;
  }
  std::vector<int> doomed;
  for (int row = 0; row < rowCount() && static_cast<int>(doomed.size()) < excess; ++row) {
    if (rows_[static_cast<std::size_t>(row)].state == ChannelState::closed) {
      doomed.push_back(row);
    }
  }
  excess -= static_cast<int>(doomed.size());
  for (int row = 0; row < rowCount() && excess > 0; ++row) {
    if (!std::binary_search(doomed.begin(), doomed.end(), row)) {
      doomed.insert(std::upper_bound(doomed.begin(), doomed.end(), row), row);
      --excess;
    }
  }
  removeRowsAt(doomed);
}

// `rows` ascending; removed as contiguous ranges from the back so indexes stay valid.
void ChannelTableModel::removeRowsAt(const std::vector<int>& rows) {
  auto end = rows.rbegin();
  while (end != rows.rend()) {
    const int last = *end;
    int first = last;
    auto next = std::next(end);
    while (next != rows.rend() && *next == first - 1) {
      first = *next;
      ++next;
    }
    beginRemoveRows({}, first, last);
    rows_.erase(rows_.begin() + first, rows_.begin() + last + 1);
    endRemoveRows();
    end = next;
  }
}

const ChannelInfo* ChannelTableModel::channelAt(int row) const {
  return row >= 0 && row < rowCount() ? &rows_[static_cast<std::size_t>(row)] : nullptr;
}

int ChannelTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int ChannelTableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(ChannelColumn::count);
}

QVariant ChannelTableModel::data(const QModelIndex& index, int role) const {
  const ChannelInfo* info = index.isValid() ? channelAt(index.row()) : nullptr;
  if (info == nullptr || index.column() < 0 || index.column() >= columnCount()) {
    return {};
  }
  const auto column = static_cast<ChannelColumn>(index.column());
  switch (role) {
    case Qt::DisplayRole:
      break;
    case Qt::TextAlignmentRole:
      return QVariant::fromValue(isTextColumn(column) ? Qt::Alignment(Qt::AlignLeft | Qt::AlignVCenter)
                                                      : Qt::Alignment(Qt::AlignRight | Qt::AlignVCenter));
    case SortRole: return sortValue(*info, column);
    case EngineIdRole: return QVariant::fromValue(info->engineId);
    case ChannelNumberRole: return info->channelNumber;
    case IncarnationRole: return QVariant::fromValue(info->incarnation);
    case StateRole: return static_cast<int>(info->state);
    case StatusRole: return static_cast<int>(info->closeReason);
    case ChannelInfoRole: return QVariant::fromValue(*info);
    case LostRole: return isLost(*info);
    case Qt::ToolTipRole:
      if (isLost(*info) && (column == ChannelColumn::state || column == ChannelColumn::closeReason)) {
        return tr("The engine stopped reporting (its process ended or the telemetry connection broke); "
                  "last reported state: %1")
            .arg(QString::fromLatin1(toString(info->state)));
      }
      return {};
    default: return {};
  }
  switch (column) {
    case ChannelColumn::engine: return engineLabel(engineNames_, info->engineId);
    case ChannelColumn::kind: return QString::fromLatin1(toString(info->kind));
    case ChannelColumn::state: return isLost(*info) ? tr("lost") : QString::fromLatin1(toString(info->state));
    case ChannelColumn::lastActivity: return formatMonotonic(std::max(info->lastSendNs, info->lastReceiveNs));
    case ChannelColumn::closeReason:
      if (isLost(*info)) {
        return tr("engine lost");
      }
      return info->state == ChannelState::closed ? statusName(info->closeReason) : QString();
    default: return sortValue(*info, column);
  }
}

QVariant ChannelTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  static const char* const kTitles[] = {"Engine", "Channel", "Incarnation", "Kind", "State",
                                        "Group", "Local", "Peer", "Msgs in", "Bytes in",
                                        "Msgs out", "Bytes out", "Send queue", "Last activity", "Close reason"};
  static_assert(std::size(kTitles) == static_cast<std::size_t>(ChannelColumn::count));
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 || section >= columnCount()) {
    return QAbstractTableModel::headerData(section, orientation, role);
  }
  return QString::fromLatin1(kTitles[section]);
}

}  // namespace tofu::qt
