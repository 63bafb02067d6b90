// Internal, not part of the API.
// TelemetrySender: posts the telemetry server's frames on its own channel group. Every frame
// carries `telemetry-version:1` and `telemetry:<kind>`; a body over 65535 bytes is split
// into frames with the `more` flag and one message id (docs/telemetry.md). Borrows the
// server's Ampe and group; used by the server thread only.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <utility>

#include "tofu/ampe.h"
#include "tofu/channel_group.h"
#include "tofu/message.h"
#include "tofu/status.h"

namespace tofu::detail {

class TelemetrySender {
 public:
  using ExtraHeaders = std::initializer_list<std::pair<std::string_view, std::string_view>>;

  // What goes into the binary header of every frame of one telemetry message.
  struct Frame {
    OpCode opCode = OpCode::Signal;
    std::uint16_t channel = 0;
    std::uint64_t messageId = 0;  // 0: the engine assigns one (then used by every frame)
    std::string_view kind;        // the `telemetry` header value
  };

  TelemetrySender(Ampe& ampe, ChannelGroup& group) : ampe_(ampe), group_(group) {}

  // Posts `body` as one or more frames. `reuse` (may be null) is recycled as the first frame,
  // which saves a pool round trip when answering a received message. Stops at the first
  // refused frame and returns its status (the frames before it are already queued).
  Status send(MessagePtr reuse, const Frame& frame, std::string_view body, ExtraHeaders extra = {});

  // Aborts `channel` locally (ByeSignal, B13): for a monitor that does not read what it asked
  // for. The engine then delivers Signal(channel_closed) to the group.
  void abort(std::uint16_t channel);

  // A reset message from the server engine's pool (never null).
  MessagePtr fresh();
  void recycle(MessagePtr& message) { ampe_.put(message); }

 private:
  Ampe& ampe_;
  ChannelGroup& group_;
};

}  // namespace tofu::detail
