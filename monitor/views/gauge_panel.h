// GaugePanel: per-engine gauges painted from the EngineListModel: pool messages in use out of
// allocated, messages waiting in queues, and pool-empty episodes; engines of a disconnected
// source are greyed. Holds no data: it repaints from the model when the model changes.
// GUI thread only.
#pragma once

#include <QWidget>

namespace tofu::monitor {

class EngineListModel;

class GaugePanel : public QWidget {
  Q_OBJECT

 public:
  explicit GaugePanel(EngineListModel& model, QWidget* parent = nullptr);

  // Engines with gauges, as painted (a test reads it).
  int engineCount() const;
  QSize sizeHint() const override;

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  EngineListModel& model_;
};

}  // namespace tofu::monitor
