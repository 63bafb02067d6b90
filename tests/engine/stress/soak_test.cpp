// Soak (label `stress`): 8 client threads open and close 10,000 channels in total against
// one server engine, half over TCP and half over UDS, with traffic on every channel. Each
// channel sends a HelloRequest and kRequests Requests right behind it (K8); the server echoes
// everything. Three channels in four then close gracefully (ByeRequest / ByeResponse, B3),
// the rest abort with a ByeSignal (B13) at a random point: before the HelloResponse, after
// it, or after some of the Responses.
//
// Checked, after everything has closed:
// - B1, for both engines: written + returned == posted, exactly (EngineCounters), every
//   returned message was seen by its group, and received <= written in each direction; a
//   graceful channel got its HelloResponse, every Response in order and its ByeResponse.
// - Descriptors (/proc/self/fd): with the engines still up and every channel closed, exactly
//   as many as after the warm-up round; after the engines are destroyed, exactly as many as
//   before they were created.
// - Resident memory (/proc/self/statm): at most kRssMarginBytes above the level measured after
//   a warm-up round of the same traffic (engines up, all channels closed), both measured after
//   handing free memory back to the system (malloc_trim; under ASan its quarantine is drained
//   first, since it otherwise holds freed memory on purpose).
//
// Size: kBaseChannels channels multiplied by the environment variable TOFU_STRESS_SCALE
// (default 1.0; the sanitizer runs use 0.25). Runs in well under a minute in a normal build.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "os_probes.h"
#include "raw_peer.h"
#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#if defined(TOFU_SANITIZER_ADDRESS)
// Drains ASan's quarantine and returns free memory to the system (sanitizer allocator API;
// not declared by every compiler's headers).
extern "C" void __sanitizer_purge_allocator();
#endif

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kBaseChannels = 10'000;
constexpr std::size_t kWarmUpChannels = 400;
constexpr int kThreads = 8;
constexpr std::size_t kInFlightPerThread = 8;
constexpr int kRequests = 4;
#if defined(TOFU_SANITIZER_ADDRESS)
// AddressSanitizer keeps freed memory in its quarantine (up to 256 MiB) before reusing it:
// 10,000 channels' worth of frees measured 30-34 MiB of growth from that alone. LeakSanitizer
// finds real leaks at exit.
constexpr std::size_t kRssMarginBytes = 64u * 1024u * 1024u;
#else
constexpr std::size_t kRssMarginBytes = 32u * 1024u * 1024u;
#endif

double stressScale() {
  if (const char* text = std::getenv("TOFU_STRESS_SCALE")) {
    const double value = std::strtod(text, nullptr);
    if (value > 0) {
      return value;
    }
  }
  return 1.0;
}

std::size_t openDescriptors() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++count;
  }
  return count;  // includes the iterator's own descriptor, every time
}

// Resident memory after giving free memory back, in bytes.
// Resident bytes once freed memory has been handed back, so only live memory counts.
std::size_t trimmedResidentBytes() {
#if defined(TOFU_SANITIZER_ADDRESS)
  __sanitizer_purge_allocator();
#endif
  ::malloc_trim(0);
  return residentBytes();
}

bool isPoolEmpty(const Message& m) {
  return m.opCode() == OpCode::Signal && m.isFromEngine() && m.status() == Status::pool_empty;
}

bool isFinalSignal(const Message& m) {
  return m.opCode() == OpCode::Signal && m.isFromEngine() && m.status() == Status::channel_closed;
}

// ---------------------------------------------------------------------------------------------
// The server: one group, a TCP and a UDS listener, one thread that echoes everything.

class EchoServer {
 public:
  EchoServer() : engine_(serverOptions()), group_(engine_.group()) {
    tcp_ = listen(engine_.ampe(), group_, Address::tcp("127.0.0.1", 0));
    uds_ = listen(engine_.ampe(), group_, listenAddress(Transport::uds));
    thread_ = std::thread([this] { run(); });
  }
  ~EchoServer() { stop(); }
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  bool ok() const { return tcp_.channel != 0 && uds_.channel != 0; }
  const Address& tcpAddress() const { return tcp_.bound; }
  const Address& udsAddress() const { return uds_.bound; }
  Ampe& ampe() { return engine_.ampe(); }

