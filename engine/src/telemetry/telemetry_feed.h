// Internal, not part of the API.
// TelemetryFeed: the subscribers of a telemetry server and what it pushes to them: batches
// of events (JSON Lines) every 100 ms and a snapshot every second. Owns the one EventStream
// of the observed engine, started with the first subscriber and stopped with the last, so an
// engine nobody watches pays nothing. A subscriber is given events only up to the room its
// connection has left (EventRoom); the rest are counted in its `dropped`, so a monitor that
// reads slower than the events come loses events, told, rather than its connection to the
// guard's output bound. Server thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tofu/ampe.h"
#include "tofu/introspection.h"

#include "telemetry/telemetry_sender.h"

namespace tofu::detail {

class TelemetryFeed {
 public:
  using Clock = std::chrono::steady_clock;
  // Builds the current snapshot JSON; nullopt when the observed engine cannot give one.
  using SnapshotBuilder = std::function<std::optional<std::string>()>;
  // Bytes each subscriber's connection may still queue, by channel; a channel not listed has
  // no room.
  using EventRoom = std::function<std::map<std::uint16_t, std::size_t>()>;

  static constexpr std::chrono::milliseconds kEventInterval{100};
  static constexpr std::chrono::milliseconds kSnapshotInterval{1000};

  // Subscribers asking for payloads get the first `bodyLimit` bytes of each body.
  TelemetryFeed(Ampe& observed, TelemetrySender& sender, SnapshotBuilder snapshot, EventRoom room,
                std::uint32_t bodyLimit);
  // Stops observing the engine if still subscribed.
  ~TelemetryFeed();
  TelemetryFeed(const TelemetryFeed&) = delete;
  TelemetryFeed& operator=(const TelemetryFeed&) = delete;

  bool empty() const noexcept { return subscribers_.empty(); }
  bool subscribed(std::uint16_t channel) const { return subscribers_.contains(channel); }

  // Adds `channel` (no-op when already there): its events start now, so the caller may then
  // confirm the subscription. With `payloads`, its events carry the messages' text headers and
  // bodies.
  void add(std::uint16_t channel, bool payloads);
  // Sends `channel` its first snapshot, right after the confirmation.
  void sendFirstSnapshot(std::uint16_t channel) { sendSnapshot({channel}); }
  // Forgets `channel`; stops observing when it was the last. No-op for strangers.
  void remove(std::uint16_t channel);

  // When tick() next has something to do; meaningful only while !empty().
  Clock::time_point nextTick() const noexcept { return nextEvents_; }
  // Sends what is due at `now`.
  void tick(Clock::time_point now);

 private:
  struct Subscriber {
    std::uint64_t droppedBaseline = 0;  // stream drops before it subscribed
    std::uint64_t missed = 0;           // events not posted to it (no room, or its send queue was full)
    std::uint64_t lastReported = 0;     // the `dropped` value it was last told
    bool payloads = false;
  };
  // A run of whole JSON lines that fits one frame body.
  struct Chunk {
    std::size_t offset = 0;
    std::size_t length = 0;
    std::uint64_t events = 0;
  };

  // The events' JSON Lines (with or without payloads) cut into chunks. A line longer than a
  // frame (a payload) is a chunk of its own, sent as one message of several frames.
  struct Batch {
    std::string lines;
    std::vector<Chunk> chunks;
  };
  Batch batch(bool withPayloads) const;
  void startStream(bool payloads);
  void sendEvents();
  // Posts `batch`'s chunks that fit `room` bytes to `subscriber`, telling it how many events it
  // has lost so far; false when its channel is gone.
  bool sendChunks(std::uint16_t channel, Subscriber& subscriber, const Batch& batch, std::size_t room,
                  std::uint64_t streamDropped);
  void sendSnapshot(const std::vector<std::uint16_t>& channels);
  void drop(std::uint16_t channel);

  Ampe& observed_;
  TelemetrySender& sender_;
  SnapshotBuilder snapshot_;
  EventRoom room_;
  std::map<std::uint16_t, Subscriber> subscribers_;
  const std::uint32_t bodyLimit_;
  std::shared_ptr<EventStream> stream_;
  bool streamPayloads_ = false;  // stream_ copies payloads
  std::vector<Event> events_;  // reused buffer for poll()
  std::vector<EventPayload> payloads_;  // one per events_ entry
  Clock::time_point nextEvents_{};
  Clock::time_point nextSnapshot_{};
};

}  // namespace tofu::detail
