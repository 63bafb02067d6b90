// Internal, not part of the API.
// TelemetryServer: serves one engine's snapshots and events to monitors over the tofu
// protocol itself (docs/telemetry.md). Owns a Reactor of its own, which is never observed and
// never serves telemetry (no loop), so none of its channels or frames show up in the engine
// it describes; and one thread that answers requests and feeds subscribers. Created and
// destroyed by the observed engine (AmpeImpl::start / ~AmpeImpl), which outlives it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "tofu/address.h"
#include "tofu/ampe.h"
#include "tofu/options.h"
#include "tofu/reactor.h"
#include "tofu/result.h"
#include "tofu/telemetry/schema.h"

#include "telemetry/telemetry_accept_gate.h"
#include "telemetry/telemetry_feed.h"
#include "telemetry/telemetry_guard.h"
#include "telemetry/telemetry_sender.h"

namespace tofu::detail {

class TelemetryServer {
 public:
  using Clock = std::chrono::steady_clock;
  // The environment variable read when Options::telemetryFromEnvironment allows it.
  static constexpr const char* kEnvironmentVariable = "TOFU_TELEMETRY";
  // The token, when Options::telemetryToken is empty and telemetryFromEnvironment allows it.
  static constexpr const char* kTokenEnvironmentVariable = "TOFU_TELEMETRY_TOKEN";
  // The body limit, when Options::telemetryBodyLimit is unset and telemetryFromEnvironment allows it.
  static constexpr const char* kBodyLimitEnvironmentVariable = "TOFU_TELEMETRY_BODY_LIMIT";

  // Listens on `address` and starts the server thread. Blocks until the listener is up
  // (a few milliseconds; at most 10 s for a host name that will not resolve). A tls address
  // uses the TLS options (Options::tls*) of `observedOptions`, the observed engine's. Monitors
  // must present `token` in their HelloRequest unless it is empty; not_allowed for a TCP
  // address, or a TLS one without tlsRequireClientCertificate, without a token, or a token
  // that is no valid header value. invalid_address / listen_failed when it cannot listen,
  // not_allowed / allocation_failed when its engine cannot start (TLS files unusable).
  // Monitors asking for payloads get the first `bodyLimit` bytes of every body.
  static Result<std::unique_ptr<TelemetryServer>> start(Ampe& observed, const Options& observedOptions,
                                                        const Address& address, std::string token,
                                                        std::uint32_t bodyLimit);

  // What `options` ask for: Options::telemetryAddress, else TOFU_TELEMETRY when
  // telemetryFromEnvironment; the token from Options::telemetryToken, else
  // TOFU_TELEMETRY_TOKEN when telemetryFromEnvironment; the body limit from
  // Options::telemetryBodyLimit, else TOFU_TELEMETRY_BODY_LIMIT when telemetryFromEnvironment
  // (a value that is no decimal byte count is reported on stderr and the default used), else
  // the default. A null server when telemetry is off.
  // A TCP address (or TLS without client certificates) without a token is not served and
  // says so in one line on stderr. An address from Options that fails is returned as the
  // failure (not_allowed for the missing token); one from the environment is reported on
  // stderr (`tofu: telemetry disabled: cannot listen on ADDRESS: <status>`) and yields a null
  // server.
  static Result<std::unique_ptr<TelemetryServer>> startConfigured(Ampe& observed, const Options& options);

  // Stops and joins the thread, stops observing, then destroys the server's engine (its
  // monitors see their channels reset).
  ~TelemetryServer();
  TelemetryServer(const TelemetryServer&) = delete;
  TelemetryServer& operator=(const TelemetryServer&) = delete;

  // The listening address, with the port actually bound. Thread-safe (constant).
  const Address& boundAddress() const noexcept { return bound_; }

 private:
  TelemetryServer(Ampe& observed, std::unique_ptr<Reactor> reactor, ChannelGroup& group, Address bound,
                  std::uint16_t listenerChannel, std::string token, std::shared_ptr<TelemetryAcceptGate> gate,
                  std::uint32_t bodyLimit);

  // ---- Server thread only ----
  void run();
  void handle(MessagePtr message);
  void handleNotification(MessagePtr& message);
  void handleHello(MessagePtr message);
  void handleRequest(MessagePtr message);
  void sendSnapshot(MessagePtr reuse, std::uint16_t channel, std::uint64_t id);
  void reply(MessagePtr message, OpCode opCode, std::string_view kind);
  void replyError(MessagePtr message, std::string_view kind, std::string_view error);
  // Refuses `message`'s channel: the error as a reply of its opcode, then a ByeRequest; the
  // guard resets the channel if it lingers.
  void refuse(MessagePtr message, OpCode replyOpCode, std::string_view kind, std::string_view error);
  void dropMonitor(std::uint16_t channel);
  void housekeeping(Clock::time_point now);
  // The observed engine's snapshot as JSON, built at most once per
  // TelemetryGuard::kMinSnapshotInterval and shared by every monitor.
  std::optional<std::string> snapshotJson();
  std::optional<std::string> buildSnapshotJson();
  // What each monitor's connection may still queue of events: half the guard's output bound,
  // less what waits in its send queue now, so one snapshot always fits behind them and a
  // monitor that reads is never cut for a flood it cannot keep up with.
  std::map<std::uint16_t, std::size_t> eventRoom();

  // ---- Constant after construction ----
  Ampe& observed_;
  std::unique_ptr<Reactor> reactor_;
  ChannelGroup& group_;  // of reactor_; destroyed with it
  const Address bound_;
  const std::string boundText_;
  const std::uint16_t listenerChannel_;
  const std::uint32_t bodyLimit_;
  const telemetry::ProcessIdentity identity_;
  // TCP only: the cap on pending connections at accept time, told by housekeeping() which
  // connections are no longer pending. Null for UDS (the socket file admits its owner only).
  const std::shared_ptr<TelemetryAcceptGate> gate_;

  // ---- Used by the server thread only (the destructor after joining) ----
  TelemetrySender sender_;
  TelemetryFeed feed_;
  TelemetryGuard guard_;
  std::string cachedSnapshot_;
  Clock::time_point cachedAt_{};
  bool cached_ = false;
  bool trimPending_ = false;  // monitors with queued output went: give the memory back
  Clock::time_point lastTrim_{};

  std::atomic<bool> stopping_{false};  // set by the destructor, then the thread is woken
  std::thread thread_;
};

}  // namespace tofu::detail
