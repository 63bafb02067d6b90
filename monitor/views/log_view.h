// LogView: the message log: a virtualised table over the Session's TrafficModel through a
// MessageFilterProxy, a filter bar (opcode, channel, status, origin, text header, body regex,
// search), pause/resume (the model holds what arrives meanwhile, up to its bound) and a
// counter of rows shown, evicted and held. GUI thread only.
#pragma once

#include <QWidget>

#include "tofu/qt/traffic_record.h"

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

class LogView : public QWidget {
  Q_OBJECT

 public:
  LogView(tofu::qt::TrafficModel& model, const ContentStore& content, QWidget* parent = nullptr);

  QTableView* table() const noexcept { return table_; }
  MessageFilterProxy* proxy() const noexcept { return proxy_; }
  void setPaused(bool paused);
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
};

}  // namespace tofu::monitor
