// Internal, not part of the API.
// PassWork: what the event loop runs in each pass besides ready sockets, supplied by the
// loop's owner (the engine core). The loop calls it on its own thread only, in the order the
// methods are listed.
#pragma once

#include <cstdint>

#include "util/message_queue.h"

namespace tofu::detail {

// Names a timer: a channel number and the incarnation it was set for, so a timer of a channel
// that closed does not reach the next channel with that number.
struct TimerKey {
  std::uint16_t number = 0;
  std::uint64_t incarnation = 0;
};

class PassWork {
 public:
  // A message posted through the inbox; all of a pass's posts come in submission order (B10).
  virtual void onPosted(MessagePtr message) = 0;
  // After the inbox, before the timers.
  virtual void beforeTimers() = 0;
  virtual void onTimer(TimerKey key) = 0;
  // Last in every pass: writes, closes, deliveries.
  virtual void endOfPass() = 0;
  // Once, after the last pass, on the loop thread: nothing may stay open. `unhandled`: what
  // was posted after the last pass, never to be sent.
  virtual void afterLastPass(MessageQueue& unhandled) = 0;

 protected:
  ~PassWork() = default;
};

}  // namespace tofu::detail
