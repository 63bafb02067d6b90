#include "main_window.h"

#include <QApplication>
#include <QDockWidget>
#include <QFileDialog>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStatusBar>
#include <QTableView>
#include <QTimer>
#include <QTreeView>

#include "attach_dialog.h"
#include "sources/capture.h"
#include "channel_view.h"
#include "correlation_view.h"
#include "models/engine_list_model.h"
#include "gauge_panel.h"
#include "log_view.h"
#include "message_detail.h"
#include "models/message_filter.h"
#include "tofu/qt/models/model_roles.h"
#include "rate_chart.h"
#include "record_table.h"
#include "session.h"
#include "status_colors.h"
#include "sources/telemetry_source.h"
#include "timeline_view.h"
#include "sources/workbench.h"
#include "workbench_panel.h"

namespace tofu::monitor {

namespace {
constexpr int kStatusIntervalMs = 500;
constexpr int kInterestingScan = 2000;  // rows looked at, newest first, for a message worth showing
constexpr int kLayoutVersion = 1;       // QMainWindow::saveState's version: a new dock layout bumps it
constexpr int kRecentAddresses = 10;

// Settings keys; the status colours keep their own (StatusColorRules).
const char* const kGeometryKey = "window/geometry";
const char* const kStateKey = "window/state";
const char* const kCentreKey = "window/centreSplitter";
const char* const kLogColumnsKey = "log/columns";
const char* const kChannelColumnsKey = "channels/columns";
const char* const kRecentKey = "attach/recent";
const char* const kTimeFormatKey = "log/timeFormat";  // "absolute", "relative" or "delta"

const char* timeModeName(TimeMode mode) {
  switch (mode) {
    case TimeMode::absolute: return "absolute";
    case TimeMode::relative: return "relative";
    case TimeMode::delta: return "delta";
  }
  return "absolute";
}
}  // namespace

MainWindow::MainWindow(Session& session, QWidget* parent) : QMainWindow(parent), session_(session) {
  setObjectName(QStringLiteral("mainWindow"));
  setWindowTitle(tr("tofu monitor"));
  setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);
  resize(1600, 1000);  // the README screenshot's size; a saved geometry replaces it
  workbench_ = new Workbench(session, this);
  buildViews();
  buildMenus();

  sourcesLabel_ = new QLabel(this);
  sourcesLabel_->setObjectName(QStringLiteral("statusSources"));
  recordingLabel_ = new QLabel(this);
  recordingLabel_->setObjectName(QStringLiteral("statusRecording"));
  dropsLabel_ = new QLabel(this);
  dropsLabel_->setObjectName(QStringLiteral("statusDrops"));
  dropsLabel_->setToolTip(tr("Events lost on the way from attached engines (a telemetry subscriber that fell "
                             "behind): the views miss these"));
  statusBar()->addWidget(sourcesLabel_, 1);
  statusBar()->addPermanentWidget(dropsLabel_);
  statusBar()->addPermanentWidget(recordingLabel_);
  auto* timer = new QTimer(this);
  connect(timer, &QTimer::timeout, this, &MainWindow::updateStatus);
  connect(timer, &QTimer::timeout, this, &MainWindow::selectInterestingMessage);
  connect(timer, &QTimer::timeout, this, &MainWindow::selectInterestingChannel);
  timer->start(kStatusIntervalMs);
  connect(&session, &Session::recordingChanged, this, &MainWindow::updateStatus);
  updateStatus();
  loadSettings();
}

MainWindow::~MainWindow() { saveSettings(); }

