// Internal, not part of the API.
// TelemetryAcceptGate: the telemetry server's say on each connection its TCP listener accepts
// (docs/telemetry.md, "Access and limits"). A connection is pending from its accept until
// the server has seen it authorised (or gone). A peer may have kMaxPendingPerPeer pending
// connections: when a new one would pass that, the peer's oldest pending connection that has
// not sent a single byte in kSilentFor is shut down to make room (so the newest, which may be
// a monitor about to say hello, is kept, as TelemetryGuard does); when there is none, the new
// one is refused. All peers together may have `maxPending`; past it a new connection
// is refused. Refused: reset at once, before it takes a channel slot. So a peer reconnecting
// in a tight loop cannot fill the server's slots between two sweeps of the TelemetryGuard,
// and the slots above `maxPending` stay free for authorised monitors. A peer is the local
// uid of a loopback connection (asked of the kernel by sock_diag), else the remote host; a
// loopback connection whose client end is already closing is refused outright.
//
// admit() runs on the server engine's loop thread, which alone touches the sockets it
// names (a socket is shut down only after fstat shows the descriptor still holds it);
// settle() runs on the server thread. A mutex keeps the pending list between them.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <map>
#include <vector>

#include "net/listener_channel.h"

namespace tofu::detail {

class TelemetryAcceptGate final : public AcceptGate {
 public:
  using Clock = std::chrono::steady_clock;

  // Pending connections of one peer (the same share TelemetryGuard::kMaxSilentPerPeer
  // gives silent ones).
  static constexpr std::size_t kMaxPendingPerPeer = 16;
  // A pending connection is shut down for a newer one of its peer only once it has been
  // accepted this long without sending a byte (a monitor says hello within milliseconds).
  // Younger ones make the newcomer wait its turn (refused): a peer reconnecting in a tight
  // loop gets kMaxPendingPerPeer connections per interval, not one per attempt.
  static constexpr std::chrono::milliseconds kSilentFor{100};

  // `pendingFor`: how long a connection can stay pending before the server closes it (its
  // authentication deadline and refusal grace); an entry older than that is forgotten even
  // if no settle() says so.
  TelemetryAcceptGate(std::size_t maxPending, std::chrono::milliseconds pendingFor);
  ~TelemetryAcceptGate() override;
  TelemetryAcceptGate(const TelemetryAcceptGate&) = delete;
  TelemetryAcceptGate& operator=(const TelemetryAcceptGate&) = delete;

  bool admit(int fd) noexcept override;

  // From a snapshot of the server's engine requested at `asOf`: `pending` holds the peer
  // addresses (ChannelInfo::peerAddress) of its connections not authorised yet. The
  // connections accepted before `asOf` and not among them have been authorised or closed.
  void settle(const std::vector<std::string>& pending, Clock::time_point asOf);

  std::size_t pendingCount() const;

 private:
  struct Pending {
    std::string peer;  // "uid N" or "host H"
    Clock::time_point acceptedAt;
    int fd = -1;  // the descriptor the server's channel owns: used only while it holds `inode`
    unsigned long long device = 0;
    unsigned long long inode = 0;
  };

  // Shuts down the oldest pending connection of `peer` that has not sent a byte in the
  // kSilentFor since its accept; false when it has none. Loop thread, mutex held.
  bool evictSilent(const std::string& peer, Clock::time_point now);
  // The peer with the most pending connections (REQUIRES mutex_).
  std::string busiestPeer() const;

  // Who is behind `fd` (see above); nullopt when its client end is already closing. Loop
  // thread only (uses diag_).
  std::optional<std::string> peerOf(int fd);

  const std::size_t maxPending_;
  const std::chrono::milliseconds pendingFor_;
  int diag_ = -1;  // NETLINK_SOCK_DIAG socket, opened at the first loopback lookup; loop thread
  mutable std::mutex mutex_;
  std::map<std::string, Pending> pending_;  // by the connection's peer address
};

}  // namespace tofu::detail
