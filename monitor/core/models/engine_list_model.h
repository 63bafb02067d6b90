// EngineListModel: a tree of sources and, under each, its engines, with the source's state
// (connected, disconnected...) and per-engine pool and queue gauges from the latest snapshot.
// `queued` is the frames waiting to be written plus the messages waiting in receive queues.
// GUI thread only; the sources are borrowed (Session removes them here before deleting them).
#pragma once

#include <QAbstractItemModel>

#include <memory>
#include <vector>

#include "tofu/introspection.h"
#include "sources/source.h"

namespace tofu::monitor {

class EngineListModel : public QAbstractItemModel {
  Q_OBJECT

 public:
  enum Column { name, state, channels, poolIdle, poolInUse, poolAllocated, poolEmptyEpisodes, queued, columnTotal };

  explicit EngineListModel(QObject* parent = nullptr);
  ~EngineListModel() override;

  void addSource(Source* source);
  void removeSource(Source* source);
  void applySnapshot(Source* source, const tofu::EngineSnapshot& snapshot);
  // Drops an engine's row (a source that came back serves a new engine).
  void removeEngine(Source* source, std::uint64_t engineId);
  // The latest snapshot of an engine (for gauges), if any.
  const tofu::EngineSnapshot* latest(std::uint64_t engineId) const;
  // Display names for engines (default: "engine <id>").
  void setEngineName(std::uint64_t engineId, const QString& engineName);

  // The source of a top-level row; null for engine rows.
  Source* sourceAt(const QModelIndex& index) const;

  QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
  QModelIndex parent(const QModelIndex& child) const override;
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

 private:
  // Engine rows point at their SourceNode (internalPointer), which stays put when sibling
  // sources come and go; source rows have a null internal pointer.
  struct SourceNode {
    Source* source = nullptr;
    std::vector<tofu::EngineSnapshot> engines;
  };
  int rowOf(const Source* source) const;
  int rowOf(const SourceNode* node) const;
  QVariant sourceData(const SourceNode& node, int column, int role) const;
  QVariant engineData(const SourceNode& node, const tofu::EngineSnapshot& snapshot, int column, int role) const;

  std::vector<std::unique_ptr<SourceNode>> sources_;
  QHash<std::uint64_t, QString> engineNames_;
};

}  // namespace tofu::monitor