// Without an organisation name (tests, screenshot runs) there are no settings to read or write.
void MainWindow::loadSettings() {
  if (QCoreApplication::organizationName().isEmpty()) return;
  const QSettings settings;
  log_->setStatusColorRules(StatusColorRules::load(settings));
  restoreGeometry(settings.value(kGeometryKey).toByteArray());
  // A restored dock layout replaces the default one applied on first show.
  laidOut_ = restoreState(settings.value(kStateKey).toByteArray(), kLayoutVersion);
  qobject_cast<QSplitter*>(centralWidget())->restoreState(settings.value(kCentreKey).toByteArray());
  log_->table()->horizontalHeader()->restoreState(settings.value(kLogColumnsKey).toByteArray());
  channels_->table()->horizontalHeader()->restoreState(settings.value(kChannelColumnsKey).toByteArray());
  const QString mode = settings.value(kTimeFormatKey).toString();
  for (const TimeMode each : {TimeMode::absolute, TimeMode::relative, TimeMode::delta}) {
    if (mode == QLatin1String(timeModeName(each))) session_.timeFormat().setMode(each);
  }
}

void MainWindow::saveSettings() const {
  if (QCoreApplication::organizationName().isEmpty()) return;
  QSettings settings;
  StatusColorRules::load(settings).save(settings);  // written out once, so they can be edited
  settings.setValue(kGeometryKey, saveGeometry());
  settings.setValue(kStateKey, saveState(kLayoutVersion));
  settings.setValue(kCentreKey, qobject_cast<QSplitter*>(centralWidget())->saveState());
  settings.setValue(kLogColumnsKey, log_->table()->horizontalHeader()->saveState());
  settings.setValue(kChannelColumnsKey, channels_->table()->horizontalHeader()->saveState());
  settings.setValue(kTimeFormatKey, QLatin1String(timeModeName(session_.timeFormat().mode())));
}

void MainWindow::rememberAddress(const QString& address) {
  if (QCoreApplication::organizationName().isEmpty()) return;
  QSettings settings;
  QStringList recent = settings.value(kRecentKey).toStringList();
  recent.removeAll(address);
  recent.prepend(address);
  settings.setValue(kRecentKey, recent.mid(0, kRecentAddresses));
}

void MainWindow::buildViews() {
  engineTree_ = new QTreeView(this);
  engineTree_->setObjectName(QStringLiteral("engineTree"));
  engineTree_->setModel(&session_.engines());
  engineTree_->setAlternatingRowColors(true);
  engineTree_->header()->setStretchLastSection(false);
  engineTree_->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
  // The gauges below show the pool columns; the tree keeps what identifies an engine.
  for (int column : {EngineListModel::poolIdle, EngineListModel::poolInUse, EngineListModel::poolAllocated,
                     EngineListModel::poolEmptyEpisodes})
    engineTree_->setColumnHidden(column, true);
  connect(&session_.engines(), &QAbstractItemModel::rowsInserted, engineTree_, &QTreeView::expandAll);
  addElidedToolTips(engineTree_);
  engineTree_->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(engineTree_, &QWidget::customContextMenuRequested, this, &MainWindow::showSourceMenu);
  gauges_ = new GaugePanel(session_.engines(), this);

  channels_ = new ChannelView(session_.channels(), this);
  channels_->setTimeFormat(session_.timeFormat());
  log_ = new LogView(session_.traffic(), session_.content(), this);
  log_->setTimeFormat(&session_.timeFormat());
  auto* centre = new QSplitter(Qt::Vertical, this);
  centre->setObjectName(QStringLiteral("centreSplitter"));
  centre->addWidget(channels_);
  centre->addWidget(log_);
  centre->setStretchFactor(0, 2);
  centre->setStretchFactor(1, 3);
  setCentralWidget(centre);

  detail_ = new MessageDetail(this);
  timeline_ = new TimelineView(session_.timeline(), session_.timeFormat(), this);
  correlation_ = new CorrelationView(session_.correlation(), this);
  correlation_->setTimeFormat(session_.timeFormat());
  const auto describe = [this](std::uint64_t engineId) { return session_.engineDescription(engineId); };
  addEngineToolTips(log_->table(), static_cast<int>(tofu::qt::TrafficColumn::engine), describe);
  addEngineToolTips(channels_->table(), static_cast<int>(tofu::qt::ChannelColumn::engine), describe);
  addEngineToolTips(correlation_->table(), CorrelationModel::engine, describe);
  rates_ = new RateChart(session_.rates(), this);
  workbenchPanel_ = new WorkbenchPanel(*workbench_, this);

  leftDocks_ << addDock(QStringLiteral("enginesDock"), tr("Engines"), engineTree_, Qt::LeftDockWidgetArea)
             << addDock(QStringLiteral("gaugesDock"), tr("Pools and queues"), gauges_, Qt::LeftDockWidgetArea);
  QDockWidget* workbenchDock =
      addDock(QStringLiteral("workbenchDock"), tr("Workbench"), workbenchPanel_, Qt::LeftDockWidgetArea);
  tabifyDockWidget(leftDocks_.back(), workbenchDock);
  connect(workbenchDock, &QDockWidget::visibilityChanged, workbench_, [this](bool visible) {
    if (visible) workbench_->show();
  });
  leftDocks_.back()->raise();
  rightDocks_ << addDock(QStringLiteral("detailDock"), tr("Message"), detail_, Qt::RightDockWidgetArea)
              << addDock(QStringLiteral("timelineDock"), tr("Channel life cycle"), timeline_, Qt::RightDockWidgetArea)
              << addDock(QStringLiteral("correlationDock"), tr("Requests and responses"), correlation_, Qt::RightDockWidgetArea)
              << addDock(QStringLiteral("ratesDock"), tr("Rates"), rates_, Qt::RightDockWidgetArea);

  connect(channels_, &ChannelView::channelSelected, this, &MainWindow::onChannelSelected);
  connect(channels_->table()->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this] {
    if (!autoSelecting_) userPickedChannel_ = true;
  });
  connect(log_, &LogView::recordSelected, detail_, &MessageDetail::showRecord);
  connect(log_, &LogView::recordSelected, this, &MainWindow::followRecord);
}

