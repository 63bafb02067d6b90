#include "models/engine_list_model.h"

#include <QMetaEnum>

#include "tofu/qt/models/model_roles.h"

namespace tofu::monitor {
namespace {

int openChannels(const EngineSnapshot& snapshot) {
  int open = 0;
  for (const ChannelInfo& channel : snapshot.channels) {
    open += channel.state != ChannelState::closed ? 1 : 0;
  }
  return open;
}

quint64 queuedMessages(const EngineSnapshot& snapshot) {
  quint64 queued = 0;
  for (const ChannelInfo& channel : snapshot.channels) {
    queued += channel.sendQueueMessages;
  }
  for (const GroupInfo& group : snapshot.groups) {
    queued += group.receiveQueueDepth;
  }
  return queued;
}

}  // namespace

EngineListModel::EngineListModel(QObject* parent) : QAbstractItemModel(parent) {}

EngineListModel::~EngineListModel() = default;

void EngineListModel::addSource(Source* source) {
  if (rowOf(source) >= 0) {
    return;
  }
  const int row = static_cast<int>(sources_.size());
  beginInsertRows({}, row, row);
  sources_.push_back(std::make_unique<SourceNode>(SourceNode{source, {}}));
  endInsertRows();
  connect(source, &Source::stateChanged, this, [this, source] {
    const int at = rowOf(source);
    emit dataChanged(index(at, 0), index(at, columnTotal - 1));
    const QModelIndex parent = index(at, 0);
    if (const int engines = rowCount(parent); engines > 0) {  // their "lost" mark
      emit dataChanged(index(0, state, parent), index(engines - 1, state, parent));
    }
  });
}

void EngineListModel::removeSource(Source* source) {
  const int row = rowOf(source);
  if (row < 0) {
    return;
  }
  disconnect(source, nullptr, this, nullptr);
  beginRemoveRows({}, row, row);
  sources_.erase(sources_.begin() + row);
  endRemoveRows();
}

void EngineListModel::applySnapshot(Source* source, const EngineSnapshot& snapshot) {
  const int sourceRow = rowOf(source);
  if (sourceRow < 0) {
    return;
  }
  SourceNode& node = *sources_[static_cast<std::size_t>(sourceRow)];
  const QModelIndex parent = index(sourceRow, 0);
  for (std::size_t i = 0; i < node.engines.size(); ++i) {
    if (node.engines[i].engineId == snapshot.engineId) {
      node.engines[i] = snapshot;
      const int row = static_cast<int>(i);
      emit dataChanged(index(row, 0, parent), index(row, columnTotal - 1, parent));
      return;
    }
  }
  const int row = static_cast<int>(node.engines.size());
  beginInsertRows(parent, row, row);
  node.engines.push_back(snapshot);
  endInsertRows();
}

void EngineListModel::removeEngine(Source* source, std::uint64_t engineId) {
  const int sourceRow = rowOf(source);
  if (sourceRow < 0) {
    return;
  }
  auto& engines = sources_[static_cast<std::size_t>(sourceRow)]->engines;
  for (std::size_t i = 0; i < engines.size(); ++i) {
    if (engines[i].engineId == engineId) {
      beginRemoveRows(index(sourceRow, 0), static_cast<int>(i), static_cast<int>(i));
      engines.erase(engines.begin() + static_cast<std::ptrdiff_t>(i));
      endRemoveRows();
      return;
    }
  }
}

const EngineSnapshot* EngineListModel::latest(std::uint64_t engineId) const {
  for (const auto& node : sources_) {
    for (const EngineSnapshot& snapshot : node->engines) {
      if (snapshot.engineId == engineId) {
        return &snapshot;
      }
    }
  }
  return nullptr;
}

void EngineListModel::setEngineName(std::uint64_t engineId, const QString& engineName) {
  engineNames_.insert(engineId, engineName);
}

Source* EngineListModel::sourceAt(const QModelIndex& index) const {
  if (!index.isValid() || index.internalPointer() != nullptr) {
    return nullptr;
  }
  return sources_[static_cast<std::size_t>(index.row())]->source;
}

int EngineListModel::rowOf(const Source* source) const {
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    if (sources_[i]->source == source) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

int EngineListModel::rowOf(const SourceNode* node) const { return node == nullptr ? -1 : rowOf(node->source); }

QModelIndex EngineListModel::index(int row, int column, const QModelIndex& parent) const {
  if (!hasIndex(row, column, parent)) {
    return {};
  }
  if (!parent.isValid()) {
    return createIndex(row, column, nullptr);
  }
  return createIndex(row, column, sources_[static_cast<std::size_t>(parent.row())].get());
}

QModelIndex EngineListModel::parent(const QModelIndex& child) const {
  const auto* node = static_cast<const SourceNode*>(child.internalPointer());
  const int row = child.isValid() ? rowOf(node) : -1;
  return row < 0 ? QModelIndex{} : createIndex(row, 0, nullptr);
}

int EngineListModel::rowCount(const QModelIndex& parent) const {
  if (!parent.isValid()) {
    return static_cast<int>(sources_.size());
  }
  if (parent.internalPointer() != nullptr || parent.column() != 0) {
    return 0;  // engines have no children
  }
  return static_cast<int>(sources_[static_cast<std::size_t>(parent.row())]->engines.size());
}

int EngineListModel::columnCount(const QModelIndex& /*parent*/) const { return columnTotal; }

QVariant EngineListModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid)) {
    return {};
  }
  const auto* node = static_cast<const SourceNode*>(index.internalPointer());
  if (node == nullptr) {
    return sourceData(*sources_[static_cast<std::size_t>(index.row())], index.column(), role);
  }
  return engineData(*node, node->engines[static_cast<std::size_t>(index.row())], index.column(), role);
}

