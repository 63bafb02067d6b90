// Stress, acceptance 4 / DECISIONS.md B1: nothing is lost, even while channels are closed
// at random under load, over TCP and UDS. Engine A (clients) posts Requests from 4 threads
// over 8 channels to engine B (a sink that only counts and drains) while channels are aborted
// locally (ByeSignal), closed gracefully (ByeRequest) and killed from the far side (the sink
// aborts its end when asked). Every message A accepted is either written or handed back, per
// channel (so that two channels' errors cannot cancel out):
//   frames written on the channel (A's own count, from a snapshot taken at its final Signal)
//   + messages returned on it == posts accepted for it (Hello, Request, ByeRequest,
//   ByeSignal), exactly;
// each returned message carries its channel's close reason or channel_closed (a post that
// reached the channel once it was closing), and peer_disconnected only on a channel the sink
// was asked to kill. Engine-wide, B never receives more than A wrote, exactly as much when
// every close is graceful.
//
// Size: kBaseRequests Requests in total, multiplied by the environment variable
// TOFU_STRESS_SCALE (default 1.0; e.g. TOFU_STRESS_SCALE=0.1 for ASan/TSan runs).
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "raw_peer.h"

namespace tofu::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kBaseRequests = 100'000;
constexpr int kThreads = 4;
constexpr int kChannelsPerThread = 2;
// A close is attempted after about one Request in this many.
constexpr std::uint32_t kCloseOneIn = 1000;
// The body the sink reads as "abort your end of this channel".
constexpr std::string_view kKillBody = "kill";

// The open channels and the pool of an engine, for failure output.
std::string dumpOpenChannels(Ampe& ampe) {
  auto snapshot = ampe.snapshot();
  if (!snapshot.ok()) {
    return std::string("(no snapshot: ") + toString(snapshot.status()) + ")";
  }
  std::string text;
  for (const ChannelInfo& channel : snapshot.value().channels) {
    if (channel.state == ChannelState::closed) {
      continue;
    }
    text += "  ch " + std::to_string(channel.channelNumber) + " " + toString(channel.kind) + " " +
            toString(channel.state) + " sent " + std::to_string(channel.messagesSent) + " received " +
            std::to_string(channel.messagesReceived) + " (" + std::to_string(channel.bytesReceived) +
            " B) queued " + std::to_string(channel.sendQueueMessages) + "\n";
  }
  const PoolInfo& pool = snapshot.value().pool;
  text += "  pool idle " + std::to_string(pool.idle) + " in use " + std::to_string(pool.inUse) +
          " episodes " + std::to_string(pool.poolEmptyEpisodes) + "\n";
  return text;
}

double stressScale() {
  if (const char* text = std::getenv("TOFU_STRESS_SCALE")) {
    const double value = std::strtod(text, nullptr);
    if (value > 0) {
      return value;
    }
  }
  return 1.0;
}

std::uint64_t scaledRequests(std::uint64_t base) {
  return std::max<std::uint64_t>(static_cast<std::uint64_t>(static_cast<double>(base) * stressScale()), 1000);
}

// How the worker threads may end channels in one run.
struct Mix {
  bool abortLocally = true;  // ByeSignal
  bool killRemotely = true;  // the sink aborts its end
  bool postAfterBye = true;  // a Request after a ByeRequest (comes back channel_closed)
};

// Engine B: receives everything, counts it, gives it back; answers HelloRequest with
// HelloResponse and ByeRequest with ByeResponse; aborts its end of a channel on a "kill" Request. Stops on updateReceiver().
class Sink {
 public:
  explicit Sink(Transport transport) : engine_(sinkOptions()), group_(engine_.group()) {
    listening_ = listen(engine_.ampe(), group_, listenAddress(transport));
    thread_ = std::thread([this] { run(); });
  }
  ~Sink() { stop(); }
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  const Address& address() const noexcept { return listening_.bound; }
  Ampe& ampe() { return engine_.ampe(); }
  std::uint64_t framesSeen() const noexcept { return frames_.load(); }

