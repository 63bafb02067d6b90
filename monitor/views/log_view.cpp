#include "log_view.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QHeaderView>
#include <QHBoxLayout>
#include <QIntValidator>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

#include "models/content_store.h"
#include "models/json_text.h"
#include "models/message_filter.h"
#include "models/time_format.h"
#include "record_table.h"
#include "status_colors.h"
#include "tofu/qt/models/traffic_model.h"

namespace tofu::monitor {

using tofu::qt::TrafficColumn;

namespace {

constexpr int kCountsIntervalMs = 250;

QComboBox* makeCombo(const QString& name, const QString& any, int count, const char* (*label)(int), QWidget* parent) {
  auto* combo = new QComboBox(parent);
  combo->setObjectName(name);
  // Sized for a short name, not the longest status ("invalid_message_channel_group"), which
  // would widen the window past 1280 px; the popup still shows every name whole.
  combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  combo->setMinimumContentsLength(7);
  combo->addItem(any, -1);
  for (int value = 0; value < count; ++value) combo->addItem(QString::fromLatin1(label(value)), value);
  return combo;
}

QLineEdit* makeEdit(const QString& name, const QString& placeholder, QWidget* parent) {
  auto* edit = new QLineEdit(parent);
  edit->setObjectName(name);
  edit->setPlaceholderText(placeholder);
  edit->setClearButtonEnabled(true);
  return edit;
}

template <typename Enum>
const char* enumName(int value) {
  return tofu::toString(static_cast<Enum>(value));
}

}  // namespace

LogView::LogView(tofu::qt::TrafficModel& model, const ContentStore& content, QWidget* parent)
    : QWidget(parent), model_(model), content_(content) {
  setObjectName(QStringLiteral("logView"));
  colors_ = new StatusColorProxy(this);
  colors_->setSourceModel(&model);  // row for row: the filter's source rows are the model's
  proxy_ = new MessageFilterProxy(&content, this);
  proxy_->setObjectName(QStringLiteral("logProxy"));
  proxy_->setSourceModel(colors_);
  proxy_->setTrafficModel(&model);

  // Fixed row heights (makeRecordTable) keep a 100,000-row log virtual.
  table_ = makeRecordTable(QStringLiteral("logTable"), proxy_, 4, 64, this);
  table_->setColumnWidth(static_cast<int>(TrafficColumn::time), 112);
  table_->setSortingEnabled(true);
  table_->sortByColumn(static_cast<int>(TrafficColumn::time), Qt::AscendingOrder);
  table_->setColumnWidth(static_cast<int>(TrafficColumn::engine), 90);
  table_->setColumnWidth(static_cast<int>(TrafficColumn::opCode), 110);
  table_->setColumnWidth(static_cast<int>(TrafficColumn::status), 110);
  table_->setColumnWidth(static_cast<int>(TrafficColumn::more), 40);
  table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
  fitHeaderTitles(table_->horizontalHeader());
  addColumnChooser(table_);
  buildCopyActions();
  connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
          [this](const QModelIndex& current) { onCurrentChanged(current); });
  connect(proxy_, &QAbstractItemModel::rowsInserted, this, [this] {
    if (follow_->isChecked()) table_->scrollToBottom();
  });

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(2);
  layout->addWidget(buildFilterBar());
  layout->addWidget(table_, 1);

  auto* timer = new QTimer(this);
  connect(timer, &QTimer::timeout, this, &LogView::updateCounts);
  connect(&model, &tofu::qt::TrafficModel::evictedRowsChanged, this, &LogView::updateCounts);
  timer->start(kCountsIntervalMs);
  updateCounts();
}

