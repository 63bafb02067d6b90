// StateDelegate: paints a channel's state (StateRole) as a coloured rounded badge with its
// name, so open, closing and closed channels stand out in a long table; a lost engine's
// channels (LostRole) read "lost" in grey. Stateless.
#pragma once

#include <QStyledItemDelegate>

namespace tofu::monitor {

class StateDelegate : public QStyledItemDelegate {
  Q_OBJECT

 public:
  using QStyledItemDelegate::QStyledItemDelegate;
  void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
  QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};

}  // namespace tofu::monitor
