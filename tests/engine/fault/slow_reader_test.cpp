// Fault injection: a peer that stops reading (DECISIONS.md B6). The send queue limit engages:
// enqueueToPeer() refuses with notification_failed and the caller keeps the message, while the
// process's resident memory stays flat however much the application tries to post; once the
// peer reads again, posting succeeds again and everything that was accepted is written, in
// order (B1: written + returned == posted, and here received == written, nothing returned).
// The other direction too: an application that stops reading bounds what the engine takes
// in to its pool (B5/B6), and TCP/UDS flow control stops the sender.
//
// Resident memory is read from /proc/self/statm. The posting loops reuse their messages (a
// refused message is posted again; pool messages keep their capacity), so the allocator, or
// ASan's quarantine, sees no churn from the test itself.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "os_probes.h"
#include "raw_peer.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kMiB = 1024 * 1024;
constexpr std::size_t kBodyBytes = 60'000;
constexpr std::size_t kFrameBytes = kBinaryHeaderSize + kBodyBytes;

// The body of Request `id`: the id in the first 8 bytes, then a fixed pattern.
const std::string& pattern() {
  static const std::string bytes = [] {
    std::string text(kBodyBytes, '\0');
    for (std::size_t i = 0; i < text.size(); ++i) {
      text[i] = static_cast<char>('A' + i % 23);
    }
    return text;
  }();
  return bytes;
}

void setBody(Message& message, std::uint64_t id) {
  message.body().assign(pattern());
  std::memcpy(message.body().data(), &id, sizeof id);
}

bool bodyMatches(std::string_view body, std::uint64_t id) {
  std::uint64_t stored = 0;
  if (body.size() != kBodyBytes) {
    return false;
  }
  std::memcpy(&stored, body.data(), sizeof stored);
  return stored == id && body.substr(sizeof id) == std::string_view(pattern()).substr(sizeof id);
}

class FaultSlowReader : public ::testing::TestWithParam<Transport> {};
INSTANTIATE_TEST_SUITE_P(Transports, FaultSlowReader, kAllTransports, TransportName());

