#include "correlation_view.h"

#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>

#include "models/correlation_model.h"
#include "palette.h"
#include "record_table.h"
#include "time_delegate.h"
#include "tofu/qt/models/model_roles.h"

namespace tofu::monitor {

namespace {
constexpr int kSummaryIntervalMs = 1000;
}  // namespace

CorrelationView::CorrelationView(CorrelationModel& model, QWidget* parent) : QWidget(parent), model_(model) {
  setObjectName(QStringLiteral("correlationView"));
  auto* proxy = new QSortFilterProxyModel(this);
  proxy->setSourceModel(&model);
  proxy->setSortRole(tofu::qt::SortRole);
  table_ = new QTableView(this);
  table_->setObjectName(QStringLiteral("correlationTable"));
  table_->setModel(proxy);
  table_->setSortingEnabled(true);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setAlternatingRowColors(true);
  table_->setWordWrap(false);
  table_->verticalHeader()->hide();
  table_->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
  table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 4);
  table_->horizontalHeader()->setDefaultSectionSize(62);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->setColumnWidth(CorrelationModel::engine, 80);
  table_->setColumnWidth(CorrelationModel::state, 84);
  fitHeaderTitles(table_->horizontalHeader());
  addColumnChooser(table_);
  addElidedToolTips(table_);
  summary_ = new QLabel(this);
  summary_->setWordWrap(true);  // a long summary wraps rather than widening the dock
  summary_->setObjectName(QStringLiteral("correlationSummary"));

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(2);
  layout->addWidget(summary_);
  layout->addWidget(table_, 1);
  auto* timer = new QTimer(this);
  connect(timer, &QTimer::timeout, this, &CorrelationView::updateSummary);
  timer->start(kSummaryIntervalMs);
  updateSummary();
}

void CorrelationView::setTimeFormat(const TimeFormat& format) {
  TimeDelegate::install(*table_, CorrelationModel::startedAt, format);
}

void CorrelationView::updateSummary() {
  const QLocale locale;
  QList<std::int64_t> latencies = model_.latencies();
  QString text = tr("%1 outstanding · %2 answered · %3 failed")
                     .arg(locale.toString(model_.outstandingCount()), locale.toString(model_.answeredCount()),
                          locale.toString(model_.failedCount()));
  if (!latencies.isEmpty()) {
    std::sort(latencies.begin(), latencies.end());
    const auto at = [&](double q) { return latencies[static_cast<qsizetype>(q * static_cast<double>(latencies.size() - 1))]; };
    text += tr(" · latency p50 %1 · p99 %2 · max %3").arg(durationText(at(0.5)), durationText(at(0.99)), durationText(latencies.back()));
    // Percentiles come from a window of the newest answers; say so when it is not all of them.
    if (static_cast<quint64>(latencies.size()) < model_.answeredCount())
      text += tr(" (newest %1)").arg(locale.toString(latencies.size()));
  }
  summary_->setText(text);
}

}  // namespace tofu::monitor
