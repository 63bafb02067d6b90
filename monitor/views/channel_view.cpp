#include "channel_view.h"

#include <QHeaderView>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

#include "record_table.h"
#include "state_delegate.h"
#include "time_delegate.h"
#include "tofu/qt/models/channel_table_model.h"

namespace tofu::monitor {

using tofu::qt::ChannelColumn;

namespace {
constexpr int col(ChannelColumn column) { return static_cast<int>(column); }
}  // namespace

ChannelView::ChannelView(tofu::qt::ChannelTableModel& model, QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("channelView"));
  filter_ = new QLineEdit(this);
  filter_->setObjectName(QStringLiteral("channelFilter"));
  filter_->setPlaceholderText(tr("Filter channels (any column: address, state, kind, close reason...)"));
  filter_->setClearButtonEnabled(true);

  proxy_ = new QSortFilterProxyModel(this);
  proxy_->setObjectName(QStringLiteral("channelProxy"));
  proxy_->setSourceModel(&model);
  proxy_->setSortRole(tofu::qt::SortRole);
  proxy_->setFilterKeyColumn(-1);
  proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);
  connect(filter_, &QLineEdit::textChanged, proxy_, &QSortFilterProxyModel::setFilterFixedString);

  table_ = makeRecordTable(QStringLiteral("channelTable"), proxy_, 8, 70, this);
  table_->setSortingEnabled(true);
  table_->sortByColumn(col(ChannelColumn::channel), Qt::AscendingOrder);
  table_->setItemDelegateForColumn(col(ChannelColumn::state), new StateDelegate(table_));
  // Narrow enough that the close reason stays on screen in a 1280 px window; cut cells have tooltips.
  table_->setColumnWidth(col(ChannelColumn::engine), 72);
  table_->setColumnWidth(col(ChannelColumn::kind), 60);
  table_->setColumnWidth(col(ChannelColumn::channel), 64);
  table_->setColumnWidth(col(ChannelColumn::incarnation), 80);
  table_->setColumnWidth(col(ChannelColumn::state), 86);
  table_->setColumnWidth(col(ChannelColumn::peerAddress), 150);
  table_->setColumnWidth(col(ChannelColumn::lastActivity), 90);
  // Rarely needed columns start hidden; the header menu brings them back.
  table_->setColumnHidden(col(ChannelColumn::group), true);
  table_->setColumnHidden(col(ChannelColumn::localAddress), true);
  // Why a channel closed is what one looks for first after its state: it comes right after it.
  QHeaderView* header = table_->horizontalHeader();
  header->moveSection(header->visualIndex(col(ChannelColumn::closeReason)), header->visualIndex(col(ChannelColumn::state)) + 1);
  table_->setColumnWidth(col(ChannelColumn::closeReason), 140);
  fitHeaderTitles(header);
  addColumnChooser(table_);
  connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
          [this](const QModelIndex& current) { onCurrentChanged(current); });
  connect(proxy_, &QAbstractItemModel::dataChanged, this,
          [this](const QModelIndex& topLeft, const QModelIndex& bottomRight) {
            const QModelIndex current = table_->currentIndex();
            if (current.isValid() && current.row() >= topLeft.row() && current.row() <= bottomRight.row())
              onCurrentChanged(current);
          });

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(2);
  layout->addWidget(filter_);
  layout->addWidget(table_);
}

void ChannelView::setTimeFormat(const TimeFormat& format) {
  TimeDelegate::install(*table_, col(ChannelColumn::lastActivity), format);
}

void ChannelView::onCurrentChanged(const QModelIndex& current) {
  if (!current.isValid()) return;
  const QVariant info = current.siblingAtColumn(0).data(tofu::qt::ChannelInfoRole);
  if (info.canConvert<tofu::ChannelInfo>()) emit channelSelected(info.value<tofu::ChannelInfo>());
}

}  // namespace tofu::monitor
