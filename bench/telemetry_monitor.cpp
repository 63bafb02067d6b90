#include "telemetry_monitor.h"

#include <string_view>

#include "tofu/telemetry/frame_headers.h"

namespace bench {
namespace {

constexpr std::uint64_t kReplyWaitNs = 10'000'000'000;
constexpr std::uint64_t kPollNs = 50'000'000;

tofu::MessagePtr newMessage(tofu::Ampe& ampe) {
  auto got = ampe.get(tofu::AllocationStrategy::always);
  return got.ok() ? std::move(got).value() : nullptr;
}

// The next message from the endpoint with `op`; the rest goes back to the pool.
tofu::MessagePtr await(tofu::Ampe& ampe, tofu::ChannelGroup& group, tofu::OpCode op) {
  for (;;) {
    auto got = group.waitReceive(kReplyWaitNs);
    tofu::MessagePtr message = got.ok() ? std::move(got).value() : nullptr;
    if (!message || message->opCode() == op) return message;
    const bool failed = message->isFromEngine() && tofu::isFailure(message->status());
    ampe.put(message);
    if (failed) return nullptr;
  }
}

}  // namespace

std::unique_ptr<TelemetryMonitor> TelemetryMonitor::attach(const std::string& telemetryAddress, std::string& error) {
  std::unique_ptr<TelemetryMonitor> monitor(new TelemetryMonitor());
  tofu::Options options;
  options.telemetryFromEnvironment = false;
  auto created = tofu::Reactor::create(options);
  const tofu::Result<tofu::Address> address = tofu::Address::parse(telemetryAddress);
  if (!created.ok() || !address.ok()) {
    error = "telemetry monitor: cannot start or bad address " + telemetryAddress;
    return nullptr;
  }
  monitor->reactor_ = std::move(created).value();
  tofu::Ampe& ampe = monitor->reactor_->ampe();
  auto made = ampe.create();
  if (!made.ok()) {
    error = "telemetry monitor: no group";
    return nullptr;
  }
  monitor->group_ = made.value();
  tofu::MessagePtr hello = newMessage(ampe);
  if (!hello || tofu::prepareHelloRequest(*hello, address.value()) != tofu::Status::success ||
      !monitor->group_->enqueueToPeer(hello).ok()) {
    error = "telemetry monitor: cannot post the HelloRequest";
    return nullptr;
  }
  tofu::MessagePtr welcome = await(ampe, *monitor->group_, tofu::OpCode::HelloResponse);
  if (!welcome || welcome->headers().find(tofu::telemetry::kVersionHeader) != tofu::telemetry::kVersionHeaderValue) {
    error = "telemetry monitor: " + telemetryAddress + " did not answer as a telemetry endpoint";
    if (welcome) ampe.put(welcome);
    return nullptr;
  }
  const std::uint16_t channel = welcome->channelNumber();
  ampe.put(welcome);
  tofu::MessagePtr subscribe = newMessage(ampe);
  subscribe->header() = tofu::BinaryHeader::forOpCode(tofu::OpCode::Request);
  subscribe->setChannelNumber(channel);
  (void)subscribe->headers().append(tofu::telemetry::kVersionHeader, tofu::telemetry::kVersionHeaderValue);
  (void)subscribe->headers().append(tofu::telemetry::kKindHeader, "subscribe");
  (void)subscribe->headers().append(tofu::telemetry::kPayloadsHeader, "1");
  if (!monitor->group_->enqueueToPeer(subscribe).ok()) {
    error = "telemetry monitor: cannot subscribe";
    return nullptr;
  }
  monitor->thread_ = std::thread([raw = monitor.get()] { raw->read(); });
  return monitor;
}

TelemetryMonitor::~TelemetryMonitor() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void TelemetryMonitor::read() {
  tofu::Ampe& ampe = reactor_->ampe();
  while (!stop_.load()) {
    auto got = group_->waitReceive(kPollNs);
    tofu::MessagePtr message = got.ok() ? std::move(got).value() : nullptr;
    if (!message) continue;
    if (message->headers().find("telemetry") == "events") {
      const std::string_view body = message->body().view();
      eventBytes_.fetch_add(body.size(), std::memory_order_relaxed);
      for (std::size_t at = body.find("\"textHeaders\""); at != std::string_view::npos;
           at = body.find("\"textHeaders\"", at + 1)) {
        payloads_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    ampe.put(message);
  }
}

}  // namespace bench
