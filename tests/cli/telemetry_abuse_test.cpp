// Telemetry under attack (issue 18): a real `tofu-cli listen --echo --telemetry ...` is served
// while hostile clients in this process (or in raw sockets) try to read it without a token,
// lock monitors out, make it spend CPU or memory, or put escape bytes on the operator's
// terminal. The served process is measured through /proc/<pid>. Loopback, port 0, temp dirs.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "cli_fixture.h"
#include "engine_harness.h"
#include "json_reader.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tofu::cli::testing {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kToken = "Zq3-telemetry-token-for-tests-7f2a";

// A served `tofu-cli listen` and the addresses it printed.
struct Served {
  std::unique_ptr<Process> process;
  std::string bound;
  std::string telemetry;
};

Options clientOptions() {
  Options options;
  options.telemetryFromEnvironment = false;
  return options;
}

// A line of /proc/<pid>/status in KiB, VmRSS by default (0 when unreadable).
std::uint64_t rssKiB(pid_t pid, std::string_view field = "VmRSS:") {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(field)) return std::stoull(line.substr(field.size()));
  }
  return 0;
}

// User + system CPU time of `pid` so far, in seconds.
double cpuSeconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  // Fields after the command: state(3) ... utime(14) stime(15).
  std::uint64_t utime = 0;
  std::uint64_t stime = 0;
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index == 14) utime = std::stoull(field);
    if (index == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Posts a HelloRequest to `address`, with `telemetry-token:<token>` when given.
std::uint16_t hello(Ampe& ampe, ChannelGroup& group, const Address& address,
                    const std::optional<std::string>& token) {
  MessagePtr message = test::helloRequest(ampe, address);
  if (token) {
    EXPECT_EQ(message->headers().append("telemetry-token", *token), HeaderCheck::ok);
  }
  return test::post(group, std::move(message)).channelNumber;
}

std::uint64_t request(Ampe& ampe, ChannelGroup& group, std::uint16_t channel, std::string_view kind) {
  MessagePtr message = test::newMessage(ampe);
  message->setChannelNumber(channel);
  (void)message->headers().append("telemetry-version", "1");
  (void)message->headers().append("telemetry", kind);
  return test::post(group, std::move(message)).messageId;
}

bool hasHeader(const Message& message, std::string_view name) { return message.headers().find(name).has_value(); }

class TelemetryAbuseTest : public CliTest {
 protected:
  // `listen tcp|127.0.0.1|0 --echo --telemetry TELEMETRY`, with TOFU_TELEMETRY_TOKEN=token
  // in its environment unless `token` is empty.
  Served serve(const std::string& telemetry, const std::string& token = kToken, const std::string& listen = "tcp|127.0.0.1|0") {
    Served served;
    std::vector<std::string> env;
    if (!token.empty()) env.push_back("TOFU_TELEMETRY_TOKEN=" + token);
    served.process = start({"listen", listen, "--echo", "--telemetry", telemetry}, env);
    if (!served.process) return served;
    const std::optional<std::string> first = served.process->readLine(kLineTimeout);
    const std::optional<std::string> second = served.process->readLine(kLineTimeout);
    if (!first || !first->starts_with("listening ") || !second || !second->starts_with("telemetry ")) {
      ADD_FAILURE() << "listen printed '" << first.value_or("<nothing>") << "', '" << second.value_or("<nothing>")
                    << "'; stderr: " << served.process->err();
      served.process.reset();
      return served;
    }
    served.bound = first->substr(std::string_view("listening ").size());
    served.telemetry = second->substr(std::string_view("telemetry ").size());
    return served;
  }

  // `top ADDRESS --once --json` with the token in the environment; the parsed snapshot.
  std::optional<JsonValue> authorisedSnapshot(const std::string& address) {
    const RunResult top = run({"top", address, "--once", "--json"}, {"TOFU_TELEMETRY_TOKEN=" + std::string(kToken)});
    EXPECT_TRUE(top.exit.exited && top.exit.code == 0) << top.err;
    std::optional<JsonValue> snapshot = JsonValue::parse(top.out);
    return snapshot && snapshot->isObject() ? snapshot : std::nullopt;
  }

  static void stop(Process& process) {
    process.sendSignal(SIGTERM);
    const Process::Exit exit = process.wait(kProcessTimeout);
    EXPECT_TRUE(exit.exited && exit.code == 0) << process.err();
  }
};

// What one raw monitor got back within a bounded wait: a snapshot, a refusal, a close.
struct Outcome {
  bool snapshot = false;  // a Response with telemetry:snapshot and no telemetry-error
  bool refused = false;   // a frame with telemetry-error
  bool closed = false;    // Signal(channel_closed) from the engine
};

Outcome attempt(const Address& address, const std::optional<std::string>& token) {
  test::Engine engine(clientOptions());
  ChannelGroup& group = engine.group();
  const std::uint16_t channel = hello(engine.ampe(), group, address, token);
  // Pipelined behind the Hello, as a client that does not wait for the answer would.
  (void)request(engine.ampe(), group, channel, "snapshot");
  Outcome outcome;
  const Clock::time_point deadline = Clock::now() + 5s;
  while (!outcome.closed && Clock::now() < deadline) {
    MessagePtr message = test::tryReceive(group, 100ms);
    if (!message) {
      if (outcome.snapshot) break;  // served: no need to wait for a close that will not come
      continue;
    }
    if (message->isFromEngine() && message->opCode() == OpCode::Signal &&
        message->status() == Status::channel_closed) {
      outcome.closed = true;
    } else if (!message->isFromEngine() && hasHeader(*message, "telemetry-error")) {
      outcome.refused = true;
    } else if (!message->isFromEngine() && message->opCode() == OpCode::Response &&
               message->headers().find("telemetry") == "snapshot") {
      outcome.snapshot = true;
    }
    engine.ampe().put(message);
  }
  return outcome;
}

// A TCP endpoint answers only a HelloRequest with the right token; without it, or with a
// wrong one, every request is refused and the connection closed.
TEST_F(TelemetryAbuseTest, TcpTelemetryNeedsTheToken) {
  const Served served = serve("tcp|127.0.0.1|0");
  ASSERT_NE(served.process, nullptr);
  const Address address = Address::parse(served.telemetry).value();

  const Outcome missing = attempt(address, std::nullopt);
  EXPECT_FALSE(missing.snapshot) << "no token, yet a snapshot";
  EXPECT_TRUE(missing.refused);
  EXPECT_TRUE(missing.closed) << "no token, yet the connection stays open";

  const Outcome wrong = attempt(address, std::string(kToken) + "x");
  EXPECT_FALSE(wrong.snapshot) << "wrong token, yet a snapshot";
  EXPECT_TRUE(wrong.refused);
  EXPECT_TRUE(wrong.closed) << "wrong token, yet the connection stays open";

  const Outcome right = attempt(address, std::string(kToken));
  EXPECT_TRUE(right.snapshot);
  EXPECT_FALSE(right.refused);

  // The same through tofu-cli top: --token, the environment, and nothing.
  RunResult top = run({"top", served.telemetry, "--once", "--json", "--token", kToken});
  EXPECT_EQ(top.exit.code, 0) << top.err;
  EXPECT_TRUE(top.out.starts_with("{\"telemetryVersion\":1,")) << top.out;
  top = run({"top", served.telemetry, "--once", "--json"}, {"TOFU_TELEMETRY_TOKEN=" + std::string(kToken)});
  EXPECT_EQ(top.exit.code, 0) << top.err;
  top = run({"top", served.telemetry, "--once", "--json"});
  EXPECT_EQ(top.exit.code, 1);
  EXPECT_EQ(top.out, "");
  EXPECT_NE(top.err.find("token"), std::string::npos) << top.err;
  stop(*served.process);
}

// A TCP telemetry endpoint without a token is not served: the listener says why and exits 1
// (the address came from the command line, so it is a failure, not a warning).
TEST_F(TelemetryAbuseTest, TcpTelemetryWithoutATokenIsNotServed) {
  const auto listen = start({"listen", "tcp|127.0.0.1|0", "--telemetry", "tcp|127.0.0.1|0"});
  ASSERT_NE(listen, nullptr);
  const Process::Exit exit = listen->wait(5s);
  EXPECT_FALSE(exit.timedOut) << "served TCP telemetry without a token";
  EXPECT_EQ(exit.code, 1);
  EXPECT_EQ(listen->out(), "");
  EXPECT_NE(listen->err().find("TOFU_TELEMETRY_TOKEN"), std::string::npos) << listen->err();
}

// 50 clients that subscribe, pipeline snapshot requests and never read: the served process
// drops them and, once they are gone, is back within 10 % of its memory before. (It was not:
// each subscription after the first came with a 2.9 MB event ring from malloc, which glibc
// then kept as the top of a thread arena; the ring is mmapped now, see event_ring.h.)
TEST_F(TelemetryAbuseTest, NonReadingClientsAreDroppedAndTheirMemoryReturned) {
#if defined(__SANITIZE_ADDRESS__)
  // ASan's allocator keeps freed memory in a quarantine and returns it to the system only on
  // request: without these, the served process's RSS could never come back, whatever it frees.
  const char* found = std::getenv("ASAN_OPTIONS");
  const std::optional<std::string> inherited =
      found != nullptr ? std::optional<std::string>(found) : std::nullopt;  // setenv may free it
  const std::string asanOptions = inherited.value_or("") +
                                  ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
                                  ":allocator_release_to_os_interval_ms=0";
  ::setenv("ASAN_OPTIONS", asanOptions.c_str(), 1);
  const Served served = serve("tcp|127.0.0.1|0");
  if (inherited) {
    ::setenv("ASAN_OPTIONS", inherited->c_str(), 1);
  } else {
    ::unsetenv("ASAN_OPTIONS");
  }
#else
  const Served served = serve("tcp|127.0.0.1|0");
#endif
  ASSERT_NE(served.process, nullptr);
  const pid_t pid = served.process->pid();
  const Address address = Address::parse(served.telemetry).value();
  ASSERT_TRUE(authorisedSnapshot(served.telemetry));  // warm: the telemetry engine has served once
  // Before: once two readings 250 ms apart agree (at most 3 s).
  std::uint64_t before = rssKiB(pid);
  for (const Clock::time_point end = Clock::now() + 3s; Clock::now() < end;) {
    std::this_thread::sleep_for(250ms);
    const std::uint64_t now = rssKiB(pid);
    if (now == before) break;
    before = now;
  }
  ASSERT_GT(before, 0u);
  const std::uint64_t anonBefore = rssKiB(pid, "RssAnon:");

  constexpr int kClients = 50;
  constexpr int kRequests = 2000;
  std::uint64_t during = before;
  {
    Options options = clientOptions();
    options.receiveBudgetBytes = 256 * 1024;  // stops reading almost at once
    test::Engine attacker(options);
    ChannelGroup& group = attacker.group();
    std::vector<std::uint16_t> channels;
    for (int i = 0; i < kClients; ++i) channels.push_back(hello(attacker.ampe(), group, address, std::string(kToken)));
    for (const std::uint16_t channel : channels) (void)request(attacker.ampe(), group, channel, "subscribe");
    for (int round = 0; round < kRequests; ++round) {
      for (const std::uint16_t channel : channels) {
        MessagePtr message = test::newMessage(attacker.ampe());
        message->setChannelNumber(channel);
        (void)message->headers().append("telemetry-version", "1");
        (void)message->headers().append("telemetry", "snapshot");
        if (!group.enqueueToPeer(message).ok()) attacker.ampe().put(message);  // closed, or full
      }
    }
    for (const Clock::time_point end = Clock::now() + 4s; Clock::now() < end;) {
      during = std::max(during, rssKiB(pid));
      std::this_thread::sleep_for(100ms);
    }
  }  // the attackers' engine goes: every connection is reset
  // After: polled until back within the bound, or until it stops falling for 2 s, or 10 s.
  const auto within = [&](std::uint64_t rss) { return rss * 10 <= before * 11; };
  std::uint64_t after = rssKiB(pid);
  std::uint64_t lowest = after;
  Clock::time_point lastFall = Clock::now();
  for (const Clock::time_point end = Clock::now() + 10s;
       !within(after) && Clock::now() < end && Clock::now() - lastFall < 2s;) {
    std::this_thread::sleep_for(250ms);
    after = rssKiB(pid);
    if (after < lowest) {
      lowest = after;
      lastFall = Clock::now();
    }
  }
  const std::uint64_t anonAfter = rssKiB(pid, "RssAnon:");
  std::printf("served process RSS: before %llu KiB, during %llu KiB, after %llu KiB (anonymous: %llu -> %llu KiB)\n",
              static_cast<unsigned long long>(before), static_cast<unsigned long long>(during),
              static_cast<unsigned long long>(after), static_cast<unsigned long long>(anonBefore),
              static_cast<unsigned long long>(anonAfter));
  EXPECT_LT(during - before, 64u * 1024u) << "50 non-readers held more than 64 MiB";
  EXPECT_TRUE(within(after)) << "RSS did not come back within 10 %: " << before << " -> " << after << " KiB";
  // Still serving an authorised monitor.
  EXPECT_TRUE(authorisedSnapshot(served.telemetry));
  stop(*served.process);
}

// Two clients asking for snapshots as fast as they are answered cost the served process
// less than 10 % of one core.
TEST_F(TelemetryAbuseTest, SnapshotHammerCostsTheServedProcessLittleCpu) {
  const Served served = serve("tcp|127.0.0.1|0");
  ASSERT_NE(served.process, nullptr);
  const pid_t pid = served.process->pid();
  const Address address = Address::parse(served.telemetry).value();

  constexpr auto kWindow = 4s;
  std::atomic<bool> ready0{false};
  std::atomic<bool> ready1{false};
  std::atomic<bool> go{false};
  std::atomic<std::uint64_t> snapshots{0};
  auto hammer = [&](std::atomic<bool>& ready) {
    test::Engine engine(clientOptions());
    ChannelGroup& group = engine.group();
    const std::uint16_t channel = hello(engine.ampe(), group, address, std::string(kToken));
    ready = true;
    while (!go) std::this_thread::sleep_for(1ms);
    const Clock::time_point end = Clock::now() + kWindow;
    while (Clock::now() < end) {
      const std::uint64_t id = request(engine.ampe(), group, channel, "snapshot");
      for (;;) {
        MessagePtr message = test::tryReceive(group, 100ms);
        if (!message) {
          if (Clock::now() >= end) break;
          continue;
        }
        const bool last = !message->isFromEngine() && message->messageId() == id && !message->hasMore();
        const bool closed = message->isFromEngine() && message->status() == Status::channel_closed;
        engine.ampe().put(message);
        if (closed) return;
        if (last) {
          ++snapshots;
          break;
        }
      }
    }
  };
  std::thread first(hammer, std::ref(ready0));
  std::thread second(hammer, std::ref(ready1));
  while (!ready0 || !ready1) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(200ms);  // both Hellos answered
  const double cpuBefore = cpuSeconds(pid);
  const Clock::time_point start = Clock::now();
  go = true;
  first.join();
  second.join();
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  const double share = (cpuSeconds(pid) - cpuBefore) / wall;
  std::printf("served process CPU under the snapshot hammer: %.1f %% of one core (%llu snapshots in %.1f s)\n",
              share * 100, static_cast<unsigned long long>(snapshots.load()), wall);
  EXPECT_GT(snapshots.load(), 0u);
  EXPECT_LT(share, 0.10);
  stop(*served.process);
}

// One peer opening hundreds of connections (token-less Hellos and silent sockets) cannot
// keep an authorised monitor out; its connections are closed, the silent ones within a few
// seconds.
TEST_F(TelemetryAbuseTest, OnePeerCannotLockMonitorsOut) {
  const Served served = serve("tcp|127.0.0.1|0");
  ASSERT_NE(served.process, nullptr);
  const Address address = Address::parse(served.telemetry).value();
  const std::uint16_t port = address.port();

  test::Engine attacker(clientOptions());
  ChannelGroup& group = attacker.group();
  constexpr int kHellos = 300;
  for (int i = 0; i < kHellos; ++i) (void)hello(attacker.ampe(), group, address, std::nullopt);
  constexpr int kSilent = 100;
  std::vector<int> silent;
  for (int i = 0; i < kSilent; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to), 0);
    silent.push_back(fd);
  }
  const Clock::time_point attacked = Clock::now();
  std::this_thread::sleep_for(500ms);

  const RunResult top = run({"top", served.telemetry, "--once", "--json"}, {"TOFU_TELEMETRY_TOKEN=" + std::string(kToken)});
  EXPECT_EQ(top.exit.code, 0) << "locked out: " << top.err;
  EXPECT_TRUE(top.out.starts_with("{\"telemetryVersion\":1,")) << top.out;

  // The token-less Hellos are closed.
  int closed = 0;
  for (const Clock::time_point end = Clock::now() + 5s; closed < kHellos && Clock::now() < end;) {
    MessagePtr message = test::tryReceive(group, 100ms);
    if (!message) continue;
    if (message->isFromEngine() && message->opCode() == OpCode::Signal && message->status() == Status::channel_closed)
      ++closed;
    attacker.ampe().put(message);
  }
  EXPECT_EQ(closed, kHellos);
  // The silent sockets are closed by the server within a few seconds (EOF or reset).
  int ended = 0;
  for (const int fd : silent) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(attacked + 6s - Clock::now());
    pollfd entry{fd, POLLIN, 0};
    if (::poll(&entry, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0))) == 1) {
      char byte = 0;
      if (::recv(fd, &byte, 1, MSG_DONTWAIT) <= 0) ++ended;
    }
    ::close(fd);
  }
  EXPECT_EQ(ended, kSilent) << "silent connections outlived the authentication deadline";
  stop(*served.process);
}