TEST_P(FaultSlowReader, SendQueueLimitBoundsMemoryAndTrafficResumesWhenThePeerReads) {
  constexpr std::size_t kLimit = 1 * kMiB;
  Options options = roomyOptions();
  options.sendQueueLimitBytes = kLimit;
  Engine engine(options);
  ChannelGroup& group = engine.group();
  Ampe& ampe = engine.ampe();
  RawServer server(GetParam(), kSmallReceiveBuffer);
  ASSERT_TRUE(server.valid());
  const EngineCounters start = ampe.counters();
  const BinaryHeader hello = postHello(ampe, group, server.address());
  ASSERT_NE(hello.channelNumber, 0u);
  std::unique_ptr<RawPeer> peer = server.accept();
  ASSERT_NE(peer, nullptr);

  std::uint64_t nextId = 0x51'0000;
  std::vector<std::uint64_t> accepted;
  MessagePtr pending;  // the message being posted; kept across refusals (K5)
  // One attempt: true when the engine took the message.
  auto attempt = [&]() -> bool {
    if (!pending) {
      pending = newMessage(ampe);
      pending->setChannelNumber(hello.channelNumber);
      pending->setMessageId(++nextId);
      setBody(*pending, nextId);
    }
    const std::uint64_t id = pending->messageId();
    auto posted = group.enqueueToPeer(pending);
    if (posted.ok()) {
      EXPECT_EQ(pending, nullptr);
      accepted.push_back(id);
      return true;
    }
    EXPECT_EQ(posted.status(), Status::notification_failed) << "the only refusal expected here (B6)";
    EXPECT_NE(pending, nullptr) << "a refused message stays with the caller (K5, B6)";
    EXPECT_EQ(pending->messageId(), id);
    return false;
  };

  // Phase 1: the peer does not read. Post until the queue refuses for the first time.
  const auto fillDeadline = Clock::now() + defaultTimeout();
  while (attempt()) {
    ASSERT_LT(Clock::now(), fillDeadline) << "the send queue limit never engaged";
  }
  // Then keep trying, hard, for a while: the queue stays bounded and so does memory.
  const std::size_t baseline = residentBytes();
  std::size_t peak = baseline;
  std::size_t attempts = 0;
  std::size_t refusals = 0;
  const auto pressEnd = Clock::now() + milliseconds(1000);
  while (Clock::now() < pressEnd || attempts < 5000) {
    ++attempts;
    if (!attempt()) {
      ++refusals;
    }
    if (attempts % 256 == 0) {
      peak = std::max(peak, residentBytes());
    }
  }
  const EngineCounters stalled = ampe.counters();
  const std::uint64_t written = stalled.framesWritten - start.framesWritten - 1;  // minus the Hello
  const std::uint64_t queued = accepted.size() - written;
  EXPECT_GE(refusals, attempts - 64) << "posting kept succeeding although the peer reads nothing";
  EXPECT_LE(queued * kFrameBytes, kLimit)
      << queued << " frames queued in the engine (limit " << kLimit << " bytes)";
  EXPECT_LT(peak - baseline, 16 * kMiB)
      << "resident memory grew from " << baseline / kMiB << " MiB to " << peak / kMiB << " MiB while "
      << attempts * kBodyBytes / kMiB << " MiB were offered";
  EXPECT_EQ(stalled.messagesReturned, start.messagesReturned);
  std::printf(
      "[ measure  ] %zu attempts (%zu MiB offered), %zu refused, %llu frames queued, RSS %zu -> %zu KiB\n",
      attempts, attempts * kBodyBytes / kMiB, refusals, static_cast<unsigned long long>(queued),
      baseline / 1024, peak / 1024);

  // Phase 2: the peer reads everything, answers the ByeRequest, and the channel closes.
  std::vector<std::uint64_t> received;
  std::atomic<bool> readerDone{false};
  std::string readerError;
  std::thread reader([&] {
    RawFrame frame;
    for (;;) {
      const ReadEnd end = peer->readFrame(frame);
      if (end != ReadEnd::frame) {
        readerError = std::string("read ended: ") + toString(end);
        break;
      }
      if (frame.header.proto.opCode == OpCode::ByeRequest) {
        auto bye = Message::create();
        bye->setOpCode(OpCode::ByeResponse);
        bye->setChannelNumber(frame.header.channelNumber);
        bye->setMessageId(frame.header.messageId);
        if (!peer->sendFrame(*bye)) {
          readerError = "could not send the ByeResponse";
        }
        break;
      }
      if (frame.header.proto.opCode == OpCode::HelloRequest) {
        continue;
      }
      if (!bodyMatches(frame.body, frame.header.messageId)) {
        readerError = "frame " + std::to_string(frame.header.messageId) + " corrupted";
        break;
      }
      received.push_back(frame.header.messageId);
    }
    readerDone = true;
  });
  constexpr std::size_t kMore = 300;
  const std::size_t target = accepted.size() + kMore;
  const auto resumeDeadline = Clock::now() + defaultTimeout();
  while (accepted.size() < target && Clock::now() < resumeDeadline && !readerDone) {
    if (!attempt()) {
      std::this_thread::sleep_for(milliseconds(1));  // back off while the peer catches up
    }
  }
  EXPECT_EQ(accepted.size(), target) << "posting did not resume while the peer reads";
  MessagePtr bye = byeRequest(ampe, hello.channelNumber);
  while (Clock::now() < resumeDeadline && !readerDone) {
    auto posted = group.enqueueToPeer(bye);
    if (posted.ok()) {
      break;
    }
    ASSERT_EQ(posted.status(), Status::notification_failed);
    std::this_thread::sleep_for(milliseconds(1));
  }
  EXPECT_EQ(bye, nullptr) << "the ByeRequest was not accepted";
  Recorder recorder(group);
  const bool closed = recorder.until(closedSignal(hello.channelNumber));
  reader.join();
  ASSERT_TRUE(closed);
  EXPECT_EQ(readerError, "");
  // Only the closing Signal and send-ready notices (B16: posts were refused) come from the engine.
  const MessagePredicate returned = [](const Message& m) { return m.isFromEngine() && !isSendReady(m); };
  EXPECT_EQ(recorder.count(returned), 1u) << "nothing may come back:\n" << recorder.dump();
  EXPECT_EQ(recorder.count(withOpCode(OpCode::ByeResponse)), 1u);
  if (pending) {
    ampe.put(pending);
  }

  // B1: everything accepted was written and read, in order; nothing was returned.
  EXPECT_EQ(received, accepted);
  const EngineCounters end = ampe.counters();
  EXPECT_EQ(end.framesWritten - start.framesWritten, 1 + accepted.size() + 1)
      << "Hello, Requests, ByeRequest";
  EXPECT_EQ(end.messagesReturned, start.messagesReturned);
}

// Writes as much of `bytes` from `offset` as the socket takes now; false on a socket error.
bool sendSome(int fd, const std::vector<std::uint8_t>& bytes, std::size_t& offset) {
  while (offset < bytes.size()) {
    const ssize_t sent =
        ::send(fd, bytes.data() + offset, bytes.size() - offset, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent > 0) {
      offset += static_cast<std::size_t>(sent);
      continue;
    }
    return sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
  }
  return true;
}

