// Internal, not part of the API.
// SendQueue: the frames a channel has yet to write, gathered into iovecs so many frames go
// out in one sendmsg() (B10). A frame is three sections: the encoded header (kept apart from
// the message header, so a partly written frame is returned intact, B1), text headers and
// body. Small frames are copied back to back into a staging buffer, because the kernel's
// cost per iovec exceeds a copy of a few hundred bytes; large sections go out from the
// message itself. Owned by one IoChannel; loop thread only.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <span>

#include "util/message_queue.h"

namespace tofu::detail {

class SendQueue {
 public:
  void push(MessagePtr message) {
    bytes_ += frameSize(*message);
    queue_.pushBack(std::move(message));
  }
  bool empty() const noexcept { return queue_.empty(); }
  Message* front() const noexcept { return queue_.front(); }
  std::size_t size() const noexcept { return queue_.size(); }
  // Bytes not yet written.
  std::size_t bytes() const noexcept { return bytes_ - headWritten_; }
  // True when part of the head frame is already on the socket.
  bool midFrame() const noexcept { return headWritten_ > 0; }

  // Frames up to this size are copied into the staging buffer rather than referenced.
  static constexpr std::size_t kCopyBelowBytes = 2048;

  // Fills `segments` with what is unsent, from the head, until `maxBytes` is reached (the
  // last frame may pass it) or `segments` is full; small frames are copied into
  // `staging`, which must stay untouched until the segments are written. Returns the number
  // of segments used. The messages stay the source of truth: after a partial write the next
  // gather copies again from where the socket stopped.
  std::size_t gather(std::span<iovec> segments, std::span<std::uint8_t> staging, std::size_t maxBytes) const;

  // Records `bytes` as written; moves each frame completed by them into `written`, in order.
  void consume(std::size_t bytes, MessageQueue& written);

  // Everything still queued, the partly written frame first; the queue becomes empty.
  MessageQueue takeAll();

  static std::size_t frameSize(const Message& message) noexcept;

 private:
  MessageQueue queue_;
  std::size_t headWritten_ = 0;  // bytes of the head frame already written
  std::size_t bytes_ = 0;        // bytes of every queued frame, whole (bytes() subtracts headWritten_)
};

}  // namespace tofu::detail
