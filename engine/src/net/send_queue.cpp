#include "net/send_queue.h"

#include <array>

#include "tofu/wire_format.h"

namespace tofu::detail {

namespace {
struct Segment {
  const void* data;
  std::size_t size;
};

std::array<Segment, 3> segmentsOf(Message& message) {
  return {{{MessageAccess::wire(message).data(), kBinaryHeaderSize},
           {message.headers().buffer().data(), message.headers().size()},
           {message.body().data(), message.body().size()}}};
}
}  // namespace

std::size_t SendQueue::frameSize(const Message& message) noexcept {
  return kBinaryHeaderSize + message.headers().size() + message.body().size();
}

std::size_t SendQueue::gather(std::span<iovec> segments, std::size_t maxBytes) const {
  std::size_t used = 0;
  std::size_t bytes = 0;
  std::size_t skip = headWritten_;
  for (Message* m = queue_.front(); m != nullptr; m = MessageQueue::nextOf(m)) {
    if (used + 3 > segments.size() || (used > 0 && bytes >= maxBytes)) break;
    for (const Segment& segment : segmentsOf(*m)) {
      if (skip >= segment.size) {
        skip -= segment.size;
        continue;
      }
      const auto* start = static_cast<const std::uint8_t*>(segment.data) + skip;
      segments[used++] = {const_cast<std::uint8_t*>(start), segment.size - skip};  // NOLINT: iovec is not const
      bytes += segment.size - skip;
      skip = 0;
    }
  }
  return used;
}

void SendQueue::consume(std::size_t bytes, MessageQueue& written) {
  std::size_t available = headWritten_ + bytes;
  while (!queue_.empty()) {
    const std::size_t size = frameSize(*queue_.front());
    if (available < size) break;
    available -= size;
    bytes_ -= size;
    written.pushBack(queue_.popFront());
  }
  headWritten_ = available;
}

MessageQueue SendQueue::takeAll() {
  headWritten_ = 0;
  bytes_ = 0;
  MessageQueue all;
  all.swap(queue_);
  return all;
}

}  // namespace tofu::detail