TEST_P(FaultSlowReader, ApplicationThatStopsReadingStopsTheSenderAtTheEngineLimit) {
  Engine engine(fixedPoolOptions(16));
  ChannelGroup& group = engine.group();
  Ampe& ampe = engine.ampe();
  const Listening listening = listen(ampe, group, listenAddress(GetParam()));
  ASSERT_NE(listening.channel, 0u);
  auto flooder = RawPeer::connectTo(listening.bound);
  ASSERT_NE(flooder, nullptr);
  auto hello = newMessage(ampe);
  ASSERT_EQ(prepareHelloRequest(*hello, listening.bound), Status::success);
  hello->setChannelNumber(1);
  hello->setMessageId(0xF100D);
  ASSERT_TRUE(flooder->sendFrame(*hello));
  ampe.put(hello);
  auto arrived = receive(group);
  ASSERT_TRUE(arrived && arrived->opCode() == OpCode::HelloRequest) << describe(arrived);
  const std::uint16_t channel = arrived->channelNumber();
  arrived->setOpCode(OpCode::HelloResponse);  // B15: the flood is held until it is answered
  ASSERT_TRUE(group.enqueueToPeer(arrived).ok());

  // The application stops reading; the peer writes frames until the socket takes no more for
  // a while. Without the bound it could go on forever (the cap below).
  const std::size_t baseline = residentBytes();
  std::uint64_t frames = 0;  // frames the flooder started writing
  std::vector<std::uint8_t> frame;
  std::size_t offset = 0;
  constexpr std::size_t kCap = 512 * kMiB;
  // One frame buffer for the whole flood: only the id changes (in the header and the body), so
  // the test itself allocates nothing while memory is watched.
  auto makeFrame = [&](std::uint64_t id) {
    if (frame.empty()) {
      auto message = Message::create();
      message->setChannelNumber(1);
      setBody(*message, id);
      frame = frameBytes(*message);
    }
    BinaryHeader header = rawHeader(OpCode::Request, 1, id, 0, static_cast<std::uint16_t>(kBodyBytes));
    encodeBinaryHeader(header, std::span<std::uint8_t, kBinaryHeaderSize>(frame.data(), kBinaryHeaderSize));
    std::memcpy(frame.data() + kBinaryHeaderSize, &id, sizeof id);
    offset = 0;
  };
  for (;;) {
    if (offset == frame.size()) {
      makeFrame(0xF100D + 1 + frames);
      ++frames;
    }
    ASSERT_TRUE(sendSome(flooder->fd(), frame, offset));
    if (offset < frame.size()) {
      pollfd entry{flooder->fd(), POLLOUT, 0};
      if (::poll(&entry, 1, static_cast<int>(scaled(milliseconds(200)).count())) == 0) {
        break;  // stalled: flow control reached the sender
      }
    }
    ASSERT_LT(frames * kFrameBytes, kCap) << "the engine kept reading although nobody consumed";
  }
  const std::size_t offered = frames * kFrameBytes;
  const std::size_t resident = residentBytes();
  std::printf("[ measure  ] the peer wrote %zu KiB before it stalled; RSS %zu -> %zu KiB\n", offered / 1024,
              baseline / 1024, resident / 1024);
  EXPECT_LT(offered, 32 * kMiB) << "taken in while nobody read: pool (16 frames) plus socket buffers";
  EXPECT_LT(resident - std::min(resident, baseline), 32 * kMiB) << "resident memory grew while nobody read";

  // The application reads again: every frame arrives whole and in order, and the flooder can
  // finish its partly written frame. pool_empty marks each starvation episode (B5).
  std::uint64_t next = 0xF100D + 1;
  std::uint64_t poolEmpty = 0;
  const auto deadline = Clock::now() + defaultTimeout();
  while (next < 0xF100D + 1 + frames) {
    ASSERT_LT(Clock::now(), deadline) << (next - 0xF100D - 1) << " of " << frames << " frames arrived";
    ASSERT_TRUE(sendSome(flooder->fd(), frame, offset));
    while (auto got = tryReceive(group, milliseconds(10))) {
      if (got->opCode() == OpCode::Signal && got->status() == Status::pool_empty) {
        EXPECT_EQ(got->channelNumber(), channel);
        ++poolEmpty;
      } else {
        ASSERT_EQ(got->opCode(), OpCode::Request) << describe(got);
        ASSERT_EQ(got->messageId(), next) << "out of order";
        ASSERT_TRUE(bodyMatches(got->body().view(), next)) << "frame " << next << " corrupted";
        ++next;
      }
      ampe.put(got);
    }
  }
  EXPECT_GE(poolEmpty, 1u) << "the channel starved while nobody read";
  const EngineCounters counters = ampe.counters();
  EXPECT_EQ(counters.poolEmptyEpisodes, poolEmpty);
  EXPECT_EQ(counters.framesRead, 1 + frames) << "received == written by the peer";
}

}  // namespace
}  // namespace tofu::test
