#include "command_line.h"

#include <QCommandLineParser>
#include <QCoreApplication>

namespace tofu::monitor {

ParseResult parseCommandLine(const QStringList& arguments, MonitorOptions& out, QString& message) {
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral("Live channels, messages, latencies and rates of tofu engines."));
  const QCommandLineOption help = parser.addHelpOption();
  const QCommandLineOption version = parser.addVersionOption();
  const QCommandLineOption demo(QStringLiteral("demo"), QStringLiteral("Show the built-in live demo scene."));
  const QCommandLineOption attach(QStringLiteral("attach"),
                                  QStringLiteral("Attach to a telemetry endpoint (repeatable), e.g. 'uds|/tmp/app.telemetry'."),
                                  QStringLiteral("ADDRESS"));
  const QCommandLineOption token(
      QStringLiteral("token"),
      QStringLiteral(
          "The telemetry token to present to the --attach endpoints (required for tcp|...; default: "
          "TOFU_TELEMETRY_TOKEN). Also offered by Attach to telemetry..."),
      QStringLiteral("TOKEN"));
  const QCommandLineOption open(QStringLiteral("open"), QStringLiteral("Replay a capture file."), QStringLiteral("FILE"));
  const QCommandLineOption record(QStringLiteral("record"), QStringLiteral("Record everything shown to a capture file (JSON Lines)."),
                                  QStringLiteral("FILE"));
  const QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                      QStringLiteral("Write the main window to a PNG when --quit-after elapses (default 5 s), then exit."),
                                      QStringLiteral("FILE"));
  const QCommandLineOption quitAfter(QStringLiteral("quit-after"), QStringLiteral("Exit after this many seconds."),
                                     QStringLiteral("SECONDS"));
  const QCommandLineOption flood(QStringLiteral("flood"), QStringLiteral("With --demo: add a sender of RATE messages per second."),
                                 QStringLiteral("RATE"));
  const QCommandLineOption size(QStringLiteral("size"), QStringLiteral("Window size, e.g. 1280x800 (default: as last time, else 1600x1000)."),
                                QStringLiteral("WxH"));
  const QCommandLineOption ca(QStringLiteral("ca"),
                              QStringLiteral("tls|... endpoints: trust the CAs in this PEM file (default: the system's)."),
                              QStringLiteral("FILE"));
  const QCommandLineOption cert(QStringLiteral("cert"),
                                QStringLiteral("tls|... endpoints: client certificate (PEM), for endpoints that ask."),
                                QStringLiteral("FILE"));
  const QCommandLineOption key(QStringLiteral("key"), QStringLiteral("The client certificate's private key (PEM)."),
                               QStringLiteral("FILE"));
  const QCommandLineOption insecure(
      QStringLiteral("insecure"),
      QStringLiteral("tls|... endpoints: DO NOT CHECK their certificates. Anyone on the path can then read and "
                     "change the telemetry: for tests only."));
  parser.addOptions({demo, attach, token, ca, cert, key, insecure, open, record, screenshot, quitAfter, flood, size});

  if (!parser.parse(arguments)) {
    message = parser.errorText();
    return ParseResult::error;
  }
  if (parser.isSet(help)) {
    message = parser.helpText();
    return ParseResult::exitOk;
  }
  if (parser.isSet(version)) {
    message = QCoreApplication::applicationName() + QLatin1Char(' ') + QCoreApplication::applicationVersion();
    return ParseResult::exitOk;
  }
  if (!parser.positionalArguments().isEmpty()) {
    message = QStringLiteral("unexpected argument: %1").arg(parser.positionalArguments().front());
    return ParseResult::error;
  }
  out.demo = parser.isSet(demo);
  out.attach = parser.values(attach);
  out.access.token =
      (parser.isSet(token) ? parser.value(token) : qEnvironmentVariable("TOFU_TELEMETRY_TOKEN")).trimmed();
  out.access.caFile = parser.value(ca);
  out.access.certificateFile = parser.value(cert);
  out.access.keyFile = parser.value(key);
  out.access.insecureSkipVerification = parser.isSet(insecure);
  if (out.access.certificateFile.isEmpty() != out.access.keyFile.isEmpty()) {
    message = QStringLiteral("--cert and --key go together");
    return ParseResult::error;
  }
  out.open = parser.value(open);
  out.record = parser.value(record);
  out.screenshot = parser.value(screenshot);
  bool ok = true;
  if (parser.isSet(quitAfter)) {
    out.quitAfter = parser.value(quitAfter).toDouble(&ok);
    if (!ok || out.quitAfter <= 0) {
      message = QStringLiteral("--quit-after needs a positive number of seconds");
      return ParseResult::error;
    }
  }
  if (parser.isSet(flood)) {
    out.floodRate = parser.value(flood).toInt(&ok);
    if (!ok || out.floodRate < 0) {
      message = QStringLiteral("--flood needs a rate in messages per second");
      return ParseResult::error;
    }
    out.demo = true;
  }
  if (parser.isSet(size)) {
    const QStringList parts = parser.value(size).split(QLatin1Char('x'));
    bool okHeight = false;
    out.size = parts.size() == 2 ? QSize(parts[0].toInt(&ok), parts[1].toInt(&okHeight)) : QSize();
    if (!ok || !okHeight || out.size.width() < 200 || out.size.height() < 200) {
      message = QStringLiteral("--size needs WIDTHxHEIGHT in pixels, at least 200x200");
      return ParseResult::error;
    }
  }
  return ParseResult::ok;
}

}  // namespace tofu::monitor
