#include "flood_sender.h"

#include <chrono>
#include <cstdio>

#include "tofu/tofu.h"

namespace tofu::monitor::bench {

namespace {
constexpr std::uint64_t kConnectTimeoutNs = 5'000'000'000;
constexpr auto kPace = std::chrono::microseconds(500);

// A body like an application's JSON message: a few hundred bytes of text, numbered so that no
// two are alike (the monitor's content store and previews carry it whole).
constexpr const char* kBodyFormat =
    R"({"seq":%llu,"sensor":"line-3/press-07","unit":"kPa","reading":101.325,"status":"nominal",)"
    R"("note":"tofu-monitor-bench flood: a text body of a few hundred bytes, as an application's )"
    R"(JSON message would be, so that attached telemetry carries real payloads to the monitor"})";
}  // namespace

void FloodSender::start() { thread_ = std::thread([this] { run(); }); }

void FloodSender::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::string FloodSender::error() const { return failed_ ? "cannot connect to " + address_ : std::string(); }

void FloodSender::run() {
  auto created = Reactor::create();
  if (!created.ok()) {
    failed_ = true;
    return;
  }
  std::unique_ptr<Reactor> engine = std::move(created).value();
  Ampe& ampe = engine->ampe();
  auto made = ampe.create();
  auto address = Address::parse(address_);
  MessagePtr hello = ampe.get(AllocationStrategy::always).value();
  if (!made.ok() || !address.ok() || prepareHelloRequest(*hello, address.value()) != Status::success) {
    failed_ = true;
    return;
  }
  ChannelGroup* group = made.value();
  const auto posted = group->enqueueToPeer(hello);
  auto reply = group->waitReceive(kConnectTimeoutNs);
  if (!posted.ok() || !reply.ok() || !reply.value() || reply.value()->opCode() != OpCode::HelloResponse ||
      reply.value()->isFromEngine()) {
    failed_ = true;
    return;
  }
  MessagePtr answer = std::move(reply).value();
  ampe.put(answer);
  const std::uint16_t channel = posted.value().channelNumber;

  // Paced in small steps: the number due so far minus the number sent, so a slow step is
  // made up in the next ones. A refused post (send queue full) waits for the next step.
  char body[512];
  const auto began = std::chrono::steady_clock::now();
  while (!stop_) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    const auto due = static_cast<std::uint64_t>(elapsed * rate_);
    while (sent_ < due && !stop_) {
      MessagePtr message = ampe.get(AllocationStrategy::always).value();
      message->setOpCode(OpCode::Signal);
      message->setChannelNumber(channel);
      const int length = std::snprintf(body, sizeof body, kBodyFormat, static_cast<unsigned long long>(sent_.load()));
      message->body().assign(std::string_view(body, static_cast<std::size_t>(length)));
      if (!group->enqueueToPeer(message).ok()) {
        ampe.put(message);
        break;
      }
      sent_.fetch_add(1, std::memory_order_relaxed);
    }
    // Returned messages and notifications: give them back to the pool.
    for (auto received = group->waitReceive(0); received.ok() && received.value(); received = group->waitReceive(0)) {
      MessagePtr message = std::move(received).value();
      ampe.put(message);
    }
    std::this_thread::sleep_for(kPace);
  }
  // The group goes with the engine at the end of this scope (Reactor's destructor).
}

}  // namespace tofu::monitor::bench