QWidget* LogView::buildFilterBar() {
  auto* bar = new QWidget(this);
  search_ = makeEdit(QStringLiteral("logSearch"), tr("Search any column"), bar);
  opCode_ = makeCombo(QStringLiteral("logOpCodeFilter"), tr("any opcode"), tofu::kMaxValidOpCode + 1,
                      &enumName<tofu::OpCode>, bar);
  channel_ = makeEdit(QStringLiteral("logChannelFilter"), tr("channel"), bar);
  channel_->setValidator(new QIntValidator(0, 65535, channel_));
  channel_->setFixedWidth(90);
  status_ = makeCombo(QStringLiteral("logStatusFilter"), tr("any status"), tofu::kStatusCount,
                      &enumName<tofu::Status>, bar);
  origin_ = makeCombo(QStringLiteral("logOriginFilter"), tr("any origin"), 2, &enumName<tofu::Origin>, bar);
  header_ = makeEdit(QStringLiteral("logHeaderFilter"), tr("header name:value"), bar);
  body_ = makeEdit(QStringLiteral("logBodyFilter"), tr("body regex"), bar);

  pause_ = new QToolButton(bar);
  pause_->setObjectName(QStringLiteral("logPauseButton"));
  pause_->setCheckable(true);
  pause_->setText(tr("Pause"));
  pause_->setToolTip(tr("Stop inserting rows; what arrives meanwhile is held (up to the log's bound) and shown on resume"));
  follow_ = new QToolButton(bar);
  follow_->setObjectName(QStringLiteral("logFollowButton"));
  follow_->setCheckable(true);
  follow_->setChecked(true);
  follow_->setText(tr("Follow"));
  follow_->setToolTip(tr("Keep the newest row in view"));
  timeMode_ = new QComboBox(bar);
  timeMode_->setObjectName(QStringLiteral("logTimeMode"));
  timeMode_->addItem(tr("wall clock"), static_cast<int>(TimeMode::absolute));
  timeMode_->addItem(tr("since first"), static_cast<int>(TimeMode::relative));
  timeMode_->addItem(tr("delta"), static_cast<int>(TimeMode::delta));
  timeMode_->setToolTip(tr("Times in every view: wall clock, seconds since the first event, or since the row above"));
  timeMode_->setEnabled(false);
  connect(timeMode_, &QComboBox::currentIndexChanged, this, [this] {
    if (timeFormat_ != nullptr) timeFormat_->setMode(static_cast<TimeMode>(timeMode_->currentData().toInt()));
  });
  counts_ = new QLabel(bar);
  counts_->setObjectName(QStringLiteral("logEvictedLabel"));
  counts_->setWordWrap(true);  // wraps rather than widening the window (usable at 1280 px)

  connect(search_, &QLineEdit::textChanged, proxy_, &MessageFilterProxy::setSearchText);
  connect(header_, &QLineEdit::textChanged, proxy_, &MessageFilterProxy::setHeaderMatch);
  connect(body_, &QLineEdit::textChanged, this, &LogView::applyBodyPattern);
  connect(channel_, &QLineEdit::textChanged, this, &LogView::applyChannel);
  for (QComboBox* combo : {opCode_, status_, origin_})
    connect(combo, &QComboBox::currentIndexChanged, this, &LogView::applyCombos);
  connect(pause_, &QToolButton::toggled, this, &LogView::setPaused);

  // Two rows: what to match on top, how to match and the log's controls below, so every box
  // keeps a usable width next to the channel table.
  auto* top = new QHBoxLayout;
  top->addWidget(search_, 2);
  top->addWidget(opCode_, 1);  // the combos share what room there is, down to a short name
  top->addWidget(status_, 1);
  top->addWidget(origin_, 1);
  top->addWidget(channel_);
  auto* bottom = new QHBoxLayout;
  bottom->addWidget(header_, 1);
  bottom->addWidget(body_, 1);
  bottom->addWidget(pause_);
  bottom->addWidget(follow_);
  bottom->addWidget(timeMode_);
  bottom->addWidget(counts_);
  auto* layout = new QVBoxLayout(bar);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(2);
  layout->addLayout(top);
  layout->addLayout(bottom);
  return bar;
}

