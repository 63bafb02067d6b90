// SendQueue: gather() copies small frames back to back into staging and references large
// sections in place; consume() retires written frames in order, and after a partial write
// the next gather resumes exactly where the socket stopped.
#include "net/send_queue.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/wire_format.h"

#include "util/message_access.h"

namespace tofu::detail {
namespace {

using Bytes = std::vector<std::uint8_t>;
constexpr std::size_t kAll = std::numeric_limits<std::size_t>::max();

// A frame whose every byte depends on `id`, so misordered or misplaced bytes show.
MessagePtr makeFrame(std::uint64_t id, std::size_t bodyBytes, bool withHeader) {
  MessagePtr m = Message::create();
  m->setOpCode(OpCode::Request);
  m->setChannelNumber(static_cast<std::uint16_t>(id + 1));
  m->setMessageId(id);
  if (withHeader) {
    EXPECT_EQ(m->headers().append("id", std::to_string(id)), HeaderCheck::ok);
  }
  std::string body(bodyBytes, '\0');
  for (std::size_t i = 0; i < bodyBytes; ++i) body[i] = static_cast<char>((i * 7 + id * 13) % 251);
  m->body().assign(body);
  m->header().textHeadersLen = static_cast<std::uint16_t>(m->headers().size());
  m->header().bodyLen = static_cast<std::uint16_t>(m->body().size());
  encodeBinaryHeader(m->header(), MessageAccess::wire(*m));  // as the engine does before queuing
  return m;
}

void* at(const std::uint8_t* p) { return const_cast<std::uint8_t*>(p); }  // NOLINT: iovec is not const

class SendQueueTest : public ::testing::Test {
 protected:
  // Queues a frame and appends the bytes it must produce on the wire to expected_.
  Message* push(std::uint64_t id, std::size_t bodyBytes, bool withHeader = true) {
    MessagePtr m = makeFrame(id, bodyBytes, withHeader);
    Message* raw = m.get();
    for (std::span<const std::uint8_t> section : {std::span<const std::uint8_t>(MessageAccess::wire(*raw)),
                                                  raw->headers().buffer().span(), raw->body().span()}) {
      expected_.insert(expected_.end(), section.begin(), section.end());
    }
    pushed_.push_back(raw);
    queue_.push(std::move(m));
    return raw;
  }
  std::size_t gather(std::size_t maxBytes = kAll) { return gatherWith(segments_, staging_, maxBytes); }
  std::size_t gatherWith(std::span<iovec> segments, std::span<std::uint8_t> staging,
                         std::size_t maxBytes = kAll) {
    const std::size_t count = queue_.gather(segments, staging, maxBytes);
    EXPECT_LE(count, segments.size());
    last_ = segments.first(std::min(count, segments.size()));
    for (const iovec& s : last_) EXPECT_GT(s.iov_len, 0u) << "zero-length iovec";
    return count;
  }
  Bytes gathered() const {
    Bytes out;
    for (const iovec& s : last_) {
      const auto* p = static_cast<const std::uint8_t*>(s.iov_base);
      out.insert(out.end(), p, p + s.iov_len);
    }
    return out;
  }
  Bytes expectedSlice(std::size_t from, std::size_t length = kAll) const {
    const auto slice =
        std::span<const std::uint8_t>(expected_).subspan(from, std::min(length, expected_.size() - from));
    return {slice.begin(), slice.end()};
  }
  std::vector<Message*> writtenOrder() const {
    std::vector<Message*> order;
    for (Message* m = written_.front(); m != nullptr; m = MessageQueue::nextOf(m)) order.push_back(m);
    return order;
  }
  std::vector<Message*> firstPushed(std::size_t n) const {
    const auto first = std::span<Message* const>(pushed_).first(n);
    return {first.begin(), first.end()};
  }
  void expectSegment(std::size_t i, const std::uint8_t* base, std::size_t length) const {
    ASSERT_LT(i, last_.size());
    EXPECT_EQ(last_[i].iov_base, at(base)) << "segment " << i;
    EXPECT_EQ(last_[i].iov_len, length) << "segment " << i;
  }
  std::size_t frame(std::size_t index) const { return SendQueue::frameSize(*pushed_[index]); }