  // Waits until every channel but the listener has closed, then stops the thread.
  void drainAndStop(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const EngineCounters counters = engine_.ampe().counters();
      if (counters.channelsClosed + 1 == counters.channelsOpened) {
        break;
      }
      if (Clock::now() >= deadline) {
        ADD_FAILURE() << "the sink still has " << counters.channelsOpened - counters.channelsClosed - 1
                      << " open channel(s):\n"
                      << dumpOpenChannels(engine_.ampe());
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    stop();
  }

 private:
  static Options sinkOptions() {
    Options options = roomyOptions();
    options.initialPoolMsgs = 1024;
    options.maxPoolMsgs = 4096;
    return options;
  }

  void stop() {
    if (thread_.joinable()) {
      EXPECT_EQ(group_.updateReceiver(), Status::success);
      thread_.join();
    }
  }

  void run() {
    for (;;) {
      auto received = group_.waitReceive(kWaitReceiveInfiniteTimeout);
      if (!received.ok()) {
        ADD_FAILURE() << "sink waitReceive: " << toString(received.status());
        return;
      }
      MessagePtr message = std::move(received).value();
      if (!message) {
        continue;
      }
      if (message->isFromEngine() && message->status() == Status::receiver_update) {
        engine_.ampe().put(message);
        return;
      }
      if (message->isFromApplication()) {
        frames_.fetch_add(1);
        const std::uint16_t channel = message->channelNumber();
        if (message->opCode() == OpCode::HelloRequest) {  // the peer's frames wait for it (B15)
          message->setOpCode(OpCode::HelloResponse);
          (void)group_.enqueueToPeer(message);  // the channel may be gone already
        } else if (message->opCode() == OpCode::ByeRequest) {
          message->setOpCode(OpCode::ByeResponse);
          (void)group_.enqueueToPeer(message);  // the channel may be gone already
        } else if (message->opCode() == OpCode::Request && message->body().view() == kKillBody) {
          auto abort = request(engine_.ampe(), channel, {}, OpCode::ByeSignal);
          (void)group_.enqueueToPeer(abort);
          engine_.ampe().put(abort);
        }
      }
      engine_.ampe().put(message);
    }
  }

  Engine engine_;
  ChannelGroup& group_;
  Listening listening_;
  std::atomic<std::uint64_t> frames_{0};
  std::thread thread_;
};

// What one worker thread did.
struct WorkerTally {
  std::uint64_t accepted = 0;  // successful enqueueToPeer calls, of any opcode
  std::uint64_t requests = 0;  // accepted Requests
  std::uint64_t returned = 0;  // posted messages handed back by the engine
  std::uint64_t closes = 0;    // Signal(channel_closed) seen
  std::uint64_t refusals = 0;  // notification_failed (B6): the caller kept the message
};

// What happened to one channel of a worker (one incarnation of its number).
struct ChannelTally {
  std::uint16_t number = 0;
  bool fence = false;                        // the fence: its HelloRequest fails at once (invalid_address)
  bool killRequested = false;                // the sink was asked to abort its end
  std::uint64_t accepted = 0;                // posts accepted for it, of any opcode
  std::map<Status, std::uint64_t> returned;  // messages handed back, by status
  std::optional<ChannelInfo> closed;         // A's snapshot of it once its final Signal came

