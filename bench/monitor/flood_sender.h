// FloodSender: a thread with its own tofu engine that connects to ADDRESS and posts Signals
// with a text body of about 300 bytes at a fixed rate, for pushing load at an engine the
// monitor observes from outside (its own engine is not observed, so the monitor only sees the
// receiving side). Owns the thread and the engine; start/stop/sent from the GUI thread.
#pragma once

#include <atomic>
#include <string>
#include <thread>

namespace tofu::monitor::bench {

class FloodSender {
 public:
  FloodSender(std::string address, int rate) : address_(std::move(address)), rate_(rate) {}
  ~FloodSender() { stop(); }
  FloodSender(const FloodSender&) = delete;
  FloodSender& operator=(const FloodSender&) = delete;

  void start();
  void stop();
  std::uint64_t sent() const noexcept { return sent_.load(std::memory_order_relaxed); }
  // Empty while fine; the reason once the connection failed.
  std::string error() const;

 private:
  void run();

  std::string address_;
  int rate_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<bool> failed_{false};
};

}  // namespace tofu::monitor::bench
