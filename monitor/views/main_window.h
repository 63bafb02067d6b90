// MainWindow: the monitor's window. Lays out every view at once (engines and gauges on the
// left, channels over the message log in the centre, message detail, timeline, correlation and
// rates on the right, all dockable), wires selections between them, and offers sources,
// capture and the workbench from the menus. Borrows the Session, owns the workbench; runs no
// demo: it asks for one (demoRequested) and shows it through the Session like any source. Layout, columns, status colours, time format and recent attach addresses persist in the
// application's QSettings (read on construction, written on destruction). GUI thread only.
#pragma once

#include <QMainWindow>

#include "sources/log_export.h"
#include "sources/telemetry_source.h"
#include "tofu/introspection.h"
#include "tofu/qt/models/traffic_record.h"

class QDockWidget;
class QLabel;
class QTreeView;

namespace tofu::monitor {

class ChannelView;
class CorrelationView;
class GaugePanel;
class LogView;
class MessageDetail;
class RateChart;
class Session;
class TimelineView;
class Workbench;
class WorkbenchPanel;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(Session& session, QWidget* parent = nullptr);
  ~MainWindow() override;  // writes the settings

  Session& session() noexcept { return session_; }
  Workbench& workbench() noexcept { return *workbench_; }
  // Adds a telemetry source for `address`, presenting `access` (its token, none when empty, and
  // for tls|... its TLS files); it reconnects by itself when the endpoint is lost, not when
  // the endpoint refuses the token. A non-empty token, and a tls address's TLS files, are also
  // what Attach... offers next (never the insecure choice). Refused (false, with `error`, also
  // shown in the status bar) when a source already shows that address. Does not block.
  bool attach(const QString& address, const TelemetryAccess& access = {}, QString* error = nullptr);
  // The token and TLS files Attach... offers (token else TOFU_TELEMETRY_TOKEN), e.g. from
  // --token and --ca.
  void setAttachAccess(const TelemetryAccess& access);
  // Replays a capture file as an offline source; false with `error` set when it cannot be read.
  bool openCapture(const QString& path, QString* error);
  bool startRecording(const QString& path, QString* error);
  // Writes the log (every row, or the rows its filter shows, in the order shown) to `path`;
  // false with `error` set when it cannot. Blocks while it writes.
  bool exportLog(ExportFormat format, bool filtered, const QString& path, QString* error);

 signals:
  // The user chose "Start demo scene": whoever owns the demo (the app) starts it, once.
  void demoRequested();

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  void buildViews();
  void buildMenus();
  QDockWidget* addDock(const QString& name, const QString& title, QWidget* widget, Qt::DockWidgetArea area);
  void applyDefaultLayout();
  void selectInterestingMessage();
  void selectInterestingChannel();
  void showSourceMenu(const QPoint& at);
  void onChannelSelected(const tofu::ChannelInfo& channel);
  void followRecord(const tofu::qt::TrafficRecord& record);
  void loadSettings();
  void saveSettings() const;
  void rememberAddress(const QString& address);
  void updateStatus();
  void chooseCapture();
  void toggleRecording();
  void chooseExport(ExportFormat format, bool filtered);
  void chooseAttach();
  void saveScreenshot();

  Session& session_;
  TelemetryAccess attachAccess_;  // what Attach... offers; insecureSkipVerification always false
  Workbench* workbench_ = nullptr;
  QTreeView* engineTree_ = nullptr;
  GaugePanel* gauges_ = nullptr;
  ChannelView* channels_ = nullptr;
  LogView* log_ = nullptr;
  MessageDetail* detail_ = nullptr;
  TimelineView* timeline_ = nullptr;
  CorrelationView* correlation_ = nullptr;
  RateChart* rates_ = nullptr;
  WorkbenchPanel* workbenchPanel_ = nullptr;
  QList<QDockWidget*> leftDocks_;
  QList<QDockWidget*> rightDocks_;
  QLabel* sourcesLabel_ = nullptr;
  QLabel* recordingLabel_ = nullptr;
  QLabel* dropsLabel_ = nullptr;
  QAction* recordAction_ = nullptr;
  bool laidOut_ = false;
  bool userPickedChannel_ = false;  // by mouse or keyboard: the automatic choice stops
  bool autoSelecting_ = false;
};

}  // namespace tofu::monitor
