// TimelineModel: the life of each channel (opened, connecting, ready, closing, closed, with its
// Hello/Welcome/Bye messages and statuses), one list per channel incarnation, for the timeline
// view. Bounded: at most maxChannels channels (oldest closed first) and maxEntries per channel.
// GUI thread only.
#pragma once

#include <QHash>
#include <QList>
#include <QObject>
#include <QString>

#include "tofu/introspection.h"

namespace tofu::monitor {

struct TimelineEntry {
  std::int64_t atNs = 0;
  bool isStateChange = false;
  tofu::ChannelState state = tofu::ChannelState::opening;  // state changes
  tofu::OpCode opCode = tofu::OpCode::Request;             // messages (Hello*, Welcome*, Bye*)
  tofu::Status status = tofu::Status::success;
  bool sent = false;                                       // messages: sent, else received/returned
  std::uint64_t messageId = 0;
  QString label() const;                                   // "ready", "HelloResponse #12 success"
};

struct ChannelKey {
  std::uint64_t engineId = 0;
  std::uint64_t incarnation = 0;
  bool operator==(const ChannelKey&) const = default;
};
size_t qHash(const ChannelKey& key, size_t seed = 0) noexcept;

class TimelineModel : public QObject {
  Q_OBJECT

 public:
  explicit TimelineModel(QObject* parent = nullptr);

  void setLimits(int maxChannels, int maxEntries);
  void addEvents(const QList<tofu::Event>& events);
  QList<TimelineEntry> entries(const ChannelKey& channel) const;
  QList<ChannelKey> channels() const;  // oldest first
  // Channels forgotten because of maxChannels, and entries because of maxEntries.
  quint64 evictedChannels() const noexcept { return evictedChannels_; }
  quint64 evictedEntries() const noexcept { return evictedEntries_; }
  void clear();

 signals:
  void channelChanged(const tofu::monitor::ChannelKey& channel);

 private:
  struct Life {
    QList<TimelineEntry> entries;
    bool closed = false;
  };
  void record(const ChannelKey& key, const TimelineEntry& entry, bool closes);
  void evictChannels();

  QHash<ChannelKey, Life> lives_;
  QList<ChannelKey> order_;  // first seen first
  int maxChannels_ = 5000;
  int maxEntries_ = 200;
  quint64 evictedChannels_ = 0;
  quint64 evictedEntries_ = 0;
};

}  // namespace tofu::monitor