QVariant EngineListModel::sourceData(const SourceNode& node, int column, int role) const {
  if (role == Qt::ToolTipRole) {
    return node.source->stateReason();
  }
  if (role == tofu::qt::StateRole) {
    return static_cast<int>(node.source->state());
  }
  if (role != Qt::DisplayRole && role != tofu::qt::SortRole) {
    return {};
  }
  switch (column) {
    case name: {
      // Why a source is down goes in the first column's text, not only in a tooltip or in a
      // column the panel may have scrolled away.
      const QString label = QStringLiteral("%1 (%2)").arg(node.source->name(), node.source->kindName());
      const bool down = node.source->state() == Source::State::disconnected;
      return down && !node.source->stateReason().isEmpty() ? label + QStringLiteral(": ") + node.source->stateReason()
                                                           : label;
    }
    case state:
      return QLatin1String(QMetaEnum::fromType<Source::State>().valueToKey(static_cast<int>(node.source->state())));
    default:
      return {};
  }
}

QVariant EngineListModel::engineData(const SourceNode& node, const EngineSnapshot& snapshot, int column, int role) const {
  if (role == tofu::qt::EngineIdRole) {
    return static_cast<qulonglong>(snapshot.engineId);
  }
  if (role != Qt::DisplayRole && role != tofu::qt::SortRole) {
    return {};
  }
  switch (column) {
    case name:
      return engineNames_.value(snapshot.engineId, QStringLiteral("engine %1").arg(snapshot.engineId));
    case state:
      return node.source->state() == Source::State::disconnected ? QStringLiteral("lost") : QString();
    case channels:
      return openChannels(snapshot);
    case poolIdle:
      return static_cast<qulonglong>(snapshot.pool.idle);
    case poolInUse:
      return static_cast<qulonglong>(snapshot.pool.inUse);
    case poolAllocated:
      return static_cast<qulonglong>(snapshot.pool.allocated);
    case poolEmptyEpisodes:
      return static_cast<qulonglong>(snapshot.pool.poolEmptyEpisodes);
    case queued:
      return static_cast<qulonglong>(queuedMessages(snapshot));
    default:
      return {};
  }
}

QVariant EngineListModel::headerData(int section, Qt::Orientation orientation, int role) const {
  static const char* const kTitles[] = {"Name", "State", "Channels", "Pool idle", "Pool in use", "Pool allocated",
                                        "Pool empty", "Queued"};
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 || section >= columnTotal) {
    return {};
  }
  return QLatin1String(kTitles[section]);
}

}  // namespace tofu::monitor