  std::uint64_t returnedTotal() const {
    std::uint64_t total = 0;
    for (const auto& [status, count] : returned) total += count;
    return total;
  }
  std::string describe() const {
    std::string text = "channel " + std::to_string(number) + (fence ? " (fence)" : "") +
                       (killRequested ? " (killed)" : "") + ": accepted " + std::to_string(accepted) +
                       ", written " + (closed ? std::to_string(closed->messagesSent) : "?") +
                       ", close reason " + (closed ? toString(closed->closeReason) : "?") + ", returned";
    for (const auto& [status, count] : returned)
      text += std::string(" ") + toString(status) + "=" + std::to_string(count);
    return text;
  }
};

// B1 per channel: written + returned == accepted, and each return's reason as expected.
void expectAccounted(const ChannelTally& channel) {
  SCOPED_TRACE(channel.describe());
  if (channel.fence) {
    EXPECT_EQ(channel.accepted, 1u);
    EXPECT_EQ(channel.returnedTotal(), 1u);
    EXPECT_EQ(channel.returned.count(Status::invalid_address), 1u);
    return;
  }
  ASSERT_TRUE(channel.closed.has_value()) << "no snapshot of the closed channel";
  EXPECT_EQ(channel.closed->messagesSent + channel.returnedTotal(), channel.accepted)
      << "written + returned == posted (B1), per channel";
  const Status reason = channel.closed->closeReason;
  if (channel.killRequested) {
    EXPECT_TRUE(reason == Status::channel_closed || reason == Status::peer_disconnected) << toString(reason);
  } else {
    EXPECT_EQ(reason, Status::channel_closed);
  }
  for (const auto& [status, count] : channel.returned) {
    EXPECT_TRUE(status == reason || status == Status::channel_closed)
        << count << " returned with " << toString(status) << ", neither the close reason nor channel_closed";
  }
}

// One worker: its own group on engine A and kChannelsPerThread channels to the sink.
class Worker {
 public:
  Worker(Ampe& ampe, ChannelGroup& group, const Address& sink, std::uint64_t quota, const Mix& mix,
         std::uint32_t seed)
      : ampe_(ampe), group_(group), sink_(sink), quota_(quota), mix_(mix), random_(seed) {}

