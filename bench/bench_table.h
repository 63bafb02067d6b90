// Results: the samples of every case over all rounds, reduced to medians and printed as
// Markdown tables (so a run can be pasted into docs/performance.md) with ratio columns
// against raw sockets and ZeroMQ, plus the allocation count and optional JSON.
// Not thread-safe: the main thread owns it.
#pragma once

#include <cstddef>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "bench_types.h"

namespace bench {

class Results {
 public:
  explicit Results(const std::vector<Case>& cases) : cases_(cases), samples_(cases.size()) {}

  void add(std::size_t caseIndex, Sample sample) { samples_.at(caseIndex).push_back(std::move(sample)); }

  // Every table with at least one row, then the allocation lines.
  void print(std::ostream& out) const;

  // One JSON object per case; false if the file cannot be written.
  bool writeJson(const std::string& path) const;

  // Cases with no successful run.
  std::size_t failedCases() const;

 private:
  // The medians over the successful runs of one case.
  struct Summary {
    std::size_t runs = 0;
    std::size_t failures = 0;
    std::string error;  // the last failure's reason
    double rate = 0;
    double medianUs = 0;
    double p99Us = 0;
    std::uint64_t messages = 0;     // summed over runs
    std::uint64_t allocations = 0;  // summed over runs
    std::uint64_t warmupAllocations = 0;  // summed over runs
    double longestWarmup = 0;             // seconds, over runs
    double rssPerChannel = 0;
    double heapPerChannel = 0;
    double setupSeconds = 0;
    double poolEmpty = 0;  // median pool_empty episodes per window
    double cpuPerMessage = 0;  // median CPU ns per message, every process involved
    double poolWaits = 0;      // median sender waits per window: pool empty
    double queueWaits = 0;     // median sender waits per window: send queues full
    std::map<std::string, double> threads;  // median busy share per thread name
  };

  using Summaries = std::vector<Summary>;

  Summaries summarizeAll() const;
  // The summary of the case with `impl` and `key` if it ran successfully, else null.
  const Summary* find(const Summaries& all, Impl impl, const CaseKey& key) const;
  // The figure a ratio compares: msgs/s or conns/s, or the median round trip.
  static double figure(const Summary& summary, Kind kind);
  // This case's figure over the `against` case's for the same key, "-" without one.
  std::string ratio(const Summaries& all, std::size_t index, Impl against) const;

  void printThroughput(std::ostream& out, const Summaries& all, Kind kind) const;
  void printTlsAgainstTcp(std::ostream& out, const Summaries& all) const;
  void printRoundTrip(std::ostream& out, const Summaries& all) const;
  void printSetup(std::ostream& out, const Summaries& all) const;
  void printThreadLoads(std::ostream& out, const Summaries& all) const;
  void printAllocations(std::ostream& out, const Summaries& all) const;

  const std::vector<Case>& cases_;
  std::vector<std::vector<Sample>> samples_;
};

}  // namespace bench
