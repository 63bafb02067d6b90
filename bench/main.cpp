// tofu-bench: how fast tofu moves messages, next to raw sockets and ZeroMQ on the same machine.
//
// Scenarios (labels as --filter matches them):
//   throughput/<impl>/<tcp|uds>/<1|16|256>ch/<64|1024|65535>B (65535: largest tofu body)
//       One-way messages over 1, 16 or 256 connections, counted by the receiver during a
//       fixed window (1 s, --quick 0.1 s) after a warm-up. impl is
//         tofu-defaults Signals posted by a sender thread, counted by a thread on the server
//                       group; both engines with tofu::Options{} as shipped (the headline rows)
//         tofu          the same code, both engines with the bench's tuned Options (benchOptions)
//         zmq           ZeroMQ PUSH sockets (one per channel) into one PULL socket
//         raw-batched   raw sockets, up to 512 frames (256 KiB) serialized per write()
//         raw-per-frame raw sockets, one write() per frame
//       plus tofu-observed (an in-process observer), tofu-observed-payloads (a monitor attached
//       to the server's telemetry with payloads on) and tofu-nospin (Options::spinMicros 0) at
//       1 channel, 64 B (tofu-observed-payloads also at 1 KiB).
//   throughput/tofu/tls/1ch/<64|65535>B
//       The tuned tofu rows over TLS 1.3 (server certificate verified; certificates made with
//       the `openssl` command at start), shown against the same rows over plain TCP.
//   roundtrip/<tofu|tofu-nospin|zmq|raw|raw-polling>/<tcp|uds>/64B
//       A 64 B Request answered by a Response (ZeroMQ req/rep; raw write + read, blocking or
//       with non-blocking reads in a yield loop), one at a time: median and p99 in
//       microseconds.
//   setup/<tofu|raw>/<tcp|uds>
//       Connection set-up rate: connect + HelloRequest/HelloResponse + ByeSignal (raw: connect,
//       one frame each way, RST), one connection after the other.
//   scaling/<tofu|raw-batched|raw-per-frame>/<tcp|uds>/<1000|10000>ch/64B (--quick: 200ch)
//       That many connections open at once, the receiving end in a forked child process:
//       time to open them, resident and heap bytes per connection, one-way throughput.
// Every round runs every selected scenario once, in the order above (rounds interleave, so
// drift hits all alike); tables show medians over rounds, with each row's ratio to raw
// batched sockets (raw write/read for latency and set-up) and to ZeroMQ, and the CPU time
// per message of every process involved. Then: tofu's CPU per message by thread, and
// allocations per million messages in tofu's steady state (alloc_counter.cpp).
// Method and a results table: docs/performance.md.
//
// Usage: tofu-bench [--quick] [--rounds N] [--seconds S] [--filter SUBSTRING]... [--defaults-only]
//                   [--json FILE] [--list] [--trace-allocations N]
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "alloc_counter.h"
#include "bench_table.h"
#include "bench_types.h"
#include "measure.h"
#include "raw_socket_bench.h"
#include "socket_util.h"
#include "tofu_bench.h"
#include "tofu_endpoints.h"
#include "zmq_bench.h"

namespace {

using namespace bench;

struct Config {
  bool quick = false;
  bool list = false;
  bool defaultsOnly = false;  // only the one-way rows that judge tofu::Options{}
  int rounds = 3;
  double seconds = 1.0;
  std::vector<std::string> filters;
  std::string jsonPath;
  std::size_t allocationTraces = 0;
};

void usage(std::ostream& out) {
  out << "usage: tofu-bench [--quick] [--rounds N] [--seconds S] [--filter SUBSTRING]... [--defaults-only]\n"
         "                  [--json FILE] [--list] [--trace-allocations N]\n"
         "  --quick      smoke run (1 round, 0.1 s windows, 200-channel scaling), for CI\n"
         "  --rounds N   interleaved rounds; tables show medians (default 3)\n"
         "  --seconds S  measurement window per run (default 1)\n"
         "  --filter S   run only scenarios whose label contains S (repeatable: any match)\n"
         "  --defaults-only  only the one-way throughput rows that judge tofu::Options{}: tofu with\n"
         "               default options, tofu tuned, ZeroMQ, raw batched (--filter narrows them,\n"
         "               e.g. --filter /64B)\n"
         "  --json FILE  also write the summary as JSON\n"
         "  --list       print the scenario labels and exit\n"
         "  --trace-allocations N  print the call stacks of the first N allocations in tofu rows'\n"
         "               measured windows (finds the source of steady-state allocations)\n";
}

bool parse(int argc, char** argv, Config& config) {
  bool roundsGiven = false;
  bool secondsGiven = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool hasValue = i + 1 < argc;
    if (arg == "--quick") {
      config.quick = true;
    } else if (arg == "--list") {
      config.list = true;
    } else if (arg == "--defaults-only") {
      config.defaultsOnly = true;
    } else if (arg == "--rounds" && hasValue) {
      config.rounds = std::atoi(argv[++i]);
      roundsGiven = true;
    } else if (arg == "--seconds" && hasValue) {
      config.seconds = std::atof(argv[++i]);
      secondsGiven = true;
    } else if (arg == "--filter" && hasValue) {
      config.filters.emplace_back(argv[++i]);
    } else if (arg == "--json" && hasValue) {
      config.jsonPath = argv[++i];
    } else if (arg == "--trace-allocations" && hasValue) {
      const long traces = std::atol(argv[++i]);
      if (traces <= 0) return false;
      config.allocationTraces = static_cast<std::size_t>(traces);
    } else {
      return false;
    }
  }
  if (config.quick && !roundsGiven) config.rounds = 1;
  if (config.quick && !secondsGiven) config.seconds = 0.1;
  return config.rounds > 0 && config.seconds > 0;
}

