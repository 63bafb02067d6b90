// CorrelationModel: pairs each Request with its Response by (engine, channel, message id),
// with the latency; lists outstanding requests with their age; groups streamed messages
// (`more`) with one id as one job. One row per request or stream job. Pairs both ways: a
// Request sent and a Response received (client), or received and sent (server). A Request
// returned unsent, or outstanding when its channel closes, is failed. New rows are inserted
// in batches on a timer; past maxRows the oldest rows go. GUI thread only.
#pragma once

#include <QAbstractTableModel>
#include <QHash>
#include <QTimer>

#include <deque>
#include <functional>

#include "tofu/introspection.h"
#include "tofu/qt/models/traffic_record.h"

namespace tofu::monitor {

class CorrelationModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column { engine, channel, messageId, kind /* request | stream */, state /* outstanding | answered | failed */,
                frames, bytes, startedAt, latency /* or age when outstanding */, columnTotal };

  explicit CorrelationModel(QObject* parent = nullptr);

  void addRecords(const QList<tofu::qt::TrafficRecord>& records);
  void addEvents(const QList<tofu::Event>& events);
  void setMaxRows(int rows);
  void setEngineName(std::uint64_t engineId, const QString& name);
  void clear();
  void flush();

  int outstandingCount() const;
  // Requests answered and failed since the last clear(), rows evicted or not.
  quint64 answeredCount() const noexcept { return answered_; }
  quint64 failedCount() const noexcept { return failed_; }
  // Latencies (ns) of the newest answered requests (at most 100,000), in the order answered.
  QList<std::int64_t> latencies() const;
  // The engine's outstanding requests will never be seen answered (its source is gone, or
  // serves a restarted process): they become `unobserved` and stop counting as outstanding.
  void forgetEngine(std::uint64_t engineId, std::int64_t atNs);
  // The shown row of the request or stream job a frame with this id belongs to, newest
  // first; -1 when none is shown.
  int rowOf(std::uint64_t engineId, quint16 channelNumber, quint64 id) const;

  enum class State { outstanding, answered, failed, unobserved };
  struct Row {
    std::uint64_t engineId = 0;
    quint16 channel = 0;
    quint64 messageId = 0;
    bool isStream = false;
    tofu::qt::Direction direction = tofu::qt::Direction::sent;  // of the request / stream frames
    State state = State::outstanding;
    tofu::Status status = tofu::Status::success;  // why it failed
    int frames = 0;                               // request and response frames / stream frames
    quint64 bytes = 0;
    std::int64_t startedNs = 0;
    std::int64_t endedNs = 0;  // answered or failed
  };
  const Row& rowAt(int row) const;
  quint64 evictedRows() const noexcept { return evicted_; }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

 private:
  struct Key {
    std::uint64_t engineId = 0;
    quint16 channel = 0;
    quint64 messageId = 0;
    bool isStream = false;
    bool operator==(const Key&) const = default;
    friend size_t qHash(const Key& key, size_t seed) noexcept {
      return qHashMulti(seed, key.engineId, key.channel, key.messageId, key.isStream);
    }
  };
  // Rows are addressed by their index in rows_; -1 for none.
  void addRecord(const tofu::qt::TrafficRecord& record);
  int openRow(const Key& key) const;
  void start(const Key& key, const tofu::qt::TrafficRecord& record);
  void update(int row, const tofu::qt::TrafficRecord& record);
  void finish(int row, State outcome, tofu::Status status, std::int64_t atNs);
  void failChannel(std::uint64_t engineId, quint16 channelNumber, tofu::Status status, std::int64_t atNs);
  void finishOpen(const std::function<bool(const Key&)>& matches, State outcome, tofu::Status status, std::int64_t atNs);
  void changed(int row);
  void scheduleFlush();
  QVariant display(const Row& row, int column) const;
  QVariant sortValue(const Row& row, int column) const;

  std::deque<Row> rows_;        // [0, shown_) are in the model, the rest wait for flush()
  int shown_ = 0;
  quint64 firstSerial_ = 0;     // serial of rows_.front()
  QHash<Key, quint64> open_;    // outstanding rows by key, as serials
  QHash<std::uint64_t, QString> engineNames_;
  QList<std::int64_t> latencies_;
  quint64 answered_ = 0;
  quint64 failed_ = 0;
  int minChanged_ = -1;         // shown rows changed since the last flush
  int maxChanged_ = -1;
  int maxRows_ = 10000;
  quint64 evicted_ = 0;
  QTimer flushTimer_;
  QTimer ageTimer_;  // outstanding rows show their age: refreshed once a second
};

}  // namespace tofu::monitor
