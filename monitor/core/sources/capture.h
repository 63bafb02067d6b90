// Capture files: JSON Lines of snapshots, events and content records with their source
// (docs/capture-format.md). CaptureWriter appends; CaptureSource replays a file as an offline
// Source with every view populated. GUI thread only.
#pragma once

#include <QFile>
#include <QHash>
#include <QJsonObject>
#include <QPair>
#include <QString>

#include "tofu/telemetry/json_value.h"

#include "models/capture_log_model.h"
#include "sources/source.h"

namespace tofu::monitor {

inline constexpr char kCaptureFormat[] = "tofu-monitor-capture";
inline constexpr int kCaptureVersion = 1;

class CaptureWriter {
 public:
  // False with `error` set when the file cannot be created. Writes the header line.
  bool open(const QString& path, QString* error);
  void writeSnapshot(const QString& sourceName, const tofu::EngineSnapshot& snapshot);
  void writeEvents(const QString& sourceName, const QList<tofu::Event>& events);
  void writeContent(const QString& sourceName, const QList<tofu::qt::TrafficRecord>& records);
  // `sourceName` (re)connected: what follows may come from a new process (a new incarnation).
  void writeConnected(const QString& sourceName);
  void close();

 private:
  void write(const QJsonObject& line);
  void write(const QByteArray& line);

  QFile file_;
};

class CaptureSource : public Source {
  Q_OBJECT

 public:
  explicit CaptureSource(const QString& path, QObject* parent = nullptr);
  QString name() const override;
  QString kindName() const override;
  // The name of the source an engine came from when it was recorded.
  QString engineName(std::uint64_t engineId) const override;
  // Reads the whole file and emits its contents (add the source to a Session first); false with
  // `error` (line number and reason) when the file is missing or a line is malformed. A last line
  // without its newline (the recording was cut) is ignored. Blocks while it reads.
  bool load(QString* error);
  // Every message event of the file, paged from it (filled by load()).
  CaptureLogModel& log() noexcept { return log_; }
  // Complete lines read by load(), header included.
  qint64 linesRead() const noexcept { return linesRead_; }

 private:
  bool readLine(const QByteArray& line, qint64 offset, QString* error);
  // Engines of different recorded sources may share an id: each (source, id) gets its own.
  std::uint64_t engineIdFor(const QString& sourceName, std::uint64_t recordedId);

  QString path_;
  QHash<QPair<QString, std::uint64_t>, std::uint64_t> engineIds_;
  QHash<std::uint64_t, QString> engineNames_;
  std::int64_t headerClockOffsetNs_ = 0;  // of the recording host; 0 when the header has none
  CaptureLogModel log_;
  qint64 linesRead_ = 0;
};

// The JSON of one content record, and back (false with `error` when malformed). Written with
// QJson (the log export extends the object), read with the telemetry codec's reader like every
// other line of a capture.
QJsonObject recordToJson(const tofu::qt::TrafficRecord& record);
bool recordFromJson(const tofu::telemetry::JsonValue& object, tofu::qt::TrafficRecord& out, QString* error);

}  // namespace tofu::monitor
