// Measurement helpers: the warm-up + fixed-time window every throughput run uses, order
// statistics, process memory (/proc/self/statm) and per-thread CPU time
// (/proc/self/task/<tid>/schedstat). All functions are thread-safe unless stated.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bench_types.h"

namespace bench {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) noexcept;

// The value at quantile `q` (0..1, nearest rank) of `values`; 0 for an empty list.
double quantile(std::vector<double> values, double q);
double median(std::vector<double> values);

// Resident set size of this process (statm field 2 times the page size); 0 if unreadable.
std::size_t residentBytes(pid_t pid = 0);

// Returns freed heap memory to the system, so a following residentBytes() delta is not
// hidden by memory the allocator kept from an earlier run.
void trimHeap() noexcept;

// The calling thread's kernel id.
pid_t currentTid() noexcept;

// The kernel ids of this process's threads.
std::vector<pid_t> listThreads();

// CPU time (user + system, all threads) of this process (pid 0: precise clock) or of process
// `pid` (/proc/<pid>/stat, clock-tick resolution). Does not allocate.
std::uint64_t processCpuNs(pid_t pid = 0) noexcept;

// Remembers how many threads the process has before any run (a sanitizer runtime may have
// its own). Call once, from main, first.
void recordStartupThreads();
// True when no thread beyond those present at startup is alive, so fork() copies no
// thread of ours in the middle of something.
bool onlyStartupThreads();

// Nanoseconds thread `tid` of this process has run; 0 when unknown.
std::uint64_t threadCpuNs(pid_t tid);

// Per-thread CPU share over a window, for the threads given names with add().
// Not thread-safe: one owner.
class ThreadClock {
 public:
  void add(std::string name, pid_t tid);
  void start();
  std::vector<ThreadLoad> stop(double windowSeconds) const;

 private:
  struct Entry {
    std::string name;
    pid_t tid;
    std::uint64_t startNs;
  };
  std::vector<Entry> entries_;
};

// What one fixed-time window saw.
struct Window {
  double seconds = 0;
  std::uint64_t count = 0;        // how far `count` advanced
  std::uint64_t allocations = 0;  // operator new calls by the whole process
  std::uint64_t cpuNs = 0;        // CPU time of the whole process
  std::vector<ThreadLoad> threads;
  double warmupSeconds = 0;             // from the first message to the window's start
  std::uint64_t warmupAllocations = 0;  // operator new calls in that span
};

// Optional extras of a window: per-thread CPU, and callbacks run right at its start and end
// (inside the span whose allocations are counted: they must not allocate).
struct WindowHooks {
  ThreadClock* threads = nullptr;
  std::function<void()> atStart;
  std::function<void()> atEnd;
  // Warm up on past params.warmup until operator new has been quiet for kQuietSpan (at most
  // kLongestWarmup in all): the window then sees the steady state, not the high-water marks
  // an engine reaches once (its reserves filling). What the warm-up allocated is reported.
  // Set for the rows whose allocations are reported (tofu); only their windows are traced.
  bool settleAllocations = false;
  // Allocations made outside this process (a child serving the other end), for the warm-up
  // to wait on and report too; null when there are none.
  std::function<std::uint64_t()> childAllocations;
  static constexpr std::chrono::duration<double> kQuietSpan{0.5};
  static constexpr std::chrono::duration<double> kLongestWarmup{5.0};
};

// Waits for the first message (count() > 0, at most 10 s), then warms up (params.warmup, or
// longer with hooks.settleAllocations), then measures
// how far `count()` (a monotonic total, e.g. messages received) advances during
// params.measure. Blocks the calling thread throughout.
Window measureWindow(const std::function<std::uint64_t()>& count, const RunParams& params,
                     const WindowHooks& hooks = {});

// Sleeps, in a way that is not cut short by signals.
void sleepFor(std::chrono::duration<double> span);

}  // namespace bench
