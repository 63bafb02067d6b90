// Introspection (DECISIONS.md A1): what an engine is doing, for monitors and tests.
// A snapshot of every channel, group and the pool, and a bounded stream of events.
// Plain values: copy them freely. The functions that produce them are on Ampe (ampe.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tofu/message.h"
#include "tofu/status.h"

namespace tofu {

// Totals since the engine started, for accounting and tests. Each field is read atomically
// on its own; the set is not one consistent snapshot.
struct EngineCounters {
  std::uint64_t framesWritten = 0;     // frames completely written to sockets
  std::uint64_t bytesWritten = 0;
  std::uint64_t framesRead = 0;        // frames completely received and delivered
  std::uint64_t bytesRead = 0;
  std::uint64_t messagesReturned = 0;  // posted messages handed back with a non-zero status
  std::uint64_t poolEmptyEpisodes = 0; // pool_empty notifications emitted (B5)
  std::uint64_t channelsOpened = 0;
  std::uint64_t channelsClosed = 0;
};

// Nanoseconds of CLOCK_MONOTONIC, the clock of every introspection timestamp (0 = never).
std::int64_t monotonicNowNs() noexcept;
// Nanoseconds of CLOCK_REALTIME since the Unix epoch (wall-clock time).
std::int64_t wallClockNowNs() noexcept;

enum class ChannelKind : std::uint8_t { listener, clientIo, serverIo };
enum class ChannelState : std::uint8_t {
  opening,     // posted, not yet handled by the I/O thread (or a host name being resolved)
  connecting,  // client: connect() in progress
  ready,       // listening, or connected
  closing,     // Bye written or received: finishing the graceful exchange
  closed,      // gone; kept in snapshots for a while with its close reason
};
const char* toString(ChannelKind kind) noexcept;
const char* toString(ChannelState state) noexcept;

struct ChannelInfo {
  std::uint64_t engineId = 0;
  std::uint16_t channelNumber = 0;
  std::uint64_t incarnation = 0;  // unique per engine, never reused
  ChannelKind kind = ChannelKind::clientIo;
  ChannelState state = ChannelState::opening;
  std::uint64_t groupId = 0;
  std::string localAddress;  // header value syntax ("tcp|127.0.0.1|7099"); empty if unknown
  std::string peerAddress;
  std::uint64_t messagesSent = 0;  // frames written completely
  std::uint64_t bytesSent = 0;
  std::uint64_t messagesReceived = 0;  // frames received completely
  std::uint64_t bytesReceived = 0;
  std::uint64_t sendQueueMessages = 0;  // frames not yet written
  std::uint64_t sendQueueBytes = 0;
  std::int64_t lastSendNs = 0;
  std::int64_t lastReceiveNs = 0;
  Status closeReason = Status::success;  // set once closed
};

struct GroupInfo {
  std::uint64_t groupId = 0;
  std::size_t receiveQueueDepth = 0;  // messages waiting for waitReceive()
};

struct PoolInfo {
  std::size_t idle = 0;       // messages in the pool
  std::size_t inUse = 0;      // pool-made messages out of the pool (app, queues, sockets)
  std::size_t allocated = 0;  // pool-made messages alive (idle + inUse)
  std::uint64_t poolEmptyEpisodes = 0;
};

struct EngineSnapshot {
  std::uint64_t engineId = 0;
  std::int64_t takenAtNs = 0;
  std::int64_t takenAtWallNs = 0;  // CLOCK_REALTIME at takenAtNs: turns the engine's monotonic stamps into wall-clock time
  std::vector<ChannelInfo> channels;  // open ones, then the most recently closed
  std::vector<GroupInfo> groups;
  PoolInfo pool;
  EngineCounters totals;
};

enum class EventKind : std::uint8_t {
  channelState,     // a channel changed state; `status` is the close reason once closed
  messageSent,      // a posted frame was written completely (posted and written times)
  messageReturned,  // a posted message came back to its group with `status` (posted time)
  messageReceived,  // a received frame reached waitReceive() (read and delivered times)
};
const char* toString(EventKind kind) noexcept;

struct Event {
  static constexpr std::size_t kMaxPreview = 64;

  EventKind kind = EventKind::channelState;
  std::uint64_t engineId = 0;
  std::uint16_t channelNumber = 0;
  std::uint64_t incarnation = 0;
  ChannelState state = ChannelState::opening;  // channelState only
  OpCode opCode = OpCode::Request;
  Status status = Status::success;
  bool more = false;
  std::uint64_t messageId = 0;
  std::uint16_t headersLen = 0;
  std::uint16_t bodyLen = 0;
  // The four points of a message's life; 0 where it does not apply.
  std::int64_t postedNs = 0;
  std::int64_t writtenNs = 0;
  std::int64_t readNs = 0;
  std::int64_t deliveredNs = 0;
  std::int64_t atNs = 0;  // when the event happened
  // The first bytes of the text headers, then of the body (ObserverOptions::previewBytes).
  std::uint8_t previewHeadersLen = 0;
  std::uint8_t previewBodyLen = 0;
  std::array<std::uint8_t, kMaxPreview> preview{};
};

// A copy of one message's sections, taken with its event when ObserverOptions::payloads is on.
struct EventPayload {
  bool taken = false;       // false: a channel event, payloads off, or the payload budget was spent
  std::string textHeaders;  // all of them
  std::string body;         // the first min(Event::bodyLen, ObserverOptions::payloadBodyBytes) bytes
};

struct ObserverOptions {
  std::size_t capacity = 16384;  // events buffered (rounded up to a power of two); when full, new ones are dropped and counted
  std::size_t previewBytes = 0;  // 0..Event::kMaxPreview, split between headers and body
  // Copy each message's whole text headers and the first payloadBodyBytes of its body (one
  // allocation per message event, on the thread that publishes it), read with pollWithPayloads().
  bool payloads = false;
  std::size_t payloadBodyBytes = 0;
  // Payload bytes buffered at most; past it, events still go in but without their payload.
  std::size_t payloadBufferBytes = 64 * 1024 * 1024;
};

// The consuming end of an engine's event stream. The engine never waits for it: when the
// buffer is full, events are dropped and counted. One consumer thread; thread-safe against
// the engine. Stop it with Ampe::stopObserving() or by destroying the engine.
class EventStream {
 public:
  virtual ~EventStream() = default;
  // Moves up to `max` buffered events to the back of `out`; returns how many. Never blocks.
  virtual std::size_t poll(std::vector<Event>& out, std::size_t max) = 0;
  // Like poll(), and appends one EventPayload per event taken to `payloads` (not taken where
  // there is none). Never blocks. The default has no payloads.
  virtual std::size_t pollWithPayloads(std::vector<Event>& out, std::vector<EventPayload>& payloads,
                                       std::size_t max);
  // Events lost because the buffer was full, since observing started.
  virtual std::uint64_t dropped() const = 0;
};

}  // namespace tofu