QDockWidget* MainWindow::addDock(const QString& name, const QString& title, QWidget* widget, Qt::DockWidgetArea area) {
  auto* dock = new QDockWidget(title, this);
  dock->setObjectName(name);
  dock->setWidget(widget);
  dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable | QDockWidget::DockWidgetClosable);
  addDockWidget(area, dock);
  return dock;
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("&Open capture..."), QKeySequence::Open, this, &MainWindow::chooseCapture);
  recordAction_ = file->addAction(tr("&Record to file..."), QKeySequence(tr("Ctrl+R")), this, &MainWindow::toggleRecording);
  QMenu* exports = file->addMenu(tr("&Export log"));
  const std::pair<ExportFormat, QString> formats[] = {
      {ExportFormat::csv, tr("CSV")}, {ExportFormat::json, tr("JSON")}, {ExportFormat::pcapng, tr("pcapng (Wireshark)")}};
  for (const bool filtered : {false, true}) {
    for (const auto& [format, name] : formats) {
      exports->addAction(filtered ? tr("Filtered rows as %1...").arg(name) : tr("All rows as %1...").arg(name), this,
                         [this, format = format, filtered] { chooseExport(format, filtered); });
    }
    if (!filtered) exports->addSeparator();
  }
  file->addAction(tr("Save &screenshot..."), this, &MainWindow::saveScreenshot);
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, qApp, &QApplication::quit);

  QMenu* sources = menuBar()->addMenu(tr("&Sources"));
  sources->addAction(tr("&Attach to telemetry..."), QKeySequence(tr("Ctrl+T")), this, &MainWindow::chooseAttach);
  sources->addAction(tr("Start &demo scene"), this, &MainWindow::demoRequested);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  QAction* pause = view->addAction(tr("&Pause log"), QKeySequence(tr("Ctrl+P")));
  pause->setCheckable(true);
  connect(pause, &QAction::toggled, log_, &LogView::setPaused);
  view->addAction(tr("&Clear log"), this, [this] { session_.traffic().clear(); });
  view->addAction(tr("&Find in log"), QKeySequence::Find, log_, &LogView::focusSearch);
  view->addAction(tr("&Next failure"), QKeySequence(Qt::Key_F8), this, [this] { log_->selectNextFailure(true); });
  view->addAction(tr("P&revious failure"), QKeySequence(Qt::SHIFT | Qt::Key_F8), this,
                  [this] { log_->selectNextFailure(false); });
  view->addSeparator();
  for (QDockWidget* dock : findChildren<QDockWidget*>()) view->addAction(dock->toggleViewAction());

  menuBar()->addMenu(tr("&Help"))->addAction(tr("&About"), this, [this] {
    QMessageBox::about(this, tr("About tofu monitor"),
                       tr("<b>tofu monitor</b><p>Live channels, messages, latencies and rates of tofu engines: "
                          "in this process, attached over telemetry, or from a capture file.</p>"));
  });
}

