// A `tofu-cli listen --echo` process for the monitor's tests of attached sources: started on
// loopback port 0, optionally serving telemetry, killed (SIGKILL, no goodbye) when destroyed.
#pragma once

#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace tofu::monitor::test {

constexpr int kCliWaitMs = 10000;

struct CliListener {
  QProcess process;
  QString address;    // its application listener
  QString telemetry;  // its telemetry endpoint, when asked for

  // Starts it and reads its `listening` (and `telemetry`) lines; `environment` is added to
  // this process's environment.
  bool start(const QString& telemetryAddress, const QStringList& environment = {}) {
    QStringList args{QStringLiteral("listen"), QStringLiteral("tcp|127.0.0.1|0"), QStringLiteral("--echo")};
    if (!telemetryAddress.isEmpty()) {
      args << QStringLiteral("--telemetry") << telemetryAddress;
    }
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const QString& entry : environment) {
      env.insert(entry.section(QLatin1Char('='), 0, 0), entry.section(QLatin1Char('='), 1));
    }
    process.setProcessEnvironment(env);
    process.start(QStringLiteral(TOFU_CLI_PATH), args);
    if (!process.waitForStarted(kCliWaitMs)) {
      return false;
    }
    const int lines = telemetryAddress.isEmpty() ? 1 : 2;
    for (int line = 0; line < lines; ++line) {
      while (!process.canReadLine()) {
        if (!process.waitForReadyRead(kCliWaitMs)) {
          return false;
        }
      }
      const QString text = QString::fromUtf8(process.readLine()).trimmed();
      (text.startsWith(QLatin1String("telemetry ")) ? telemetry : address) = text.section(QLatin1Char(' '), 1);
    }
    return !address.isEmpty() && (telemetryAddress.isEmpty() || !telemetry.isEmpty());
  }
  ~CliListener() {
    process.kill();
    process.waitForFinished(kCliWaitMs);
  }
};

}  // namespace tofu::monitor::test
