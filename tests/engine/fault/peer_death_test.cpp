// Fault injection: peers that die. A raw peer that stops in the middle of a frame and then
// closes (FIN: the frame can never complete, invalid_message) or resets (peer_disconnected);
// an engine peer that is destroyed, or whose whole process is killed (SIGKILL), while we have
// messages queued for it (B12: they come back with peer_disconnected); and a killed process
// that was streaming frames to us (no half frame is ever delivered). Each checks the
// nothing-lost accounting of B1 with the sending engine's counters:
// written + returned == posted, exactly, and received <= written on the other side.
//
// The process tests fork() a child that runs its own engine. They fork at the start of the
// test, while this process has a single thread (checked; skipped otherwise), so the child
// never inherits locks held by other threads.
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "raw_peer.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class FaultPeerDeath : public ::testing::TestWithParam<Transport> {};
INSTANTIATE_TEST_SUITE_P(Transports, FaultPeerDeath, kAllTransports, TransportName());

std::vector<std::uint8_t> headerBytes(const BinaryHeader& header) {
  std::vector<std::uint8_t> bytes(kBinaryHeaderSize);
  encodeBinaryHeader(header, std::span<std::uint8_t, kBinaryHeaderSize>(bytes.data(), kBinaryHeaderSize));
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Raw peer killed mid-frame

// Where the victim's last frame stops.
enum class Cut { inHeader, inTextHeaders, inBody };

const char* toString(Cut cut) {
  switch (cut) {
    case Cut::inHeader:
      return "in_header";
    case Cut::inTextHeaders:
      return "in_text_headers";
    case Cut::inBody:
      return "in_body";
  }
  return "?";
}

// The first part of a Request frame with 20 bytes of text headers and 1000 of body.
std::vector<std::uint8_t> partialFrame(Cut cut) {
  std::vector<std::uint8_t> bytes = headerBytes(rawHeader(OpCode::Request, 9, 0xDEAD, 20, 1000));
  switch (cut) {
    case Cut::inHeader:
      bytes.resize(9);
      break;
    case Cut::inTextHeaders:
      bytes.insert(bytes.end(), {'a', ':', 'b'});
      break;
    case Cut::inBody: {
      const std::string_view headers = "name:valuevaluevalu\n";  // 20 bytes
      bytes.insert(bytes.end(), headers.begin(), headers.end());
      bytes.insert(bytes.end(), 300, 'x');
      break;
    }
  }
  return bytes;
}

class FaultMidFrame : public ::testing::TestWithParam<std::tuple<Transport, Cut>> {};
INSTANTIATE_TEST_SUITE_P(
    Cuts, FaultMidFrame,
    ::testing::Combine(kTransportsWithTls, ::testing::Values(Cut::inHeader, Cut::inTextHeaders, Cut::inBody)),
    [](const ::testing::TestParamInfo<std::tuple<Transport, Cut>>& param) {
      return std::string(toString(std::get<0>(param.param))) + "_" + toString(std::get<1>(param.param));
    });

TEST_P(FaultMidFrame, PeerClosingInsideAFrameIsInvalidMessage) {
  const auto& [transport, cut] = GetParam();
  ViolationBench bench(transport);
  auto victim = bench.connectVictim();
  ASSERT_NE(victim, nullptr);
  ASSERT_NE(bench.victimChannel(), 0u);
  const FillResult fill = bench.fillVictim();
  ASSERT_TRUE(fill.full);
  ASSERT_TRUE(victim->sendBytes(partialFrame(cut)));
  // FIN, not close(): closing a socket with unread data (the filled queue) would reset it.
  victim->shutdownWrite();
  bench.expectVictimClosed(Status::invalid_message, fill);
  bench.expectOthersWork();
}

TEST_P(FaultMidFrame, PeerResettingInsideAFrameIsPeerDisconnected) {
  const auto& [transport, cut] = GetParam();
  ViolationBench bench(transport);
  auto victim = bench.connectVictim();
  ASSERT_NE(victim, nullptr);
  ASSERT_NE(bench.victimChannel(), 0u);
  const FillResult fill = bench.fillVictim();
  ASSERT_TRUE(fill.full);
  ASSERT_TRUE(victim->sendBytes(partialFrame(cut)));
  // A reset means the peer is gone (B12), wherever its last frame stopped.
  victim->abort();
  bench.expectVictimClosed(Status::peer_disconnected, fill);
  bench.expectOthersWork();
}

// ---------------------------------------------------------------------------------------------
// Engine peer destroyed while we have pending sends

// Options for a peer that stops reading by itself: room to receive two messages, which its
// application never gives back, so its channel starves (B5) and TCP flow control stalls our
// writes.
Options starvingPeerOptions() { return fixedPoolOptions(2); }

// Checks what a sender sees once its peer died with `fill` queued: the unsent Requests come
// back intact with peer_disconnected, in order, then the final Signal with the Hello id; and
// written + returned == posted (the HelloRequest and every filled Request).
void expectPendingReturned(Engine& sender, ChannelGroup& group, const BinaryHeader& hello,
                           const FillResult& fill, const EngineCounters& before) {
  MessagePtr signal;
  std::vector<MessagePtr> returned = receiveUntilClosed(group, hello.channelNumber, &signal);
  ASSERT_NE(signal, nullptr);
  EXPECT_EQ(signal->messageId(), hello.messageId)
      << "nothing was received: the final Signal carries the Hello id";
  const std::size_t back = expectReturnedTail(returned, fill, hello.channelNumber, Status::peer_disconnected);
  EXPECT_GE(back, 1u) << "messages were pending when the peer died";
  const EngineCounters after = sender.ampe().counters();
  EXPECT_EQ((after.framesWritten - before.framesWritten) + (after.messagesReturned - before.messagesReturned),
            1 + fill.ids.size())
      << "written + returned == posted (B1)";
  EXPECT_EQ(after.messagesReturned - before.messagesReturned, back);
}

TEST_P(FaultPeerDeath, PeerEngineDestroyedWithOurSendsPending) {
  Engine peer(starvingPeerOptions());
  ChannelGroup& peerGroup = peer.group();  // never read: the peer's pool runs dry
  const Listening listening = listen(peer.ampe(), peerGroup, listenAddress(GetParam()));
  ASSERT_NE(listening.channel, 0u);
  Engine sender(limitedOptions());
  ChannelGroup& group = sender.group();
  const EngineCounters before = sender.ampe().counters();
  const BinaryHeader hello = postHello(sender.ampe(), group, listening.bound);
  ASSERT_NE(hello.channelNumber, 0u);
  const FillResult fill = fillSendQueue(sender.ampe(), group, hello.channelNumber, kFillBodyBytes);
  ASSERT_TRUE(fill.full) << "the starving peer should stop reading";
  const std::uint64_t written = sender.ampe().counters().framesWritten - before.framesWritten;
  const std::uint64_t received = peer.ampe().counters().framesRead;
  EXPECT_LE(received, written) << "received <= written (B1)";
  peer.shutdown();  // aborts its channels: we see a reset
  expectPendingReturned(sender, group, hello, fill, before);
}

// ---------------------------------------------------------------------------------------------
// Engine peer process killed

bool singleThreaded() {
  std::size_t threads = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
    ++threads;
  }
  return threads == 1;
}