// The rows a tofu-defaults row is shown and compared with.
bool judgesDefaults(const Case& item) {
  const Impl impl = item.impl;
  return item.key.kind == Kind::throughput &&
         (impl == Impl::tofuDefaults || impl == Impl::tofu || impl == Impl::zmq || impl == Impl::rawBatched);
}

bool selected(const Config& config, const Case& item) {
  if (config.defaultsOnly && !judgesDefaults(item)) return false;
  if (config.filters.empty()) return true;
  const std::string label = item.label();
  for (const std::string& filter : config.filters) {
    if (label.find(filter) != std::string::npos) return true;
  }
  return false;
}

std::vector<Case> buildCases(const Config& config, std::size_t fileLimit) {
  const Transport transports[] = {Transport::tcp, Transport::uds};
  const bool zmq = zmqAvailable();
  std::vector<Case> cases;
  auto add = [&](Impl impl, CaseKey key, std::function<Sample(const RunParams&)> run) {
    cases.push_back({impl, key, std::move(run)});
  };
  const std::size_t channelCounts[] = {1, 16, 256};
  // 65535: the largest body a tofu frame can carry (16-bit length), used for every implementation.
  const std::size_t bodySizes[] = {64, 1024, 65535};
  for (const Transport t : transports) {
    for (const std::size_t n : channelCounts) {
      for (const std::size_t body : bodySizes) {
        const CaseKey key{Kind::throughput, t, n, body};
        // First what users get with tofu::Options{}, then the same run with tuned engines.
        for (const Tuning tuning : {Tuning::defaults, Tuning::bench}) {
          const Impl impl = tuning == Tuning::defaults ? Impl::tofuDefaults : Impl::tofu;
          add(impl, key, [=](const RunParams& p) { return runTofuThroughput(t, n, body, p, tuning); });
        }
        if (zmq) add(Impl::zmq, key, [=](const RunParams& p) { return runZmqPushPull(t, n, body, p); });
        add(Impl::rawBatched, key, [=](const RunParams& p) { return runRawThroughput(t, n, body, true, p); });
        add(Impl::rawPerFrame, key, [=](const RunParams& p) { return runRawThroughput(t, n, body, false, p); });
      }
    }
  }
  for (const Transport t : transports) {
    const CaseKey key{Kind::throughput, t, 1, 64};
    add(Impl::tofuObserved, key,
        [=](const RunParams& p) { return runTofuThroughput(t, 1, 64, p, Tuning::bench, Observer::inProcess); });
    add(Impl::tofuObservedPayloads, key, [=](const RunParams& p) {
      return runTofuThroughput(t, 1, 64, p, Tuning::bench, Observer::telemetryPayloads);
    });
    add(Impl::tofuNoSpin, key,
        [=](const RunParams& p) { return runTofuThroughput(t, 1, 64, p, Tuning::benchNoSpin); });
    // Payloads cost a copy and base64 per message: 1 KiB bodies show it beside tofu's own row.
    add(Impl::tofuObservedPayloads, {Kind::throughput, t, 1, 1024}, [=](const RunParams& p) {
      return runTofuThroughput(t, 1, 1024, p, Tuning::bench, Observer::telemetryPayloads);
    });
  }
#if TOFU_BENCH_HAVE_TLS
  for (const std::size_t body : {std::size_t{64}, std::size_t{65535}}) {
    add(Impl::tofu, {Kind::throughput, Transport::tls, 1, body},
        [=](const RunParams& p) { return runTofuThroughput(Transport::tls, 1, body, p); });
  }
#endif
  for (const Transport t : transports) {
    const CaseKey key{Kind::roundTrip, t, 1, 64};
    add(Impl::tofu, key, [=](const RunParams& p) { return runTofuRoundTrip(t, 64, p); });
    add(Impl::tofuNoSpin, key,
        [=](const RunParams& p) { return runTofuRoundTrip(t, 64, p, Tuning::benchNoSpin); });
    if (zmq) add(Impl::zmq, key, [=](const RunParams& p) { return runZmqReqRep(t, 64, p); });
    add(Impl::raw, key, [=](const RunParams& p) { return runRawRoundTrip(t, 64, p); });
    add(Impl::rawPolling, key, [=](const RunParams& p) { return runRawRoundTrip(t, 64, p, true); });
  }
  for (const Transport t : transports) {
    const CaseKey key{Kind::setup, t, 1, 64};
    add(Impl::tofu, key, [=](const RunParams& p) { return runTofuSetup(t, p); });
    add(Impl::raw, key, [=](const RunParams& p) { return runRawSetup(t, p); });
  }
  // Each process holds one end of every connection, plus a few dozen other descriptors.
  const std::size_t mostChannels = fileLimit > 64 ? fileLimit - 64 : 0;
  std::vector<std::size_t> counts = config.quick ? std::vector<std::size_t>{200} : std::vector<std::size_t>{1000, 10000};
  for (std::size_t& n : counts) {
    if (n > mostChannels) {
      std::cerr << "note: scaling to " << n << " channels capped at " << mostChannels << " (descriptor limit "
                << fileLimit << ")\n";
      n = mostChannels;
    }
  }
  for (const Transport t : transports) {
    for (const std::size_t n : counts) {
      const CaseKey key{Kind::scaling, t, n, 64};
      add(Impl::tofu, key, [=](const RunParams& p) { return runTofuScaling(t, n, 64, p); });
      add(Impl::rawBatched, key, [=](const RunParams& p) { return runRawScaling(t, n, 64, true, p); });
      add(Impl::rawPerFrame, key, [=](const RunParams& p) { return runRawScaling(t, n, 64, false, p); });
    }
  }
  std::vector<Case> chosen;
  for (Case& item : cases) {
    if (selected(config, item)) chosen.push_back(std::move(item));
  }
  return chosen;
}

