#include "record_table.h"

#include <QHeaderView>
#include <QTableView>

namespace tofu::monitor {

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
  return table;
}

}  // namespace tofu::monitor
