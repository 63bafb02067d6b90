#include "blocked_call.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "engine_harness.h"

namespace tofu::test {
namespace {

constexpr std::uint64_t kSpinEvidenceNs = 20'000'000;  // 20 ms runnable

}  // namespace

BlockedCall::BlockedCall(std::function<Result<MessagePtr>()> call)
    : returnedAt_(returned_.get_future()), thread_([this, call = std::move(call)] {
        tid_.store(static_cast<int>(::gettid()));
        Result<MessagePtr> result = call();
        status_ = result.status();
        // A failed call (shutdown_started, not_allowed) has no message to keep.
        if (result.ok()) message_ = std::move(result).value();
        returned_.set_value(Clock::now());
      }) {}

BlockedCall::~BlockedCall() {
  if (thread_.joinable()) thread_.join();
}

bool BlockedCall::waitUntilBlocked() {
  const auto deadline = Clock::now() + defaultTimeout();
  while (Clock::now() < deadline) {
    if (const int tid = tid_.load(); tid != 0) {
      std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
      std::string line;
      std::getline(stat, line);
      const auto close = line.rfind(')');
      if (close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'S') return true;
    }
    std::this_thread::yield();
  }
  ADD_FAILURE() << "the calling thread never blocked";
  return false;
}

bool BlockedCall::waitUntilSpinning() {
  // A spinning thread is always runnable: on a CPU or waiting in the run queue for one (it
  // yields), and /proc's schedstat counts both ("cpu_ns wait_ns slices"). Before the call the
  // thread runs for microseconds, and a thread asleep in the call adds nothing.
  const auto deadline = Clock::now() + defaultTimeout();
  while (Clock::now() < deadline) {
    if (const int tid = tid_.load(); tid != 0) {
      std::ifstream schedstat("/proc/self/task/" + std::to_string(tid) + "/schedstat");
      std::uint64_t onCpuNs = 0;
      std::uint64_t waitingNs = 0;
      if (schedstat >> onCpuNs >> waitingNs && onCpuNs + waitingNs >= kSpinEvidenceNs) return true;
    }
    std::this_thread::yield();
  }
  ADD_FAILURE() << "the calling thread never spun";
  return false;
}

BlockedCall::Clock::time_point BlockedCall::returnedAt(std::chrono::milliseconds bound) {
  if (returnedAt_.wait_for(bound) != std::future_status::ready) {
    std::fprintf(stderr, "FATAL: the blocked call was not woken within %lld ms\n",
                 static_cast<long long>(bound.count()));
    std::fflush(stderr);
    std::abort();
  }
  thread_.join();
  return returnedAt_.get();
}

}  // namespace tofu::test
