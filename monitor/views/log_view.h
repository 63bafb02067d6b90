// LogView: the message log: a virtualised table over the Session's TrafficModel through a
// MessageFilterProxy, a filter bar (opcode, channel, status, origin, text header, body regex,
// search), pause/resume (the model holds what arrives meanwhile, up to its bound) and a
// counter of rows shown, evicted and held. Sorted by wall-clock time across engines (any column
// on a header click), times shown as the Session's TimeFormat says (a choice in the bar). It can
// show another log model in place of the live one (a capture's, paged from its file). Rows are
// coloured by status (StatusColorProxy); selected rows copy as tab-separated text (Ctrl+C) or
// JSON (Ctrl+Shift+C). GUI thread only.
#pragma once

#include <QWidget>

#include "tofu/qt/models/traffic_record.h"

class QAbstractItemModel;
class QAction;
class QComboBox;
class QLabel;
class QLineEdit;
class QTableView;
class QToolButton;

namespace tofu::qt {
class TrafficModel;
}

namespace tofu::monitor {

class ContentStore;
class MessageFilterProxy;
class StatusColorProxy;
class StatusColorRules;
class TimeFormat;

class LogView : public QWidget {
  Q_OBJECT

 public:
  LogView(tofu::qt::TrafficModel& model, const ContentStore& content, QWidget* parent = nullptr);

  QTableView* table() const noexcept { return table_; }
  // The table's model; its rows are the TrafficModel's rows that pass the filter.
  MessageFilterProxy* proxy() const noexcept { return proxy_; }
  void setPaused(bool paused);
  // Borrowed (the Session's); the time column and the time-mode choice follow it, also when
  // its mode is set elsewhere (saved settings).
  void setTimeFormat(TimeFormat* format);
  // Shows `log` (a model with TrafficModel's columns and roles, e.g. a capture's) in place of
  // the live log, until it is destroyed or showLog(nullptr) returns to the live log.
  void showLog(QAbstractItemModel* log);
  // Makes `proxyRow` current (and so shown in the detail view).
  void selectRow(int proxyRow);
  void setStatusColorRules(const StatusColorRules& rules);
  // Puts the keyboard focus in the search box, its text selected.
  void focusSearch();
  // Makes the next (or previous) row with a failure status current, wrapping around; false
  // when no shown row has one.
  bool selectNextFailure(bool forward = true);

  // The selected rows, in table order, over the shown columns in their visual order: a title
  // line and one line per row, cells separated by tabs ...
  QString selectedRowsAsText() const;
  // ... or a JSON array of objects, one per row, keyed by column title in the same order.
  QByteArray selectedRowsAsJson() const;

 protected:
  // Ctrl+C and Ctrl+Shift+C on the table copy rows, not QTableView's one current cell.
  bool eventFilter(QObject* watched, QEvent* event) override;

 signals:
  // The current message, with its whole content when the ContentStore still holds it.
  void recordSelected(const tofu::qt::TrafficRecord& record);

 private:
  QWidget* buildFilterBar();
  void applyCombos();
  void applyChannel(const QString& text);
  void applyBodyPattern(const QString& pattern);
  void onCurrentChanged(const QModelIndex& current);
  void updateCounts();
  void showTimeMode();
  void buildCopyActions();
  QList<int> selectedProxyRows() const;
  QList<int> shownColumns() const;

  tofu::qt::TrafficModel& model_;
  const ContentStore& content_;
  StatusColorProxy* colors_ = nullptr;
  MessageFilterProxy* proxy_ = nullptr;
  QTableView* table_ = nullptr;
  QLineEdit* search_ = nullptr;
  QComboBox* opCode_ = nullptr;
  QLineEdit* channel_ = nullptr;
  QComboBox* status_ = nullptr;
  QComboBox* origin_ = nullptr;
  QLineEdit* header_ = nullptr;
  QLineEdit* body_ = nullptr;
  QToolButton* pause_ = nullptr;
  QToolButton* follow_ = nullptr;
  QLabel* counts_ = nullptr;
  QAction* copyText_ = nullptr;
  QAction* copyJson_ = nullptr;
  QComboBox* timeMode_ = nullptr;
  TimeFormat* timeFormat_ = nullptr;
};

}  // namespace tofu::monitor
