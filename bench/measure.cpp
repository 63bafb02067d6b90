#include "measure.h"

#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "alloc_counter.h"

namespace bench {
namespace {
constexpr std::chrono::seconds kFirstMessageTimeout{10};
std::size_t startupThreads = 1;  // written once by main before any other thread exists
}  // namespace

double secondsSince(Clock::time_point start) noexcept {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  // Nearest rank: the smallest value with at least q of the samples at or below it.
  const double rank = std::ceil(q * static_cast<double>(values.size()));
  const std::size_t index = rank < 1 ? 0 : std::min(values.size() - 1, static_cast<std::size_t>(rank) - 1);
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(index), values.end());
  return values[index];
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

std::size_t residentBytes(pid_t pid) {
  const std::string path = pid == 0 ? "/proc/self/statm" : "/proc/" + std::to_string(pid) + "/statm";
  std::ifstream statm(path);
  std::size_t sizePages = 0;
  std::size_t residentPages = 0;
  if (!(statm >> sizePages >> residentPages)) return 0;
  return residentPages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

void trimHeap() noexcept { ::malloc_trim(0); }

pid_t currentTid() noexcept { return static_cast<pid_t>(::syscall(SYS_gettid)); }

std::vector<pid_t> listThreads() {
  std::vector<pid_t> tids;
  DIR* tasks = ::opendir("/proc/self/task");
  if (tasks == nullptr) return tids;
  while (const dirent* entry = ::readdir(tasks)) {
    const int tid = std::atoi(entry->d_name);
    if (tid > 0) tids.push_back(static_cast<pid_t>(tid));
  }
  ::closedir(tasks);
  return tids;
}

std::uint64_t processCpuNs(pid_t pid) noexcept {
  if (pid == 0) {
    timespec now{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(now.tv_nsec);
  }
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char text[1024];
  const ssize_t got = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  if (got <= 0) return 0;
  text[got] = '\0';
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const char* at = std::strrchr(text, ')');
  if (at == nullptr) return 0;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  if (std::sscanf(at + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return 0;
  const auto ticks = static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));
  return (utime + stime) * (1'000'000'000u / ticks);
}

void recordStartupThreads() { startupThreads = listThreads().size(); }

bool onlyStartupThreads() {
#if defined(TOFU_SANITIZER_THREAD)
  return true;  // the ThreadSanitizer runtime starts a background thread of its own, later
#else
  return listThreads().size() <= startupThreads;
#endif
}

std::uint64_t threadCpuNs(pid_t tid) {
  std::ifstream schedstat("/proc/self/task/" + std::to_string(tid) + "/schedstat");
  std::uint64_t runNs = 0;
  if (!(schedstat >> runNs)) return 0;
  return runNs;
}

void ThreadClock::add(std::string name, pid_t tid) {
  if (tid > 0) entries_.push_back({std::move(name), tid, 0});
}

void ThreadClock::start() {
  for (Entry& entry : entries_) entry.startNs = threadCpuNs(entry.tid);
}

std::vector<ThreadLoad> ThreadClock::stop(double windowSeconds) const {
  std::vector<ThreadLoad> loads;
  for (const Entry& entry : entries_) {
    const std::uint64_t now = threadCpuNs(entry.tid);
    const double busy = now >= entry.startNs && windowSeconds > 0
                            ? static_cast<double>(now - entry.startNs) / 1e9 / windowSeconds
                            : 0;
    loads.push_back({entry.name, busy});
  }
  return loads;
}

void sleepFor(std::chrono::duration<double> span) {
  const Clock::time_point until = Clock::now() + std::chrono::duration_cast<Clock::duration>(span);
  while (Clock::now() < until) std::this_thread::sleep_until(until);
}

namespace {

// params.warmup, then (hooks.settleAllocations) on until no allocation for kQuietSpan; records
// its length and allocations in `window`.
void warmUp(const RunParams& params, const WindowHooks& hooks, Window& window) {
  const auto allocationsSoFar = [&hooks] {
    return allocStats().allocations + (hooks.childAllocations ? hooks.childAllocations() : 0);
  };
  const Clock::time_point start = Clock::now();
  const std::uint64_t startAllocations = allocationsSoFar();
  sleepFor(params.warmup);
  if (hooks.settleAllocations && !params.quick) {
    for (;;) {
      const std::uint64_t before = allocationsSoFar();
      sleepFor(WindowHooks::kQuietSpan);
      if (allocationsSoFar() == before || Clock::now() - start >= WindowHooks::kLongestWarmup) break;
    }
  }
  window.warmupSeconds = secondsSince(start);
  window.warmupAllocations = allocationsSoFar() - startAllocations;
}

}  // namespace

Window measureWindow(const std::function<std::uint64_t()>& count, const RunParams& params, const WindowHooks& hooks) {
  // The warm-up starts with the first message: connecting may be asynchronous (ZeroMQ).
  const Clock::time_point giveUp = Clock::now() + kFirstMessageTimeout;
  while (count() == 0 && Clock::now() < giveUp) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  Window window;
  warmUp(params, hooks, window);
  // Reading /proc allocates: do it outside the counted span.
  if (hooks.threads != nullptr) hooks.threads->start();
  const std::uint64_t startAllocations = allocStats().allocations;
  armAllocationTraces(hooks.settleAllocations);
  const std::uint64_t startCpu = processCpuNs();
  if (hooks.atStart) hooks.atStart();
  const std::uint64_t startCount = count();
  const Clock::time_point start = Clock::now();
  sleepFor(params.measure);
  const std::uint64_t endCount = count();
  window.seconds = secondsSince(start);
  if (hooks.atEnd) hooks.atEnd();
  window.cpuNs = processCpuNs() - startCpu;
  window.allocations = allocStats().allocations - startAllocations;
  armAllocationTraces(false);
  window.count = endCount - startCount;
  if (hooks.threads != nullptr) window.threads = hooks.threads->stop(window.seconds);
  return window;
}

}  // namespace bench
