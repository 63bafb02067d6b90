// The two sides measured by tofu-qt-bench: one flooding sender (its own engine and thread)
// and the plain receiving loop the Qt adapter is compared with. Each owns what it starts.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "tofu/reactor.h"

namespace tofu::bench {

// Receipt times of the first and last counted message.
struct Span {
  std::int64_t firstNs = 0;
  std::int64_t lastNs = 0;
  std::uint64_t count = 0;
  double perSecond() const {
    return lastNs > firstNs ? static_cast<double>(count - 1) * 1e9 / static_cast<double>(lastNs - firstNs) : 0.0;
  }
};

// Connects to `address` and sends `count` Requests with a 64-byte body as fast as the send
// queue takes them, on its own engine and thread. Keeps the channel open until destroyed.
class FloodSender {
 public:
  FloodSender(const Options& options, std::string address, std::uint64_t count);
  ~FloodSender();
  FloodSender(const FloodSender&) = delete;
  FloodSender& operator=(const FloodSender&) = delete;

  bool failed() const { return failed_.load(); }

 private:
  void run(const std::string& address, std::uint64_t count);

  std::unique_ptr<Reactor> reactor_;
  std::atomic<bool> failed_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The baseline: a listener and one thread looping waitReceive() + put() until `count` Requests
// arrived. Blocks the caller for the whole run.
Span runPlainLoop(const Options& options, std::uint64_t count);

}  // namespace tofu::bench