  // Waits until the engine has closed every channel but the two listeners.
  bool waitSettled(milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return settledChanged_.wait_for(lock, timeout, [this] { return settled_; });
  }

  // Stops the thread (it has seen everything queued before), keeps the engine's final
  // counters and destroys the engine.
  void stop() {
    if (!thread_.joinable()) {
      return;
    }
    EXPECT_EQ(group_.updateReceiver(), Status::success);
    thread_.join();
    final_ = engine_.ampe().counters();
    engine_.shutdown();
  }

  // The engine's counters when it was stopped.
  const EngineCounters& finalCounters() const { return final_; }

  std::uint64_t posted() const { return posted_; }
  std::uint64_t returnedSeen() const { return returned_; }
  std::uint64_t refused() const { return refused_; }
  std::uint64_t closedSeen() const { return closed_; }

 private:
  static Options serverOptions() {
    Options options = roomyOptions();
    options.maxPoolMsgs = 4096;
    return options;
  }

  void run() {
    for (;;) {
      auto received = group_.waitReceive(20'000'000);  // 20 ms: also re-checks settled_
      if (!received.ok()) {
        ADD_FAILURE() << "server waitReceive: " << toString(received.status());
        return;
      }
      MessagePtr message = std::move(received).value();
      if (!message) {
        updateSettled();
        continue;
      }
      if (message->status() == Status::receiver_update) {
        engine_.ampe().put(message);
        return;
      }
      handle(message);
      if (message) {
        engine_.ampe().put(message);
      }
      updateSettled();
    }
  }

  void handle(MessagePtr& message) {
    if (message->isFromEngine()) {
      if (isFinalSignal(*message)) {
        ++closed_;
      } else if (!isPoolEmpty(*message)) {
        // One of ours, handed back: the client went away before it was written.
        EXPECT_TRUE(message->status() == Status::peer_disconnected ||
                    message->status() == Status::channel_closed)
            << "server got back " << describe(*message);
        ++returned_;
      }
      return;
    }
    OpCode reply = OpCode::Response;
    switch (message->opCode()) {
      case OpCode::HelloRequest:
        reply = OpCode::HelloResponse;
        break;
      case OpCode::Request:
        reply = OpCode::Response;
        break;
      case OpCode::ByeRequest:
        reply = OpCode::ByeResponse;
        break;
      default:
        ADD_FAILURE() << "server got " << describe(*message);
        return;
    }
    message->setOpCode(reply);
    message->headers().reset();
    auto posted = group_.enqueueToPeer(message);
    if (posted.ok()) {
      ++posted_;
    } else {
      // The channel was closed and released meanwhile (an aborting client): kept, given back.
      EXPECT_EQ(posted.status(), Status::invalid_channel_number) << describe(*message);
      ++refused_;
    }
  }

  void updateSettled() {
    const EngineCounters counters = engine_.ampe().counters();
    const bool settled = counters.channelsOpened == counters.channelsClosed + 2;  // the listeners stay
    std::lock_guard lock(mutex_);
    if (settled != settled_) {
      settled_ = settled;
      settledChanged_.notify_all();
    }
  }

  Engine engine_;
  ChannelGroup& group_;
  Listening tcp_;
  Listening uds_;
  std::thread thread_;
  std::uint64_t posted_ = 0;  // written by the server thread; read after stop() or a settle
  std::uint64_t returned_ = 0;
  std::uint64_t refused_ = 0;
  std::uint64_t closed_ = 0;
  EngineCounters final_;
  std::mutex mutex_;
  std::condition_variable settledChanged_;
  bool settled_ = false;
};

// ---------------------------------------------------------------------------------------------
// A client thread: its own group, up to kInFlightPerThread channels at a time.

struct WorkerTotals {
  std::uint64_t posted = 0;    // accepted by enqueueToPeer
  std::uint64_t returned = 0;  // handed back by the engine (not counting final Signals)
  std::uint64_t channels = 0;  // closed with their final Signal
  std::uint64_t graceful = 0;
  std::uint64_t aborted = 0;
  bool failed = false;
};

class Worker {
 public:
  Worker(Ampe& ampe, ChannelGroup& group, const Address& tcp, const Address& uds, std::uint32_t seed)
      : ampe_(ampe), group_(group), tcp_(tcp), uds_(uds), random_(seed) {}

