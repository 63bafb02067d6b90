// ChannelTableModel: one row per channel (open and recently closed) of any number of engines,
// with the introspection fields as columns (ChannelColumn). Fed by applySnapshot() (from an
// EngineWatcher, a telemetry client or a test); changes are merged and applied on a timer in
// one batch per tick. Bounded: at most maxRows rows, the oldest closed rows go first. GUI
// thread only.
#pragma once

#include <QAbstractTableModel>
#include <QHash>
#include <QSet>
#include <QTimer>

#include <vector>

#include "tofu/introspection.h"
#include "tofu/qt/models/model_roles.h"

Q_DECLARE_METATYPE(tofu::ChannelInfo)

namespace tofu::qt {

class ChannelTableModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  explicit ChannelTableModel(QObject* parent = nullptr);

  void setMaxRows(int rows);
  int maxRows() const noexcept { return maxRows_; }
  void setUpdateIntervalMs(int ms);
  // A display name for an engine's rows (default: its id).
  void setEngineName(std::uint64_t engineId, const QString& name);

  // The channels of one engine now: rows are added, updated in place, or removed when the
  // snapshot no longer lists them. Applied at the next tick (or flush()).
  void applySnapshot(const EngineSnapshot& snapshot);
  // Drops every row of an engine (at the next tick).
  void removeEngine(std::uint64_t engineId);
  // An engine that stopped reporting (its process ended, its telemetry connection broke): its
  // channels not closed read "lost" instead of their last reported state, until a snapshot of
  // the engine arrives or it is removed. Applied now; never blocks.
  void markEngineLost(std::uint64_t engineId);
  // Applies what is pending now.
  void flush();

  const ChannelInfo* channelAt(int row) const;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

 private:
  void scheduleTick();
  void enforceMaxRows();
  void removeRowsAt(const std::vector<int>& rows);
  bool isLost(const ChannelInfo& info) const;

  std::vector<ChannelInfo> rows_;
  QHash<std::uint64_t, QString> engineNames_;
  QHash<std::uint64_t, EngineSnapshot> pendingSnapshots_;
  QList<std::uint64_t> pendingRemovals_;
  QSet<std::uint64_t> lostEngines_;
  QTimer tick_;
  int maxRows_ = 10000;
};

}  // namespace tofu::qt