void LogView::setPaused(bool paused) {
  model_.setPaused(paused);
  const QSignalBlocker blocker(pause_);
  pause_->setChecked(paused);
  pause_->setText(paused ? tr("Resume") : tr("Pause"));
  updateCounts();
}

void LogView::setTimeFormat(TimeFormat* format) {
  if (timeFormat_ != nullptr) disconnect(timeFormat_, &TimeFormat::changed, this, &LogView::showTimeMode);
  timeFormat_ = format;
  proxy_->setTimeFormat(format);
  timeMode_->setEnabled(format != nullptr);
  if (format != nullptr) {
    connect(format, &TimeFormat::changed, this, &LogView::showTimeMode);
    showTimeMode();
  }
}

// The choice set back to the mode in use changes nothing more (setMode ignores no change).
void LogView::showTimeMode() { timeMode_->setCurrentIndex(timeMode_->findData(static_cast<int>(timeFormat_->mode()))); }

void LogView::showLog(QAbstractItemModel* log) {
  // The shown log goes under the status colours, so a capture's failures are coloured too.
  if (QAbstractItemModel* shown = colors_->sourceModel(); shown != &model_) disconnect(shown, nullptr, this, nullptr);
  // Before the switch: the filter sorts the new rows as the colours proxy resets.
  proxy_->setTrafficModel(log != nullptr ? nullptr : &model_);  // row for row only with the live log
  colors_->setSourceModel(log != nullptr ? log : &model_);
  if (log != nullptr) connect(log, &QObject::destroyed, this, [this] { showLog(nullptr); });
  updateCounts();
}

void LogView::selectRow(int proxyRow) { table_->setCurrentIndex(proxy_->index(proxyRow, 0)); }

void LogView::setStatusColorRules(const StatusColorRules& rules) { colors_->setRules(rules); }

void LogView::focusSearch() {
  search_->setFocus(Qt::ShortcutFocusReason);
  search_->selectAll();
}

bool LogView::selectNextFailure(bool forward) {
  const int rows = proxy_->rowCount();
  const int current = table_->currentIndex().isValid() ? table_->currentIndex().row() : (forward ? -1 : rows);
  for (int step = 1; step <= rows; ++step) {
    const int row = ((forward ? current + step : current - step) % rows + rows) % rows;
    if (tofu::isFailure(static_cast<tofu::Status>(proxy_->index(row, 0).data(tofu::qt::StatusRole).toInt()))) {
      table_->setCurrentIndex(proxy_->index(row, 0));
      table_->scrollTo(table_->currentIndex());
      return true;
    }
  }
  return false;
}

void LogView::buildCopyActions() {
  copyText_ = new QAction(tr("Copy rows"), table_);
  copyText_->setShortcut(QKeySequence::Copy);
  copyText_->setShortcutContext(Qt::WidgetShortcut);
  connect(copyText_, &QAction::triggered, this, [this] { QApplication::clipboard()->setText(selectedRowsAsText()); });
  copyJson_ = new QAction(tr("Copy rows as JSON"), table_);
  copyJson_->setShortcut(QKeySequence(tr("Ctrl+Shift+C")));
  copyJson_->setShortcutContext(Qt::WidgetShortcut);
  connect(copyJson_, &QAction::triggered, this,
          [this] { QApplication::clipboard()->setText(QString::fromUtf8(selectedRowsAsJson())); });
  table_->addActions({copyText_, copyJson_});
  table_->setContextMenuPolicy(Qt::ActionsContextMenu);
  table_->installEventFilter(this);
}

bool LogView::eventFilter(QObject* watched, QEvent* event) {
  if (watched != table_ || (event->type() != QEvent::KeyPress && event->type() != QEvent::ShortcutOverride))
    return QWidget::eventFilter(watched, event);
  const QKeySequence pressed(static_cast<QKeyEvent*>(event)->keyCombination());
  for (QAction* action : {copyText_, copyJson_}) {
    if (pressed != action->shortcut()) continue;
    event->accept();  // an override: the key press comes here rather than to a window shortcut
    if (event->type() == QEvent::KeyPress) action->trigger();
    return true;
  }
  return QWidget::eventFilter(watched, event);
}

