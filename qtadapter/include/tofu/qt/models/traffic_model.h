// TrafficModel: a bounded message log (TrafficColumn). Records are queued by append() and
// inserted on a timer with one beginInsertRows per tick; past maxRows the oldest rows are
// removed in one beginRemoveRows and counted in evictedRows(). GUI thread only.
#pragma once

#include <QAbstractTableModel>
#include <QHash>
#include <QTimer>

#include <deque>

#include "tofu/introspection.h"
#include "tofu/qt/models/model_roles.h"
#include "tofu/qt/models/traffic_record.h"

namespace tofu::qt {

class TrafficModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  explicit TrafficModel(QObject* parent = nullptr);

  void setMaxRows(int rows);
  int maxRows() const noexcept { return maxRows_; }
  void setUpdateIntervalMs(int ms);
  void setEngineName(std::uint64_t engineId, const QString& name);

  // While paused, records are kept (up to maxRows, then the oldest pending are evicted and
  // counted) and inserted on resume.
  void setPaused(bool paused);
  bool isPaused() const noexcept { return paused_; }

  void append(const TrafficRecord& record);
  // Message events become records; channelState events are ignored.
  void appendEvents(const QList<tofu::Event>& events);
  void clear();
  void flush();

  quint64 evictedRows() const noexcept { return evicted_; }
  qsizetype pendingRows() const noexcept { return static_cast<qsizetype>(pending_.size()); }
  const TrafficRecord& recordAt(int row) const;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

  // One cell of a message log row (any log model over TrafficRecords shows the same columns);
  // `engineName` is what the engine column shows. Thread-safe (pure).
  static QVariant recordData(const TrafficRecord& record, int column, int role, const QString& engineName);
  static QString columnTitle(int column);

 signals:
  void evictedRowsChanged(quint64 evicted);

 private:
  void trimPending();
  void evictRows(int count);  // the oldest `count` rows, in one removal, counted

  std::deque<TrafficRecord> rows_;
  std::deque<TrafficRecord> pending_;
  QHash<std::uint64_t, QString> engineNames_;
  QTimer tick_;
  int maxRows_ = 100000;
  quint64 evicted_ = 0;
  bool paused_ = false;
};

}  // namespace tofu::qt
