#include "raw_socket_bench.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "measure.h"
#include "socket_util.h"

namespace bench {
namespace {

constexpr std::size_t kHeaderSize = 16;
constexpr std::size_t kMaxBatchFrames = 512;
constexpr std::size_t kMaxBatchBytes = 256 * 1024;
constexpr std::size_t kReadBufferSize = 256 * 1024;

// The bytes every frame of a run carries: a fixed header and a body of `body` bytes.
struct FrameBytes {
  explicit FrameBytes(std::size_t body) : whole(kHeaderSize + body, 'x') {
    std::memset(whole.data(), 0, kHeaderSize);
    whole[12] = static_cast<std::uint8_t>(body >> 24);
    whole[13] = static_cast<std::uint8_t>(body >> 16);
    whole[14] = static_cast<std::uint8_t>(body >> 8);
    whole[15] = static_cast<std::uint8_t>(body);
  }
  std::vector<std::uint8_t> whole;  // header then body, contiguous
};

// Finds frame boundaries in a byte stream and counts completed frames.
class FrameCounter {
 public:
  std::uint64_t feed(const std::uint8_t* data, std::size_t size) noexcept {
    std::uint64_t frames = 0;
    while (size > 0) {
      if (headerFill_ < kHeaderSize) {
        const std::size_t take = std::min(kHeaderSize - headerFill_, size);
        std::memcpy(header_.data() + headerFill_, data, take);
        headerFill_ += take;
        data += take;
        size -= take;
        if (headerFill_ == kHeaderSize) {
          bodyLeft_ = (std::size_t{header_[12]} << 24) | (std::size_t{header_[13]} << 16) |
                      (std::size_t{header_[14]} << 8) | std::size_t{header_[15]};
        }
      } else {
        const std::size_t take = std::min(bodyLeft_, size);
        bodyLeft_ -= take;
        data += take;
        size -= take;
      }
      if (headerFill_ == kHeaderSize && bodyLeft_ == 0) {
        ++frames;
        headerFill_ = 0;
      }
    }
    return frames;
  }

 private:
  std::array<std::uint8_t, kHeaderSize> header_{};
  std::size_t headerFill_ = 0;
  std::size_t bodyLeft_ = 0;
};

// Reads every connection until `stop`, publishing the number of whole frames in `received`.
void receiveLoop(std::vector<Fd>& connections, std::atomic<std::uint64_t>& received, const std::atomic<bool>& stop) {
  Fd poller(::epoll_create1(EPOLL_CLOEXEC));
  std::vector<FrameCounter> counters(connections.size());
  for (std::size_t i = 0; i < connections.size(); ++i) {
    setNonBlocking(connections[i].get());
    epoll_event interest{};
    interest.events = EPOLLIN;
    interest.data.u64 = i;
    ::epoll_ctl(poller.get(), EPOLL_CTL_ADD, connections[i].get(), &interest);
  }
  std::vector<std::uint8_t> buffer(kReadBufferSize);
  std::array<epoll_event, 256> events{};
  std::uint64_t total = received.load(std::memory_order_relaxed);
  while (!stop.load(std::memory_order_relaxed)) {
    const int ready = ::epoll_wait(poller.get(), events.data(), static_cast<int>(events.size()), 10);
    for (int e = 0; e < ready; ++e) {
      const std::size_t index = events[static_cast<std::size_t>(e)].data.u64;
      for (;;) {
        const ssize_t got = ::read(connections[index].get(), buffer.data(), buffer.size());
        if (got <= 0) {
          if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
            ::epoll_ctl(poller.get(), EPOLL_CTL_DEL, connections[index].get(), nullptr);
          }
          break;
        }
        total += counters[index].feed(buffer.data(), static_cast<std::size_t>(got));
        if (static_cast<std::size_t>(got) < buffer.size()) break;
      }
    }
    received.store(total, std::memory_order_relaxed);
  }
}

// Writes frames round-robin over `connections` until `stop`; false on a write error.
// Batched: frames serialized back to back into one buffer of up to 512 frames / 256 KiB,
// written with one write() per connection visit (the kernel's floor: one large copy).
// Otherwise one write() per frame.
bool sendLoop(std::vector<Fd>& connections, const FrameBytes& frames, bool batched, const std::atomic<bool>& stop) {
  const std::size_t frameSize = frames.whole.size();
  const std::size_t perBatch = batched ? std::clamp(kMaxBatchBytes / frameSize, std::size_t{1}, kMaxBatchFrames) : 1;
  std::vector<std::uint8_t> batch;
  batch.reserve(perBatch * frameSize);
  for (std::size_t i = 0; i < perBatch; ++i) batch.insert(batch.end(), frames.whole.begin(), frames.whole.end());
  std::size_t next = 0;
  while (!stop.load(std::memory_order_relaxed)) {
    const int fd = connections[next].get();
    next = next + 1 == connections.size() ? 0 : next + 1;
    if (!writeAll(fd, batch.data(), batch.size())) return false;
  }
  return true;
}

// Opens `count` connected pairs through `listener`: clients (connector side), servers (accepted).
bool connectPairs(const Listener& listener, std::size_t count, std::vector<Fd>& clients, std::vector<Fd>& servers,
                  std::string& error) {
  for (std::size_t i = 0; i < count; ++i) {
    Fd client = connectTo(listener.endpoint(), error);
    if (!client.valid()) return false;
    Fd server = acceptOne(listener.fd());
    if (!server.valid()) {
      error = "accept failed";
      return false;
    }
    clients.push_back(std::move(client));
    servers.push_back(std::move(server));
  }
  return true;
}

}  // namespace