// A forked child process. The child runs `body` with the write end of a pipe to the parent
// and the read end of a pipe from it, and is killed with SIGKILL on destruction (if still
// alive). The body must not return into the test framework: it ends with _exit().
class ChildProcess {
 public:
  using Body = std::function<void(int toParent, int fromParent)>;

  explicit ChildProcess(const Body& body) {
    int up[2] = {-1, -1};
    int down[2] = {-1, -1};
    if (::pipe2(up, O_CLOEXEC) != 0 || ::pipe2(down, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe: " << std::strerror(errno);
      return;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(up[0]);
      ::close(down[1]);
      body(up[1], down[0]);
      ::_exit(0);
    }
    ::close(up[1]);
    ::close(down[0]);
    fromChild_ = up[0];
    toChild_ = down[1];
    if (pid_ < 0) {
      ADD_FAILURE() << "fork: " << std::strerror(errno);
    }
  }
  ~ChildProcess() {
    kill();
    ::close(fromChild_);
    ::close(toChild_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const noexcept { return pid_ > 0; }

  // Reads exactly `size` bytes the child wrote, within `timeout`.
  bool read(void* data, std::size_t size, milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    auto* bytes = static_cast<std::uint8_t*>(data);
    std::size_t done = 0;
    while (done < size) {
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
      pollfd entry{fromChild_, POLLIN, 0};
      if (left <= 0 || ::poll(&entry, 1, static_cast<int>(left)) <= 0) {
        return false;
      }
      const ssize_t got = ::read(fromChild_, bytes + done, size - done);
      if (got <= 0) {
        return false;
      }
      done += static_cast<std::size_t>(got);
    }
    return true;
  }

  bool write(const void* data, std::size_t size) {
    return ::write(toChild_, data, size) == static_cast<ssize_t>(size);
  }

  // SIGKILL, as a crash or the OOM killer would; waits until the child is gone, so the kernel
  // has closed its sockets when this returns.
  void kill() {
    if (pid_ <= 0) {
      return;
    }
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child ended by itself: " << status;
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int fromChild_ = -1;
  int toChild_ = -1;
};

// In the child: the first message of `group` within `seconds`, or _exit(code).
MessagePtr childReceive(ChannelGroup& group, int seconds, int code) {
  auto got = group.waitReceive(static_cast<std::uint64_t>(seconds) * kWaitReceiveSecondTimeout);
  if (!got.ok() || !got.value()) {
    ::_exit(code);
  }
  return std::move(got).value();
}

// Child body: an engine whose application never reads listens on `where` and reports the
// bound TCP port (0 for UDS) to the parent, then waits to be killed.
void runStarvingServer(const Address& where, int toParent) {
  auto created = Reactor::create(starvingPeerOptions());
  if (!created.ok()) {
    ::_exit(2);
  }
  std::unique_ptr<Reactor> reactor = std::move(created).value();
  Ampe& ampe = reactor->ampe();
  auto group = ampe.create();
  if (!group.ok()) {
    ::_exit(3);
  }
  auto welcome = ampe.get(AllocationStrategy::always);
  if (!welcome.ok() || prepareWelcomeRequest(*welcome.value(), where) != Status::success ||
      !group.value()->enqueueToPeer(welcome.value()).ok()) {
    ::_exit(4);
  }
  MessagePtr reply = childReceive(*group.value(), 10, 5);
  const auto bound = reply->headers().find(kListenOnHeader);
  if (reply->status() != Status::success || !bound) {
    ::_exit(6);
  }
  auto parsed = Address::parse(*bound);
  const std::uint16_t port =
      parsed.ok() && parsed.value().kind() == AddressKind::tcp ? parsed.value().port() : 0;
  if (::write(toParent, &port, sizeof port) != static_cast<ssize_t>(sizeof port)) {
    ::_exit(7);
  }
  for (;;) {
    ::pause();
  }
}

TEST_P(FaultPeerDeath, PeerProcessKilledWithOurSendsPending) {
  if (!singleThreaded()) {
    GTEST_SKIP() << "other threads are running: fork() would not be safe";
  }
  const Address where =
      GetParam() == Transport::tcp ? Address::tcp("127.0.0.1", 0) : listenAddress(Transport::uds);
  ChildProcess child([&where](int toParent, int) { runStarvingServer(where, toParent); });
  ASSERT_TRUE(child.started());
  std::uint16_t port = 0;
  ASSERT_TRUE(child.read(&port, sizeof port, defaultTimeout())) << "the child's engine did not come up";
  const Address target = GetParam() == Transport::tcp ? Address::tcp("127.0.0.1", port) : where;

  Engine sender(limitedOptions());
  ChannelGroup& group = sender.group();
  const EngineCounters before = sender.ampe().counters();
  const BinaryHeader hello = postHello(sender.ampe(), group, target);
  ASSERT_NE(hello.channelNumber, 0u);
  const FillResult fill = fillSendQueue(sender.ampe(), group, hello.channelNumber, kFillBodyBytes);
  ASSERT_TRUE(fill.full) << "the starving child should stop reading";
  child.kill();
  expectPendingReturned(sender, group, hello, fill, before);
  if (GetParam() == Transport::uds) {
    ::unlink(where.path().c_str());  // the killed child could not remove its socket file
  }
}

constexpr std::uint64_t kStreamFirstId = 0x5A00'0000'0000'0000ULL;
constexpr std::size_t kStreamBody = 60'000;

// Child body: an engine that connects to the address the parent sends (a TCP port, or 0 for
// the UDS path it knows) and streams large Requests with ids kStreamFirstId, +1, ... until killed.
void runStreamingClient(const Address& udsPath, int fromParent) {
  std::uint16_t port = 0;
  if (::read(fromParent, &port, sizeof port) != static_cast<ssize_t>(sizeof port)) {
    ::_exit(2);
  }
  const Address target = port != 0 ? Address::tcp("127.0.0.1", port) : udsPath;
  auto created = Reactor::create(roomyOptions());
  if (!created.ok()) {
    ::_exit(3);
  }
  std::unique_ptr<Reactor> reactor = std::move(created).value();
  Ampe& ampe = reactor->ampe();
  auto group = ampe.create();
  if (!group.ok()) {
    ::_exit(4);
  }
  auto hello = ampe.get(AllocationStrategy::always);
  if (!hello.ok() || prepareHelloRequest(*hello.value(), target) != Status::success) {
    ::_exit(5);
  }
  auto posted = group.value()->enqueueToPeer(hello.value());
  if (!posted.ok()) {
    ::_exit(6);
  }
  const std::uint16_t channel = posted.value().channelNumber;
  for (std::uint64_t id = kStreamFirstId;; ++id) {
    auto message = ampe.get(AllocationStrategy::always);
    if (!message.ok()) {
      ::_exit(7);
    }
    MessagePtr request = std::move(message).value();
    request->setChannelNumber(channel);
    request->setMessageId(id);
    request->body().assign(fillBody(id, kStreamBody));
    for (;;) {
      auto sent = group.value()->enqueueToPeer(request);
      if (sent.ok()) {
        break;
      }
      if (sent.status() != Status::notification_failed) {
        ::_exit(8);
      }
      const timespec pause{0, 1'000'000};  // the send queue is full: back off 1 ms
      ::nanosleep(&pause, nullptr);
    }
  }
}

TEST_P(FaultPeerDeath, PeerProcessKilledWhileStreamingDeliversOnlyWholeFrames) {
  if (!singleThreaded()) {
    GTEST_SKIP() << "other threads are running: fork() would not be safe";
  }
  const Address udsPath = listenAddress(Transport::uds);
  ChildProcess child([&udsPath](int, int fromParent) { runStreamingClient(udsPath, fromParent); });
  ASSERT_TRUE(child.started());
  Engine receiver(roomyOptions());
  ChannelGroup& group = receiver.group();
  const Listening listening =
      listen(receiver.ampe(), group, GetParam() == Transport::tcp ? Address::tcp("127.0.0.1", 0) : udsPath);
  ASSERT_NE(listening.channel, 0u);
  const std::uint16_t port = GetParam() == Transport::tcp ? listening.bound.port() : 0;
  ASSERT_TRUE(child.write(&port, sizeof port));

  auto hello = receive(group);
  ASSERT_TRUE(hello && hello->opCode() == OpCode::HelloRequest) << describe(hello);
  const std::uint16_t channel = hello->channelNumber();
  const std::uint64_t helloId = hello->messageId();
  hello->setOpCode(OpCode::HelloResponse);  // B15: the stream is held until it is answered
  post(group, std::move(hello));
  // Take a good part of the stream, then kill the sender while frames are in flight.
  constexpr std::uint64_t kBeforeKill = 200;
  std::uint64_t next = kStreamFirstId;
  // The stream is faster than this thread: the receiver's pool may run dry now and then (B5).
  auto isPoolEmpty = [channel](const Message& m) {
    return m.opCode() == OpCode::Signal && m.isFromEngine() && m.status() == Status::pool_empty &&
           m.channelNumber() == channel;
  };
  auto expectNextRequest = [&](const Message& m) {
    if (isPoolEmpty(m)) {
      return;
    }
    ASSERT_EQ(m.opCode(), OpCode::Request) << describe(m);
    ASSERT_EQ(m.channelNumber(), channel);
    ASSERT_EQ(m.messageId(), next) << "a frame is missing or out of order";
    ASSERT_EQ(m.body().size(), kStreamBody);
    ASSERT_TRUE(m.body().view() == fillBody(next, kStreamBody)) << "frame " << next << " corrupted";
    ++next;
  };
  while (next < kStreamFirstId + kBeforeKill) {
    auto got = receive(group);
    ASSERT_NE(got, nullptr);
    ASSERT_NO_FATAL_FAILURE(expectNextRequest(*got));
    receiver.ampe().put(got);
  }
  child.kill();
  // The rest of the stream, each message given back at once so the channel keeps reading up
  // to the end of the stream.
  MessagePtr signal;
  while (!signal) {
    auto got = receive(group);
    ASSERT_NE(got, nullptr) << "the channel did not close after the peer was killed";
    if (closedSignal(channel)(*got)) {
      signal = std::move(got);
      break;
    }
    ASSERT_NO_FATAL_FAILURE(expectNextRequest(*got));
    receiver.ampe().put(got);
  }
  ASSERT_NE(signal, nullptr);
  EXPECT_EQ(signal->messageId(), helloId) << "the final Signal carries the first frame's id";
  const EngineCounters counters = receiver.ampe().counters();
  EXPECT_EQ(counters.framesRead, 1 + (next - kStreamFirstId)) << "every whole frame read was delivered";
  EXPECT_EQ(counters.messagesReturned, 0u);
  EXPECT_EQ(expectNothing(group), nullptr) << "nothing after the final Signal";
}

}  // namespace
}  // namespace tofu::test
