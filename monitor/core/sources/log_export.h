// Export of a message log (the whole log, or the rows a filter shows) as CSV, JSON or pcapng
// (docs/capture-format.md, "Exports"). Rows are read from any log model (TrafficModel,
// CaptureLogModel or a filter proxy over one) through RecordRole; the whole content comes from
// the ContentStore when a row holds only a preview. Blocks while it writes. GUI thread only.
#pragma once

#include <QAbstractItemModel>
#include <QString>

namespace tofu::monitor {

class ContentStore;
class TimeFormat;

enum class ExportFormat { csv, json, pcapng };

struct ExportContext {
  const TimeFormat* time = nullptr;         // wall clock and the time text; required
  const ContentStore* content = nullptr;    // whole content of preview rows; may be null
};

// Writes every row of `model` to `path`; false with `error` set when the file cannot be written.
bool exportLog(const QAbstractItemModel& model, ExportFormat format, const QString& path, const ExportContext& context,
               QString* error);

}  // namespace tofu::monitor
