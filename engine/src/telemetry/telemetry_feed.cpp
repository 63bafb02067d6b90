#include "telemetry/telemetry_feed.h"

#include <string_view>
#include <utility>

#include "tofu/telemetry/codec.h"
#include "tofu/wire_format.h"

namespace tofu::detail {
namespace {

// The whole ring per tick at most, so one tick drains what 100 ms can produce.
constexpr std::size_t kMaxEventsPerTick = ObserverOptions{}.capacity;

}  // namespace

TelemetryFeed::TelemetryFeed(Ampe& observed, TelemetrySender& sender, SnapshotBuilder snapshot, EventRoom room,
                             std::uint32_t bodyLimit)
    : observed_(observed),
      sender_(sender),
      snapshot_(std::move(snapshot)),
      room_(std::move(room)),
      bodyLimit_(bodyLimit) {}

TelemetryFeed::~TelemetryFeed() {
  if (stream_) observed_.stopObserving();
}

void TelemetryFeed::startStream(bool payloads) {
  ObserverOptions options;
  options.payloads = payloads;
  options.payloadBodyBytes = bodyLimit_;
  stream_ = observed_.startObserving(options);
  streamPayloads_ = payloads;
}

void TelemetryFeed::add(std::uint16_t channel, bool payloads) {
  if (subscribed(channel)) return;
  if (!stream_) {
    startStream(payloads);
    const Clock::time_point now = Clock::now();
    nextEvents_ = now + kEventInterval;
    nextSnapshot_ = now + kSnapshotInterval;
  } else if (payloads && !streamPayloads_) {
    // The subscribers so far get what the old stream holds; the new one copies payloads.
    sendEvents();
    const std::uint64_t oldDropped = stream_->dropped();
    startStream(true);
    for (auto& entry : subscribers_) entry.second.droppedBaseline -= oldDropped;  // the new count starts at 0
  }
  Subscriber subscriber;
  subscriber.payloads = payloads;
  subscriber.droppedBaseline = stream_->dropped();
  subscriber.lastReported = 0;
  subscribers_.emplace(channel, subscriber);
}

void TelemetryFeed::remove(std::uint16_t channel) {
  if (subscribers_.erase(channel) == 0 || !subscribers_.empty()) return;
  observed_.stopObserving();
  stream_.reset();
  streamPayloads_ = false;
  std::vector<Event>().swap(events_);  // up to a whole ring of events: give it back
  std::vector<EventPayload>().swap(payloads_);
}

void TelemetryFeed::drop(std::uint16_t channel) {
  sender_.abort(channel);
  remove(channel);
}

void TelemetryFeed::tick(Clock::time_point now) {
  if (empty()) return;
  if (now >= nextEvents_) {
    sendEvents();
    nextEvents_ = now + kEventInterval;
  }
  if (!empty() && now >= nextSnapshot_) {
    std::vector<std::uint16_t> everyone;
    for (const auto& entry : subscribers_) everyone.push_back(entry.first);
    sendSnapshot(everyone);
    nextSnapshot_ = now + kSnapshotInterval;
  }
}

TelemetryFeed::Batch TelemetryFeed::batch(bool withPayloads) const {
  // JSON Lines, cut at line ends into frame-sized chunks: every frame is self-contained.
  Batch out;
  for (std::size_t i = 0; i < events_.size(); ++i) {
    const std::size_t start = out.lines.size();
    telemetry::appendEventJsonLine(out.lines, events_[i], withPayloads ? &payloads_[i] : nullptr);
    if (out.chunks.empty() || out.lines.size() - out.chunks.back().offset > kMaxBodyLen) {
      out.chunks.push_back({start, 0, 0});
    }
    out.chunks.back().length = out.lines.size() - out.chunks.back().offset;
    ++out.chunks.back().events;
  }
  return out;
}

void TelemetryFeed::sendEvents() {
  events_.clear();
  payloads_.clear();
  stream_->pollWithPayloads(events_, payloads_, kMaxEventsPerTick);
  std::optional<Batch> plain;
  std::optional<Batch> full;
  const std::uint64_t streamDropped = stream_->dropped();
  const std::map<std::uint16_t, std::size_t> room = events_.empty() ? std::map<std::uint16_t, std::size_t>{} : room_();
  std::vector<std::uint16_t> gone;
  for (auto& [channel, subscriber] : subscribers_) {
    std::optional<Batch>& mine = subscriber.payloads ? full : plain;
    if (!mine) mine = batch(subscriber.payloads);
    const std::vector<Chunk>& chunks = mine->chunks;
    const std::uint64_t before = streamDropped - subscriber.droppedBaseline + subscriber.missed;
    if (chunks.empty() && before == subscriber.lastReported) continue;
    if (chunks.empty()) {
      const std::string dropped = std::to_string(before);
      if (sender_.send(nullptr, {OpCode::Signal, channel, 0, "events"}, {}, {{"dropped", dropped}}) ==
          Status::success) {
        subscriber.lastReported = before;
      }
      continue;
    }
    const auto found = room.find(channel);
    if (!sendChunks(channel, subscriber, *mine, found == room.end() ? 0 : found->second, streamDropped)) {
      gone.push_back(channel);  // the channel is gone; its channel_closed is on the way
    }
  }
  for (const std::uint16_t channel : gone) remove(channel);
}

bool TelemetryFeed::sendChunks(std::uint16_t channel, Subscriber& subscriber, const Batch& batch, std::size_t room,
                               std::uint64_t streamDropped) {
  for (const Chunk& chunk : batch.chunks) {
    if (chunk.length > room) {
      subscriber.missed += chunk.events;  // it reads slower than they come: it learns of the loss
      continue;
    }
    room -= chunk.length;
    const std::uint64_t dropped = streamDropped - subscriber.droppedBaseline + subscriber.missed;
    const std::string droppedText = std::to_string(dropped);
    const std::string_view body = std::string_view(batch.lines).substr(chunk.offset, chunk.length);
    const Status sent = sender_.send(nullptr, {OpCode::Signal, channel, 0, "events"}, body, {{"dropped", droppedText}});
    if (sent == Status::success) {
      subscriber.lastReported = dropped;
    } else if (sent == Status::notification_failed) {
      subscriber.missed += chunk.events;  // its queue is full: it learns of the loss later
    } else {
      return false;
    }
  }
  return true;
}

void TelemetryFeed::sendSnapshot(const std::vector<std::uint16_t>& channels) {
  const std::optional<std::string> json = snapshot_();
  if (!json) return;
  for (const std::uint16_t channel : channels) {
    // A half-posted snapshot would leave the monitor with an unfinished message: a monitor
    // that cannot take a whole one is disconnected instead.
    if (sender_.send(nullptr, {OpCode::Signal, channel, 0, "snapshot"}, *json) != Status::success)
      drop(channel);
  }
}

}  // namespace tofu::detail
