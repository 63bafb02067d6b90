#include "record_table.h"

#include <QHeaderView>
#include <QHelpEvent>
#include <QMenu>
#include <QTableView>
#include <QToolTip>

#include <utility>

#include "tofu/qt/models/model_roles.h"

namespace tofu::monitor {

namespace {

// Watches a view's viewport for tooltip requests and answers them for cut cells only.
class ElidedToolTips : public QObject {
 public:
  explicit ElidedToolTips(QAbstractItemView* view) : QObject(view), view_(view) {}

  bool eventFilter(QObject* watched, QEvent* event) override {
    if (event->type() != QEvent::ToolTip || watched != view_->viewport()) return false;
    const auto* help = static_cast<QHelpEvent*>(event);
    const QModelIndex index = view_->indexAt(help->pos());
    if (!index.isValid() || index.data(Qt::ToolTipRole).isValid()) return false;  // the model's own tooltip
    const QString text = index.data(Qt::DisplayRole).toString();
    const QRect cell = view_->visualRect(index);
    if (text.isEmpty() || view_->sizeHintForIndex(index).width() <= cell.width()) {
      QToolTip::hideText();
      return true;
    }
    QToolTip::showText(help->globalPos(), text, view_->viewport(), cell);
    return true;
  }

 private:
  QAbstractItemView* view_;
};

// Answers tooltip requests on one column with the description of the row's engine.
class EngineToolTips : public QObject {
 public:
  EngineToolTips(QAbstractItemView* view, int column, std::function<QString(std::uint64_t)> describe)
      : QObject(view), view_(view), column_(column), describe_(std::move(describe)) {}

  bool eventFilter(QObject* watched, QEvent* event) override {
    if (event->type() != QEvent::ToolTip || watched != view_->viewport()) return false;
    const auto* help = static_cast<QHelpEvent*>(event);
    const QModelIndex index = view_->indexAt(help->pos());
    const QVariant engineId = index.data(tofu::qt::EngineIdRole);
    if (index.column() != column_ || !engineId.isValid()) return false;
    const QString text = describe_(engineId.value<std::uint64_t>());
    if (text.isEmpty()) return false;
    QToolTip::showText(help->globalPos(), text, view_->viewport(), view_->visualRect(index));
    return true;
  }

 private:
  QAbstractItemView* view_;
  int column_;
  std::function<QString(std::uint64_t)> describe_;
};

}  // namespace

QTableView* makeRecordTable(const QString& objectName, QAbstractItemModel* model, int rowPadding, int columnWidth,
                            QWidget* parent) {
  auto* table = new QTableView(parent);
  table->setObjectName(objectName);
  table->setModel(model);
  table->setSelectionBehavior(QAbstractItemView::SelectRows);
  table->setSelectionMode(QAbstractItemView::SingleSelection);
  table->setAlternatingRowColors(true);
  table->setWordWrap(false);
  table->verticalHeader()->hide();
  table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
  table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + rowPadding);
  table->horizontalHeader()->setDefaultSectionSize(columnWidth);
  table->horizontalHeader()->setStretchLastSection(true);
  addElidedToolTips(table);
  return table;
}

void addColumnChooser(QTableView* table) {
  QHeaderView* header = table->horizontalHeader();
  header->setContextMenuPolicy(Qt::CustomContextMenu);
  QObject::connect(header, &QWidget::customContextMenuRequested, table, [table, header](const QPoint& at) {
    QMenu menu(table);
    QAbstractItemModel* model = table->model();
    for (int column = 0; column < model->columnCount(); ++column) {
      QAction* action = menu.addAction(model->headerData(column, Qt::Horizontal).toString());
      action->setCheckable(true);
      action->setChecked(!table->isColumnHidden(column));
      QObject::connect(action, &QAction::toggled, table, [table, column](bool shown) { table->setColumnHidden(column, !shown); });
    }
    menu.exec(header->mapToGlobal(at));
  });
}

void addElidedToolTips(QAbstractItemView* view) { view->viewport()->installEventFilter(new ElidedToolTips(view)); }

// Installed after ElidedToolTips, so asked first.
void addEngineToolTips(QAbstractItemView* view, int column, std::function<QString(std::uint64_t)> describe) {
  view->viewport()->installEventFilter(new EngineToolTips(view, column, std::move(describe)));
}

void fitHeaderTitles(QHeaderView* header) {
  for (int section = 0; section < header->count(); ++section)
    if (!header->isSectionHidden(section) && header->sectionSize(section) < header->sectionSizeHint(section))
      header->resizeSection(section, header->sectionSizeHint(section));
}

}  // namespace tofu::monitor