Sample runRawThroughput(Transport transport, std::size_t channels, std::size_t body, bool batched,
                        const RunParams& params) {
  Sample sample;
  Listener listener = Listener::open(transport, sample.error);
  std::vector<Fd> clients;
  std::vector<Fd> servers;
  if (!listener.valid() || !connectPairs(listener, channels, clients, servers, sample.error)) return sample;

  const FrameBytes frames(body);
  std::atomic<std::uint64_t> received{0};
  std::atomic<bool> stopSending{false};
  std::atomic<bool> stopReceiving{false};
  std::atomic<int> sendError{0};
  std::thread receiver([&] { receiveLoop(servers, received, stopReceiving); });
  std::thread sender([&] {
    if (!sendLoop(clients, frames, batched, stopSending)) sendError = errno != 0 ? errno : EIO;
  });
  const Window window = measureWindow([&] { return received.load(std::memory_order_relaxed); }, params);
  stopSending = true;
  sender.join();
  stopReceiving = true;
  receiver.join();

  if (sendError != 0) {
    sample.error = std::string("write failed: ") + std::strerror(sendError);
    return sample;
  }
  sample.ok = window.count > 0 || params.quick;  // a smoke run only checks that it runs
  if (!sample.ok) sample.error = "nothing received";
  sample.messages = window.count;
  sample.rate = static_cast<double>(window.count) / window.seconds;
  sample.cpuNs = window.cpuNs;
  return sample;
}

Sample runRawRoundTrip(Transport transport, std::size_t body, const RunParams& params, bool polling) {
  Sample sample;
  Listener listener = Listener::open(transport, sample.error);
  std::vector<Fd> clients;
  std::vector<Fd> servers;
  if (!listener.valid() || !connectPairs(listener, 1, clients, servers, sample.error)) return sample;

  const FrameBytes frames(body);
  const auto read = polling ? pollAll : readAll;
  std::thread echo([&] {
    std::vector<std::uint8_t> buffer(frames.whole.size());
    while (read(servers[0].get(), buffer.data(), buffer.size()) &&
           writeAll(servers[0].get(), buffer.data(), buffer.size())) {
    }
  });
  std::vector<double> latenciesUs;
  latenciesUs.reserve(1 << 20);
  std::vector<std::uint8_t> reply(frames.whole.size());
  const Clock::time_point start = Clock::now();
  const auto measureFrom = start + std::chrono::duration_cast<Clock::duration>(params.warmup);
  const auto measureUntil = measureFrom + std::chrono::duration_cast<Clock::duration>(params.measure);
  bool failed = false;
  for (Clock::time_point now = start; now < measureUntil;) {
    const Clock::time_point sent = Clock::now();
    if (!writeAll(clients[0].get(), frames.whole.data(), frames.whole.size()) ||
        !read(clients[0].get(), reply.data(), reply.size())) {
      failed = true;
      break;
    }
    now = Clock::now();
    if (sent >= measureFrom) latenciesUs.push_back(std::chrono::duration<double, std::micro>(now - sent).count());
  }
  clients[0].reset();
  echo.join();
  if (failed || latenciesUs.empty()) {
    sample.error = "round trip failed";
    return sample;
  }
  sample.ok = true;
  sample.messages = latenciesUs.size();
  sample.medianUs = quantile(latenciesUs, 0.5);
  sample.p99Us = quantile(latenciesUs, 0.99);
  return sample;
}

