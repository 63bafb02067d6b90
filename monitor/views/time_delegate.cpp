#include "time_delegate.h"

#include <QAbstractItemView>
#include <QHelpEvent>
#include <QTableView>
#include <QToolTip>

#include "models/time_format.h"
#include "tofu/qt/models/model_roles.h"

namespace tofu::monitor {

TimeDelegate::TimeDelegate(const TimeFormat& format, QObject* parent) : QStyledItemDelegate(parent), format_(format) {}

void TimeDelegate::install(QTableView& table, int column, const TimeFormat& format) {
  table.setItemDelegateForColumn(column, new TimeDelegate(format, &table));
  QObject::connect(&format, &TimeFormat::changed, table.viewport(), qOverload<>(&QWidget::update));
}

std::optional<std::int64_t> TimeDelegate::wallNs(const QModelIndex& index) const {
  const auto monotonicNs = index.data(tofu::qt::SortRole).value<std::int64_t>();
  if (monotonicNs == 0) return std::nullopt;  // never
  return format_.toWallNs(index.data(tofu::qt::EngineIdRole).value<std::uint64_t>(), monotonicNs);
}

void TimeDelegate::initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const {
  QStyledItemDelegate::initStyleOption(option, index);
  const auto at = wallNs(index);
  if (!at) return;
  option->text = format_.mode() == TimeMode::absolute ? TimeFormat::formatAbsolute(*at, format_.timeZone())
                                                      : TimeFormat::formatSeconds(*at - format_.firstEventNs().value_or(*at), false);
}

bool TimeDelegate::helpEvent(QHelpEvent* event, QAbstractItemView* view, const QStyleOptionViewItem& option,
                             const QModelIndex& index) {
  if (event->type() == QEvent::ToolTip) {
    if (const auto at = wallNs(index)) {
      QToolTip::showText(event->globalPos(), format_.formatFull(*at), view);
      return true;
    }
  }
  return QStyledItemDelegate::helpEvent(event, view, option, index);
}

}  // namespace tofu::monitor
