// runTofuScaling (declared in tofu_bench.h): many connections at once. The server engine
// runs in a forked child so each process holds one end of every connection; memory is
// measured on both sides around the connection set-up, after the pools are preallocated.
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "alloc_counter.h"
#include "child_process.h"
#include "measure.h"
#include "tofu_bench.h"
#include "tofu_endpoints.h"

namespace bench {
namespace {

constexpr std::size_t kHandshakeWindow = 512;  // below the engine's listen backlog (1024)

// The child: a TofuServer publishing into `shared`; reports its memory growth once
// `channels` HelloRequests were answered, then serves until the parent says stop.
int serveInChild(ChildShared& shared, Transport transport, std::size_t channels, std::size_t body) {
  std::string error;
  auto server = TofuServer::start(transport, body, channels, error, {&shared.received, &shared.accepted});
  if (!server) {
    reportChildError(shared, error);
    return 1;
  }
  trimHeap();
  const std::size_t rssBefore = residentBytes();
  const std::int64_t heapBefore = allocStats().liveBytes;
  const tofu::Address& address = server->address();
  if (address.kind() == tofu::AddressKind::tcp) {
    shared.port = address.port();
  } else {
    std::strncpy(shared.path, address.path().c_str(), sizeof shared.path - 1);
  }
  shared.state = ChildShared::listening;
  bool reported = false;
  while (!shared.stop.load()) {
    if (!reported && server->accepted() >= channels) {
      shared.rssDelta = static_cast<std::int64_t>(residentBytes()) - static_cast<std::int64_t>(rssBefore);
      shared.heapDelta = allocStats().liveBytes - heapBefore;
      shared.state = ChildShared::allAccepted;
      reported = true;
    }
    shared.allocations = allocStats().allocations;
    shared.poolEmpty = server->counters().poolEmptyEpisodes;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return 0;
}

}  // namespace

Sample runTofuScaling(Transport transport, std::size_t channels, std::size_t body, const RunParams& params) {
  Sample sample;
  if (!onlyStartupThreads()) {
    sample.error = "cannot fork: other threads are running";
    return sample;
  }
  auto child = ChildProcess::start(
      [transport, channels, body](ChildShared& shared) { return serveInChild(shared, transport, channels, body); }, sample.error);
  if (!child) return sample;
  if (!child->waitFor(ChildShared::listening, std::chrono::seconds(30))) {
    sample.error = "server child did not start: " + child->childError();
    return sample;
  }
  const tofu::Address server = transport == Transport::tcp ? tofu::Address::tcp("127.0.0.1", child->shared().port.load())
                                                           : tofu::Address::uds(child->shared().path);

  auto client = TofuClient::start(transport, body, channels, sample.error);
  if (!client) return sample;
  std::vector<std::uint16_t> opened;
  opened.reserve(channels);
  trimHeap();
  const std::size_t rssBefore = residentBytes();
  const std::int64_t heapBefore = allocStats().liveBytes;
  const Clock::time_point setupStart = Clock::now();
  if (!client->connect(server, channels, opened, sample.error, kHandshakeWindow)) return sample;
  if (!child->waitFor(ChildShared::allAccepted, std::chrono::seconds(60))) {
    sample.error = "server child did not see every connection: " + child->childError();
    return sample;
  }
  sample.setupSeconds = secondsSince(setupStart);
  const auto rssGrowth = static_cast<double>(static_cast<std::int64_t>(residentBytes()) - static_cast<std::int64_t>(rssBefore) +
                                             child->shared().rssDelta.load());
  const auto heapGrowth = static_cast<double>(allocStats().liveBytes - heapBefore + child->shared().heapDelta.load());
  sample.rssPerChannel = rssGrowth / static_cast<double>(channels);
  sample.heapPerChannel = heapGrowth / static_cast<double>(channels);

  std::atomic<bool> stop{false};
  tofu::Status outcome = tofu::Status::success;
  std::atomic<std::uint64_t> waits[2] = {0, 0};
  std::thread sender([&] { outcome = client->flood(opened, body, stop, waits); });
  // The child refreshes its allocation total every millisecond.
  std::uint64_t childAllocationsAtStart = 0;
  std::uint64_t poolEmptyAtStart = 0;
  std::uint64_t childCpuAtStart = 0;
  WindowHooks hooks;
  hooks.settleAllocations = true;
  hooks.childAllocations = [&] { return child->shared().allocations.load(); };
  hooks.atStart = [&] {
    childAllocationsAtStart = child->shared().allocations.load();
    poolEmptyAtStart = child->shared().poolEmpty.load();
    childCpuAtStart = processCpuNs(child->pid());
  };
  hooks.atEnd = [&] {
    sample.allocations = child->shared().allocations.load() - childAllocationsAtStart;
    sample.poolEmpty = child->shared().poolEmpty.load() - poolEmptyAtStart;
    sample.cpuNs = processCpuNs(child->pid()) - childCpuAtStart;
  };
  const Window window = measureWindow([&] { return child->shared().received.load(); }, params, hooks);
  stop = true;
  sender.join();
  const std::string floodFailure = client->floodFailure();
  client.reset();
  child->finish();
  if (outcome != tofu::Status::success) {
    sample.error = std::string("enqueueToPeer: ") + tofu::toString(outcome);
    if (!floodFailure.empty()) sample.error += " (" + floodFailure + ")";
    return sample;
  }
  sample.ok = window.count > 0 || params.quick;  // a smoke run only checks that it runs
  if (!sample.ok) sample.error = "nothing received";
  sample.messages = window.count;
  sample.allocations += window.allocations;
  sample.warmupAllocations = window.warmupAllocations;
  sample.warmupSeconds = window.warmupSeconds;
  sample.rate = static_cast<double>(window.count) / window.seconds;
  sample.cpuNs += window.cpuNs;
  return sample;
}

}  // namespace bench