Sample runRawSetup(Transport transport, const RunParams& params) {
  Sample sample;
  Listener listener = Listener::open(transport, sample.error);
  if (!listener.valid()) return sample;

  const FrameBytes frames(64);
  std::atomic<bool> stop{false};
  std::thread server([&] {
    std::vector<std::uint8_t> buffer(frames.whole.size());
    while (!stop.load()) {
      Fd connection = acceptOne(listener.fd());
      if (!connection.valid()) break;
      if (!readAll(connection.get(), buffer.data(), buffer.size()) ||
          !writeAll(connection.get(), buffer.data(), buffer.size())) {
        continue;
      }
      std::uint8_t ignored = 0;
      while (::read(connection.get(), &ignored, 1) > 0) {
      }
    }
  });
  std::vector<std::uint8_t> reply(frames.whole.size());
  const Clock::time_point start = Clock::now();
  const auto measureFrom = start + std::chrono::duration_cast<Clock::duration>(params.warmup);
  const auto measureUntil = measureFrom + std::chrono::duration_cast<Clock::duration>(params.measure);
  std::uint64_t completed = 0;
  Clock::time_point firstCounted{};
  Clock::time_point now = start;
  while (now < measureUntil) {
    const Clock::time_point begun = Clock::now();
    Fd connection = connectTo(listener.endpoint(), sample.error);
    if (!connection.valid() || !writeAll(connection.get(), frames.whole.data(), frames.whole.size()) ||
        !readAll(connection.get(), reply.data(), reply.size())) {
      break;
    }
    setAbortiveClose(connection.get());
    connection.reset();
    now = Clock::now();
    if (begun >= measureFrom) {
      if (completed == 0) firstCounted = begun;
      ++completed;
    }
  }
  stop = true;
  std::string ignored;
  Fd wake = connectTo(listener.endpoint(), ignored);  // unblocks accept()
  wake.reset();
  server.join();
  if (completed == 0) {
    if (sample.error.empty()) sample.error = "no connection completed";
    return sample;
  }
  sample.ok = true;
  sample.error.clear();
  sample.messages = completed;
  sample.rate = static_cast<double>(completed) / std::chrono::duration<double>(now - firstCounted).count();
  return sample;
}

Sample runRawScaling(Transport transport, std::size_t channels, std::size_t body, bool batched,
                     const RunParams& params) {
  Sample sample;
  Listener listener = Listener::open(transport, sample.error);
  if (!listener.valid()) return sample;
  if (!onlyStartupThreads()) {
    sample.error = "cannot fork: other threads are running";
    return sample;
  }
  auto child = ChildProcess::start(
      [&listener, channels](ChildShared& shared) {
        std::vector<Fd> servers;
        for (std::size_t i = 0; i < channels; ++i) {
          Fd server = acceptOne(listener.fd());
          if (!server.valid()) {
            reportChildError(shared, std::string("accept: ") + std::strerror(errno));
            return 1;
          }
          servers.push_back(std::move(server));
        }
        shared.accepted = channels;
        shared.state = ChildShared::allAccepted;
        receiveLoop(servers, shared.received, shared.stop);
        return 0;
      },
      sample.error);
  if (!child) return sample;

  const Clock::time_point setupStart = Clock::now();
  std::vector<Fd> clients;
  for (std::size_t i = 0; i < channels; ++i) {
    Fd client = connectTo(listener.endpoint(), sample.error);
    if (!client.valid()) return sample;
    clients.push_back(std::move(client));
  }
  if (!child->waitFor(ChildShared::allAccepted, std::chrono::seconds(60))) {
    sample.error = "child did not accept every connection: " + child->childError();
    return sample;
  }
  sample.setupSeconds = secondsSince(setupStart);

  const FrameBytes frames(body);
  std::atomic<bool> stop{false};
  std::atomic<bool> sendFailed{false};
  std::thread sender([&] {
    if (!sendLoop(clients, frames, batched, stop)) sendFailed = true;
  });
  std::uint64_t childCpuAtStart = 0;
  std::uint64_t childCpu = 0;
  WindowHooks hooks;
  hooks.atStart = [&] { childCpuAtStart = processCpuNs(child->pid()); };
  hooks.atEnd = [&] { childCpu = processCpuNs(child->pid()) - childCpuAtStart; };
  const Window window = measureWindow([&] { return child->shared().received.load(); }, params, hooks);
  stop = true;
  sender.join();
  child->finish();
  if (sendFailed) {
    sample.error = "write failed";
    return sample;
  }
  sample.ok = window.count > 0 || params.quick;  // a smoke run only checks that it runs
  if (!sample.ok) sample.error = "nothing received";
  sample.messages = window.count;
  sample.rate = static_cast<double>(window.count) / window.seconds;
  sample.cpuNs = window.cpuNs + childCpu;
  return sample;
}

}  // namespace bench