void MainWindow::showEvent(QShowEvent* event) {
  QMainWindow::showEvent(event);
  if (!laidOut_) {
    laidOut_ = true;
    applyDefaultLayout();
  }
}

// Sized so that every view shows real rows at 1600x1000 (the README screenshot) and at
// 1280x800: the docks take shares of the width, the channels and the log the rest.
void MainWindow::applyDefaultLayout() {
  const int left = width() * 19 / 100;
  const int right = width() * 35 / 100;
  resizeDocks(leftDocks_, {left, left}, Qt::Horizontal);
  resizeDocks(leftDocks_, {height() / 3, height() * 2 / 3}, Qt::Vertical);
  resizeDocks(rightDocks_, {right, right, right, right}, Qt::Horizontal);
  const int h = height();
  resizeDocks(rightDocks_, {h * 44 / 100, h * 16 / 100, h * 18 / 100, h * 22 / 100}, Qt::Vertical);
}

void MainWindow::setAttachAccess(const TelemetryAccess& access) {
  attachAccess_ = access;
  attachAccess_.insecureSkipVerification = false;  // chosen anew, loudly, every time
}

bool MainWindow::attach(const QString& address, const TelemetryAccess& access, QString* error) {
  if (session_.findSource(address) != nullptr) {
    // Two sources on one endpoint would show every channel and message twice.
    const QString refusal = tr("already attached to %1").arg(address.trimmed());
    statusBar()->showMessage(refusal, 10'000);
    if (error != nullptr) *error = refusal;
    return false;
  }
  if (!access.token.isEmpty()) attachAccess_.token = access.token;
  if (address.trimmed().startsWith(QLatin1String("tls|"))) {
    attachAccess_.caFile = access.caFile;
    attachAccess_.certificateFile = access.certificateFile;
    attachAccess_.keyFile = access.keyFile;
  }
  rememberAddress(address.trimmed());
  if (access.insecureSkipVerification) {
    statusBar()->showMessage(
        tr("INSECURE: the certificate of %1 is not verified; anyone on the path can read and change "
           "its telemetry").arg(address.trimmed()));
  }
  session_.addSource(new TelemetrySource(address.trimmed(), access));
  return true;
}

bool MainWindow::openCapture(const QString& path, QString* error) {
  auto* source = new CaptureSource(path);
  session_.addSource(source);  // first, so the session sees everything load() emits
  if (!source->load(error)) {
    session_.removeSource(source);
    return false;
  }
  log_->showLog(&source->log());
  return true;
}

bool MainWindow::exportLog(ExportFormat format, bool filtered, const QString& path, QString* error) {
  const ExportContext context{&session_.timeFormat(), &session_.content()};
  if (filtered) return tofu::monitor::exportLog(*log_->proxy(), format, path, context, error);
  MessageFilterProxy all(&session_.content());  // no criteria: every row, in time order
  all.setSourceModel(log_->proxy()->sourceModel());
  all.setTimeFormat(&session_.timeFormat());
  all.sort(static_cast<int>(tofu::qt::TrafficColumn::time));
  return tofu::monitor::exportLog(all, format, path, context, error);
}

bool MainWindow::startRecording(const QString& path, QString* error) { return session_.startRecording(path, error); }

// Until the user picks a message, show one worth looking at: the newest with a whole,
// non-empty body if there is one, else the newest with any body, so the detail view
// demonstrates itself.
void MainWindow::selectInterestingMessage() {
  if (detail_->hasRecord()) return;
  auto& traffic = session_.traffic();
  const int rows = log_->proxy()->rowCount();
  int fallback = -1;
  for (int row = rows - 1; row >= std::max(0, rows - kInterestingScan); --row) {
    const auto& listed = traffic.recordAt(log_->proxy()->mapToSource(log_->proxy()->index(row, 0)).row());
    // An attached process's bodies come apart from its events, into the content store.
    const auto whole = listed.contentComplete ? std::nullopt : session_.content().find(listed);
    const auto& record = whole ? *whole : listed;
    if (record.body.isEmpty()) continue;
    if (record.contentComplete) {
      fallback = row;
      break;
    }
    if (fallback < 0) fallback = row;
  }
  if (fallback >= 0) {
    autoSelecting_ = true;  // the channel it selects is no user's pick either
    log_->selectRow(fallback);
    autoSelecting_ = false;
  }
}

// Until the user picks a channel, the timeline shows the one with the fullest life cycle so
// far (a channel that connected, talked and closed), not just the first row.
void MainWindow::selectInterestingChannel() {
  if (userPickedChannel_) return;
  QAbstractItemModel* model = channels_->table()->model();
  const auto score = [&](int row) {
    const auto info = model->index(row, 0).data(tofu::qt::ChannelInfoRole).value<tofu::ChannelInfo>();
    return session_.timeline().entries({info.engineId, info.incarnation}).size();
  };
  const QModelIndex current = channels_->table()->currentIndex();
  int best = current.isValid() ? current.row() : -1;
  qsizetype bestScore = best >= 0 ? score(best) : -1;
  for (int row = 0; row < std::min(model->rowCount(), kInterestingScan); ++row) {
    if (const qsizetype rowScore = score(row); rowScore > bestScore) {
      best = row;
      bestScore = rowScore;
    }
  }
  if (best >= 0 && best != current.row()) {
    autoSelecting_ = true;
    channels_->table()->setCurrentIndex(model->index(best, 0));
    autoSelecting_ = false;
  }
}

// Attached and replayed sources can be dropped; in-process ones belong to the demo or workbench.
void MainWindow::showSourceMenu(const QPoint& at) {
  Source* source = session_.engines().sourceAt(engineTree_->indexAt(at).siblingAtColumn(0));
  if (!source || source->kindName() == QLatin1String("in process")) return;
  QMenu menu(this);
  menu.addAction(tr("Remove %1").arg(source->name()), this, [this, source] { session_.removeSource(source); });
  menu.exec(engineTree_->viewport()->mapToGlobal(at));
}

void MainWindow::onChannelSelected(const tofu::ChannelInfo& channel) {
  const ChannelKey key{channel.engineId, channel.incarnation};
  const QString title = tr("channel %1 (%2%3)")
                            .arg(channel.channelNumber)
                            .arg(QString::fromLatin1(tofu::toString(channel.kind)))
                            .arg(channel.peerAddress.empty() ? QString() : QStringLiteral(", ") + QString::fromStdString(channel.peerAddress));
  timeline_->setChannel(key, title);
  rates_->setChannel(key, tr("ch %1").arg(channel.channelNumber));
}

// "Follow this conversation": a message selects its channel and its request in their views.
void MainWindow::followRecord(const tofu::qt::TrafficRecord& record) {
  QTableView* channels = channels_->table();
  QAbstractItemModel* model = channels->model();
  for (int row = 0; row < model->rowCount(); ++row) {
    const QModelIndex index = model->index(row, 0);
    const auto info = index.data(tofu::qt::ChannelInfoRole).value<tofu::ChannelInfo>();
    if (info.engineId == record.engineId && info.incarnation == record.incarnation) {
      if (channels->currentIndex().row() != row) channels->setCurrentIndex(index);
      channels->scrollTo(index);
      break;
    }
  }
  CorrelationModel& requests = session_.correlation();
  const int request = requests.rowOf(record.engineId, record.channelNumber, record.header.messageId);
  auto* proxy = qobject_cast<QSortFilterProxyModel*>(correlation_->table()->model());
  if (request < 0 || !proxy) return;
  const QModelIndex shown = proxy->mapFromSource(requests.index(request, 0));
  correlation_->table()->setCurrentIndex(shown);
  correlation_->table()->scrollTo(shown);
}

void MainWindow::updateStatus() {
  int engines = 0;
  for (int row = 0; row < session_.engines().rowCount(); ++row)
    engines += session_.engines().rowCount(session_.engines().index(row, 0));
  sourcesLabel_->setText(tr("%1 sources · %2 engines · %3 channels · %4 outstanding requests")
                             .arg(session_.sources().size())
                             .arg(engines)
                             .arg(session_.channels().rowCount())
                             .arg(session_.correlation().outstandingCount()));
  quint64 dropped = 0;
  for (const Source* source : session_.sources()) dropped += source->droppedEvents();
  dropsLabel_->setText(dropped == 0 ? tr("no events dropped")
                                    : tr("<span style='color:#c0392b'>%1 events dropped</span>").arg(QLocale().toString(dropped)));
  recordingLabel_->setText(session_.isRecording() ? tr("<span style='color:#c0392b'>&#9679; recording</span>") : QString());
  recordAction_->setText(session_.isRecording() ? tr("Stop &recording") : tr("&Record to file..."));
}

void MainWindow::chooseCapture() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Open capture"), {}, tr("Captures (*.jsonl);;All files (*)"));
  QString error;
  if (!path.isEmpty() && !openCapture(path, &error))
    QMessageBox::warning(this, tr("Open capture"), tr("Cannot open %1:\n%2").arg(path, error));
}

