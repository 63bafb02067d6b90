// Session: everything the monitor shows, fed by any number of sources. Owns the sources and
// the models (channels, traffic, timeline, correlation, rates, engines); views only read the
// models. Optionally records everything it receives to a capture file. Engine ids are only
// unique within a process, so each (source, engine id) gets a session-wide id before the
// models see it; a source that reconnects (a restarted process) gets new ids. GUI thread only.
#pragma once

#include <QHash>
#include <QList>
#include <QObject>
#include <QString>

#include <memory>

#include "tofu/qt/models/channel_table_model.h"
#include "tofu/qt/models/traffic_model.h"

#include "models/content_store.h"
#include "models/correlation_model.h"
#include "models/engine_list_model.h"
#include "models/rate_series.h"
#include "models/time_format.h"
#include "models/timeline_model.h"
#include "sources/source.h"

namespace tofu::monitor {

class CaptureWriter;

class Session : public QObject {
  Q_OBJECT

 public:
  explicit Session(QObject* parent = nullptr);
  ~Session() override;

  // Takes ownership and starts showing what `source` reports.
  void addSource(Source* source);
  // Removes and deletes `source`, with its engines' rows.
  void removeSource(Source* source);
  QList<Source*> sources() const;
  // The source called `name` (an attached address, say), or null.
  Source* findSource(const QString& name) const;

  // Starts writing every snapshot, event and content record to `path` (JSON Lines,
  // docs/capture-format.md); false with `error` set if the file cannot be opened.
  bool startRecording(const QString& path, QString* error);
  void stopRecording();
  bool isRecording() const noexcept;

  tofu::qt::ChannelTableModel& channels() noexcept { return channels_; }
  tofu::qt::TrafficModel& traffic() noexcept { return traffic_; }
  TimelineModel& timeline() noexcept { return timeline_; }
  CorrelationModel& correlation() noexcept { return correlation_; }
  RateSeries& rates() noexcept { return rates_; }
  EngineListModel& engines() noexcept { return engines_; }
  ContentStore& content() noexcept { return content_; }
  TimeFormat& timeFormat() noexcept { return timeFormat_; }

  // The session-wide id of `source`'s engine `engineId` (given on first sight). The tables
  // name it by Source::engineName, the engines panel by Source::engineDescription.
  std::uint64_t engineIdFor(Source* source, std::uint64_t engineId);
  // Source::engineDescription of a session-wide engine id (empty for an unknown id).
  QString engineDescription(std::uint64_t sessionEngineId) const { return descriptions_.value(sessionEngineId); }

 signals:
  void sourcesChanged();
  void recordingChanged(bool recording);

 private:
  void onSnapshot(Source* source, const tofu::EngineSnapshot& snapshot);
  void onEvents(Source* source, const QList<tofu::Event>& events);
  void onContent(Source* source, const QList<tofu::qt::TrafficRecord>& records);
  void onStateChanged(Source* source, Source::State state);
  void forgetEngines(Source* source);

  tofu::qt::ChannelTableModel channels_;
  tofu::qt::TrafficModel traffic_;
  TimelineModel timeline_;
  CorrelationModel correlation_;
  TimeFormat timeFormat_;  // before the models that convert times with it
  RateSeries rates_{timeFormat_};
  EngineListModel engines_;
  ContentStore content_;
  QList<Source*> sources_;
  std::unique_ptr<CaptureWriter> recorder_;
  QHash<Source*, QHash<std::uint64_t, std::uint64_t>> engineIds_;  // source's id -> session id
  QHash<std::uint64_t, QString> descriptions_;                       // session id -> description
  std::uint64_t nextEngineId_ = 1;
};

}  // namespace tofu::monitor
