// Internal, not part of the API.
// TelemetryGuard: who may use a telemetry server, and how much of the served process a
// monitor may cost it (docs/telemetry.md, "Access and limits"). It checks the token of each
// HelloRequest, counts the authorised monitors, paces their snapshots and requests, and,
// from a snapshot of the server's own engine, picks the connections to cut: silent ones
// beyond a per-peer share, refused ones past their grace, and monitors whose unsent output
// passed the bound. It decides only; the server sends and aborts. Server thread only.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tofu/introspection.h"

namespace tofu::detail {

// True when `given` equals `expected`, in a time that depends on expected.size() only.
bool tokenMatches(std::string_view expected, std::string_view given) noexcept;

class TelemetryGuard {
 public:
  using Clock = std::chrono::steady_clock;

  // Authorised monitors at once (a HelloRequest past it is refused: "too many monitors").
  static constexpr std::size_t kMaxMonitors = 64;
  // Connections of one peer that have not sent their HelloRequest yet; the oldest beyond it
  // are cut at the next sweep. A peer is a local uid for loopback TCP when /proc tells, else
  // its host; all UDS peers are one (the socket file is owner-only).
  static constexpr std::size_t kMaxSilentPerPeer = 16;
  // A refused monitor gets its error and a ByeRequest; it is reset if still there after this.
  static constexpr std::chrono::milliseconds kRefusedGrace{1000};
  // A monitor gets at most one snapshot per interval; earlier requests wait their turn.
  static constexpr std::chrono::milliseconds kMinSnapshotInterval{250};
  // Snapshot requests of one monitor waiting for their turn; one more and it is dropped.
  static constexpr std::size_t kMaxWaitingSnapshots = 8;
  // Requests of one monitor per second; more and it is dropped.
  static constexpr std::uint32_t kMaxRequestsPerSecond = 32;
  // How often the server looks at its own connections.
  static constexpr std::chrono::milliseconds kSweepInterval{250};
  // Unsent output of one monitor above which it is dropped: the larger of this and twice
  // the last snapshot (so one whole snapshot always fits behind another).
  static constexpr std::size_t kMinOutputBound = 1024 * 1024;
  // That bound, for the current snapshot's size.
  static std::size_t outputBound(std::size_t snapshotBytes) noexcept {
    return std::max(kMinOutputBound, 2 * snapshotBytes);
  }

  enum class Admission { accepted, unauthorised, tooManyMonitors };
  enum class Pace { now, later, tooMany };

  // `token` empty: every HelloRequest is accepted (UDS, owner-only).
  explicit TelemetryGuard(std::string token) : token_(std::move(token)) {}

  // A HelloRequest on `channel` carrying `token` (nullopt: no header).
  Admission hello(std::uint16_t channel, std::optional<std::string_view> token, Clock::time_point now);
  bool authorised(std::uint16_t channel) const { return monitors_.contains(channel); }
  bool refusedAlready(std::uint16_t channel) const { return refused_.contains(channel); }
  // Counts one request; false when the monitor is over its rate (drop it).
  bool request(std::uint16_t channel, Clock::time_point now);
  // A snapshot request `id`: answer now, later (kept here), or drop the monitor.
  Pace snapshot(std::uint16_t channel, std::uint64_t id, Clock::time_point now);
  // Records that `channel` was sent a snapshot at `now` (also the subscription's).
  void snapshotSent(std::uint16_t channel, Clock::time_point now);

  struct Due {
    std::uint16_t channel = 0;
    std::uint64_t id = 0;
  };
  // The waiting snapshot requests whose turn has come (one per monitor).
  std::vector<Due> due(Clock::time_point now);
  // When the next waiting request or sweep is due.
  Clock::time_point nextDeadline() const;

  // The server sent a refusal and a ByeRequest on `channel`: cut it after the grace.
  void refused(std::uint16_t channel, Clock::time_point now);
  // `channel` is gone (or being cut): forget it.
  void forget(std::uint16_t channel);

  bool sweepDue(Clock::time_point now) const noexcept { return now >= nextSweep_; }
  // From the server engine's own snapshot: the channels to cut now. `snapshotBytes` is the
  // size of the last snapshot served.
  std::vector<std::uint16_t> sweep(const EngineSnapshot& own, std::size_t snapshotBytes, Clock::time_point now);

  std::size_t monitors() const noexcept { return monitors_.size(); }

 private:
  struct Monitor {
    Clock::time_point lastSnapshot{};
    std::deque<std::uint64_t> waiting;  // snapshot request ids, oldest first
    Clock::time_point windowStart{};
    std::uint32_t requestsInWindow = 0;
  };

  const std::string token_;
  std::map<std::uint16_t, Monitor> monitors_;
  std::map<std::uint16_t, Clock::time_point> refused_;  // channel -> when to cut it
  Clock::time_point nextSweep_{};
};

}  // namespace tofu::detail