  void run(Clock::time_point deadline) {
    while (tally_.requests < quota_ && Clock::now() < deadline) {
      Slot& slot = slots_[random_() % slots_.size()];
      if (slot.state == State::closed) {
        open(slot);
      } else if (slot.state == State::open) {
        if (random_() % kCloseOneIn == 0) {
          close(slot);
        } else {
          postRequest(slot, "payload-0123456789-abcdefghijklmnopqrstuvwxyz");
        }
      }
      drain(std::chrono::milliseconds(0));
    }
    // Finish: close what is open and wait for every final Signal.
    for (Slot& slot : slots_) {
      if (slot.state == State::open) {
        if (mix_.abortLocally) {
          postControl(slot, OpCode::ByeSignal);
        } else {
          postControl(slot, OpCode::ByeRequest);
        }
      }
    }
    while (
        std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.state != State::closed; }) &&
        Clock::now() < deadline) {
      drain(std::chrono::milliseconds(10));
    }
    for (const Slot& slot : slots_) {
      EXPECT_EQ(slot.state, State::closed)
          << "channel " << slot.number << " never reported its close; client:\n"
          << dumpOpenChannels(ampe_);
    }
    fence(deadline);
    for (const ChannelTally& channel : channels_) expectAccounted(channel);
  }

  const WorkerTally& tally() const noexcept { return tally_; }

 private:
  enum class State { closed, open, closing };
  struct Slot {
    std::uint16_t number = 0;
    State state = State::closed;
  };

  bool tryPost(MessagePtr& message) {
    for (;;) {
      const std::uint16_t channel = message->channelNumber();
      auto posted = group_.enqueueToPeer(message);
      if (posted.ok()) {
        ++tally_.accepted;
        ++tallyOf(channel).accepted;
        return true;
      }
      if (posted.status() != Status::notification_failed) {
        // The channel closed and its number was released before we saw its Signal.
        EXPECT_EQ(posted.status(), Status::invalid_channel_number) << toString(posted.status());
        ampe_.put(message);
        return false;
      }
      // Send queue full (B6): the message is still ours; let the engine catch up.
      ++tally_.refusals;
      EXPECT_NE(message, nullptr);
      drain(std::chrono::milliseconds(1));
    }
  }

  // A message posted to a channel that closed but whose number was not yet released comes back
  // after that channel's final Signal; once the fence (postFence) is back, so is all of that.
  void fence(Clock::time_point deadline) {
    const BinaryHeader posted = postFence(ampe_, group_);
    ASSERT_NE(posted.channelNumber, 0u);
    ++tally_.accepted;
    fence_.number = posted.channelNumber;
    fence_.state = State::closing;
    ChannelTally& record = track(posted.channelNumber);
    record.fence = true;
    record.accepted = 1;
    while (fence_.state != State::closed && Clock::now() < deadline) {
      drain(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(fence_.state, State::closed) << "the fence never came back";
  }

  // A new record for a channel just opened with `number`.
  ChannelTally& track(std::uint16_t number) {
    latest_[number] = channels_.size();
    ChannelTally& record = channels_.emplace_back();
    record.number = number;
    return record;
  }

  // The record of the latest channel with `number` (numbers are not reused before 1024
  // releases, so a late return still finds its own channel).
  ChannelTally& tallyOf(std::uint16_t number) {
    const auto found = latest_.find(number);
    if (found == latest_.end()) {
      ADD_FAILURE() << "no channel " << number << " was opened";
      return track(number);
    }
    return channels_[found->second];
  }

  void open(Slot& slot) {
    auto hello = helloRequest(ampe_, sink_);
    auto posted = group_.enqueueToPeer(hello);
    ASSERT_TRUE(posted.ok()) << toString(posted.status());
    ++tally_.accepted;
    slot.number = posted.value().channelNumber;
    slot.state = State::open;
    track(slot.number).accepted = 1;
  }

  // A's snapshot of `number` once it has closed (the newest closed channel with that number).
  std::optional<ChannelInfo> closedInfo(std::uint16_t number) {
    auto snapshot = ampe_.snapshot();
    if (!snapshot.ok()) return std::nullopt;
    for (const ChannelInfo& info : snapshot.value().channels) {
      if (info.channelNumber == number && info.state == ChannelState::closed) return info;
    }
    return std::nullopt;
  }

  void postRequest(Slot& slot, std::string_view body) {
    auto message = request(ampe_, slot.number, body);
    if (tryPost(message)) {
      ++tally_.requests;
    } else {
      slot.state = State::closing;  // its Signal is on the way
    }
  }

  void postControl(Slot& slot, OpCode op) {
    auto message = request(ampe_, slot.number, {}, op);
    tryPost(message);
    slot.state = State::closing;
  }

  void close(Slot& slot) {
    const std::uint32_t kinds = 1 + (mix_.abortLocally ? 1u : 0u) + (mix_.killRemotely ? 1u : 0u);
    const auto kind = static_cast<std::uint32_t>(random_() % kinds);
    if (kind == 0) {
      postControl(slot, OpCode::ByeRequest);
      if (mix_.postAfterBye) {
        auto late = request(ampe_, slot.number, "after bye");
        if (tryPost(late)) {
          ++tally_.requests;
        }
      }
    } else if (kind == 1 && mix_.abortLocally) {
      postControl(slot, OpCode::ByeSignal);
    } else {
      // The sink aborts its end; our channel stays open until the reset arrives.
      tallyOf(slot.number).killRequested = true;
      postRequest(slot, kKillBody);
    }
  }

  void drain(std::chrono::milliseconds wait) {
    for (;;) {
      auto received = group_.waitReceive(
          static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count()));
      ASSERT_TRUE(received.ok()) << toString(received.status());
      MessagePtr message = std::move(received).value();
      if (!message) {
        return;
      }
      wait = std::chrono::milliseconds(0);
      if (message->isFromEngine()) {
        if (message->opCode() == OpCode::Signal && message->status() == Status::channel_closed) {
          ++tally_.closes;
          if (message->channelNumber() != fence_.number)
            tallyOf(message->channelNumber()).closed = closedInfo(message->channelNumber());
          auto markClosed = [&](Slot& slot) {
            if (slot.number == message->channelNumber() && slot.state != State::closed) {
              slot.state = State::closed;
              slot.number = 0;
            }
          };
          std::for_each(slots_.begin(), slots_.end(), markClosed);
          markClosed(fence_);
        } else if (!(message->opCode() == OpCode::Signal && message->status() == Status::pool_empty) &&
                   !isSendReady(*message)) {  // B16: a refused channel has room again
          EXPECT_TRUE(isFailure(message->status())) << describe(*message);
          ++tally_.returned;
          ++tallyOf(message->channelNumber()).returned[message->status()];
        }
      }
      ampe_.put(message);
    }
  }

  Ampe& ampe_;
  ChannelGroup& group_;
  Address sink_;
  std::uint64_t quota_;
  Mix mix_;
  std::minstd_rand random_;
  std::array<Slot, kChannelsPerThread> slots_{};
  Slot fence_;
  WorkerTally tally_;
  std::vector<ChannelTally> channels_;           // every channel this worker opened
  std::map<std::uint16_t, std::size_t> latest_;  // channel number -> its newest record
};

