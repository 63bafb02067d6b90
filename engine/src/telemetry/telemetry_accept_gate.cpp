#include "telemetry/telemetry_accept_gate.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <map>
#include <optional>
#include <string_view>

#include "net/socket_ops.h"
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/tcp.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tofu::detail {
namespace {

bool isLoopback(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(address);  // NOLINT
    return (ntohl(in.sin_addr.s_addr) >> 24) == 127;
  }
  if (address.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);  // NOLINT
    if (IN6_IS_ADDR_LOOPBACK(&in6.sin6_addr)) return true;
    return IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr) && in6.sin6_addr.s6_addr[12] == 127;
  }
  return false;
}

std::string hostOf(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(address).sin_addr, text, sizeof text);  // NOLINT
  } else if (address.ss_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(address).sin6_addr, text, sizeof text);  // NOLINT
  }
  return text;
}

struct Owner {
  unsigned uid = 0;
  bool established = false;  // else the client end is closing, and its uid may read 0
};

// The socket at the other end of a loopback connection: the one whose local end is `peer`
// and remote end `local`. One exact sock_diag request, no table walk.
std::optional<Owner> loopbackOwner(int& diag, const sockaddr_storage& local, const sockaddr_storage& peer) {
  if (local.ss_family != peer.ss_family) return std::nullopt;
  if (diag < 0) diag = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (diag < 0) return std::nullopt;
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } query{};
  query.header.nlmsg_len = sizeof query;
  query.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  query.header.nlmsg_flags = NLM_F_REQUEST;
  query.request.sdiag_family = static_cast<std::uint8_t>(peer.ss_family);
  query.request.sdiag_protocol = IPPROTO_TCP;
  query.request.idiag_states = ~0U;
  query.request.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  query.request.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  if (peer.ss_family == AF_INET) {
    const auto& from = reinterpret_cast<const sockaddr_in&>(peer);  // NOLINT
    const auto& to = reinterpret_cast<const sockaddr_in&>(local);   // NOLINT
    query.request.id.idiag_sport = from.sin_port;
    query.request.id.idiag_dport = to.sin_port;
    std::memcpy(query.request.id.idiag_src, &from.sin_addr, sizeof from.sin_addr);
    std::memcpy(query.request.id.idiag_dst, &to.sin_addr, sizeof to.sin_addr);
  } else {
    const auto& from = reinterpret_cast<const sockaddr_in6&>(peer);  // NOLINT
    const auto& to = reinterpret_cast<const sockaddr_in6&>(local);   // NOLINT
    query.request.id.idiag_sport = from.sin6_port;
    query.request.id.idiag_dport = to.sin6_port;
    std::memcpy(query.request.id.idiag_src, &from.sin6_addr, sizeof from.sin6_addr);
    std::memcpy(query.request.id.idiag_dst, &to.sin6_addr, sizeof to.sin6_addr);
  }
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(diag, &query, sizeof query, 0, reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel) !=  // NOLINT
      static_cast<ssize_t>(sizeof query)) {
    return std::nullopt;
  }
  alignas(nlmsghdr) char answer[1024];
  const ssize_t length = ::recv(diag, answer, sizeof answer, 0);
  if (length < static_cast<ssize_t>(NLMSG_LENGTH(sizeof(inet_diag_msg)))) return std::nullopt;
  const auto* header = reinterpret_cast<const nlmsghdr*>(answer);  // NOLINT
  if (header->nlmsg_type != SOCK_DIAG_BY_FAMILY) return std::nullopt;  // NLMSG_ERROR: not found
  const auto* message = reinterpret_cast<const inet_diag_msg*>(answer + NLMSG_HDRLEN);  // NOLINT
  return Owner{message->idiag_uid, message->idiag_state == 1};  // TCP_ESTABLISHED
}

}  // namespace

TelemetryAcceptGate::TelemetryAcceptGate(std::size_t maxPending, std::chrono::milliseconds pendingFor)
    : maxPending_(maxPending), pendingFor_(pendingFor) {}

TelemetryAcceptGate::~TelemetryAcceptGate() {
  if (diag_ >= 0) ::close(diag_);
}

