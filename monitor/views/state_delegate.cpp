#include "state_delegate.h"

#include <QApplication>
#include <QPainter>

#include "palette.h"
#include "tofu/qt/models/model_roles.h"

namespace tofu::monitor {

void StateDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const {
  const QVariant raw = index.data(tofu::qt::StateRole);
  if (!raw.isValid()) {
    QStyledItemDelegate::paint(painter, option, index);
    return;
  }
  // The selection background first, so a selected row still reads as selected.
  QStyleOptionViewItem background = option;
  initStyleOption(&background, index);
  background.text.clear();
  QApplication::style()->drawControl(QStyle::CE_ItemViewItem, &background, painter, option.widget);

  const auto state = static_cast<tofu::ChannelState>(raw.toInt());
  const bool lost = index.data(tofu::qt::LostRole).toBool();
  const QString text = lost ? index.data(Qt::DisplayRole).toString() : stateText(state);
  const QFontMetrics metrics(option.font);
  const int width = metrics.horizontalAdvance(text) + 14;
  const QRect badge(option.rect.left() + 4, option.rect.top() + 3, width, option.rect.height() - 6);
  painter->save();
  painter->setRenderHint(QPainter::Antialiasing);
  painter->setPen(Qt::NoPen);
  painter->setBrush(lost ? lostColor() : stateColor(state));
  painter->drawRoundedRect(badge, 6, 6);
  painter->setPen(Qt::white);
  painter->drawText(badge, Qt::AlignCenter, text);
  painter->restore();
}

QSize StateDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const {
  QSize size = QStyledItemDelegate::sizeHint(option, index);
  size.setWidth(QFontMetrics(option.font).horizontalAdvance(QStringLiteral("connecting")) + 24);
  return size;
}

}  // namespace tofu::monitor
