#include "models/timeline_model.h"

#include <QHashFunctions>
#include <QSet>

namespace tofu::monitor {
namespace {

// The messages that open and close channels; everything else belongs to the message log.
bool isLifeCycleOpCode(OpCode op) { return typeOf(op) != MessageType::regular; }

}  // namespace

QString TimelineEntry::label() const {
  if (isStateChange) {
    const QString name = QLatin1String(toString(state));
    return status == Status::success ? name : QStringLiteral("%1 %2").arg(name, QLatin1String(toString(status)));
  }
  return QStringLiteral("%1 %2 #%3 %4")
      .arg(QLatin1String(sent ? "sent" : "got"), QLatin1String(toString(opCode)))
      .arg(messageId)
      .arg(QLatin1String(toString(status)));
}

size_t qHash(const ChannelKey& key, size_t seed) noexcept { return qHashMulti(seed, key.engineId, key.incarnation); }

TimelineModel::TimelineModel(QObject* parent) : QObject(parent) {}

void TimelineModel::setLimits(int maxChannels, int maxEntries) {
  maxChannels_ = qMax(1, maxChannels);
  maxEntries_ = qMax(1, maxEntries);
  evictChannels();
}

void TimelineModel::addEvents(const QList<Event>& events) {
  QList<ChannelKey> changed;
  QSet<ChannelKey> seen;
  for (const Event& event : events) {
    const bool isState = event.kind == EventKind::channelState;
    if (!isState && !isLifeCycleOpCode(event.opCode)) {
      continue;
    }
    TimelineEntry entry;
    entry.atNs = event.atNs;
    entry.isStateChange = isState;
    entry.state = event.state;
    entry.opCode = event.opCode;
    entry.status = event.status;
    entry.sent = event.kind == EventKind::messageSent;
    entry.messageId = event.messageId;
    const ChannelKey key{event.engineId, event.incarnation};
    record(key, entry, isState && event.state == ChannelState::closed);
    if (!seen.contains(key)) {
      seen.insert(key);
      changed.append(key);
    }
  }
  evictChannels();
  for (const ChannelKey& key : changed) {
    if (lives_.contains(key)) {
      emit channelChanged(key);
    }
  }
}

void TimelineModel::record(const ChannelKey& key, const TimelineEntry& entry, bool closes) {
  auto it = lives_.find(key);
  if (it == lives_.end()) {
    it = lives_.insert(key, Life{});
    order_.append(key);
  }
  it->entries.append(entry);
  it->closed = it->closed || closes;
  if (it->entries.size() > maxEntries_) {
    // Keep the first entry (how the channel started) and drop the oldest after it.
    it->entries.removeAt(1);
    ++evictedEntries_;
  }
}

// Closed channels go first, oldest first; open ones only when nothing closed is left.
void TimelineModel::evictChannels() {
  for (int i = 0; lives_.size() > maxChannels_ && i < order_.size();) {
    if (lives_.value(order_[i]).closed) {
      lives_.remove(order_.takeAt(i));
      ++evictedChannels_;
    } else {
      ++i;
    }
  }
  while (lives_.size() > maxChannels_) {
    lives_.remove(order_.takeFirst());
    ++evictedChannels_;
  }
}

QList<TimelineEntry> TimelineModel::entries(const ChannelKey& channel) const { return lives_.value(channel).entries; }

QList<ChannelKey> TimelineModel::channels() const { return order_; }

void TimelineModel::clear() {
  lives_.clear();
  order_.clear();
}

}  // namespace tofu::monitor
