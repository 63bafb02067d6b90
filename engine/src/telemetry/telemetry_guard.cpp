#include "telemetry/telemetry_guard.h"

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <unistd.h>
#include <utility>

namespace tofu::detail {
namespace {

// "tcp|HOST|PORT" -> {HOST, PORT}; nullopt for anything else.
std::optional<std::pair<std::string, unsigned>> tcpEnd(std::string_view address) {
  if (!address.starts_with("tcp|")) return std::nullopt;
  const std::size_t bar = address.rfind('|');
  if (bar <= 4) return std::nullopt;
  unsigned port = 0;
  for (const char c : address.substr(bar + 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  return std::make_pair(std::string(address.substr(4, bar - 4)), port);
}

// uid of each local TCP socket by (local port, remote port), from /proc/net/tcp and tcp6:
// who is behind a loopback connection. Read once per sweep, only when needed.
using SocketOwners = std::map<std::pair<unsigned long, unsigned long>, std::string>;

// The whole of a /proc file (empty when unreadable). Plain reads, not iostreams: the guard
// runs in the served process, and parsing these tables should not page in locale machinery.
std::string readProcFile(const char* path) {
  std::string text;
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char chunk[16384];
  for (;;) {
    const ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got <= 0) break;
    text.append(chunk, static_cast<std::size_t>(got));
  }
  ::close(fd);
  return text;
}

// The first `count` space-separated fields of `line` (fewer when it has fewer).
std::vector<std::string_view> leadingFields(std::string_view line, std::size_t count) {
  std::vector<std::string_view> fields;
  for (std::size_t at = 0; at < line.size() && fields.size() < count;) {
    const std::size_t from = line.find_first_not_of(' ', at);
    if (from == std::string_view::npos) break;
    const std::size_t to = line.find(' ', from);
    fields.push_back(line.substr(from, to == std::string_view::npos ? std::string_view::npos : to - from));
    at = to == std::string_view::npos ? line.size() : to;
  }
  return fields;
}

// The port of a /proc/net/tcp "address:port" field (hex); 0 when there is none.
unsigned long procPort(std::string_view address) {
  const std::size_t colon = address.rfind(':');
  return colon == std::string_view::npos ? 0UL : std::strtoul(std::string(address.substr(colon + 1)).c_str(), nullptr, 16);
}

SocketOwners readSocketOwners() {
  SocketOwners owners;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    const std::string text = readProcFile(table);
    std::size_t start = text.find('\n');  // past the titles
    while (start != std::string::npos && start + 1 < text.size()) {
      const std::size_t end = text.find('\n', start + 1);
      const std::string_view line =
          std::string_view(text).substr(start + 1, end == std::string::npos ? std::string_view::npos : end - start - 1);
      start = end;
      // "sl local:port remote:port st tx:rx tr:when retrnsmt uid ...", ports and state in hex.
      const std::vector<std::string_view> fields = leadingFields(line, 8);
      // Only established sockets: the kernel reports the orphans of closed clients as root's,
      // which would count a closing attacker's connections against root's monitors.
      if (fields.size() < 8 || fields[3] != "01") continue;
      owners.emplace(std::make_pair(procPort(fields[1]), procPort(fields[2])), "uid " + std::string(fields[7]));
    }
  }
  return owners;
}

// Who a connection belongs to, for the per-peer share of silent connections.
std::string peerKey(const ChannelInfo& channel, std::optional<SocketOwners>& owners) {
  const auto peer = tcpEnd(channel.peerAddress);
  if (!peer) return "uds";  // UDS: the socket file admits its owner only
  const bool loopback = peer->first.starts_with("127.") || peer->first == "::1";
  const auto ours = tcpEnd(channel.localAddress);
  if (loopback && ours) {
    if (!owners) owners = readSocketOwners();
    const auto found = owners->find({peer->second, ours->second});
    if (found != owners->end()) return found->second;
  }
  return "host " + peer->first;
}

}  // namespace

bool tokenMatches(std::string_view expected, std::string_view given) noexcept {
  // Every byte of `expected` is looked at whatever `given` holds; lengths are compared by
  // value, not by stopping early.
  unsigned difference = expected.size() == given.size() ? 0U : 1U;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const unsigned char other = i < given.size() ? static_cast<unsigned char>(given[i]) : 0U;
    difference |= static_cast<unsigned>(static_cast<unsigned char>(expected[i]) ^ other);
  }
  return difference == 0;
}

