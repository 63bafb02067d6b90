// Flow control (DECISIONS.md B14; behaviour.md, handshake timeout): the handshake deadline is
// judged on what arrived. A server whose process was paused (SIGSTOP: a debugger, a laptop lid,
// an overloaded host) must read the bytes waiting in its socket before it decides a peer never
// said Hello.
// The server runs in a forked child (forked first, while this process has one thread; the
// child then makes its engine: handshakeTimeoutMs 500, the echo application). The client is a
// raw socket, so that connecting and saying Hello are two steps: it connects; once the child
// has accepted (a new descriptor in /proc/<child>/fd: its handshake timer runs), the test stops
// the child (SIGSTOP, and waits until it is stopped), then writes a HelloRequest and a Request,
// so the server cannot have read them before it stopped. 1.5 s later (three deadlines) the
// test resumes the child. Checked: the client gets its HelloResponse and its Response, and the
// channel stays open: past another deadline a second Request is answered too. TCP and UDS.
// An engine that runs its timers before reading closes the channel instead (the peer sees a
// reset, or end of stream over UDS).
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "echo_server.h"
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

constexpr std::uint32_t kHandshakeTimeoutMs = 500;
constexpr auto kPause = milliseconds(1500);

std::size_t entries(const std::string& directory) {
  std::error_code error;
  std::size_t count = 0;
  for (std::filesystem::directory_iterator it(directory, error), end; !error && it != end;
       it.increment(error))
    ++count;
  return count;
}

// Child side: an echo server engine on `where`; writes its TCP port (0 for UDS) to `toParent`
// and serves until killed. Never returns into the test framework.
[[noreturn]] void runServer(const Address& where, int toParent) {
  Options options;
  options.handshakeTimeoutMs = kHandshakeTimeoutMs;
  auto created = Reactor::create(options);
  if (!created.ok()) ::_exit(2);
  std::unique_ptr<Reactor> reactor = std::move(created).value();
  Ampe& ampe = reactor->ampe();
  auto group = ampe.create();
  auto welcome = ampe.get(AllocationStrategy::always);
  if (!group.ok() || !welcome.ok() || prepareWelcomeRequest(*welcome.value(), where) != Status::success ||
      !group.value()->enqueueToPeer(welcome.value()).ok()) {
    ::_exit(3);
  }
  auto reply = group.value()->waitReceive(10 * kWaitReceiveSecondTimeout);
  if (!reply.ok() || !reply.value() || reply.value()->status() != Status::success) ::_exit(4);
  const auto bound = Address::parse(reply.value()->headers().find(kListenOnHeader).value_or(""));
  const std::uint16_t port =
      bound.ok() && bound.value().kind() == AddressKind::tcp ? bound.value().port() : 0;
  if (::write(toParent, &port, sizeof port) != static_cast<ssize_t>(sizeof port)) ::_exit(5);
  EchoTally tally;
  const std::atomic<bool> never{false};
  serveEcho(ampe, *group.value(), tally, OnRefusal::retry, never);
  ::_exit(6);
}

