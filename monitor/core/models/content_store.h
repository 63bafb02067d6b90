// ContentStore: the whole text headers and body of recently seen messages, for the detail
// view, keyed by (engine, channel, message id, opcode, direction). Bounded in bytes; the
// oldest entries go first and are counted. GUI thread only.
#pragma once

#include <QHash>
#include <optional>

#include <deque>

#include "tofu/qt/models/traffic_record.h"

namespace tofu::monitor {

class ContentStore {
 public:
  explicit ContentStore(qsizetype maxBytes = 64 * 1024 * 1024);

  void add(const tofu::qt::TrafficRecord& record);  // record.contentComplete must be true
  // The whole content matching `record` (same key), if still held. Frames of one stream share
  // a key: the one with the same sizes and `more` flag closest in time is returned.
  std::optional<tofu::qt::TrafficRecord> find(const tofu::qt::TrafficRecord& record) const;
  qsizetype bytes() const noexcept { return bytes_; }
  quint64 evicted() const noexcept { return evicted_; }
  qsizetype size() const noexcept { return static_cast<qsizetype>(entries_.size()); }
  void clear();

  struct Key {
    std::uint64_t engineId = 0;
    quint16 channel = 0;
    quint64 messageId = 0;
    tofu::OpCode opCode = tofu::OpCode::Request;
    tofu::qt::Direction direction = tofu::qt::Direction::received;
    bool operator==(const Key&) const = default;
  };

 private:
  struct Entry {
    Key key;
    tofu::qt::TrafficRecord record;
    qsizetype bytes = 0;
  };

  qsizetype maxBytes_;
  qsizetype bytes_ = 0;
  quint64 evicted_ = 0;
  std::deque<Entry> entries_;   // oldest first
  quint64 firstSerial_ = 0;     // serial of entries_.front(); entry i has serial firstSerial_ + i
  QMultiHash<Key, quint64> index_;
};

size_t qHash(const ContentStore::Key& key, size_t seed = 0) noexcept;

}  // namespace tofu::monitor