TelemetryGuard::Admission TelemetryGuard::hello(std::uint16_t channel, std::optional<std::string_view> token,
                                                Clock::time_point now) {
  if (!token_.empty() && !tokenMatches(token_, token.value_or(std::string_view()))) {
    return Admission::unauthorised;
  }
  if (monitors_.contains(channel)) return Admission::accepted;
  if (monitors_.size() >= kMaxMonitors) return Admission::tooManyMonitors;
  Monitor monitor;
  monitor.windowStart = now;
  monitors_.emplace(channel, monitor);
  return Admission::accepted;
}

bool TelemetryGuard::request(std::uint16_t channel, Clock::time_point now) {
  const auto found = monitors_.find(channel);
  if (found == monitors_.end()) return false;
  Monitor& monitor = found->second;
  if (now - monitor.windowStart >= std::chrono::seconds(1)) {
    monitor.windowStart = now;
    monitor.requestsInWindow = 0;
  }
  return ++monitor.requestsInWindow <= kMaxRequestsPerSecond;
}

TelemetryGuard::Pace TelemetryGuard::snapshot(std::uint16_t channel, std::uint64_t id, Clock::time_point now) {
  Monitor& monitor = monitors_.at(channel);
  if (monitor.waiting.empty() && now - monitor.lastSnapshot >= kMinSnapshotInterval) return Pace::now;
  if (monitor.waiting.size() >= kMaxWaitingSnapshots) return Pace::tooMany;
  monitor.waiting.push_back(id);
  return Pace::later;
}

void TelemetryGuard::snapshotSent(std::uint16_t channel, Clock::time_point now) {
  const auto found = monitors_.find(channel);
  if (found != monitors_.end()) found->second.lastSnapshot = now;
}

std::vector<TelemetryGuard::Due> TelemetryGuard::due(Clock::time_point now) {
  std::vector<Due> result;
  for (auto& [channel, monitor] : monitors_) {
    if (monitor.waiting.empty() || now - monitor.lastSnapshot < kMinSnapshotInterval) continue;
    result.push_back({channel, monitor.waiting.front()});
    monitor.waiting.pop_front();
  }
  return result;
}

TelemetryGuard::Clock::time_point TelemetryGuard::nextDeadline() const {
  Clock::time_point next = nextSweep_;
  for (const auto& [channel, monitor] : monitors_) {
    if (!monitor.waiting.empty()) next = std::min(next, monitor.lastSnapshot + kMinSnapshotInterval);
  }
  return next;
}

void TelemetryGuard::refused(std::uint16_t channel, Clock::time_point now) {
  monitors_.erase(channel);
  refused_.emplace(channel, now + kRefusedGrace);
}

void TelemetryGuard::forget(std::uint16_t channel) {
  monitors_.erase(channel);
  refused_.erase(channel);
}

std::vector<std::uint16_t> TelemetryGuard::sweep(const EngineSnapshot& own, std::size_t snapshotBytes,
                                                 Clock::time_point now) {
  nextSweep_ = now + kSweepInterval;
  const std::size_t bound = outputBound(snapshotBytes);
  std::vector<std::uint16_t> cut;
  std::vector<const ChannelInfo*> silent;
  for (const ChannelInfo& channel : own.channels) {
    if (channel.kind != ChannelKind::serverIo || channel.state == ChannelState::closed) continue;
    const std::uint16_t number = channel.channelNumber;
    if (const auto refused = refused_.find(number); refused != refused_.end()) {
      if (now >= refused->second) cut.push_back(number);
    } else if (monitors_.contains(number)) {
      if (channel.sendQueueBytes > bound) cut.push_back(number);  // it does not read
    } else if (channel.messagesReceived == 0) {
      // Not even a HelloRequest yet. (One that has arrived but not been handled counts as
      // received, so a monitor whose HelloRequest is on its way is never taken for silent.)
      silent.push_back(&channel);
    }
  }
  std::map<std::string, std::vector<const ChannelInfo*>> silentByPeer;
  if (silent.size() > kMaxSilentPerPeer) {  // else no peer can be over its share
    std::optional<SocketOwners> owners;
    for (const ChannelInfo* channel : silent) silentByPeer[peerKey(*channel, owners)].push_back(channel);
  }
  for (auto& [peer, channels] : silentByPeer) {
    if (channels.size() <= kMaxSilentPerPeer) continue;
    // The oldest go first: the newest may be a monitor about to say hello.
    std::sort(channels.begin(), channels.end(),
              [](const ChannelInfo* a, const ChannelInfo* b) { return a->incarnation < b->incarnation; });
    for (std::size_t i = 0; i + kMaxSilentPerPeer < channels.size(); ++i) cut.push_back(channels[i]->channelNumber);
  }
  for (const std::uint16_t number : cut) forget(number);
  return cut;
}

}  // namespace tofu::detail
