// How tofu::qt::ChannelGroup hands received messages to its thread: batched, bounded, and with
// an explicit overflow policy (docs/qt.md). Plain values.
#pragma once

#include <QtGlobal>

#include <cstdint>

namespace tofu::qt {

enum class OverflowPolicy : std::uint8_t {
  // When maxPending messages wait for delivery, the worker stops calling waitReceive(). The
  // group's queue then fills, the engine's pool empties and reading from the sockets stops,
  // so the senders see TCP/UDS backpressure. Nothing is lost.
  backpressure,
  // When maxPending messages wait, the oldest waiting Request, Response or Signal is
  // discarded for each new one; discards are counted (DeliveryStats::dropped) and reported by
  // messagesDropped(). Handshakes, Byes and the engine's notices are never discarded: a
  // HelloRequest must be answered before its peer's data arrives (B15).
  dropOldest,
};

struct DeliveryOptions {
  qsizetype maxPending = 65536;  // messages received but not yet emitted
  OverflowPolicy overflow = OverflowPolicy::backpressure;
  // Longest the receiving thread's event loop is kept busy emitting one batch; the rest
  // waits for the next event-loop turn, so timers, input and painting keep running.
  int sliceMs = 5;
};

struct DeliveryStats {
  quint64 received = 0;        // taken from waitReceive()
  quint64 delivered = 0;       // emitted as signals
  quint64 dropped = 0;         // discarded by dropOldest
  quint64 postedEvents = 0;    // events posted to the receiving thread (one per burst, not per message)
  qsizetype pending = 0;       // waiting for delivery now
  qsizetype maxPendingSeen = 0;
  qint64 lastLagNs = 0;        // waitReceive() return to signal emission, last message delivered
  qint64 maxLagNs = 0;
};

}  // namespace tofu::qt
