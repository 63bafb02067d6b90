// tofu-monitor: builds the Session and the MainWindow from the command line, and owns the demo
// scene when there is one (the window only shows engines, it runs none). Without a display it
// runs offscreen and writes a screenshot, so it is useful (and testable) headless.
#include <QApplication>
#include <QIcon>
#include <QTimer>

#include <cstdio>
#include <memory>

#include "command_line.h"
#include "main_window.h"
#include "session.h"
#include "sources/demo_scene.h"

namespace {

constexpr double kDefaultScreenshotSeconds = 5;
constexpr auto kDefaultScreenshotPath = "tofu-monitor-screenshot.png";

bool hasNoDisplay() {
  return qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") &&
         !qEnvironmentVariableIsSet("QT_QPA_PLATFORM");
}

int fail(const QString& text) {
  std::fprintf(stderr, "tofu-monitor: %s\n", qPrintable(text));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Decided before QApplication exists: it picks the platform plugin in its constructor.
  const bool headless = hasNoDisplay();
  if (headless) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  QApplication::setApplicationName(QStringLiteral("tofu-monitor"));
  QApplication::setApplicationVersion(QStringLiteral(TOFU_VERSION));
  QApplication::setDesktopFileName(QStringLiteral("tofu-monitor"));
  QApplication::setWindowIcon(QIcon(QStringLiteral(":/tofu-monitor.svg")));

  tofu::monitor::MonitorOptions options;
  QString message;
  switch (tofu::monitor::parseCommandLine(QApplication::arguments(), options, message)) {
    case tofu::monitor::ParseResult::exitOk:
      std::printf("%s\n", qPrintable(message));
      return 0;
    case tofu::monitor::ParseResult::error:
      std::fprintf(stderr, "tofu-monitor: %s (see --help)\n", qPrintable(message));
      return 2;
    case tofu::monitor::ParseResult::ok:
      break;
  }
  if (headless && options.screenshot.isEmpty()) options.screenshot = QString::fromLatin1(kDefaultScreenshotPath);
  // Settings (~/.config/tofu/tofu-monitor.conf) need an organisation; a screenshot run goes
  // without, so it shows the default layout and leaves the user's settings alone.
  if (options.screenshot.isEmpty()) QApplication::setOrganizationName(QStringLiteral("tofu"));
  if (!options.screenshot.isEmpty() && options.quitAfter <= 0) options.quitAfter = kDefaultScreenshotSeconds;

  tofu::monitor::Session session;
  // Declared before the window, so the window's views go first, then the demo's engines (taking
  // their sources out of the session), then the session.
  std::unique_ptr<tofu::monitor::DemoScene> demo;
  const auto startDemo = [&session, &demo](const tofu::monitor::DemoOptions& demoOptions) {
    if (demo) return;  // the menu may ask again while it runs
    demo = std::make_unique<tofu::monitor::DemoScene>(session, demoOptions);
    demo->start();
  };
  tofu::monitor::MainWindow window(session);
  QObject::connect(&window, &tofu::monitor::MainWindow::demoRequested, [&startDemo] { startDemo({}); });
  if (options.size.isValid()) window.resize(options.size);
  QString error;
  if (!options.record.isEmpty() && !window.startRecording(options.record, &error))
    return fail(QStringLiteral("cannot record to %1: %2").arg(options.record, error));
  if (!options.open.isEmpty() && !window.openCapture(options.open, &error))
    return fail(QStringLiteral("cannot open %1: %2").arg(options.open, error));
  window.setAttachAccess(options.access);
  if (options.access.insecureSkipVerification) {
    std::fprintf(stderr,
                 "tofu-monitor: WARNING: --insecure: the certificates of tls endpoints are NOT "
                 "checked; anyone on the path can read and change their telemetry. For tests only.\n");
  }
  for (const QString& address : options.attach) {
    if (!window.attach(address, options.access, &error)) std::fprintf(stderr, "tofu-monitor: %s\n", qPrintable(error));
  }
  if (options.demo) startDemo({.engines = 3, .floodRate = options.floodRate});
  window.show();

  if (options.quitAfter > 0) {
    QTimer::singleShot(static_cast<int>(options.quitAfter * 1000), &window, [&window, &options] {
      int code = 0;
      if (!options.screenshot.isEmpty()) {
        const QPixmap shot = window.grab();
        if (shot.save(options.screenshot, "PNG")) {
          std::printf("screenshot written to %s (%dx%d)\n", qPrintable(options.screenshot), shot.width(), shot.height());
        } else {
          std::fprintf(stderr, "tofu-monitor: cannot write %s\n", qPrintable(options.screenshot));
          code = 1;
        }
        std::fflush(stdout);
      }
      QApplication::exit(code);
    });
  }
  return QApplication::exec();
}
