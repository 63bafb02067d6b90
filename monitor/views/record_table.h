// makeRecordTable: the monitor's tables of records (channels, traffic log): whole rows
// selected one at a time, fixed row heights so a long table stays virtual (nothing measures
// rows off screen), the last column stretched. And what every table of the monitor gets: a
// header menu choosing the columns, whole text as a tooltip on cut cells, titles never cut.
// GUI thread.
#pragma once

#include <QString>

#include <cstdint>
#include <functional>

class QAbstractItemModel;
class QAbstractItemView;
class QHeaderView;
class QTableView;
class QWidget;

namespace tofu::monitor {

// A QTableView named `objectName` showing `model`, rows `rowPadding` pixels taller than the
// font and columns `columnWidth` pixels wide by default.
QTableView* makeRecordTable(const QString& objectName, QAbstractItemModel* model, int rowPadding, int columnWidth,
                            QWidget* parent);

// A context menu on `table`'s horizontal header with a check box per column (shown or hidden).
void addColumnChooser(QTableView* table);

// A cell whose text the view cuts ("...") shows the whole text as its tooltip; cells with a
// tooltip of their own keep it.
void addElidedToolTips(QAbstractItemView* view);

// A cell of `column` shows, as its tooltip, `describe` of its row's engine (EngineIdRole): the
// whole description of an engine the column names short. Before addElidedToolTips' answer.
void addEngineToolTips(QAbstractItemView* view, int column, std::function<QString(std::uint64_t)> describe);

// Widens every section narrower than its title (and sort indicator), so no title is cut.
void fitHeaderTitles(QHeaderView* header);

}  // namespace tofu::monitor
