// Fault injection: the process runs out of file descriptors. The test lowers RLIMIT_NOFILE
// (restored afterwards) and fills every free descriptor with dup() until EMFILE, then checks
// that the engine reports each failure with a status instead of hanging or crashing: a
// HelloRequest fails with communication_failed, a WelcomeRequest with listen_failed, a new
// engine with allocation_failed; a listener facing connections it cannot accept does not spin
// (process CPU time over the interval, B5) and accepts them once descriptors are free again;
// established channels carry on throughout. B1 accounting: written + returned == posted.
//
// Under UBSan's vptr check (part of -fsanitize=undefined, so of the asan preset): the first
// time it meets a (dynamic type, static type) pair it probes the vtable through a pipe
// (sanitizer_common IsAccessibleMemoryRange), which needs two free descriptors, and reports
// an "invalid vptr" when there are none; pairs it has verified are remembered for the
// process. So each test first rehearses, with descriptors to spare, every kind of engine
// object it uses while exhausted (engines, listeners, channels), and runs in every build.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "raw_peer.h"
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Lowers RLIMIT_NOFILE to a little above the descriptors in use and takes every remaining one
// with dup(), so the next socket()/accept()/epoll_create() fails with EMFILE. release() (or the
// destructor) closes them and restores the limit. Whatever runs while it is full must have been
// rehearsed before (see the file comment).
class DescriptorFill {
 public:
  DescriptorFill() {
    if (::getrlimit(RLIMIT_NOFILE, &saved_) != 0) {
      ADD_FAILURE() << "getrlimit: " << std::strerror(errno);
      return;
    }
    int highest = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
      highest = std::max(highest, std::atoi(entry.path().filename().c_str()));
    }
    // A low limit keeps the number of dup()s small whatever the inherited limit is.
    rlimit lowered = saved_;
    lowered.rlim_cur = std::min<rlim_t>(saved_.rlim_cur, static_cast<rlim_t>(highest) + 1 + kSpare);
    if (::setrlimit(RLIMIT_NOFILE, &lowered) != 0) {
      ADD_FAILURE() << "setrlimit: " << std::strerror(errno);
      return;
    }
    lowered_ = true;
    for (;;) {
      const int fd = ::dup(STDERR_FILENO);
      if (fd < 0) {
        EXPECT_EQ(errno, EMFILE) << std::strerror(errno);
        break;
      }
      taken_.push_back(fd);
    }
    full_ = errno == EMFILE;
  }
  ~DescriptorFill() { release(); }
  DescriptorFill(const DescriptorFill&) = delete;
  DescriptorFill& operator=(const DescriptorFill&) = delete;

  // Every descriptor up to the lowered limit is in use.
  bool full() const noexcept { return full_; }
  std::size_t taken() const noexcept { return taken_.size(); }

  void release() {
    for (const int fd : taken_) {
      ::close(fd);
    }
    taken_.clear();
    full_ = false;
    if (lowered_) {
      ::setrlimit(RLIMIT_NOFILE, &saved_);
      lowered_ = false;
    }
  }

 private:
  static constexpr int kSpare = 64;
  rlimit saved_{};
  bool lowered_ = false;
  bool full_ = false;
  std::vector<int> taken_;
};

