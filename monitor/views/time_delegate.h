// TimeDelegate: shows a time column of a table whose SortRole is an engine's CLOCK_MONOTONIC
// stamp (and EngineIdRole its engine) as the TimeFormat says: wall clock, or relative to the
// first event (delta mode, meaningless between unrelated rows, shows relative too). The full
// date is in the tooltip. Borrows the TimeFormat. GUI thread only.
#pragma once

#include <QStyledItemDelegate>

#include <cstdint>
#include <optional>

class QTableView;

namespace tofu::monitor {

class TimeFormat;

class TimeDelegate : public QStyledItemDelegate {
  Q_OBJECT

 public:
  TimeDelegate(const TimeFormat& format, QObject* parent = nullptr);
  // Shows `table`'s column `column` through a TimeDelegate, repainted when `format` changes.
  static void install(QTableView& table, int column, const TimeFormat& format);
  bool helpEvent(QHelpEvent* event, QAbstractItemView* view, const QStyleOptionViewItem& option,
                 const QModelIndex& index) override;

 protected:
  void initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const override;

 private:
  std::optional<std::int64_t> wallNs(const QModelIndex& index) const;

  const TimeFormat& format_;
};

}  // namespace tofu::monitor