// A peer (another local uid) reconnecting in a tight loop, never saying a word, cannot keep
// an authorised monitor out: its connections beyond its share are reset the moment they are
// accepted (TelemetryAcceptGate), so they never fill the server's channel slots between two
// sweeps. Every one of the monitor's attempts succeeds. Needs root, to run the attacker as
// another uid (the share is per uid on loopback: a same-uid peer could kill the process).
TEST_F(TelemetryAbuseTest, APeerReconnectingInALoopCannotKeepAMonitorOut) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run the attacking peer as another uid";
  const Served served = serve("tcp|127.0.0.1|0");
  ASSERT_NE(served.process, nullptr);
  const std::uint16_t port = Address::parse(served.telemetry).value().port();

  // Counts shared with the attacker: connections it made, and whether it runs as its own uid.
  struct Shared {
    std::atomic<std::uint64_t> connected{0};
    std::atomic<bool> running{false};
  };
  void* mapped = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mapped, MAP_FAILED);
  Shared* shared = new (mapped) Shared();

  const pid_t attacker = ::fork();
  ASSERT_GE(attacker, 0);
  if (attacker == 0) {
    // Only async-signal-safe calls from here: the parent has threads.
    constexpr uid_t kNobody = 65534;
    // Holds up to kHeld connections, more than the server has slots, and replaces each one
    // the server closes at once: every slot it frees goes back to the attacker.
    constexpr int kHeld = 1000;
    const rlimit descriptors{kHeld + 64, kHeld + 64};
    if (::setrlimit(RLIMIT_NOFILE, &descriptors) != 0) ::_exit(2);
    if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) ::_exit(2);
    shared->running = true;
    static pollfd held[kHeld];
    for (pollfd& entry : held) entry = {-1, POLLIN, 0};
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timespec start{};
    ::clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
      timespec now{};
      ::clock_gettime(CLOCK_MONOTONIC, &now);
      if (now.tv_sec - start.tv_sec > 60) ::_exit(0);  // the parent kills it long before
      for (pollfd& entry : held) {
        if (entry.fd >= 0) continue;
        entry.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (entry.fd >= 0 && ::connect(entry.fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0) {
          ++shared->connected;
        }
      }
      if (::poll(held, kHeld, 1) > 0) {
        for (pollfd& entry : held) {
          if (entry.revents == 0) continue;
          ::close(entry.fd);  // closed or reset by the server (or never connected)
          entry = {-1, POLLIN, 0};
        }
      }
    }
  }
  for (const Clock::time_point end = Clock::now() + 5s; !shared->running && Clock::now() < end;)
    std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(300ms);  // the attack in full swing

  constexpr int kAttempts = 12;
  int served_ok = 0;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const RunResult top = run({"top", served.telemetry, "--once", "--json", "--token", kToken});
    const bool ok = top.exit.exited && top.exit.code == 0 && top.out.starts_with("{\"telemetryVersion\":1,");
    EXPECT_TRUE(ok) << "attempt " << attempt << " locked out: " << top.err;
    if (ok) ++served_ok;
  }
  const std::uint64_t connected = shared->connected.load();
  ::kill(attacker, SIGKILL);
  int status = 0;
  ::waitpid(attacker, &status, 0);
  EXPECT_TRUE(shared->running) << "the attacker could not take uid 65534";
  std::printf("monitor served %d of %d times while the peer made %llu connections\n", served_ok, kAttempts,
              static_cast<unsigned long long>(connected));
  EXPECT_GT(connected, 1000u) << "the attack did not happen";
  shared->~Shared();
  ::munmap(mapped, sizeof(Shared));
  // Still serving once the attacker is gone.
  EXPECT_TRUE(authorisedSnapshot(served.telemetry));
  stop(*served.process);
}

