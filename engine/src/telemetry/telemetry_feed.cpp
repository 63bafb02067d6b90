#include "telemetry/telemetry_feed.h"

#include <string_view>
#include <utility>

#include "tofu/wire_format.h"

#include "telemetry/telemetry_json.h"

namespace tofu::detail {
namespace {

// The whole ring per tick at most, so one tick drains what 100 ms can produce.
constexpr std::size_t kMaxEventsPerTick = ObserverOptions{}.capacity;

}  // namespace

TelemetryFeed::TelemetryFeed(Ampe& observed, TelemetrySender& sender, SnapshotBuilder snapshot)
    : observed_(observed), sender_(sender), snapshot_(std::move(snapshot)) {}

TelemetryFeed::~TelemetryFeed() {
  if (stream_) observed_.stopObserving();
}

void TelemetryFeed::add(std::uint16_t channel) {
  if (subscribed(channel)) return;
  if (!stream_) {
    stream_ = observed_.startObserving(ObserverOptions{});
    const Clock::time_point now = Clock::now();
    nextEvents_ = now + kEventInterval;
    nextSnapshot_ = now + kSnapshotInterval;
  }
  Subscriber subscriber;
  subscriber.droppedBaseline = stream_->dropped();
  subscriber.lastReported = 0;
  subscribers_.emplace(channel, subscriber);
  sendSnapshot({channel});
}

void TelemetryFeed::remove(std::uint16_t channel) {
  if (subscribers_.erase(channel) == 0 || !subscribers_.empty()) return;
  observed_.stopObserving();
  stream_.reset();
  std::vector<Event>().swap(events_);  // up to a whole ring of events: give it back
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

void TelemetryFeed::sendEvents() {
  events_.clear();
  stream_->poll(events_, kMaxEventsPerTick);
  // JSON Lines, cut at line ends into frame-sized chunks: every frame is self-contained.
  std::string lines;
  std::vector<Chunk> chunks;
  for (const Event& event : events_) {
    const std::size_t start = lines.size();
    appendEventJsonLine(lines, event);
    if (chunks.empty() || lines.size() - chunks.back().offset > kMaxBodyLen) {
      chunks.push_back({start, 0, 0});
    }
    chunks.back().length = lines.size() - chunks.back().offset;
    ++chunks.back().events;
  }
  const std::uint64_t streamDropped = stream_->dropped();
  std::vector<std::uint16_t> gone;
  for (auto& [channel, subscriber] : subscribers_) {
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
    for (const Chunk& chunk : chunks) {
      const std::uint64_t dropped = streamDropped - subscriber.droppedBaseline + subscriber.missed;
      const std::string droppedText = std::to_string(dropped);
      const std::string_view body = std::string_view(lines).substr(chunk.offset, chunk.length);
      const Status sent =
          sender_.send(nullptr, {OpCode::Signal, channel, 0, "events"}, body, {{"dropped", droppedText}});
      if (sent == Status::success) {
        subscriber.lastReported = dropped;
      } else if (sent == Status::notification_failed) {
        subscriber.missed += chunk.events;  // its queue is full: it learns of the loss later
      } else {
        gone.push_back(channel);  // the channel is gone; its channel_closed is on the way
        break;
      }
    }
  }
  for (const std::uint16_t channel : gone) remove(channel);
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