// A raw stream socket created now and connected later (connect() needs no new descriptor).
class PendingPeer {
 public:
  explicit PendingPeer(Transport transport)
      : transport_(transport),
        fd_(::socket(transport == Transport::tcp ? AF_INET : AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {}

  bool valid() const noexcept { return fd_ >= 0; }

  // Connects to `address` and wraps the socket in a RawPeer.
  std::unique_ptr<RawPeer> connectTo(const Address& address) {
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (transport_ == Transport::tcp) {
      auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
      in4->sin_family = AF_INET;
      in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      in4->sin_port = htons(address.port());
      length = sizeof(sockaddr_in);
    } else {
      auto* un = reinterpret_cast<sockaddr_un*>(&storage);
      un->sun_family = AF_UNIX;
      std::snprintf(un->sun_path, sizeof(un->sun_path), "%s", address.path().c_str());
      length = sizeof(sockaddr_un);
    }
    auto peer = std::make_unique<RawPeer>(fd_);
    fd_ = -1;
    if (::connect(peer->fd(), reinterpret_cast<const sockaddr*>(&storage), length) != 0) {
      ADD_FAILURE() << "connect: " << std::strerror(errno);
      return nullptr;
    }
    return peer;
  }

  ~PendingPeer() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  PendingPeer(const PendingPeer&) = delete;
  PendingPeer& operator=(const PendingPeer&) = delete;

 private:
  Transport transport_;
  int fd_;
};

// The engine's counters once its I/O thread has finished every loop pass begun so far. A
// frame's written count is added just after its write, so a peer (or our own engine) can see
// the frame a moment before it is counted; a message posted to the listener comes back with
// not_allowed (B1) from a later pass, after which the counts are complete. That probe adds one
// posted and one returned message, which the caller accounts for.
EngineCounters settledCounters(Ampe& ampe, ChannelGroup& group, std::uint16_t listener) {
  const BinaryHeader probe = post(group, request(ampe, listener, "settle", OpCode::Signal));
  auto back = receiveMatching(group, withId(probe.messageId));
  EXPECT_TRUE(back && back->status() == Status::not_allowed) << describe(back);
  return ampe.counters();
}

class FaultDescriptors : public ::testing::TestWithParam<Transport> {};
INSTANTIATE_TEST_SUITE_P(Transports, FaultDescriptors, kAllTransports, TransportName());

TEST_P(FaultDescriptors, HelloAndWelcomeFailWithStatusesThenWorkAgain) {
  Engine server(roomyOptions());
  Engine client(roomyOptions());
  ChannelGroup& serverGroup = server.group();
  ChannelGroup& clientGroup = client.group();
  const Listening listening = listen(server.ampe(), serverGroup, listenAddress(GetParam()));
  ASSERT_NE(listening.channel, 0u);
  const Connection established =
      connectPair(client.ampe(), clientGroup, server.ampe(), serverGroup, listening.bound);
  ASSERT_TRUE(established.ok());
  const Address secondListener = listenAddress(GetParam());
  const EngineCounters before = client.ampe().counters();
  {
    // The engines, listener and channel above are the rehearsal (see the file comment).
    DescriptorFill fill;
    ASSERT_TRUE(fill.full());

    const BinaryHeader hello = postHello(client.ampe(), clientGroup, listening.bound);
    ASSERT_NE(hello.channelNumber, 0u);
    auto failed = receive(clientGroup);
    ASSERT_NE(failed, nullptr) << "a HelloRequest without descriptors must fail, not hang";
    EXPECT_EQ(failed->opCode(), OpCode::HelloResponse) << describe(failed);
    EXPECT_TRUE(failed->isFromEngine()) << describe(failed);
    EXPECT_EQ(failed->status(), Status::communication_failed) << describe(failed);
    EXPECT_EQ(failed->messageId(), hello.messageId);
    auto closed = receive(clientGroup);
    EXPECT_TRUE(closed && closedSignal(hello.channelNumber)(*closed)) << describe(closed);

    const BinaryHeader welcome = post(clientGroup, welcomeRequest(client.ampe(), secondListener));
    ASSERT_NE(welcome.channelNumber, 0u);
    auto refused = receive(clientGroup);
    ASSERT_NE(refused, nullptr) << "a WelcomeRequest without descriptors must fail, not hang";
    EXPECT_EQ(refused->opCode(), OpCode::WelcomeResponse) << describe(refused);
    EXPECT_TRUE(refused->isFromEngine()) << describe(refused);
    EXPECT_EQ(refused->status(), Status::listen_failed) << describe(refused);
    EXPECT_EQ(refused->messageId(), welcome.messageId);
    closed = receive(clientGroup);
    EXPECT_TRUE(closed && closedSignal(welcome.channelNumber)(*closed)) << describe(closed);

    // An established channel needs no new descriptor and carries on.
    EXPECT_TRUE(echo(client.ampe(), clientGroup, established.clientChannel, server.ampe(), serverGroup,
                     established.serverChannel, "while exhausted"));
  }
  const EngineCounters after = client.ampe().counters();
  // Posted: HelloRequest, WelcomeRequest, the echo's Request; the two failed ones came back.
  EXPECT_EQ(after.messagesReturned - before.messagesReturned, 2u);
  EXPECT_EQ((after.framesWritten - before.framesWritten) + (after.messagesReturned - before.messagesReturned),
            3u)
      << "written + returned == posted (B1)";

  // Descriptors are back: both requests work now.
  const Connection again =
      connectPair(client.ampe(), clientGroup, server.ampe(), serverGroup, listening.bound);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(echo(client.ampe(), clientGroup, again.clientChannel, server.ampe(), serverGroup,
                   again.serverChannel, "recovered"));
  EXPECT_NE(listen(client.ampe(), clientGroup, secondListener).channel, 0u);
}

TEST(FaultDescriptorsEngine, NewEngineFailsWithAllocationFailedThenWorks) {
  ASSERT_TRUE(Reactor::create(Options{}).ok()) << "the rehearsal (see the file comment)";
  {
    DescriptorFill fill;
    ASSERT_TRUE(fill.full());
    auto created = Reactor::create(Options{});
    EXPECT_FALSE(created.ok()) << "no descriptor for epoll/eventfd";
    EXPECT_EQ(created.status(), Status::allocation_failed);
  }
  auto created = Reactor::create(Options{});
  ASSERT_TRUE(created.ok()) << toString(created.status());
}

TEST_P(FaultDescriptors, ListenerThatCannotAcceptDoesNotSpinAndAcceptsLater) {
  Engine server(roomyOptions());
  Engine client(roomyOptions());
  ChannelGroup& serverGroup = server.group();
  ChannelGroup& clientGroup = client.group();
  const Listening listening = listen(server.ampe(), serverGroup, listenAddress(GetParam()));
  ASSERT_NE(listening.channel, 0u);
  const Connection established =
      connectPair(client.ampe(), clientGroup, server.ampe(), serverGroup, listening.bound);
  ASSERT_TRUE(established.ok());
  constexpr int kWaiting = 3;
  std::vector<std::unique_ptr<PendingPeer>> pending;
  for (int i = 0; i < kWaiting; ++i) {
    pending.push_back(std::make_unique<PendingPeer>(GetParam()));
    ASSERT_TRUE(pending.back()->valid());
  }
  std::vector<std::unique_ptr<RawPeer>> peers;
  const EngineCounters before = settledCounters(server.ampe(), serverGroup, listening.channel);
  double cpu = 0;
  double wall = 0;
  {
    // The engines, listener and channel above are the rehearsal (see the file comment).
    DescriptorFill fill;
    ASSERT_TRUE(fill.full());
    // The kernel completes these connections; the engine cannot accept them (EMFILE).
    for (int i = 0; i < kWaiting; ++i) {
      peers.push_back(pending[static_cast<std::size_t>(i)]->connectTo(listening.bound));
      ASSERT_NE(peers.back(), nullptr);
      auto hello = newMessage(server.ampe());
      ASSERT_EQ(prepareHelloRequest(*hello, Address::tcp("127.0.0.1", 1)), Status::success);
      hello->setChannelNumber(3);
      hello->setMessageId(0xEF00 + static_cast<std::uint64_t>(i));
      ASSERT_TRUE(peers.back()->sendFrame(*hello));
      server.ampe().put(hello);
    }
    const auto start = Clock::now();
    const double cpuStart = processCpuSeconds();
    const milliseconds period(500);
    while (Clock::now() - start < period) {
      if (auto got = tryReceive(serverGroup, milliseconds(50))) {
        ADD_FAILURE() << "nothing can be accepted now, yet: " << describe(got);
      }
    }
    cpu = processCpuSeconds() - cpuStart;
    wall = std::chrono::duration<double>(Clock::now() - start).count();
    EXPECT_EQ(server.ampe().counters().channelsOpened, before.channelsOpened);
    // Established channels are not affected.
    EXPECT_TRUE(echo(client.ampe(), clientGroup, established.clientChannel, server.ampe(), serverGroup,
                     established.serverChannel, "while the listener waits"));
  }
  EXPECT_LT(cpu, idleCpuShare(0.2) * wall) << "process CPU " << cpu << " s over " << wall
                             << " s while accept() fails (busy loop?)";

  // Descriptors are free again: every waiting connection is accepted and its Hello arrives.
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < kWaiting; ++i) {
    std::uint64_t id = 0;
    const std::uint16_t channel = acceptHello(server.ampe(), serverGroup, defaultTimeout(), &id);
    ASSERT_NE(channel, 0u);
    ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{0xEF00, 0xEF01, 0xEF02}));
  for (const auto& peer : peers) {
    RawFrame answer;
    ASSERT_EQ(peer->readFrame(answer), ReadEnd::frame);
    EXPECT_EQ(answer.header.proto.opCode, OpCode::HelloResponse);
  }
  const EngineCounters after = settledCounters(server.ampe(), serverGroup, listening.channel);
  EXPECT_EQ(after.channelsOpened - before.channelsOpened, static_cast<std::uint64_t>(kWaiting));
  // Posted by the server since `before`: the echo's Response and Signal, the 3 HelloResponses
  // and the settling probe (returned).
  EXPECT_EQ((after.framesWritten - before.framesWritten) + (after.messagesReturned - before.messagesReturned),
            3u + kWaiting)
      << "written + returned == posted (B1)";
  EXPECT_EQ(after.messagesReturned - before.messagesReturned, 1u) << "only the probe comes back";
}

}  // namespace
}  // namespace tofu::test