// Posts a telemetry request of `kind` on `channel`; false when the channel is already gone
// (the message is then returned to the pool).
bool tryRequest(Ampe& ampe, ChannelGroup& group, std::uint16_t channel, std::string_view kind) {
  MessagePtr message = test::newMessage(ampe);
  message->setChannelNumber(channel);
  (void)message->headers().append("telemetry-version", "1");
  (void)message->headers().append("telemetry", kind);
  if (group.enqueueToPeer(message).ok()) return true;
  ampe.put(message);
  return false;
}

bool isClosedSignal(const Message& message) {
  return message.isFromEngine() && message.opCode() == OpCode::Signal && message.status() == Status::channel_closed;
}

// What came back on one monitor channel: answers of `kind` without an error, and whether the
// channel closed, within `wait`.
struct Answers {
  int answered = 0;
  int errors = 0;
  bool closed = false;
  std::chrono::milliseconds closedAfter{0};
};

Answers collect(Ampe& ampe, ChannelGroup& group, std::uint16_t channel, std::string_view kind,
                std::chrono::milliseconds wait, Clock::time_point since) {
  Answers answers;
  for (const Clock::time_point end = Clock::now() + wait; !answers.closed && Clock::now() < end;) {
    MessagePtr message = test::tryReceive(group, 50ms);
    if (!message) continue;
    if (message->channelNumber() == channel) {
      if (isClosedSignal(*message)) {
        answers.closed = true;
        answers.closedAfter = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since);
      } else if (!message->isFromEngine() && message->opCode() == OpCode::Response &&
                 message->headers().find("telemetry") == kind) {
        if (hasHeader(*message, "telemetry-error")) {
          ++answers.errors;
        } else {
          ++answers.answered;
        }
      }
    }
    ampe.put(message);
  }
  return answers;
}