  WorkerTotals run(std::size_t channels) {
    std::size_t opened = 0;
    while (!totals_.failed && (opened < channels || !live_.empty())) {
      while (!totals_.failed && opened < channels && live_.size() < kInFlightPerThread) {
        open(opened++);
      }
      if (totals_.failed || live_.empty()) {
        continue;
      }
      auto message = receive(group_);
      if (!message) {
        std::string states;
        for (const auto& [number, channel] : live_) {
          states += "\n  channel " + std::to_string(number) + ": " + channel.state();
        }
        fail("no message; " + std::to_string(live_.size()) + " channels open:" + states);
        break;
      }
      handle(message);
      ampe_.put(message);
    }
    return totals_;
  }

 private:
  struct Channel {
    bool graceful = true;
    int abortAfter = -1;  // abort after this many Responses; -1: before the HelloResponse
    bool aborted = false;
    bool helloResponse = false;
    bool byeResponse = false;
    std::uint64_t helloId = 0;
    std::vector<std::uint64_t> ids;
    std::size_t responses = 0;

    std::string state() const {
      return std::string(graceful ? "graceful" : "abort after " + std::to_string(abortAfter)) +
             " hello=" + std::to_string(helloId) + (helloResponse ? " HelloResponse" : "") +
             " responses=" + std::to_string(responses) + (aborted ? " ByeSignal posted" : "") +
             (byeResponse ? " ByeResponse" : "");
    }
  };

  void fail(const std::string& what) {
    ADD_FAILURE() << what;
    totals_.failed = true;
  }

  bool postOne(MessagePtr message) {
    const std::string before = describe(message);
    auto posted = group_.enqueueToPeer(message);
    if (!posted.ok()) {
      fail("enqueueToPeer(" + before + "): " + toString(posted.status()));
      return false;
    }
    ++totals_.posted;
    return true;
  }

  void open(std::size_t index) {
    Channel channel;
    channel.graceful = random_() % 4 != 0;
    channel.abortAfter = static_cast<int>(random_() % (kRequests + 1)) - 1;
    const Address& target = index % 2 == 0 ? tcp_ : uds_;
    auto hello = helloRequest(ampe_, target);
    auto posted = group_.enqueueToPeer(hello);
    if (!posted.ok()) {
      fail(std::string("HelloRequest refused: ") + toString(posted.status()));
      return;
    }
    ++totals_.posted;
    const std::uint16_t number = posted.value().channelNumber;
    channel.helloId = posted.value().messageId;
    for (int i = 0; i < kRequests; ++i) {
      const std::size_t size = 1 + random_() % 2000;
      auto message = request(ampe_, number, std::string(size, static_cast<char>('a' + i)));
      auto sent = group_.enqueueToPeer(message);
      if (!sent.ok()) {
        fail(std::string("Request refused: ") + toString(sent.status()));
        return;
      }
      ++totals_.posted;
      channel.ids.push_back(sent.value().messageId);
    }
    if (!live_.emplace(number, std::move(channel)).second) {
      fail("channel number " + std::to_string(number) + " handed out twice");
      return;
    }
    if (!live_[number].graceful && live_[number].abortAfter < 0) {
      abort(number, live_[number]);
    }
  }

  void abort(std::uint16_t number, Channel& channel) {
    channel.aborted = true;
    postOne(byeSignal(ampe_, number));
  }