QList<int> LogView::selectedProxyRows() const {
  QList<int> rows;
  for (const QModelIndex& index : table_->selectionModel()->selectedRows()) rows.append(index.row());
  std::sort(rows.begin(), rows.end());
  return rows;
}

QList<int> LogView::shownColumns() const {
  const QHeaderView* header = table_->horizontalHeader();
  QList<int> columns;
  for (int visual = 0; visual < header->count(); ++visual)
    if (const int logical = header->logicalIndex(visual); !header->isSectionHidden(logical)) columns.append(logical);
  return columns;
}

QString LogView::selectedRowsAsText() const {
  const QList<int> columns = shownColumns();
  QStringList lines;
  QStringList cells;
  for (const int column : columns) cells.append(proxy_->headerData(column, Qt::Horizontal).toString());
  lines.append(cells.join(QLatin1Char('\t')));
  for (const int row : selectedProxyRows()) {
    cells.clear();
    for (const int column : columns) cells.append(proxy_->index(row, column).data().toString());
    lines.append(cells.join(QLatin1Char('\t')));
  }
  return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

QByteArray LogView::selectedRowsAsJson() const {
  const QList<int> columns = shownColumns();
  QByteArray json = "[";
  for (const int row : selectedProxyRows()) {
    json += json.size() > 1 ? ",\n {" : "\n {";
    for (const int column : columns) {
      if (column != columns.front()) json += ", ";
      json += jsonQuoted(proxy_->headerData(column, Qt::Horizontal).toString()) + ": " +
              jsonQuoted(proxy_->index(row, column).data().toString());
    }
    json += '}';
  }
  return json + "\n]\n";
}

void LogView::applyCombos() {
  QSet<tofu::OpCode> opCodes;
  if (const int op = opCode_->currentData().toInt(); op >= 0) opCodes.insert(static_cast<tofu::OpCode>(op));
  proxy_->setOpCodes(opCodes);
  const int status = status_->currentData().toInt();
  proxy_->setStatus(status >= 0 ? std::optional(static_cast<tofu::Status>(status)) : std::nullopt);
  const int origin = origin_->currentData().toInt();
  proxy_->setOrigin(origin >= 0 ? std::optional(static_cast<tofu::Origin>(origin)) : std::nullopt);
}

void LogView::applyChannel(const QString& text) {
  bool ok = false;
  const uint channel = text.toUInt(&ok);
  proxy_->setChannel(ok ? std::optional(static_cast<quint16>(channel)) : std::nullopt);
}

void LogView::applyBodyPattern(const QString& pattern) {
  const bool ok = proxy_->setBodyPattern(pattern);
  body_->setStyleSheet(ok ? QString() : QStringLiteral("QLineEdit { border: 1px solid #c0392b; }"));
  body_->setToolTip(ok ? tr("Regular expression on the body") : proxy_->errorString());
}

void LogView::onCurrentChanged(const QModelIndex& current) {
  if (!current.isValid()) return;
  const auto record = current.siblingAtColumn(0).data(tofu::qt::RecordRole).value<tofu::qt::TrafficRecord>();
  if (!record.contentComplete) {
    if (const auto whole = content_.find(record)) {
      emit recordSelected(*whole);
      return;
    }
  }
  emit recordSelected(record);
}

void LogView::updateCounts() {
  const QLocale locale;
  QString text = tr("%1 of %2 rows · evicted %3")
                     .arg(locale.toString(proxy_->rowCount()), locale.toString(proxy_->sourceModel()->rowCount()),
                          locale.toString(model_.evictedRows()));
  if (model_.isPaused()) text += tr(" · held %1").arg(locale.toString(model_.pendingRows()));
  counts_->setText(text);
}

}  // namespace tofu::monitor
