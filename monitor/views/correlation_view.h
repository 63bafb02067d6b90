// CorrelationView: request/response pairs, outstanding requests with their age and streamed
// jobs (CorrelationModel), sortable, with a summary line: outstanding count and latency
// percentiles of the answered ones. GUI thread only.
#pragma once

#include <QWidget>

class QLabel;
class QTableView;

namespace tofu::monitor {

class CorrelationModel;
class TimeFormat;

class CorrelationView : public QWidget {
  Q_OBJECT

 public:
  explicit CorrelationView(CorrelationModel& model, QWidget* parent = nullptr);
  QTableView* table() const noexcept { return table_; }
  // The started column follows `format` (borrowed, the Session's).
  void setTimeFormat(const TimeFormat& format);

 private:
  void updateSummary();

  CorrelationModel& model_;
  QTableView* table_ = nullptr;
  QLabel* summary_ = nullptr;
};

}  // namespace tofu::monitor