// The forked server process; SIGKILLed and reaped on destruction (its UDS path removed).
class ServerProcess {
 public:
  explicit ServerProcess(const Address& where) : where_(where) {
    int pipeFds[2] = {-1, -1};
    if (::pipe2(pipeFds, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(pipeFds[0]);
      runServer(where, pipeFds[1]);
    }
    ::close(pipeFds[1]);
    pollfd entry{pipeFds[0], POLLIN, 0};
    if (pid_ > 0 && ::poll(&entry, 1, static_cast<int>(defaultTimeout().count())) == 1) {
      ready_ = ::read(pipeFds[0], &port_, sizeof port_) == static_cast<ssize_t>(sizeof port_);
    }
    ::close(pipeFds[0]);
  }
  ~ServerProcess() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    if (where_.kind() == AddressKind::uds) ::unlink(where_.path().c_str());
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool ready() const noexcept { return ready_; }
  std::uint16_t port() const noexcept { return port_; }
  std::size_t descriptors() const { return entries("/proc/" + std::to_string(pid_) + "/fd"); }
  // SIGSTOP, returning once every thread of the child is stopped.
  bool stop() {
    int status = 0;
    return ::kill(pid_, SIGSTOP) == 0 && ::waitpid(pid_, &status, WUNTRACED) == pid_ && WIFSTOPPED(status);
  }
  bool resume() { return ::kill(pid_, SIGCONT) == 0; }

 private:
  Address where_;
  pid_t pid_ = -1;
  bool ready_ = false;
  std::uint16_t port_ = 0;
};

// A frame as a peer would send it on channel 1.
std::vector<std::uint8_t> frame(OpCode op, std::uint64_t id, std::string_view body) {
  auto message = Message::create();
  if (op == OpCode::HelloRequest) {
    EXPECT_EQ(prepareHelloRequest(*message, Address::tcp("127.0.0.1", 1)), Status::success);
  }
  message->setOpCode(op);
  message->setChannelNumber(1);
  message->setMessageId(id);
  message->body().assign(body);
  return frameBytes(*message);
}

void expectAnswer(RawPeer& client, OpCode op, std::uint64_t id, std::string_view body, const char* what) {
  RawFrame answer;
  const ReadEnd end = client.readFrame(answer);
  ASSERT_TRUE(end == ReadEnd::frame) << what << ": the server closed the channel or did not answer ("
                                     << toString(end) << ")";
  EXPECT_EQ(answer.header.proto.opCode, op) << what;
  EXPECT_EQ(answer.header.messageId, id) << what;
  EXPECT_EQ(answer.body, body) << what;
}

class FlowControlPausedServer : public ::testing::TestWithParam<Transport> {};
INSTANTIATE_TEST_SUITE_P(Transports, FlowControlPausedServer, kAllTransports, TransportName());

TEST_P(FlowControlPausedServer, HelloWaitingInTheSocketIsReadBeforeTheHandshakeDeadlineIsJudged) {
  // fork() copies only the calling thread: with others running, their locks would be copied held.
  ASSERT_EQ(entries("/proc/self/task"), 1u)
      << "other threads run in this process; ctest runs each test alone";
  const Address where =
      GetParam() == Transport::tcp ? Address::tcp("127.0.0.1", 0) : listenAddress(Transport::uds);
  ServerProcess server(where);
  ASSERT_TRUE(server.ready()) << "the child's engine did not come up";
  const Address target = GetParam() == Transport::tcp ? Address::tcp("127.0.0.1", server.port()) : where;

  const std::size_t descriptors = server.descriptors();
  auto client = RawPeer::connectTo(target);
  ASSERT_NE(client, nullptr);
  const auto acceptDeadline = Clock::now() + defaultTimeout();
  while (server.descriptors() == descriptors && Clock::now() < acceptDeadline) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  ASSERT_GT(server.descriptors(), descriptors) << "the server did not accept the connection";
  ASSERT_TRUE(server.stop());
  // Written while the server is stopped: its engine has not read a byte of them.
  ASSERT_TRUE(client->sendBytes(frame(OpCode::HelloRequest, 0x9A05'0001, "")));
  ASSERT_TRUE(client->sendBytes(frame(OpCode::Request, 0x9A05'0002, "first")));
  std::this_thread::sleep_for(kPause);
  ASSERT_TRUE(server.resume());

  expectAnswer(*client, OpCode::HelloResponse, 0x9A05'0001, "",
               "the HelloRequest sent while the server was stopped");
  expectAnswer(*client, OpCode::Response, 0x9A05'0002, "first", "the Request behind it");
  std::this_thread::sleep_for(milliseconds(kHandshakeTimeoutMs + 200));
  ASSERT_TRUE(client->sendBytes(frame(OpCode::Request, 0x9A05'0003, "second")));
  expectAnswer(*client, OpCode::Response, 0x9A05'0003, "second", "a Request past another deadline");
}

}  // namespace
}  // namespace tofu::test