// Sends a HelloRequest with the token and waits for its answer: the channel when authorised
// (no telemetry-error), 0 otherwise; `error` gets the refusal, if any.
std::uint16_t authorise(Ampe& ampe, ChannelGroup& group, const Address& address, std::string* error = nullptr) {
  const std::uint16_t channel = hello(ampe, group, address, std::string(kToken));
  for (const Clock::time_point end = Clock::now() + 5s; Clock::now() < end;) {
    MessagePtr message = test::tryReceive(group, 100ms);
    if (!message) continue;
    const bool ours = message->channelNumber() == channel;
    const bool closed = ours && isClosedSignal(*message);
    const bool answer = ours && !message->isFromEngine() && message->opCode() == OpCode::HelloResponse;
    const std::optional<std::string_view> refusal = message->headers().find("telemetry-error");
    if (answer && refusal && error) *error = std::string(*refusal);
    ampe.put(message);
    if (closed) return 0;
    if (answer) return refusal ? 0 : channel;
  }
  return 0;
}

// One authorised monitor may make 32 requests per second (TelemetryGuard::kMaxRequestsPerSecond):
// 32 in a burst are all answered, and 32 more a second later too; a burst of 33, or of 200,
// gets at most 32 answers and the monitor is disconnected (its 33rd request drops it, unanswered; the reset
// may also discard answers already sent, so often none arrive).
TEST_F(TelemetryAbuseTest, RequestsAreCappedAt32PerSecondPerMonitor) {
  const Served served = serve("tcp|127.0.0.1|0");
  ASSERT_NE(served.process, nullptr);
  const Address address = Address::parse(served.telemetry).value();
  test::Engine engine(clientOptions());
  ChannelGroup& group = engine.group();
  // "unsubscribe" is answered at once (snapshots are paced, which would hide the rate).
  constexpr std::string_view kKind = "unsubscribe";

  // Within the cap: two bursts of 32, 1.1 s apart, all answered; the monitor stays.
  const std::uint16_t within = authorise(engine.ampe(), group, address);
  ASSERT_NE(within, 0);
  for (int round = 0; round < 2; ++round) {
    if (round == 1) std::this_thread::sleep_for(1100ms);  // a new one-second window
    const Clock::time_point sent = Clock::now();
    for (int i = 0; i < 32; ++i) ASSERT_TRUE(tryRequest(engine.ampe(), group, within, kKind));
    const Answers answers = collect(engine.ampe(), group, within, kKind, 800ms, sent);
    EXPECT_EQ(answers.answered, 32) << "round " << round << ": 32 requests in a burst not all answered";
    EXPECT_EQ(answers.errors, 0);
    EXPECT_FALSE(answers.closed) << "round " << round << ": dropped after 32 requests in a second";
  }

  // One past the cap: 33 in a burst on a fresh monitor; the 33rd disconnects it.
  const std::uint16_t over = authorise(engine.ampe(), group, address);
  ASSERT_NE(over, 0);
  const Clock::time_point overSent = Clock::now();
  for (int i = 0; i < 33; ++i) ASSERT_TRUE(tryRequest(engine.ampe(), group, over, kKind));
  const Answers overAnswers = collect(engine.ampe(), group, over, kKind, 3s, overSent);
  std::printf("burst of 33 requests: %d answered, closed %s after %lld ms\n", overAnswers.answered,
              overAnswers.closed ? "yes" : "no", static_cast<long long>(overAnswers.closedAfter.count()));
  EXPECT_LE(overAnswers.answered, 32) << "33 requests in a second all answered";
  EXPECT_TRUE(overAnswers.closed) << "a monitor making 33 requests in a second was not disconnected";

  // Far past it: 200 in a burst on a fresh monitor.
  const std::uint16_t burst = authorise(engine.ampe(), group, address);
  ASSERT_NE(burst, 0);
  const Clock::time_point sent = Clock::now();
  int posted = 0;
  for (int i = 0; i < 200; ++i) {
    if (tryRequest(engine.ampe(), group, burst, kKind)) ++posted;
  }
  const Answers answers = collect(engine.ampe(), group, burst, kKind, 3s, sent);
  std::printf("burst of 200 requests (%d posted): %d answered, closed %s after %lld ms\n", posted, answers.answered,
              answers.closed ? "yes" : "no", static_cast<long long>(answers.closedAfter.count()));
  EXPECT_GE(posted, 33) << "the burst did not pass the cap";
  EXPECT_LE(answers.answered, 32) << "more than 32 requests answered within a second";
  EXPECT_EQ(answers.errors, 0);
  EXPECT_TRUE(answers.closed) << "a monitor over 32 requests per second was not disconnected";
  EXPECT_LT(answers.closedAfter, 1000ms);

  // The other monitor is unaffected (in a new window: its last one already holds 32).
  std::this_thread::sleep_for(1100ms);
  const Clock::time_point again = Clock::now();
  ASSERT_TRUE(tryRequest(engine.ampe(), group, within, kKind));
  const Answers still = collect(engine.ampe(), group, within, kKind, 500ms, again);
  EXPECT_EQ(still.answered, 1);
  EXPECT_FALSE(still.closed);
  stop(*served.process);
}

