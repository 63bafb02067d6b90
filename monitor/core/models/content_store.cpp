#include "models/content_store.h"

#include <QHashFunctions>

#include <cstdlib>

namespace tofu::monitor {
namespace {

// Bookkeeping per entry on top of its bytes, so many tiny messages are bounded too.
constexpr qsizetype kEntryOverhead = 128;

ContentStore::Key keyOf(const tofu::qt::TrafficRecord& record) {
  return {record.engineId, record.channelNumber, record.header.messageId, record.header.proto.opCode,
          record.direction};
}

}  // namespace

size_t qHash(const ContentStore::Key& key, size_t seed) noexcept {
  return qHashMulti(seed, key.engineId, key.channel, key.messageId, static_cast<int>(key.opCode),
                    static_cast<int>(key.direction));
}

ContentStore::ContentStore(qsizetype maxBytes) : maxBytes_(maxBytes) {}

void ContentStore::add(const tofu::qt::TrafficRecord& record) {
  Q_ASSERT(record.contentComplete);
  Entry entry{keyOf(record), record, record.textHeaders.size() + record.body.size() + kEntryOverhead};
  index_.insert(entry.key, firstSerial_ + entries_.size());
  bytes_ += entry.bytes;
  entries_.push_back(std::move(entry));
  while (bytes_ > maxBytes_ && !entries_.empty()) {
    const Entry& oldest = entries_.front();
    index_.remove(oldest.key, firstSerial_);
    bytes_ -= oldest.bytes;
    entries_.pop_front();
    ++firstSerial_;
    ++evicted_;
  }
}

std::optional<tofu::qt::TrafficRecord> ContentStore::find(const tofu::qt::TrafficRecord& record) const {
  const Entry* best = nullptr;
  for (auto it = index_.constFind(keyOf(record)); it != index_.cend() && it.key() == keyOf(record); ++it) {
    const Entry& entry = entries_[static_cast<std::size_t>(it.value() - firstSerial_)];
    const tofu::BinaryHeader& header = entry.record.header;
    if (header.proto.more != record.header.proto.more || header.textHeadersLen != record.header.textHeadersLen ||
        header.bodyLen != record.header.bodyLen) {
      continue;
    }
    if (best == nullptr ||
        std::llabs(entry.record.atNs - record.atNs) < std::llabs(best->record.atNs - record.atNs)) {
      best = &entry;
    }
  }
  if (best == nullptr) {
    return std::nullopt;
  }
  return best->record;
}

void ContentStore::clear() {
  entries_.clear();
  index_.clear();
  bytes_ = 0;
  firstSerial_ = 0;
}

}  // namespace tofu::monitor