  SendQueue queue_;
  MessageQueue written_;
  Bytes expected_;
  std::vector<Message*> pushed_;
  std::array<iovec, 64> segments_{};
  Bytes staging_ = Bytes(64 * 1024);
  std::span<iovec> last_;
};

TEST_F(SendQueueTest, SmallFramesAreCopiedIntoOneStagingSegment) {
  for (std::uint64_t id = 0; id < 30; ++id) push(id, 40 + id, id % 2 == 0);
  ASSERT_EQ(gather(), 1u);
  expectSegment(0, staging_.data(), expected_.size());
  EXPECT_EQ(gathered(), expected_);
  // gather() sends nothing: the queue is unchanged and a second gather, with only four
  // segments to fill, gives the same bytes in the one segment.
  EXPECT_EQ(queue_.size(), 30u);
  EXPECT_EQ(queue_.bytes(), expected_.size());
  std::array<iovec, 4> few{};
  ASSERT_EQ(gatherWith(few, staging_), 1u);
  EXPECT_EQ(gathered(), expected_);
}

TEST_F(SendQueueTest, LargeFramesAreReferencedInPlaceBetweenStagingRuns) {
  push(0, 30);
  push(1, 30, false);
  Message* big = push(2, 10000);
  Message* bare = push(3, 10000, false);  // no text headers: no zero-length segment for them
  push(4, 30);
  ASSERT_EQ(gather(), 7u);
  expectSegment(0, staging_.data(), frame(0) + frame(1));
  expectSegment(1, MessageAccess::wire(*big).data(), kBinaryHeaderSize);
  expectSegment(2, big->headers().buffer().data(), big->headers().size());
  expectSegment(3, big->body().data(), 10000);
  expectSegment(4, MessageAccess::wire(*bare).data(), kBinaryHeaderSize);
  expectSegment(5, bare->body().data(), 10000);
  expectSegment(6, staging_.data() + frame(0) + frame(1), frame(4));  // a new run, after the first
  EXPECT_EQ(gathered(), expected_);
}

TEST_F(SendQueueTest, FramesUpToKCopyBelowBytesAreCopied) {
  const std::size_t body = SendQueue::kCopyBelowBytes - kBinaryHeaderSize;
  push(0, body, false);      // exactly kCopyBelowBytes: copied
  push(1, body + 1, false);  // one byte more: referenced
  push(2, body, false);
  ASSERT_EQ(gather(), 4u);
  expectSegment(0, staging_.data(), SendQueue::kCopyBelowBytes);
  expectSegment(1, MessageAccess::wire(*pushed_[1]).data(), kBinaryHeaderSize);
  expectSegment(2, pushed_[1]->body().data(), body + 1);
  expectSegment(3, staging_.data() + SendQueue::kCopyBelowBytes, SendQueue::kCopyBelowBytes);
  EXPECT_EQ(gathered(), expected_);
}

TEST_F(SendQueueTest, PartialWritesResumeWhereTheSocketStopped) {
  for (std::uint64_t id = 0; id < 4; ++id) push(id, 30);
  push(4, 10000);
  for (std::uint64_t id = 5; id < 9; ++id) push(id, 20 + id, id % 2 == 0);
  push(9, 3000);
  Bytes sent;
  auto write = [&](std::size_t limit) {
    gather();
    const Bytes bytes = gathered();
    const std::size_t n = std::min(limit, bytes.size());
    sent.insert(sent.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    queue_.consume(n, written_);
  };
  write(frame(0) + 5);  // stops inside the second frame's binary header
  EXPECT_EQ(writtenOrder(), firstPushed(1));
  EXPECT_TRUE(queue_.midFrame());
  EXPECT_EQ(queue_.front(), pushed_[1]);
  EXPECT_EQ(queue_.bytes(), expected_.size() - sent.size());
  for (const std::size_t limit : {3u, 1u, 700u, 9000u, 1500u, 1u, 40u, 2000u, 1u}) {
    write(limit);
    ASSERT_EQ(sent, expectedSlice(0, sent.size()));
    EXPECT_EQ(queue_.bytes(), expected_.size() - sent.size());
  }
  for (int guard = 0; guard < 10 && !queue_.empty(); ++guard) write(kAll);
  EXPECT_EQ(sent, expected_);
  EXPECT_EQ(writtenOrder(), pushed_);
  EXPECT_TRUE(queue_.empty());
  EXPECT_FALSE(queue_.midFrame());
  EXPECT_EQ(queue_.bytes(), 0u);
}

TEST_F(SendQueueTest, TheTailOfALargeFrameIsReferencedThenCopiedOnceSmall) {
  Message* big = push(0, 10000, false);
  push(1, 30);
  queue_.consume(kBinaryHeaderSize + 10, written_);
  ASSERT_EQ(gather(), 2u);
  expectSegment(0, big->body().data() + 10, 9990);
  EXPECT_EQ(gathered(), expectedSlice(kBinaryHeaderSize + 10));
  queue_.consume(9990 - 100, written_);  // 100 bytes of the large frame left: small now
  ASSERT_EQ(gather(), 1u);
  expectSegment(0, staging_.data(), 100 + frame(1));
  EXPECT_EQ(gathered(), expectedSlice(frame(0) - 100));
  EXPECT_TRUE(written_.empty());
}

TEST_F(SendQueueTest, FramesThatDoNotFitStagingAreReferenced) {
  Bytes buffer(200, 0xAA);  // staging is the first 100 bytes; the rest must stay untouched
  push(0, 50, false);       // 66 bytes: fits
  push(1, 50, false);       // 132 would not fit: referenced
  push(2, 10, false);       // 26 bytes: fits after the first
  ASSERT_EQ(gatherWith(segments_, std::span<std::uint8_t>(buffer).first(100)), 4u);
  expectSegment(0, buffer.data(), 66);
  expectSegment(1, MessageAccess::wire(*pushed_[1]).data(), kBinaryHeaderSize);
  expectSegment(2, pushed_[1]->body().data(), 50);
  expectSegment(3, buffer.data() + 66, 26);
  EXPECT_EQ(gathered(), expected_);
  EXPECT_TRUE(std::all_of(buffer.begin() + 100, buffer.end(), [](std::uint8_t b) { return b == 0xAA; }));

  ASSERT_EQ(gatherWith(segments_, {}), 6u);  // no staging at all: everything referenced
  EXPECT_EQ(gathered(), expected_);
}

TEST_F(SendQueueTest, MaxBytesStopsGatheringButTheHeadFrameAlwaysGoes) {
  for (std::uint64_t id = 0; id < 10; ++id) push(id, 50, false);  // 66 bytes each
  gather(3 * 66);
  EXPECT_EQ(gathered(), expectedSlice(0, 3 * 66));
  gather(1);
  EXPECT_EQ(gathered(), expectedSlice(0, 66));
  gather(0);
  EXPECT_EQ(gathered(), expectedSlice(0, 66));
  queue_.consume(10, written_);  // the head's unsent part is what counts
  gather(56);
  EXPECT_EQ(gathered(), expectedSlice(10, 56));
  gather(56 + 66);
  EXPECT_EQ(gathered(), expectedSlice(10, 56 + 66));
}

TEST_F(SendQueueTest, SegmentLimitIsRespected) {
  for (std::uint64_t id = 0; id < 5; ++id) push(id, 10000);  // three segments each
  std::array<iovec, 10> segments{};
  for (iovec& s : segments) s = {nullptr, 12345};
  gatherWith(std::span<iovec>(segments).first(7), staging_);
  const Bytes bytes = gathered();
  EXPECT_GE(bytes.size(), frame(0));
  EXPECT_EQ(bytes, expectedSlice(0, bytes.size()));
  for (std::size_t i = 7; i < segments.size(); ++i) EXPECT_EQ(segments[i].iov_len, 12345u) << i;
}

TEST_F(SendQueueTest, ConsumeKeepsBytesAndSizeInStep) {
  push(0, 30);
  push(1, 500);
  push(2, 10000);
  const std::size_t a = frame(0), b = frame(1), c = frame(2);
  queue_.consume(0, written_);
  EXPECT_EQ(queue_.bytes(), a + b + c);
  EXPECT_FALSE(queue_.midFrame());
  queue_.consume(a - 1, written_);
  EXPECT_TRUE(written_.empty());
  EXPECT_EQ(queue_.size(), 3u);
  EXPECT_EQ(queue_.bytes(), b + c + 1);
  EXPECT_TRUE(queue_.midFrame());
  queue_.consume(1, written_);
  EXPECT_EQ(writtenOrder(), firstPushed(1));
  EXPECT_EQ(queue_.size(), 2u);
  EXPECT_EQ(queue_.bytes(), b + c);
  EXPECT_FALSE(queue_.midFrame());
  queue_.consume(b + 5, written_);
  EXPECT_EQ(writtenOrder(), firstPushed(2));
  EXPECT_EQ(queue_.front(), pushed_[2]);
  EXPECT_EQ(queue_.bytes(), c - 5);
  queue_.consume(c - 5, written_);
  EXPECT_EQ(writtenOrder(), pushed_);
  EXPECT_TRUE(queue_.empty());
  EXPECT_EQ(queue_.bytes(), 0u);
  EXPECT_FALSE(queue_.midFrame());
}

TEST_F(SendQueueTest, TakeAllReturnsEverythingAndStartsAfresh) {
  for (std::uint64_t id = 0; id < 3; ++id) push(id, 30);
  const std::size_t before = expected_.size();
  queue_.consume(frame(0) + 3, written_);
  MessageQueue all = queue_.takeAll();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all.front(), pushed_[1]);  // the partly written frame first
  EXPECT_TRUE(queue_.empty());
  EXPECT_EQ(queue_.bytes(), 0u);
  EXPECT_FALSE(queue_.midFrame());
  push(3, 30);
  EXPECT_EQ(queue_.bytes(), frame(3));
  ASSERT_EQ(gather(), 1u);
  EXPECT_EQ(gathered(), expectedSlice(before));  // the new frame whole, nothing skipped
}

}  // namespace
}  // namespace tofu::detail
