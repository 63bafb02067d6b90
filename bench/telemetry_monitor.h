// TelemetryMonitor: what a tofu-monitor attached over telemetry with payloads on asks of the
// served process (docs/telemetry.md): it connects, subscribes with `telemetry-payloads:1` and
// reads every frame on a thread of its own, until destroyed. For tofu-bench's
// tofu-observed-payloads rows. Owns its engine and thread; one owner thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "tofu/tofu.h"

namespace bench {

class TelemetryMonitor {
 public:
  // Attached and subscribed when it returns (blocks up to 10 s); null and `error` on failure.
  static std::unique_ptr<TelemetryMonitor> attach(const std::string& telemetryAddress, std::string& error);
  // Stops reading, then destroys its engine (the endpoint sees a reset).
  ~TelemetryMonitor();
  TelemetryMonitor(const TelemetryMonitor&) = delete;
  TelemetryMonitor& operator=(const TelemetryMonitor&) = delete;

  // Bytes of `events` bodies read so far, and how many of those events carried a payload
  // (thread-safe).
  std::uint64_t eventBytes() const noexcept { return eventBytes_.load(std::memory_order_relaxed); }
  std::uint64_t payloads() const noexcept { return payloads_.load(std::memory_order_relaxed); }

 private:
  TelemetryMonitor() = default;
  void read();

  std::unique_ptr<tofu::Reactor> reactor_;
  tofu::ChannelGroup* group_ = nullptr;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> eventBytes_{0};
  std::atomic<std::uint64_t> payloads_{0};
  std::thread thread_;
};

}  // namespace bench
