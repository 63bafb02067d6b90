// Telemetry under attack (issue 18), what it may cost: non-reading monitors are dropped and
// their memory returned, snapshot hammering costs little CPU, each monitor has 32 requests a
// second and at most 64 monitors are served. The served process is measured in /proc.
#include <cstdlib>

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "telemetry_abuse_fixture.h"

namespace tofu::cli::testing {
namespace {

using namespace std::chrono_literals;

// Once a reading of the served process's RSS is within `bound`, or it stopped falling for 2 s,
// or after 10 s: the last reading.
std::uint64_t settledRssKiB(pid_t pid, const std::function<bool(std::uint64_t)>& bound) {
  std::uint64_t rss = rssKiB(pid);
  std::uint64_t lowest = rss;
  Clock::time_point lastFall = Clock::now();
  for (const Clock::time_point end = Clock::now() + 10s; !bound(rss) && Clock::now() < end && Clock::now() - lastFall < 2s;) {
    std::this_thread::sleep_for(250ms);
    rss = rssKiB(pid);
    if (rss < lowest) {
      lowest = rss;
      lastFall = Clock::now();
    }
  }
  return rss;
}

// `clients` monitors, authorised, that subscribe and pipeline `requests` snapshot requests each
// without reading, for 4 s; then their engine goes and every connection is reset. The highest
// RSS of the served process meanwhile.
std::uint64_t attackWithNonReaders(pid_t pid, const Address& address, std::size_t clients, int requests) {
  std::uint64_t highest = rssKiB(pid);
  Options options = clientOptions();
  options.receiveBudgetBytes = 256 * 1024;  // stops reading almost at once
  test::Engine attacker(options);
  ChannelGroup& group = attacker.group();
  // Authorised first, at the pace the server's accept share allows (16 pending per uid):
  // 50 HelloRequests at once would have most of them reset at accept.
  std::string refusal;
  const std::vector<std::uint16_t> channels = authoriseMany(attacker.ampe(), group, address, clients, &refusal);
  EXPECT_EQ(channels.size(), clients) << "refused before " << clients << " monitors: '" << refusal << "'";
  for (const std::uint16_t channel : channels) (void)request(attacker.ampe(), group, channel, "subscribe");
  for (int round = 0; round < requests; ++round) {
    for (const std::uint16_t channel : channels) {
      MessagePtr message = test::newMessage(attacker.ampe());
      message->setChannelNumber(channel);
      // Spelled here as docs/telemetry.md has them, as the fixture does: the test also checks the names.
      (void)message->headers().append("telemetry-version", "1");
      (void)message->headers().append("telemetry", "snapshot");
      if (!group.enqueueToPeer(message).ok()) attacker.ampe().put(message);  // closed, or full
    }
  }
  for (const Clock::time_point end = Clock::now() + 4s; Clock::now() < end;) {
    highest = std::max(highest, rssKiB(pid));
    std::this_thread::sleep_for(100ms);
  }
  return highest;
}

// 50 clients that subscribe, pipeline snapshot requests and never read: the served process
// drops them and, once they are gone, is back within 10 % of its memory before. (It was not:
// each subscription after the first came with a 2.9 MB event ring from malloc, which glibc
// then kept as the top of a thread arena; the ring is mmapped now, see event_ring.h.)
TEST_F(TelemetryAbuseTest, NonReadingClientsAreDroppedAndTheirMemoryReturned) {
#if defined(TOFU_SANITIZER_ADDRESS)
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

  constexpr std::size_t kClients = 50;
  constexpr int kRequests = 2000;
  const std::uint64_t during = attackWithNonReaders(pid, address, kClients, kRequests);
#if defined(TOFU_SANITIZER_THREAD)
  // ThreadSanitizer's allocator gives no heap page back to the system, nor the shadow of one,
  // so RSS cannot come back whatever the process frees. What can be seen: it reuses what it
  // freed. A second attack of the same size adds less than three quarters of what the first
  // added (a leak of the first attack's memory would add as much again).
  const std::uint64_t reference = settledRssKiB(pid, [](std::uint64_t) { return false; });
  (void)attackWithNonReaders(pid, address, kClients, kRequests);
  const std::uint64_t firstAttack = reference - std::min(reference, before);
  const std::uint64_t allowance = firstAttack * 3 / 4;
  const std::string bound = "three quarters of the first attack's " + std::to_string(firstAttack) + " KiB";
#else
  const std::uint64_t reference = before;
  const std::uint64_t allowance = reference / 10;
  const std::string bound = "10 %";
#endif
  const auto within = [&](std::uint64_t rss) { return rss <= reference + allowance; };
  const std::uint64_t after = settledRssKiB(pid, within);
  const std::uint64_t anonAfter = rssKiB(pid, "RssAnon:");
  std::printf("served process RSS: before %llu KiB, during %llu KiB, after %llu KiB (anonymous: %llu -> %llu KiB); "
              "compared with %llu KiB\n",
              static_cast<unsigned long long>(before), static_cast<unsigned long long>(during),
              static_cast<unsigned long long>(after), static_cast<unsigned long long>(anonBefore),
              static_cast<unsigned long long>(anonAfter), static_cast<unsigned long long>(reference));
  EXPECT_LT(during - before, 64u * 1024u) << "50 non-readers held more than 64 MiB";
  EXPECT_TRUE(within(after)) << "RSS did not come back within " << bound << ": " << reference << " -> " << after
                             << " KiB";
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

  constexpr std::size_t kMonitors = 64;
  std::string refusal;
  const std::vector<std::uint16_t> monitors = authoriseMany(engine.ampe(), group, address, kMonitors, &refusal);
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
  EXPECT_TRUE(awaitAnswer(engine.ampe(), group, id, 5s));
  stop(*served.process);
}

}  // namespace
}  // namespace tofu::cli::testing
