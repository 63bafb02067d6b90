#include "bench_table.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "measure.h"
#include "text_table.h"

namespace bench {
namespace {

std::string bodyText(std::size_t body) {
  if (body >= 1024 && body % 1024 == 0) return std::to_string(body / 1024) + " KiB";
  return std::to_string(body) + " B";
}

std::string scenarioName(Kind kind, Impl impl) {
  switch (impl) {
    case Impl::tofuDefaults:
      return "tofu Signal, default options";
    case Impl::tofu:
      if (kind == Kind::roundTrip) return "tofu Request/Response";
      if (kind == Kind::setup) return "tofu Hello + ByeSignal";
      // Beside the default-options rows; the scaling rows are all tuned.
      return kind == Kind::throughput ? "tofu Signal, tuned options" : "tofu Signal";
    case Impl::tofuObserved:
      return "tofu Signal, observed";
    case Impl::tofuObservedPayloads:
      return "tofu Signal, telemetry payloads";
    case Impl::tofuNoSpin:
      return kind == Kind::roundTrip ? "tofu Request/Response, no spin" : "tofu Signal, no spin";
    case Impl::zmq:
      return kind == Kind::roundTrip ? "ZeroMQ req/rep" : "ZeroMQ push/pull";
    case Impl::rawBatched:
      return "raw batched write";
    case Impl::rawPerFrame:
      return "raw write per frame";
    case Impl::raw:
      return kind == Kind::setup ? "raw connect + frame + RST" : "raw write/read";
    case Impl::rawPolling:
      return "raw write/read, polling";
  }
  return "?";
}

// The base a case's ratio columns compare against.
Impl rawBaselineFor(Kind kind) { return kind == Kind::throughput || kind == Kind::scaling ? Impl::rawBatched : Impl::raw; }

std::string failureText(std::size_t failures, const std::string& error) {
  return "FAILED (" + std::to_string(failures) + "x): " + error;
}

double mb(double rate, std::size_t body) { return rate * static_cast<double>(body) / 1e6; }

}  // namespace

std::size_t Results::failedCases() const {
  std::size_t failed = 0;
  for (const Summary& summary : summarizeAll()) failed += summary.runs == 0 ? 1 : 0;
  return failed;
}

Results::Summaries Results::summarizeAll() const {
  Summaries all(cases_.size());
  for (std::size_t i = 0; i < cases_.size(); ++i) {
    Summary& summary = all[i];
    std::vector<double> rates, medians, p99s, rss, heap, setup, poolEmpty, cpu, poolWaits, queueWaits;
    std::map<std::string, std::vector<double>> threads;
    for (const Sample& sample : samples_[i]) {
      if (!sample.ok) {
        ++summary.failures;
        summary.error = sample.error;
        continue;
      }
      ++summary.runs;
      rates.push_back(sample.rate);
      medians.push_back(sample.medianUs);
      p99s.push_back(sample.p99Us);
      rss.push_back(sample.rssPerChannel);
      heap.push_back(sample.heapPerChannel);
      setup.push_back(sample.setupSeconds);
      poolEmpty.push_back(static_cast<double>(sample.poolEmpty));
      poolWaits.push_back(static_cast<double>(sample.poolWaits));
      queueWaits.push_back(static_cast<double>(sample.queueWaits));
      if (sample.messages > 0) cpu.push_back(static_cast<double>(sample.cpuNs) / static_cast<double>(sample.messages));
      summary.messages += sample.messages;
      summary.allocations += sample.allocations;
      summary.warmupAllocations += sample.warmupAllocations;
      summary.longestWarmup = std::max(summary.longestWarmup, sample.warmupSeconds);
      for (const ThreadLoad& load : sample.threads) threads[load.name].push_back(load.busy);
    }
    summary.rate = median(rates);
    summary.medianUs = median(medians);
    summary.p99Us = median(p99s);
    summary.rssPerChannel = median(rss);
    summary.heapPerChannel = median(heap);
    summary.setupSeconds = median(setup);
    summary.poolEmpty = median(poolEmpty);
    summary.poolWaits = median(poolWaits);
    summary.queueWaits = median(queueWaits);
    summary.cpuPerMessage = median(cpu);
    for (auto& [name, values] : threads) summary.threads[name] = median(values);
  }
  return all;
}

const Results::Summary* Results::find(const Summaries& all, Impl impl, const CaseKey& key) const {
  for (std::size_t i = 0; i < cases_.size(); ++i) {
    if (cases_[i].impl == impl && cases_[i].key == key && all[i].runs > 0) return &all[i];
  }
  return nullptr;
}

double Results::figure(const Summary& summary, Kind kind) { return kind == Kind::roundTrip ? summary.medianUs : summary.rate; }

std::string Results::ratio(const Summaries& all, std::size_t index, Impl against) const {
  const Case& item = cases_[index];
  const Summary* base = find(all, against, item.key);
  if (all[index].runs == 0 || base == nullptr || figure(*base, item.key.kind) <= 0) return "-";
  return fixed(figure(all[index], item.key.kind) / figure(*base, item.key.kind), 3);
}

void Results::printThroughput(std::ostream& out, const Summaries& all, Kind kind) const {
  std::vector<std::string> header{"scenario", "transport", "channels", "body",          "msgs/s",
                                  "MB/s",     "vs raw batched", "vs ZeroMQ", "CPU ns/msg"};
  if (kind == Kind::scaling) {
    header.insert(header.end(), {"open s", "RSS B/channel", "heap B/channel"});
  }
  TextTable table(header);
  for (std::size_t i = 0; i < cases_.size(); ++i) {
    const Case& item = cases_[i];
    if (item.key.kind != kind || samples_[i].empty()) continue;
    const Summary& summary = all[i];
    std::vector<std::string> row{scenarioName(kind, item.impl), toString(item.key.transport),
                                 std::to_string(item.key.channels), bodyText(item.key.body)};
    if (summary.runs == 0) {
      row.push_back(failureText(summary.failures, summary.error));
    } else {
      row.insert(row.end(), {grouped(summary.rate), fixed(mb(summary.rate, item.key.body), 1),
                             ratio(all, i, Impl::rawBatched), ratio(all, i, Impl::zmq), grouped(summary.cpuPerMessage)});
      if (kind == Kind::scaling) {
        const bool tofu = item.impl == Impl::tofu;
        row.insert(row.end(), {fixed(summary.setupSeconds, 2), tofu ? grouped(summary.rssPerChannel) : "-",
                               tofu ? grouped(summary.heapPerChannel) : "-"});
      }
    }
    table.add(row);
  }
  if (table.empty()) return;
  out << (kind == Kind::throughput ? "\n### One-way throughput (medians)\n\n"
                                   : "\n### Scaling: many connections at once (medians; server end in a child process)\n\n");
  table.print(out);
}

void Results::printTlsAgainstTcp(std::ostream& out, const Summaries& all) const {
  TextTable table({"scenario", "channels", "body", "TCP msgs/s", "TLS msgs/s", "TCP MB/s", "TLS MB/s", "TLS / TCP"});
  for (std::size_t i = 0; i < cases_.size(); ++i) {
    const Case& item = cases_[i];
    if (item.key.transport != Transport::tls || item.key.kind != Kind::throughput || all[i].runs == 0) continue;
    CaseKey plainKey = item.key;
    plainKey.transport = Transport::tcp;
    const Summary* plain = find(all, item.impl, plainKey);
    const double tcpRate = plain != nullptr ? plain->rate : 0;
    const double tlsRate = all[i].rate;
    table.add({scenarioName(Kind::throughput, item.impl), std::to_string(item.key.channels), bodyText(item.key.body),
               plain != nullptr ? grouped(tcpRate) : "-", grouped(tlsRate),
               plain != nullptr ? fixed(mb(tcpRate, item.key.body), 1) : "-", fixed(mb(tlsRate, item.key.body), 1),
               tcpRate > 0 ? fixed(tlsRate / tcpRate, 3) : "- (run the tcp row too)"});
  }
  if (table.empty()) return;
  out << "\n### TLS 1.3 against plain TCP, same run (medians)\n\n";
  table.print(out);
}

void Results::printRoundTrip(std::ostream& out, const Summaries& all) const {
  TextTable table({"scenario", "transport", "body", "median us", "p99 us", "vs raw", "vs raw polling", "vs ZeroMQ"});
  for (std::size_t i = 0; i < cases_.size(); ++i) {
    const Case& item = cases_[i];
    if (item.key.kind != Kind::roundTrip || samples_[i].empty()) continue;
    const Summary& summary = all[i];
    std::vector<std::string> row{scenarioName(Kind::roundTrip, item.impl), toString(item.key.transport),
                                 bodyText(item.key.body)};
    if (summary.runs == 0) {
      row.push_back(failureText(summary.failures, summary.error));
    } else {
      row.insert(row.end(), {fixed(summary.medianUs, 1), fixed(summary.p99Us, 1), ratio(all, i, Impl::raw),
                             ratio(all, i, Impl::rawPolling), ratio(all, i, Impl::zmq)});
    }
    table.add(row);
  }
  if (table.empty()) return;
  out << "\n### Round trip (medians of the per-round median and p99; ratios of medians, above 1 is slower)\n\n";
  table.print(out);
}

void Results::printSetup(std::ostream& out, const Summaries& all) const {
  TextTable table({"scenario", "transport", "connections/s", "vs raw"});
  for (std::size_t i = 0; i < cases_.size(); ++i) {
    const Case& item = cases_[i];
    if (item.key.kind != Kind::setup || samples_[i].empty()) continue;
    const Summary& summary = all[i];
    std::vector<std::string> row{scenarioName(Kind::setup, item.impl), toString(item.key.transport)};
    if (summary.runs == 0) {
      row.push_back(failureText(summary.failures, summary.error));
    } else {
      row.insert(row.end(), {grouped(summary.rate), ratio(all, i, Impl::raw)});
    }
    table.add(row);
  }
  if (table.empty()) return;
  out << "\n### Connection set-up, one after the other (medians)\n\n";
  table.print(out);
}

void Results::printThreadLoads(std::ostream& out, const Summaries& all) const {
  const std::vector<std::string> names{"sender", "client I/O", "server I/O", "receiver"};
  std::vector<std::string> header{"tofu one-way", "transport", "channels", "body", "msgs/s"};
  for (const std::string& name : names) header.push_back(name);
  header.insert(header.end(), {"sender waits: pool / queue", "pool_empty episodes"});
  TextTable table(header);
  for (std::size_t i = 0; i < cases_.size(); ++i) {
    const Case& item = cases_[i];
    const bool tofu = item.impl == Impl::tofu || item.impl == Impl::tofuDefaults;
    if (!tofu || item.key.kind != Kind::throughput || all[i].runs == 0) continue;
    std::vector<std::string> row{scenarioName(Kind::throughput, item.impl), toString(item.key.transport),
                                 std::to_string(item.key.channels), bodyText(item.key.body), grouped(all[i].rate)};
    for (const std::string& name : names) {
      const auto found = all[i].threads.find(name);
      if (found == all[i].threads.end() || all[i].rate <= 0) {
        row.push_back("-");
      } else {
        // CPU nanoseconds this thread spent per message, and its busy share of one core.
        row.push_back(grouped(found->second * 1e9 / all[i].rate) + " ns (" + fixed(found->second * 100, 0) + "%)");
      }
    }
    row.push_back(grouped(all[i].poolWaits) + " / " + grouped(all[i].queueWaits));
    row.push_back(grouped(all[i].poolEmpty));
    table.add(row);
  }
  if (table.empty()) return;
  out << "\n### tofu one-way: CPU per message by thread (busy share of one core; 2 cores in all), sender "
         "waits per window (its pool empty / every send queue full), receiving engine's pool_empty "
         "episodes per window\n\n";
  table.print(out);
}

void Results::printAllocations(std::ostream& out, const Summaries& all) const {
  out << "\n### Heap allocations in the tofu steady state\n\n"
      << "operator new calls of the whole process between warm-up end and measurement end. The warm-up "
         "goes on until operator new has been quiet for "
      << fixed(WindowHooks::kQuietSpan.count(), 2) << " s (at most " << fixed(WindowHooks::kLongestWarmup.count(), 1)
      << " s; not with --quick), so one-time high-water marks (pool and reserve spares) fall before the window:\n\n";
  // The tuned rows, then the default-options ones (whose pool grows and shrinks on its own).
  const std::pair<Impl, Kind> groups[] = {{Impl::tofu, Kind::throughput},
                                          {Impl::tofu, Kind::roundTrip},
                                          {Impl::tofu, Kind::scaling},
                                          {Impl::tofuDefaults, Kind::throughput}};
  for (const auto& [impl, kind] : groups) {
    std::uint64_t allocations = 0;
    std::uint64_t messages = 0;
    std::uint64_t warmupAllocations = 0;
    double longestWarmup = 0;
    double worst = -1;
    std::string worstLabel;
    for (std::size_t i = 0; i < cases_.size(); ++i) {
      if (cases_[i].impl != impl || cases_[i].key.kind != kind || all[i].runs == 0) continue;
      allocations += all[i].allocations;
      messages += all[i].messages;
      warmupAllocations += all[i].warmupAllocations;
      longestWarmup = std::max(longestWarmup, all[i].longestWarmup);
      const double perMillion = all[i].messages == 0 ? 0 : 1e6 * static_cast<double>(all[i].allocations) /
                                                               static_cast<double>(all[i].messages);
      if (perMillion > worst) {
        worst = perMillion;
        worstLabel = cases_[i].label();
      }
    }
    if (messages == 0) continue;
    out << "- " << toString(kind) << (impl == Impl::tofuDefaults ? ", default options" : "") << ": "
        << fixed(1e6 * static_cast<double>(allocations) / static_cast<double>(messages), 2)
        << " allocations per million messages (" << grouped(static_cast<double>(allocations)) << " over "
        << grouped(static_cast<double>(messages)) << " messages); highest: " << worstLabel << " " << fixed(worst, 2);
    if (kind != Kind::roundTrip) {
      out << "; warm-ups: " << grouped(static_cast<double>(warmupAllocations)) << " allocations, longest "
          << fixed(longestWarmup, 2) << " s";
    }
    out << "\n";
  }
}

void Results::print(std::ostream& out) const {
  const Summaries all = summarizeAll();
  printThroughput(out, all, Kind::throughput);
  printTlsAgainstTcp(out, all);
  printRoundTrip(out, all);
  printSetup(out, all);
  printThroughput(out, all, Kind::scaling);
  printThreadLoads(out, all);
  printAllocations(out, all);
}

bool Results::writeJson(const std::string& path) const {
  const Summaries all = summarizeAll();
  std::ofstream out(path);
  if (!out) return false;
  out << "[\n";
  for (std::size_t i = 0; i < cases_.size(); ++i) {
    const Case& item = cases_[i];
    const Summary& s = all[i];
    std::string error;
    for (const char c : s.error) {
      if (c == '"' || c == '\\') error += '\\';
      if (static_cast<unsigned char>(c) >= 0x20) error += c;
    }
    out << "  {\"label\": \"" << item.label() << "\", \"kind\": \"" << toString(item.key.kind) << "\", \"impl\": \""
        << toString(item.impl) << "\", \"transport\": \"" << toString(item.key.transport)
        << "\", \"channels\": " << item.key.channels << ", \"body\": " << item.key.body << ", \"runs\": " << s.runs
        << ", \"failures\": " << s.failures << ", \"rate\": " << fixed(s.rate, 1)
        << ", \"mb_per_s\": " << fixed(mb(s.rate, item.key.body), 2) << ", \"median_us\": " << fixed(s.medianUs, 2)
        << ", \"p99_us\": " << fixed(s.p99Us, 2) << ", \"vs_raw\": \"" << ratio(all, i, rawBaselineFor(item.key.kind))
        << "\", \"vs_zmq\": \"" << ratio(all, i, Impl::zmq) << "\", \"messages\": " << s.messages
        << ", \"allocations\": " << s.allocations << ", \"rss_per_channel\": " << fixed(s.rssPerChannel, 0)
        << ", \"heap_per_channel\": " << fixed(s.heapPerChannel, 0) << ", \"open_seconds\": " << fixed(s.setupSeconds, 3)
        << ", \"pool_empty_episodes\": " << fixed(s.poolEmpty, 0) << ", \"sender_pool_waits\": " << fixed(s.poolWaits, 0)
        << ", \"sender_queue_waits\": " << fixed(s.queueWaits, 0) << ", \"cpu_ns_per_msg\": " << fixed(s.cpuPerMessage, 1)
        << ", \"threads\": {";
    bool first = true;
    for (const auto& [name, busy] : s.threads) {
      out << (first ? "" : ", ") << '"' << name << "\": " << fixed(busy, 3);
      first = false;
    }
    out << "}, \"error\": \"" << error << "\"}" << (i + 1 < cases_.size() ? "," : "") << "\n";
  }
  out << "]\n";
  return static_cast<bool>(out);
}

}  // namespace bench
