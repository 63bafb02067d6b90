// CaptureLogModel: the message log of a capture file, paged from the file rather than held:
// an index of the lines that hold message events (byte offset, first row, engines) built while
// CaptureSource reads the file, and rows decoded on demand (the last few lines cached). Shown in
// wall-clock order across engines; costs 12 bytes a row, so a million-event capture shows every
// row. Keeps the file open. GUI thread only.
#pragma once

#include <QAbstractTableModel>
#include <QFile>
#include <QHash>
#include <QList>

#include <functional>
#include <vector>

#include "tofu/qt/models/traffic_record.h"

namespace tofu::monitor {

class CaptureLogModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  // Maps an engine id as the capture numbers it to the id the rest of the monitor uses.
  using EngineIdMap = std::function<std::uint64_t(std::uint64_t captureEngineId)>;

  explicit CaptureLogModel(const QString& path, QObject* parent = nullptr);

  // While the file is read: the `events` line starting at byte `offset` holds `events` (engine ids
  // as recorded), whose engines the capture numbers as `recordedToCapture` says.
  void addLine(qint64 offset, const QList<tofu::Event>& events,
               const QHash<std::uint64_t, std::uint64_t>& recordedToCapture);
  void setEngineName(std::uint64_t captureEngineId, const QString& name);
  void setClockOffset(std::uint64_t captureEngineId, std::int64_t wallMinusMonotonicNs);
  // Reading done: orders the rows by wall-clock time and shows them.
  void finish();
  void setEngineIdMap(EngineIdMap map) { engineIdMap_ = std::move(map); }

  // Row `row` (in time order), decoded from the file; engine id as the monitor numbers it.
  tofu::qt::TrafficRecord recordAt(int row) const;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

 private:
  struct Line {
    qint64 offset = 0;
    qint64 firstRow = 0;  // in file order
    std::vector<std::pair<std::uint64_t, std::uint64_t>> engines;  // recorded id -> capture id
  };
  struct DecodedLine {
    std::size_t line = 0;
    QList<tofu::qt::TrafficRecord> records;
  };

  const QList<tofu::qt::TrafficRecord>& decoded(std::size_t line) const;
  std::uint64_t captureEngineId(const Line& line, std::uint64_t recordedId) const;

  // Written while the file is read, then constant.
  std::vector<Line> lines_;
  std::vector<std::int64_t> rowTimes_;  // file order: monotonic stamp, then wall after finish()
  std::vector<std::uint32_t> order_;    // shown row -> file row
  QHash<std::uint64_t, QString> names_;
  QHash<std::uint64_t, std::int64_t> offsets_;
  std::vector<std::uint64_t> lineEngine_;  // the capture engine id of each line's first record
  EngineIdMap engineIdMap_;
  int shownRows_ = 0;

  // The page cache: reading a row may read its line from the file.
  mutable QFile file_;
  mutable QList<DecodedLine> cache_;  // most recently used first
  mutable QHash<std::uint64_t, QString> labels_;  // engine names by the monitor's ids
};

}  // namespace tofu::monitor