// Runs the workers against a fresh sink; checks B1's accounting; returns A's and B's counters.
void runAndAccount(Transport transport, const Mix& mix, std::uint64_t totalRequests,
                   bool expectEveryFrameReceived) {
  Sink sink(transport);
  Engine clients(roomyOptions());
  std::vector<ChannelGroup*> groups;
  for (int i = 0; i < kThreads; ++i) {
    groups.push_back(&clients.group());
  }
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < kThreads; ++i) {
    workers.push_back(std::make_unique<Worker>(clients.ampe(), *groups[static_cast<std::size_t>(i)],
                                               sink.address(), totalRequests / kThreads, mix,
                                               1234u + static_cast<std::uint32_t>(i)));
  }
  const auto start = Clock::now();
  const auto deadline = start + scaled(std::chrono::milliseconds(50'000));
  std::vector<std::thread> threads;
  for (auto& worker : workers) {
    threads.emplace_back([&worker, deadline] { worker->run(deadline); });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  sink.drainAndStop(defaultTimeout());

  WorkerTally total;
  for (const auto& worker : workers) {
    total.accepted += worker->tally().accepted;
    total.requests += worker->tally().requests;
    total.returned += worker->tally().returned;
    total.closes += worker->tally().closes;
    total.refusals += worker->tally().refusals;
  }
  const EngineCounters a = clients.ampe().counters();
  const EngineCounters b = sink.ampe().counters();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "[ stress   ] %.2f s: %llu requests, %llu accepted posts, %llu written, %llu returned, "
      "%llu closes, %llu refusals (B6); sink read %llu frames\n",
      seconds, static_cast<unsigned long long>(total.requests),
      static_cast<unsigned long long>(total.accepted), static_cast<unsigned long long>(a.framesWritten),
      static_cast<unsigned long long>(a.messagesReturned), static_cast<unsigned long long>(total.closes),
      static_cast<unsigned long long>(total.refusals), static_cast<unsigned long long>(b.framesRead));

  EXPECT_GE(total.requests, totalRequests / kThreads * kThreads) << "the run did not finish in time";
  EXPECT_EQ(a.framesWritten + a.messagesReturned, total.accepted) << "written + returned == posted (B1)";
  EXPECT_EQ(a.messagesReturned, total.returned) << "every returned message reached its group";
  EXPECT_EQ(a.channelsOpened, a.channelsClosed) << "every client channel closed";
  EXPECT_EQ(total.closes, a.channelsClosed) << "one final Signal per channel";
  EXPECT_LE(b.framesRead, a.framesWritten) << "received <= written";
  if (expectEveryFrameReceived) {
    EXPECT_EQ(sink.framesSeen(), b.framesRead) << "every frame the sink read reached its group";
    EXPECT_EQ(b.framesRead, a.framesWritten) << "graceful closes lose nothing (B3)";
    EXPECT_EQ(a.messagesReturned, static_cast<std::uint64_t>(kThreads)) << "only the fences come back";
  } else {
    // A channel aborted before the sink answered its HelloRequest takes the frames held
    // behind it along unseen (B15).
    EXPECT_LE(sink.framesSeen(), b.framesRead) << "the sink saw frames nobody read";
  }
}

class NothingLostStress : public ::testing::TestWithParam<Transport> {};
INSTANTIATE_TEST_SUITE_P(Transports, NothingLostStress, kAllTransports, TransportName());

TEST_P(NothingLostStress, B1_RandomClosesUnderLoadLoseNothing) {
  runAndAccount(GetParam(), Mix{}, scaledRequests(kBaseRequests), false);
}

TEST_P(NothingLostStress, B1_GracefulClosesUnderLoadDeliverEverything) {
  Mix graceful;
  graceful.abortLocally = false;
  graceful.killRemotely = false;
  graceful.postAfterBye = false;
  runAndAccount(GetParam(), graceful, scaledRequests(kBaseRequests / 4), true);
}

}  // namespace
}  // namespace tofu::test