// At most 64 authorised monitors at once (TelemetryGuard::kMaxMonitors): the 65th gets a
// HelloResponse with telemetry-error:too many monitors and is closed; once one of the 64 says
// ByeRequest, a new monitor is authorised and served.
TEST_F(TelemetryAbuseTest, AtMost64MonitorsAtOnce) {
  const Served served = serve("tcp|127.0.0.1|0");
  ASSERT_NE(served.process, nullptr);
  const Address address = Address::parse(served.telemetry).value();
  test::Engine engine(clientOptions());
  ChannelGroup& group = engine.group();

  // In batches of 8, under this uid's share of 16 pending connections at accept; a
  // connection reset at accept (the share not yet settled by the server's 250 ms look) is
  // retried in the next batch.
  constexpr std::size_t kMonitors = 64;
  std::vector<std::uint16_t> monitors;
  std::string refusal;
  for (const Clock::time_point end = Clock::now() + 40s;
       monitors.size() < kMonitors && refusal.empty() && Clock::now() < end;) {
    std::vector<std::uint16_t> waiting;
    for (std::size_t i = 0; i < std::min<std::size_t>(8, kMonitors - monitors.size()); ++i)
      waiting.push_back(hello(engine.ampe(), group, address, std::string(kToken)));
    for (const Clock::time_point batchEnd = Clock::now() + 5s; !waiting.empty() && Clock::now() < batchEnd;) {
      MessagePtr message = test::tryReceive(group, 100ms);
      if (!message) continue;
      const auto at = std::find(waiting.begin(), waiting.end(), message->channelNumber());
      if (at != waiting.end()) {
        if (isClosedSignal(*message)) {
          waiting.erase(at);  // reset at accept: retried
        } else if (!message->isFromEngine() && message->opCode() == OpCode::HelloResponse) {
          const std::optional<std::string_view> error = message->headers().find("telemetry-error");
          if (error) {
            refusal = std::string(*error);
          } else {
            monitors.push_back(*at);
          }
          waiting.erase(at);
        }
      }
      engine.ampe().put(message);
    }
    std::this_thread::sleep_for(300ms);
  }
  ASSERT_EQ(monitors.size(), kMonitors) << "refused before 64 monitors: '" << refusal << "'";

  // The 65th: refused with the documented error, then closed.
  const std::uint16_t extra = hello(engine.ampe(), group, address, std::string(kToken));
  std::optional<std::string> error;
  bool closed = false;
  bool closedOther = false;
  for (const Clock::time_point end = Clock::now() + 4s; !closed && Clock::now() < end;) {
    MessagePtr message = test::tryReceive(group, 100ms);
    if (!message) continue;
    if (message->channelNumber() == extra) {
      if (isClosedSignal(*message)) closed = true;
      if (!message->isFromEngine() && message->opCode() == OpCode::HelloResponse)
        error = std::string(message->headers().find("telemetry-error").value_or(""));
    } else if (isClosedSignal(*message)) {
      closedOther = true;
    }
    engine.ampe().put(message);
  }
  EXPECT_EQ(error, std::optional<std::string>("too many monitors")) << "the 65th monitor was not refused";
  EXPECT_TRUE(closed) << "the refused 65th monitor was not closed";
  EXPECT_FALSE(closedOther) << "one of the 64 monitors was closed";

  // One leaves: a new monitor is authorised and gets a snapshot.
  test::post(group, test::byeRequest(engine.ampe(), monitors.front()));
  bool left = false;
  for (const Clock::time_point end = Clock::now() + 5s; !left && Clock::now() < end;) {
    MessagePtr message = test::tryReceive(group, 100ms);
    if (!message) continue;
    left = message->channelNumber() == monitors.front() && isClosedSignal(*message);
    engine.ampe().put(message);
  }
  ASSERT_TRUE(left) << "the leaving monitor's channel did not close";
  std::string again;
  std::uint16_t replacement = 0;
  // Its HelloRequest may be reset at accept until the server's next look settles the gate.
  for (const Clock::time_point end = Clock::now() + 5s; replacement == 0 && again.empty() && Clock::now() < end;) {
    replacement = authorise(engine.ampe(), group, address, &again);
    if (replacement == 0 && again.empty()) std::this_thread::sleep_for(300ms);
  }
  ASSERT_NE(replacement, 0) << "no new monitor after one left: '" << again << "'";
  const std::uint64_t id = request(engine.ampe(), group, replacement, "snapshot");
  bool snapshot = false;
  for (const Clock::time_point end = Clock::now() + 5s; !snapshot && Clock::now() < end;) {
    MessagePtr message = test::tryReceive(group, 100ms);
    if (!message) continue;
    snapshot = !message->isFromEngine() && message->messageId() == id && !hasHeader(*message, "telemetry-error");
    engine.ampe().put(message);
  }
  EXPECT_TRUE(snapshot);
  stop(*served.process);
}

