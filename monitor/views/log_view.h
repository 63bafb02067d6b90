// LogView: the message log: a virtualised table over the Session's TrafficModel through a
// MessageFilterProxy, a filter bar (opcode, channel, status, origin, text header, body regex,
// search), pause/resume (the model holds what arrives meanwhile, up to its bound) and a
// counter of rows shown, evicted and held. Sorted by wall-clock time across engines (any column
// on a header click), times shown as the Session's TimeFormat says (a choice in the bar). It can
// show another log model in place of the live one (a capture's, paged from its file). GUI
// thread only.
#pragma once

#include <QWidget>

#include "tofu/qt/traffic_record.h"

class QAbstractItemModel;
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
class TimeFormat;

class LogView : public QWidget {
  Q_OBJECT

 public:
  LogView(tofu::qt::TrafficModel& model, const ContentStore& content, QWidget* parent = nullptr);

  QTableView* table() const noexcept { return table_; }
  MessageFilterProxy* proxy() const noexcept { return proxy_; }
  void setPaused(bool paused);
  // Borrowed (the Session's); the time column and the time-mode choice follow it.
  void setTimeFormat(TimeFormat* format);
  // Shows `log` (a model with TrafficModel's columns and roles, e.g. a capture's) in place of
  // the live log, until it is destroyed or showLog(nullptr) returns to the live log.
  void showLog(QAbstractItemModel* log);
  // Makes `proxyRow` current (and so shown in the detail view).
  void selectRow(int proxyRow);

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

  tofu::qt::TrafficModel& model_;
  const ContentStore& content_;
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
  QComboBox* timeMode_ = nullptr;
  TimeFormat* timeFormat_ = nullptr;
};

}  // namespace tofu::monitor
