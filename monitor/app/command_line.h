// The monitor's command line: sources to show, capture files, and the headless screenshot run.
// Parsed with QCommandLineParser; no side effects beyond filling MonitorOptions (it reads
// TOFU_TELEMETRY_TOKEN when --token is not given).
#pragma once

#include <QSize>
#include <QString>
#include <QStringList>

#include "sources/telemetry_source.h"

namespace tofu::monitor {

struct MonitorOptions {
  bool demo = false;
  QStringList attach;       // telemetry addresses, in order
  // Their telemetry token (--token, else TOFU_TELEMETRY_TOKEN; empty: none) and, for tls|...,
  // --ca, --cert, --key and --insecure.
  TelemetryAccess access;
  QString open;             // capture file to replay
  QString record;           // capture file to write
  QString screenshot;       // PNG to write, then exit
  double quitAfter = 0;     // seconds; 0: run until closed
  int floodRate = 0;        // demo flood, messages per second
  QSize size;               // --size WxH; invalid: the saved size, else 1600x1000
};

enum class ParseResult { ok, exitOk /* --help, --version */, error };

// Parses `arguments` (argv, program name first). On exitOk, `message` has the help or version
// text; on error, the reason.
ParseResult parseCommandLine(const QStringList& arguments, MonitorOptions& out, QString& message);

}  // namespace tofu::monitor