// All peers together may have 128 connections not authorised yet at accept
// (kMaxPendingConnections in telemetry_server.cpp): 8 other uids hold 16 silent connections
// each (each uid's own share), all kept; the next connection, from a uid with no pending
// connection of its own, is reset at once instead of at the 2 s authentication deadline. A
// monitor authorised before the flood is still served. (While the 128 are pending, a new
// connection of the monitor's uid is reset too: the probe below is one; they expire within
// the 2 s deadline.) Needs root, to run the peers as other uids: distinct loopback source
// addresses are one peer, the gate keys loopback peers by uid.
TEST_F(TelemetryAbuseTest, AllPeersTogetherHaveAtMost128PendingConnections) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run the peers as other uids";
  const Served served = serve("tcp|127.0.0.1|0");
  ASSERT_NE(served.process, nullptr);
  const Address address = Address::parse(served.telemetry).value();
  const std::uint16_t port = address.port();
  test::Engine engine(clientOptions());
  ChannelGroup& group = engine.group();
  const std::uint16_t monitor = authorise(engine.ampe(), group, address);
  ASSERT_NE(monitor, 0);
  std::this_thread::sleep_for(400ms);  // the server's look has settled the monitor

  constexpr int kPeers = 8;
  constexpr int kPerPeer = 16;
  struct Shared {
    std::atomic<int> connected{0};
    std::atomic<int> failed{0};
    std::atomic<bool> check{false};
    std::atomic<int> alive{0};
    std::atomic<int> reported{0};
  };
  void* mapped = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mapped, MAP_FAILED);
  Shared* shared = new (mapped) Shared();
  std::vector<pid_t> peers;
  for (int peer = 0; peer < kPeers; ++peer) {
    const pid_t child = ::fork();
    if (child < 0) break;
    if (child == 0) {
      // Only async-signal-safe calls from here: the parent has threads.
      const uid_t uid = static_cast<uid_t>(61000 + peer);
      if (::setgroups(0, nullptr) != 0 || ::setgid(uid) != 0 || ::setuid(uid) != 0) {
        shared->failed += kPerPeer;
        ::_exit(2);
      }
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_port = htons(port);
      to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      int fds[kPerPeer];
      for (int& fd : fds) {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && ::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0) {
          ++shared->connected;
        } else {
          ++shared->failed;
        }
      }
      timespec start{};
      ::clock_gettime(CLOCK_MONOTONIC, &start);
      const timespec nap{0, 5'000'000};
      for (;;) {
        timespec now{};
        ::clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec > 30) ::_exit(0);  // the parent kills it long before
        if (shared->check) break;
        ::nanosleep(&nap, nullptr);
      }
      // Still open: nothing to read (no EOF, no reset).
      int alive = 0;
      for (const int fd : fds) {
        pollfd entry{fd, POLLIN, 0};
        if (fd >= 0 && ::poll(&entry, 1, 0) == 0) ++alive;
      }
      shared->alive += alive;
      ++shared->reported;
      for (;;) {
        timespec now{};
        ::clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec > 30) ::_exit(0);
        ::nanosleep(&nap, nullptr);
      }
    }
    peers.push_back(child);
  }
  for (const Clock::time_point end = Clock::now() + 5s;
       shared->connected + shared->failed < kPeers * kPerPeer && Clock::now() < end;)
    std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(200ms);  // the server has accepted them all
  const int connectedPeers = shared->connected.load();

  // A new monitor while 128 are pending: the busiest peer's oldest silent connection makes
  // room, so it is served. No ASSERT until the peers are killed.
  const RunResult during = run({"top", served.telemetry, "--once", "--json", "--token", kToken});
  const bool newMonitorServed =
      during.exit.exited && during.exit.code == 0 && during.out.starts_with("{\"telemetryVersion\":1,");
  std::this_thread::sleep_for(100ms);
  shared->check = true;
  for (const Clock::time_point end = Clock::now() + 2s; shared->reported < kPeers && Clock::now() < end;)
    std::this_thread::sleep_for(1ms);
  const int alive = shared->alive.load();

  // The monitor authorised before is still served.
  const std::uint64_t id = request(engine.ampe(), group, monitor, "snapshot");
  bool snapshot = false;
  for (const Clock::time_point end = Clock::now() + 3s; !snapshot && Clock::now() < end;) {
    MessagePtr message = test::tryReceive(group, 100ms);
    if (!message) continue;
    snapshot = !message->isFromEngine() && message->messageId() == id && !hasHeader(*message, "telemetry-error");
    engine.ampe().put(message);
  }

  for (const pid_t child : peers) ::kill(child, SIGKILL);
  for (const pid_t child : peers) {
    int status = 0;
    ::waitpid(child, &status, 0);
  }
  std::printf("%d peers x %d connections: %d connected, %d still open after a new monitor came (%s)\n", kPeers,
              kPerPeer, connectedPeers, alive, newMonitorServed ? "served" : "not served");
  EXPECT_EQ(static_cast<int>(peers.size()), kPeers);
  EXPECT_EQ(connectedPeers, kPeers * kPerPeer);
  EXPECT_EQ(shared->reported.load(), kPeers);
  EXPECT_TRUE(newMonitorServed) << "a new monitor was kept out by 128 pending connections: " << during.err;
  // The cap held: the monitor's connection took the place of one of theirs, not a 129th.
  EXPECT_LT(alive, kPeers * kPerPeer) << "a 129th pending connection was accepted beside the 128";
  EXPECT_GE(alive, kPeers * kPerPeer - 2) << "more pending connections were closed than the monitor needed";
  EXPECT_TRUE(snapshot) << "the authorised monitor was not served during the flood";
  shared->~Shared();
  ::munmap(mapped, sizeof(Shared));

  // Once the peers are gone, a new monitor connects.
  bool served_ok = false;
  for (const Clock::time_point end = Clock::now() + 6s; !served_ok && Clock::now() < end;) {
    const RunResult top = run({"top", served.telemetry, "--once", "--json", "--token", kToken});
    served_ok = top.exit.exited && top.exit.code == 0 && top.out.starts_with("{\"telemetryVersion\":1,");
    if (!served_ok) std::this_thread::sleep_for(300ms);
  }
  EXPECT_TRUE(served_ok) << "no new monitor once the peers left";
  stop(*served.process);
}

