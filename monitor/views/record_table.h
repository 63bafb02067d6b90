// makeRecordTable: the monitor's tables of records (channels, traffic log): whole rows
// selected one at a time, fixed row heights so a long table stays virtual (nothing measures
// rows off screen), the last column stretched. GUI thread.
#pragma once

#include <QString>

class QAbstractItemModel;
class QTableView;
class QWidget;

namespace tofu::monitor {

// A QTableView named `objectName` showing `model`, rows `rowPadding` pixels taller than the
// font and columns `columnWidth` pixels wide by default.
QTableView* makeRecordTable(const QString& objectName, QAbstractItemModel* model, int rowPadding, int columnWidth,
                            QWidget* parent);

}  // namespace tofu::monitor
