#include "net/send_queue.h"

#include <array>
#include <cstring>

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

std::size_t SendQueue::gather(std::span<iovec> segments, std::span<std::uint8_t> staging,
                              std::size_t maxBytes) const {
  std::size_t used = 0;
  std::size_t bytes = 0;
  std::size_t staged = 0;
  bool lastIsStaging = false;  // segments[used - 1] ends where the staged bytes end
  std::size_t skip = headWritten_;
  for (Message* m = queue_.front(); m != nullptr; m = MessageQueue::nextOf(m)) {
    if (used > 0 && bytes >= maxBytes) break;
    const std::size_t unsent = frameSize(*m) - skip;
    const bool copy = unsent <= kCopyBelowBytes && staged + unsent <= staging.size();
    const std::size_t newSegments = copy ? (lastIsStaging ? 0 : 1) : 3;
    if (used + newSegments > segments.size()) break;
    if (copy && !lastIsStaging) segments[used++] = {staging.data() + staged, 0};
    for (const Segment& segment : segmentsOf(*m)) {
      if (skip >= segment.size) {
        skip -= segment.size;
        continue;
      }
      const auto* start = static_cast<const std::uint8_t*>(segment.data) + skip;
      const std::size_t length = segment.size - skip;
      skip = 0;
      if (copy) {
        std::memcpy(staging.data() + staged, start, length);
        staged += length;
        segments[used - 1].iov_len += length;
      } else {
        segments[used++] = {const_cast<std::uint8_t*>(start), length};  // NOLINT: iovec is not const
      }
    }
    lastIsStaging = copy;
    bytes += unsent;
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