// A peer whose UDS path holds control characters cannot write them to the terminal of an
// operator running `top`: the table shows them escaped.
TEST_F(TelemetryAbuseTest, TopEscapesControlCharactersFromPeers) {
  const TempDir dir;
  const std::string listenPath = dir.path() + "/app.sock";
  const Served served = serve("uds|" + dir.path() + "/telemetry.sock", "", "uds|" + listenPath);
  ASSERT_NE(served.process, nullptr);

  const std::string evil = dir.path() + "/\x1b[2J\x1b]0;owned\x07\x9b" "31m\x7f" "evil.sock";
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un local{};
  local.sun_family = AF_UNIX;
  ASSERT_LT(evil.size(), sizeof local.sun_path);
  std::copy(evil.begin(), evil.end(), local.sun_path);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local), 0);
  sockaddr_un remote{};
  remote.sun_family = AF_UNIX;
  std::copy(listenPath.begin(), listenPath.end(), remote.sun_path);
  ASSERT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&remote), sizeof remote), 0);

  // Wait until the snapshot shows the peer.
  bool seen = false;
  for (const Clock::time_point end = Clock::now() + 5s; !seen && Clock::now() < end;) {
    const RunResult json = run({"top", served.telemetry, "--once", "--json"});
    EXPECT_EQ(json.out.find('\x1b'), std::string::npos);
    seen = json.out.find("evil.sock") != std::string::npos;
    if (!seen) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(seen) << "the peer's path never showed up";
  const RunResult table = run({"top", served.telemetry, "--once"});
  EXPECT_EQ(table.exit.code, 0) << table.err;
  EXPECT_NE(table.out.find("evil.sock"), std::string::npos) << table.out;
  for (const char raw : {'\x1b', '\x07', '\x7f', '\x9b'}) {
    EXPECT_EQ(table.out.find(raw), std::string::npos) << "raw byte " << static_cast<int>(static_cast<unsigned char>(raw));
  }
  EXPECT_NE(table.out.find("\\x1b[2J"), std::string::npos) << table.out;
  ::close(fd);
  stop(*served.process);
}

}  // namespace
}  // namespace tofu::cli::testing