  void handle(const MessagePtr& message) {
    const std::uint16_t number = message->channelNumber();
    const auto found = live_.find(number);
    if (found == live_.end()) {
      fail("message for a channel that is not open: " + describe(*message));
      return;
    }
    Channel& channel = found->second;
    if (message->isFromEngine()) {
      if (isFinalSignal(*message)) {
        finish(number, channel, *message);
      } else if (!isPoolEmpty(*message)) {
        ++totals_.returned;
        if (!channel.aborted || message->status() != Status::channel_closed) {
          fail("returned on a channel that was not aborted: " + describe(*message));
        }
      }
      return;
    }
    switch (message->opCode()) {
      case OpCode::HelloResponse:
        if (channel.helloResponse || message->messageId() != channel.helloId) {
          fail("unexpected " + describe(*message));
        }
        channel.helloResponse = true;
        if (!channel.graceful && !channel.aborted && channel.abortAfter == 0) {
          abort(number, channel);
        }
        break;
      case OpCode::Response:
        if (!channel.helloResponse || channel.responses >= channel.ids.size() ||
            message->messageId() != channel.ids[channel.responses]) {
          fail("Response out of order: " + describe(*message));
          return;
        }
        ++channel.responses;
        if (channel.graceful && channel.responses == channel.ids.size()) {
          postOne(byeRequest(ampe_, number));
        } else if (!channel.graceful && !channel.aborted &&
                   channel.responses == static_cast<std::size_t>(channel.abortAfter)) {
          abort(number, channel);
        }
        break;
      case OpCode::ByeResponse:
        channel.byeResponse = true;
        break;
      default:
        fail("unexpected " + describe(*message));
    }
  }

  void finish(std::uint16_t number, Channel& channel, const Message& signal) {
    if (channel.graceful) {
      if (!channel.helloResponse || channel.responses != channel.ids.size() || !channel.byeResponse) {
        fail("graceful channel " + std::to_string(number) + " closed early: hello=" +
             std::to_string(channel.helloResponse) + " responses=" + std::to_string(channel.responses) +
             " bye=" + std::to_string(channel.byeResponse));
      }
      ++totals_.graceful;
    } else {
      if (!channel.aborted) {
        fail("channel " + std::to_string(number) + " closed before its abort: " + describe(signal));
      }
      ++totals_.aborted;
    }
    // The final Signal carries the first frame received (the HelloResponse: the Hello id) or,
    // when nothing came, the HelloRequest id: the same id either way.
    if (signal.messageId() != channel.helloId) {
      fail("final Signal with id " + std::to_string(signal.messageId()) + " for Hello " +
           std::to_string(channel.helloId));
    }
    ++totals_.channels;
    live_.erase(number);
  }

  Ampe& ampe_;
  ChannelGroup& group_;
  const Address& tcp_;
  const Address& uds_;
  std::mt19937 random_;
  std::unordered_map<std::uint16_t, Channel> live_;
  WorkerTotals totals_;
};