std::optional<std::string> TelemetryAcceptGate::peerOf(int fd) {
  sockaddr_storage local{};
  sockaddr_storage peer{};
  socklen_t localLength = sizeof local;
  socklen_t peerLength = sizeof peer;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &localLength) != 0 ||  // NOLINT
      ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peerLength) != 0) {  // NOLINT
    return "unknown";
  }
  if (isLoopback(peer)) {
    if (const std::optional<Owner> owner = loopbackOwner(diag_, local, peer)) {
      // A client that closed before the accept left an orphan, which the kernel reports as
      // root's: nothing to serve there, and counting it as root's would use up the share
      // of root's monitors.
      if (!owner->established) return std::nullopt;
      return "uid " + std::to_string(owner->uid);
    }
  }
  return "host " + hostOf(peer);
}

bool TelemetryAcceptGate::admit(int fd) noexcept {
  try {
    const Clock::time_point now = Clock::now();
    std::string connection = peerAddressOf(fd);
    std::optional<std::string> peer = peerOf(fd);
    struct stat identity {};
    if (!peer || ::fstat(fd, &identity) != 0) return false;
    const std::lock_guard lock(mutex_);
    std::erase_if(pending_, [&](const auto& entry) { return now - entry.second.acceptedAt > pendingFor_; });
    const auto ofPeer = std::count_if(pending_.begin(), pending_.end(),
                                      [&](const auto& entry) { return entry.second.peer == *peer; });
    if (static_cast<std::size_t>(ofPeer) >= kMaxPendingPerPeer && !evictSilent(*peer, now)) return false;
    // All peers together at the cap: the peer holding the most gives up its oldest silent
    // one, so a newcomer (an authorised monitor among them) always gets in.
    if (pending_.size() >= maxPending_ && !evictSilent(busiestPeer(), now)) return false;
    pending_[std::move(connection)] = Pending{std::move(*peer), now, fd, identity.st_dev, identity.st_ino};
    return true;
  } catch (...) {
    return false;  // out of memory: refusing one telemetry connection is the safe answer
  }
}

std::string TelemetryAcceptGate::busiestPeer() const {
  std::map<std::string_view, std::size_t> counts;
  for (const auto& entry : pending_) ++counts[entry.second.peer];
  const auto busiest = std::max_element(counts.begin(), counts.end(),
                                        [](const auto& a, const auto& b) { return a.second < b.second; });
  return busiest == counts.end() ? std::string() : std::string(busiest->first);
}

bool TelemetryAcceptGate::evictSilent(const std::string& peer, Clock::time_point now) {
  auto oldest = pending_.end();
  for (auto entry = pending_.begin(); entry != pending_.end();) {
    Pending& pending = entry->second;
    if (pending.peer != peer) {
      ++entry;
      continue;
    }
    struct stat identity {};
    if (::fstat(pending.fd, &identity) != 0 || identity.st_dev != pending.device || identity.st_ino != pending.inode) {
      entry = pending_.erase(entry);  // its channel has closed (the descriptor may be another's now)
      continue;
    }
    tcp_info info{};
    socklen_t length = sizeof info;
    const bool silent = ::getsockopt(pending.fd, IPPROTO_TCP, TCP_INFO, &info, &length) == 0 &&
                        length >= offsetof(tcp_info, tcpi_bytes_received) + sizeof info.tcpi_bytes_received &&
                        info.tcpi_bytes_received == 0;
    const bool old = now - pending.acceptedAt >= kSilentFor;
    if (silent && old && (oldest == pending_.end() || pending.acceptedAt < oldest->second.acceptedAt)) oldest = entry;
    ++entry;
  }
  if (oldest == pending_.end()) {
    // Entries erased above may have made room.
    return static_cast<std::size_t>(std::count_if(pending_.begin(), pending_.end(), [&](const auto& entry) {
             return entry.second.peer == peer;
           })) < kMaxPendingPerPeer;
  }
  // Its channel sees the end of the stream and closes as for a peer that went away.
  (void)::shutdown(oldest->second.fd, SHUT_RDWR);
  pending_.erase(oldest);
  return true;
}

void TelemetryAcceptGate::settle(const std::vector<std::string>& pending, Clock::time_point asOf) {
  const std::lock_guard lock(mutex_);
  std::erase_if(pending_, [&](const auto& entry) {
    return entry.second.acceptedAt < asOf && std::find(pending.begin(), pending.end(), entry.first) == pending.end();
  });
}

std::size_t TelemetryAcceptGate::pendingCount() const {
  const std::lock_guard lock(mutex_);
  return pending_.size();
}

}  // namespace tofu::detail