void MainWindow::toggleRecording() {
  if (session_.isRecording()) {
    session_.stopRecording();
    return;
  }
  const QString path = QFileDialog::getSaveFileName(this, tr("Record to"), QStringLiteral("capture.jsonl"),
                                                    tr("Captures (*.jsonl)"));
  QString error;
  if (!path.isEmpty() && !startRecording(path, &error))
    QMessageBox::warning(this, tr("Record"), tr("Cannot record to %1:\n%2").arg(path, error));
}

void MainWindow::chooseExport(ExportFormat format, bool filtered) {
  static const char* const kSuffixes[] = {"csv", "json", "pcapng"};
  const QString suffix = QString::fromLatin1(kSuffixes[static_cast<int>(format)]);
  const QString path = QFileDialog::getSaveFileName(this, tr("Export log"), QStringLiteral("tofu-log.") + suffix,
                                                    tr("%1 files (*.%2)").arg(suffix.toUpper(), suffix));
  QString error;
  if (!path.isEmpty() && !exportLog(format, filtered, path, &error))
    QMessageBox::warning(this, tr("Export log"), tr("Cannot export to %1:\n%2").arg(path, error));
}

void MainWindow::chooseAttach() {
  AttachDialog dialog(this, attachAccess_);
  dialog.setRecentAddresses(QSettings().value(kRecentKey).toStringList());
  QString error;
  if (dialog.exec() == QDialog::Accepted && !attach(dialog.address(), dialog.access(), &error)) {
    QMessageBox::information(this, tr("Attach to telemetry"), error);
  }
}

void MainWindow::saveScreenshot() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Save screenshot"), QStringLiteral("tofu-monitor.png"),
                                                    tr("PNG images (*.png)"));
  if (!path.isEmpty() && !grab().save(path))
    QMessageBox::warning(this, tr("Save screenshot"), tr("Cannot write %1").arg(path));
}

}  // namespace tofu::monitor