// The first three fields of /proc/loadavg: other work on the machine skews every figure.
std::string loadAverage() {
  std::ifstream file("/proc/loadavg");
  std::string one, five, fifteen;
  file >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

std::string fixedSeconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0f", seconds);
  return text;
}

std::string progressText(const Sample& sample, Kind kind) {
  if (!sample.ok) return "FAILED: " + sample.error;
  char text[128];
  if (kind == Kind::roundTrip) {
    std::snprintf(text, sizeof text, "median %.1f us, p99 %.1f us", sample.medianUs, sample.p99Us);
  } else {
    std::snprintf(text, sizeof text, "%.0f %s/s", sample.rate, kind == Kind::setup ? "connections" : "msgs");
  }
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  recordStartupThreads();
  Config config;
  if (!parse(argc, argv, config)) {
    usage(std::cerr);
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);  // a peer that went away is reported by write(), not a signal
  const std::size_t fileLimit = raiseFileLimit();
  const std::vector<Case> cases = buildCases(config, fileLimit);
  if (config.list) {
    for (const Case& item : cases) std::cout << item.label() << "\n";
    return 0;
  }
  if (cases.empty()) {
    std::cerr << "no scenario matches the filter\n";
    return 2;
  }

  const auto overTls = [](const Case& item) { return item.key.transport == Transport::tls; };
  if (std::string error; std::any_of(cases.begin(), cases.end(), overTls) && !prepareTls(error)) {
    std::cerr << "cannot make the TLS certificates: " << error << "\n";
    return 1;
  }
  if (config.allocationTraces > 0) enableAllocationTraces(config.allocationTraces);
  RunParams params;
  params.quick = config.quick;
  params.measure = std::chrono::duration<double>(config.seconds);
  params.warmup = std::chrono::duration<double>(config.quick ? 0.05 : 0.3);
  std::cerr << "tofu-bench: " << cases.size() << " scenarios x " << config.rounds << " rounds, "
            << config.seconds << " s windows" << (zmqAvailable() ? "" : " (no ZeroMQ baselines in this build)") << "\n";
  const auto isDefaults = [](const Case& item) { return item.impl == Impl::tofuDefaults; };
  if (std::getenv("TOFU_TELEMETRY") != nullptr && std::any_of(cases.begin(), cases.end(), isDefaults)) {
    std::cerr << "note: TOFU_TELEMETRY is set and tofu-defaults engines honour it, as default Options do\n";
  }

  const Clock::time_point start = Clock::now();
  const std::string loadBefore = loadAverage();
  Results results(cases);
  for (int round = 0; round < config.rounds; ++round) {
    for (std::size_t i = 0; i < cases.size(); ++i) {
      Sample sample = cases[i].run(params);
      std::cerr << "[" << round + 1 << "/" << config.rounds << "] " << cases[i].label() << ": "
                << progressText(sample, cases[i].key.kind) << "\n";
      results.add(i, std::move(sample));
    }
  }
  std::cout << "## tofu-bench results\n\n"
            << config.rounds << " rounds, " << config.seconds << " s windows, " << fixedSeconds(secondsSince(start))
            << " s in all; load average " << loadBefore << " before, " << loadAverage() << " after\n";
  results.print(std::cout);
  if (config.allocationTraces > 0) printAllocationTraces(std::cout);
  if (!config.jsonPath.empty() && !results.writeJson(config.jsonPath)) {
    std::cerr << "cannot write " << config.jsonPath << "\n";
    return 1;
  }
  const std::size_t failed = results.failedCases();
  if (failed != 0) std::cerr << failed << " scenario(s) failed in every round\n";
  return failed == 0 ? 0 : 1;
}