// One round: kThreads threads, `channels` channels in total; returns the sums.
WorkerTotals runRound(Engine& client, std::vector<ChannelGroup*>& groups, EchoServer& server,
                      std::size_t channels, std::uint32_t seed) {
  std::vector<WorkerTotals> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    const std::size_t share =
        channels / kThreads + (static_cast<std::size_t>(t) < channels % kThreads ? 1 : 0);
    threads.emplace_back([&, t, share] {
      Worker worker(client.ampe(), *groups[static_cast<std::size_t>(t)], server.tcpAddress(),
                    server.udsAddress(), seed + static_cast<std::uint32_t>(t));
      results[static_cast<std::size_t>(t)] = worker.run(share);
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  WorkerTotals sum;
  for (const WorkerTotals& r : results) {
    sum.posted += r.posted;
    sum.returned += r.returned;
    sum.channels += r.channels;
    sum.graceful += r.graceful;
    sum.aborted += r.aborted;
    sum.failed = sum.failed || r.failed;
  }
  return sum;
}

TEST(Soak, EightThreadsOpenAndCloseTenThousandChannelsWithoutLeaks) {
  const std::size_t channels = std::max<std::size_t>(
      kWarmUpChannels, static_cast<std::size_t>(static_cast<double>(kBaseChannels) * stressScale()));
  const std::uint32_t seed = 20240601;
  std::printf("[ soak     ] %zu channels, %d threads, seed %u\n", channels, kThreads, seed);
  const auto started = Clock::now();
  const std::size_t descriptorsBefore = openDescriptors();
  {
    EchoServer server;
    ASSERT_TRUE(server.ok());
    Engine client(roomyOptions());
    std::vector<ChannelGroup*> groups;
    for (int t = 0; t < kThreads; ++t) {
      groups.push_back(&client.group());
    }
    // All waits below are bounded; a round of this size takes seconds.
    const milliseconds settleTimeout = defaultTimeout() * 4;

    const WorkerTotals warmUp = runRound(client, groups, server, kWarmUpChannels, seed);
    ASSERT_FALSE(warmUp.failed);
    ASSERT_EQ(warmUp.channels, kWarmUpChannels);
    ASSERT_TRUE(server.waitSettled(settleTimeout)) << "the server did not close every channel";
    const std::size_t descriptorsWarm = openDescriptors();
    const std::size_t residentWarm = trimmedResidentBytes();

    const WorkerTotals main = runRound(client, groups, server, channels, seed + 1000);
    ASSERT_FALSE(main.failed);
    EXPECT_EQ(main.channels, channels);
    ASSERT_TRUE(server.waitSettled(settleTimeout)) << "the server did not close every channel";
    const std::size_t descriptorsAfter = openDescriptors();
    const std::size_t residentAfter = trimmedResidentBytes();
    const auto elapsed = std::chrono::duration<double>(Clock::now() - started).count();
    std::printf(
        "[ soak     ] %llu graceful, %llu aborted; descriptors %zu / %zu / %zu; RSS %zu -> %zu KiB; %.1f s\n",
        static_cast<unsigned long long>(main.graceful), static_cast<unsigned long long>(main.aborted),
        descriptorsBefore, descriptorsWarm, descriptorsAfter, residentWarm / 1024, residentAfter / 1024,
        elapsed);
    EXPECT_GT(main.graceful, 0u);
    EXPECT_GT(main.aborted, 0u);

    // Descriptors and memory with the engines up and every channel closed.
    EXPECT_EQ(descriptorsAfter, descriptorsWarm) << "descriptors leaked by opening and closing channels";
#if defined(TOFU_SANITIZER_THREAD)
    // ThreadSanitizer keeps per-thread and history memory of its own that grows with the run.
    std::printf("[ soak     ] RSS check skipped under ThreadSanitizer\n");
#else
    EXPECT_LE(residentAfter, residentWarm + kRssMarginBytes)
        << "resident memory grew by " << (residentAfter - residentWarm) / 1024 << " KiB over " << channels
        << " channels";
#endif

    // B1 on both sides. The server thread has seen everything: stop it first.
    server.stop();
    const EngineCounters clientCounters = client.ampe().counters();
    const std::uint64_t clientPosted = warmUp.posted + main.posted;
    EXPECT_EQ(clientCounters.framesWritten + clientCounters.messagesReturned, clientPosted)
        << "client: written + returned == posted (B1)";
    EXPECT_EQ(clientCounters.messagesReturned, warmUp.returned + main.returned)
        << "client: every returned message reached its group";
    EXPECT_EQ(clientCounters.channelsClosed, clientCounters.channelsOpened);
    EXPECT_EQ(clientCounters.channelsOpened, kWarmUpChannels + channels);
    std::printf(
        "[ soak     ] client posted %llu, written %llu, returned %llu; server posted %llu, read %llu\n",
        static_cast<unsigned long long>(clientPosted),
        static_cast<unsigned long long>(clientCounters.framesWritten),
        static_cast<unsigned long long>(clientCounters.messagesReturned),
        static_cast<unsigned long long>(server.posted()),
        static_cast<unsigned long long>(clientCounters.framesRead));
    const EngineCounters& serverCounters = server.finalCounters();
    EXPECT_EQ(serverCounters.framesWritten + serverCounters.messagesReturned, server.posted())
        << "server: written + returned == posted (B1)";
    EXPECT_EQ(serverCounters.messagesReturned, server.returnedSeen())
        << "server: every returned message reached its group";
    EXPECT_LE(serverCounters.framesRead, clientCounters.framesWritten) << "received <= written (B1)";
    EXPECT_LE(clientCounters.framesRead, serverCounters.framesWritten) << "received <= written (B1)";
    // Every server channel closed; those whose client aborted before its Hello was sent were
    // never announced, so they have no final Signal.
    EXPECT_EQ(serverCounters.channelsOpened, serverCounters.channelsClosed + 2);
    EXPECT_LE(server.closedSeen(), serverCounters.channelsClosed);
    EXPECT_GE(server.closedSeen(), warmUp.graceful + main.graceful)
        << "every graceful channel was announced and closed on the server";
  }
  EXPECT_EQ(openDescriptors(), descriptorsBefore) << "descriptors left after the engines are gone";
}

}  // namespace
}  // namespace tofu::test
