// ChannelView: the channel table (one row per channel of every engine) with a filter box,
// sortable columns, state badges, the close reason next to the state and a header menu to
// show or hide columns. Reads the Session's ChannelTableModel through its own sort/filter
// proxy. GUI thread only.
#pragma once

#include <QWidget>

#include "tofu/introspection.h"

class QLineEdit;
class QSortFilterProxyModel;
class QTableView;

namespace tofu::qt {
class ChannelTableModel;
}

namespace tofu::monitor {

class TimeFormat;

class ChannelView : public QWidget {
  Q_OBJECT

 public:
  explicit ChannelView(tofu::qt::ChannelTableModel& model, QWidget* parent = nullptr);

  QTableView* table() const noexcept { return table_; }
  QSortFilterProxyModel* proxy() const noexcept { return proxy_; }
  // The last-activity column follows `format` (borrowed, the Session's).
  void setTimeFormat(const TimeFormat& format);

 signals:
  // The current row changed, or its channel's fields did.
  void channelSelected(const tofu::ChannelInfo& channel);

 private:
  void onCurrentChanged(const QModelIndex& current);

  QLineEdit* filter_ = nullptr;
  QSortFilterProxyModel* proxy_ = nullptr;
  QTableView* table_ = nullptr;
};

}  // namespace tofu::monitor
